//! Accounts over HTTP: first run, sign-in and its limits, sessions, roles, CSRF, API keys and the audit.

use crate::common;

use app::backend::engine::keys;
use app::backend::entities::{api_key, budget_event, team};
use chrono::Duration;
use common::browser::{account, signed_in, Browser, PASSWORD};
use common::fixtures::{add_project, add_team, organization, Fixture};
use common::{spawn_app, Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

async fn audit_kinds(app: &TestApp, fixture: &Fixture) -> Vec<String> {
    budget_event::Entity::find()
        .filter(budget_event::Column::OrgId.eq(fixture.org_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn first_run_creates_the_organization_and_admin_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new(&app);
    let form = [
        ("org_name", "Initech"),
        ("timezone", "Europe/Berlin"),
        ("currency", "EUR"),
        ("usd_rate", "0.92"),
        ("admin_name", "Ada"),
        ("email", "ada@initech.example"),
        ("password", PASSWORD),
    ];
    let response = browser.call("first_run", &form).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert!(browser.cookie().is_some(), "the new admin is signed in");
    let html = browser.get("/").await.text().await.unwrap();
    assert!(html.contains("Initech"), "{html}");
    assert!(html.contains("href=\"/admin/users\""), "admins see the admin pages");

    // Setup is shown once: the page redirects and the function refuses.
    let stranger = Browser::new(&app);
    let response = stranger.get("/setup").await;
    assert_eq!(response.headers()["location"], "/login");
    let mut second = form;
    second[5] = ("email", "eve@evil.example");
    let response = stranger.call("first_run", &second).await;
    assert_eq!(response.status(), 403);
    let admins = app::backend::entities::user::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(admins, 1);

    // In EUR the shipped list prices stay in USD, as providers bill them, and are converted at the
    // rate setup asked for; the page says so; a price added in EUR is used as it is.
    let org = app::backend::entities::organization::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(app::backend::entities::price::Entity::find().count(&app.db).await.unwrap() > 200);
    let prices = browser.get("/prices").await.text().await.unwrap();
    assert!(prices.contains("Prices in USD are converted to EUR"), "{prices}");
    assert!(prices.contains("1 USD") && prices.contains("0.92 EUR"), "the rate from setup: {prices}");
    let price = [
        ("provider", "mistral"),
        ("model", "mistral-house"),
        ("input_per_mtok", "2.30"),
        ("output_per_mtok", "9.20"),
        ("effective_from", ""),
    ];
    assert_eq!(browser.call("add_catalog_price", &price).await.status(), 200);
    let prices = browser.get("/prices").await.text().await.unwrap();
    assert!(prices.contains("2.3 EUR") && prices.contains("9.2 EUR"), "{prices}");
    let team = add_team(&app, org.id, "Core").await;
    add_project(&app, org.id, team, "bot").await;
    let (_, key) = keys::create(&app.db, org.id, "t", keys::Permission::Ingest, None, app.clock_now()).await.unwrap();
    for (model, cost) in [("gpt-4o", "2.3"), ("mistral-house", "2.3")] {
        let check = serde_json::json!({ "user": "ada", "project": "bot", "category": "llm", "model": model,
                                        "estimated_input_tokens": 1_000_000, "max_output_tokens": 0 });
        let (status, decided) = app.post_json(&key, "/api/v1/check", check).await;
        assert_eq!((status, decided["decision"].as_str()), (200, Some("allow")), "{decided}");
        let priced: rust_decimal::Decimal = decided["estimate"]["cost"].as_str().unwrap().parse().unwrap();
        // gpt-4o: 2.50 USD at 0.92 = 2.30 EUR; mistral-house: 2.30 EUR as entered.
        assert_eq!(priced, cost.parse().unwrap(), "{model}: {decided}");
    }
}
on_both_databases!(first_run, first_run_creates_the_organization_and_admin_once);

async fn sign_in_never_says_which_half_was_wrong_and_is_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    account(&app, fixture.org_id, "lee@example.com", &[]).await;
    let browser = Browser::new(&app);
    let wrong_password: Value = browser.sign_in("lee@example.com", "not the password").await.json().await.unwrap();
    let unknown_email: Value = browser.sign_in("nobody@example.com", PASSWORD).await.json().await.unwrap();
    assert_eq!(wrong_password, unknown_email, "the two failures look the same");
    assert!(browser.cookie().is_none() || browser.get("/budgets").await.status() == 303);

    for _ in 0..4 {
        assert_eq!(browser.sign_in("lee@example.com", "still wrong").await.status(), 422);
    }
    // Five failures in fifteen minutes lock the account, even for the right password…
    let locked = browser.sign_in("lee@example.com", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    // …until the window has passed.
    app.clock.advance(Duration::minutes(16));
    assert!(browser.sign_in("lee@example.com", PASSWORD).await.status().is_success());
    let kinds = audit_kinds(&app, &fixture).await;
    assert_eq!(kinds.iter().filter(|k| *k == "login_failed").count(), 5, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "login").count(), 1, "{kinds:?}");
}
on_both_databases!(sign_in_limits, sign_in_never_says_which_half_was_wrong_and_is_rate_limited);

async fn sign_in_rotates_the_session_and_sign_out_ends_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    account(&app, fixture.org_id, "kim@example.com", &[]).await;
    let browser = Browser::new(&app);
    // A session that exists before sign-in (e.g. planted by an attacker) is not the one after it.
    browser.sign_in("kim@example.com", "wrong password!").await;
    let before = browser.cookie();
    browser.sign_in("kim@example.com", PASSWORD).await;
    let after = browser.cookie().expect("signed in");
    assert_ne!(before, Some(after.clone()));
    let response = browser.get("/budgets").await;
    assert_eq!(response.status(), 200);
    let set_cookie = app
        .client
        .post(format!("{}/rpc/login", app.address))
        .header("origin", &app.address)
        .form(&[("email", "kim@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie_header = set_cookie.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie_header.contains(attribute), "{attribute} in {cookie_header}");
    }

    let stolen_copy = Browser::with_cookie(&app, Some(after));
    browser.call("logout", &[]).await;
    assert_eq!(stolen_copy.get("/budgets").await.status(), 303, "the session ended on the server too");
    assert!(audit_kinds(&app, &fixture).await.contains(&"logout".to_owned()));
}
on_both_databases!(sessions, sign_in_rotates_the_session_and_sign_out_ends_it);

async fn sessions_expire_after_their_absolute_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (browser, _) = signed_in(&app, fixture.org_id, "sam@example.com", &[]).await;
    app.clock.advance(Duration::hours(11));
    assert_eq!(browser.get("/budgets").await.status(), 200);
    app.clock.advance(Duration::hours(2));
    let response = browser.get("/budgets").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?next=%2Fbudgets");
}
on_both_databases!(absolute_expiry, sessions_expire_after_their_absolute_lifetime);

async fn deactivation_and_password_change_end_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    let (pat, pat_id) = signed_in(&app, fixture.org_id, "pat@example.com", &[]).await;
    let second_tab = Browser::new(&app);
    second_tab.sign_in("pat@example.com", PASSWORD).await;

    let new_password = "a much better passphrase";
    let form = [("current", PASSWORD), ("new", new_password), ("repeat", new_password)];
    assert!(pat.call("change_password", &form).await.status().is_success());
    assert_eq!(pat.get("/budgets").await.status(), 200, "the tab that changed it stays signed in");
    assert_eq!(second_tab.get("/budgets").await.status(), 303, "other sessions end");

    let id = pat_id.to_string();
    let response = admin.call("set_person_active", &[("user_id", id.as_str()), ("active", "false")]).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(pat.get("/budgets").await.status(), 303, "a deactivated account's sessions end");
    let refused = Browser::new(&app).sign_in("pat@example.com", new_password).await;
    assert_eq!(refused.status(), 422, "and it cannot sign in");

    // The last admin cannot lock the organization out.
    let me = app::backend::services::organizations::first_organization(&app.db).await.unwrap().unwrap();
    let root = app::backend::entities::user::Entity::find()
        .filter(app::backend::entities::user::Column::OrgId.eq(me.id))
        .filter(app::backend::entities::user::Column::Handle.eq("root@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let response = admin.call("set_person_roles", &[("user_id", root.id.to_string().as_str())]).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("at least one active admin"));
}
on_both_databases!(ending_sessions, deactivation_and_password_change_end_sessions);

async fn viewers_are_refused_admin_functions_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (viewer, viewer_id) = signed_in(&app, fixture.org_id, "val@example.com", &[]).await;
    let keys_before = api_key::Entity::find().count(&app.db).await.unwrap();

    assert_eq!(viewer.call("people", &[]).await.status(), 403);
    assert_eq!(viewer.call("create_api_key", &[("name", "x"), ("permission", "admin")]).await.status(), 403);
    assert_eq!(viewer.call("create_team", &[("name", "Shadow IT")]).await.status(), 403);
    let me = viewer_id.to_string();
    let escalate = [("user_id", me.as_str()), ("admin", "on")];
    assert_eq!(viewer.call("set_person_roles", &escalate).await.status(), 403);
    assert_eq!(viewer.get("/reports/audit/csv").await.status(), 403);
    assert_eq!(viewer.get("/admin/audit").await.status(), 403);
    let page = viewer.get("/admin/users").await;
    assert_eq!(page.status(), 403);
    let html = page.text().await.unwrap();
    assert!(html.contains("this needs the admin role"), "{html}");
    assert!(!html.contains("href=\"/admin/users\""), "the menu hides what the role cannot do");

    assert_eq!(api_key::Entity::find().count(&app.db).await.unwrap(), keys_before);
    assert_eq!(team::Entity::find().count(&app.db).await.unwrap(), 1);
    let roles = app::backend::services::accounts::roles_of(&app.db, viewer_id).await.unwrap();
    assert_eq!(roles, vec![app::auth::Role::Viewer]);
    // Viewers still see the teams page, without its management forms.
    let html = viewer.get("/teams").await.text().await.unwrap();
    assert!(html.contains("Core") && !html.contains("Create team"));
}
on_both_databases!(viewer_boundaries, viewers_are_refused_admin_functions_and_pages);

async fn cross_site_posts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    let response = admin.call_from("https://evil.example", "create_team", &[("name", "Pwned")]).await;
    assert_eq!(response.status(), 403);
    assert_eq!(team::Entity::find().count(&app.db).await.unwrap(), 1);
    assert!(admin.call("create_team", &[("name", "Platform")]).await.status().is_success());
    assert_eq!(team::Entity::find().count(&app.db).await.unwrap(), 2);

    // The API authenticates by key, not cookie: a service's POST from anywhere is answered, and
    // no session is started for it.
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/check", app.address))
        .header("origin", "https://evil.example")
        .bearer_auth(&fixture.key)
        .json(&serde_json::json!({ "user": "ann@acme.example", "project": "chatbot", "category": "llm",
                                   "model": "gpt-4o", "estimated_cost": "0.10" }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    assert!(api.headers().get("set-cookie").is_none());
}
on_both_databases!(csrf, cross_site_posts_are_refused);

async fn admins_create_and_revoke_api_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    let response =
        admin.call("create_api_key", &[("name", "gateway"), ("permission", "ingest"), ("project", "chatbot")]).await;
    assert!(response.status().is_success(), "{}", response.status());
    let secret: String = response.json().await.unwrap();
    assert!(secret.starts_with("tg_"));
    let stored =
        api_key::Entity::find().filter(api_key::Column::Name.eq("gateway")).one(&app.db).await.unwrap().unwrap();
    assert!(!stored.secret_hash.contains(&secret) && stored.secret_hash.len() == 64, "only a hash is stored");
    assert_eq!(stored.project_id, Some(fixture.project_id));

    let (status, _) = app.get_json(&secret, "/api/v1/status?project=chatbot").await;
    assert_eq!(status, 200);
    let listing: Value = admin.call("api_keys", &[]).await.json().await.unwrap();
    let row = listing["keys"].as_array().unwrap().iter().find(|k| k["name"] == "gateway").unwrap().clone();
    assert!(row["last_used_at"].is_string(), "last use is shown: {row}");
    assert!(!listing.to_string().contains(&secret), "the secret is never shown again");

    let id = stored.id.to_string();
    assert!(admin.call("revoke_api_key", &[("key_id", id.as_str())]).await.status().is_success());
    let (status, body) = app.get_json(&secret, "/api/v1/status?project=chatbot").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    let kinds = audit_kinds(&app, &fixture).await;
    assert!(kinds.contains(&"api_key_created".to_owned()) && kinds.contains(&"api_key_revoked".to_owned()));
}
on_both_databases!(api_keys_page, admins_create_and_revoke_api_keys);

async fn admins_manage_people_roles_and_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    let form = [("display_name", "Lou"), ("email", "lou@example.com"), ("password", PASSWORD), ("lead", "on")];
    assert!(admin.call("create_person", &form).await.status().is_success());
    let weak = [("display_name", "Weak"), ("email", "weak@example.com"), ("password", "password1234")];
    let response = admin.call("create_person", &weak).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("too easy to guess"));

    let lou = Browser::new(&app);
    assert!(lou.sign_in("lou@example.com", PASSWORD).await.status().is_success());
    let me: Value = lou.call("whoami", &[]).await.json().await.unwrap();
    assert_eq!(me["roles"], serde_json::json!(["lead", "viewer"]));
    let lou_id = me["id"].as_str().unwrap().to_owned();
    let team_id = fixture.team_id.to_string();
    let form = [("team_id", team_id.as_str()), ("user_id", lou_id.as_str()), ("membership", "lead")];
    assert!(admin.call("set_team_membership", &form).await.status().is_success());
    let me: Value = lou.call("whoami", &[]).await.json().await.unwrap();
    assert_eq!(me["leads"], serde_json::json!([team_id]));

    let people: Value = admin.call("people", &[]).await.json().await.unwrap();
    assert!(people.as_array().unwrap().iter().any(|p| p["handle"] == "lou@example.com"));
    let kinds = audit_kinds(&app, &fixture).await;
    for kind in ["account_created", "team_membership_changed", "login"] {
        assert!(kinds.contains(&kind.to_owned()), "{kind} in {kinds:?}");
    }
    // The audit log filters by type and actor, and exports what it shows.
    let audit = admin.get("/reports/audit/csv?type=account_created").await.text().await.unwrap();
    let lines: Vec<&str> = audit.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("When,Event,Budget,Scope,Actor,Details"), "{audit}");
    assert!(lines.len() > 1 && lines[1..].iter().all(|l| l.contains(",account_created,")), "{audit}");
    let page = admin.get("/admin/audit?actor=nobody-at-all").await.text().await.unwrap();
    assert!(page.contains("Nothing to report for these filters"), "{page}");
}
on_both_databases!(people_and_teams, admins_manage_people_roles_and_teams);
