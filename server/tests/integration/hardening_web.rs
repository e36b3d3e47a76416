//! The browser side against an attacker: where sign-in sends you, who can lock an account, what a
//! CSV export carries, where alerts may be sent, and the headers every page is served with.

use crate::common;

use app::backend::engine::keys::{self, Permission};
use app::backend::entities::{alert_recipient, delivery_attempt};
use common::browser::{account, signed_in, Browser, PASSWORD};
use common::fixtures::{add_budget, organization, BudgetSpec};
use common::receivers::HttpReceiver;
use common::{spawn_app, spawn_app_with_settings, Backend};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

async fn sign_in_goes_only_to_this_sites_pages_and_never_panics(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    account(&app, fixture.org_id, "kim@example.com", &[]).await;
    let sign_in = |next: String| {
        let browser = Browser::new(&app);
        async move {
            let form = [("email", "kim@example.com"), ("password", PASSWORD), ("next", next.as_str())];
            browser.call("login", &form).await
        }
    };
    for (next, expected) in [
        ("/budgets?x=1", "/budgets?x=1"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ] {
        let response = sign_in(next.to_owned()).await;
        assert!(response.status().is_success(), "{next:?}: {}", response.status());
        assert_eq!(response.headers()["location"], expected, "{next:?}");
    }
    for code in (0u8..0x20).chain([0x7f]) {
        let next = format!("/inbox{}x", char::from(code));
        let response = sign_in(next.clone()).await;
        assert!(response.status().is_success(), "{next:?}: {}", response.status());
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/inbox"), "{next:?} went to {location:?}");
    }
}
on_both_databases!(sign_in_next, sign_in_goes_only_to_this_sites_pages_and_never_panics);

async fn a_stranger_cannot_lock_a_colleague_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    account(&app, fixture.org_id, "lee@example.com", &[]).await;
    let stranger = Browser::from_address(&app, "127.0.0.2".parse().unwrap());
    for _ in 0..5 {
        assert_eq!(stranger.sign_in("lee@example.com", "a guess").await.status(), 422);
    }
    assert_eq!(stranger.sign_in("lee@example.com", PASSWORD).await.status(), 429, "the guesser is locked out");
    let lee = Browser::from_address(&app, "127.0.0.3".parse().unwrap());
    assert!(lee.sign_in("lee@example.com", PASSWORD).await.status().is_success(), "Lee, elsewhere, is not");
}
on_both_databases!(lockout_per_address, a_stranger_cannot_lock_a_colleague_out);

async fn csv_cells_that_look_like_formulas_are_text(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let handle = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let event = json!({ "event_id": "e1", "occurred_at": app.clock_now(), "user": handle, "project": "chatbot",
                        "category": "llm", "model": "gpt-4o", "cost": "3" });
    assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", event).await.0, 200);
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    let page = admin.get("/reports/allocation/csv?by=user").await.text().await.unwrap();
    let admin_key = keys::create(&app.db, fixture.org_id, "r", Permission::Admin, None, app.clock_now()).await;
    let url = format!("{}/api/v1/reports/allocation?by=user&format=csv", app.address);
    let api = app.client.get(url).bearer_auth(admin_key.unwrap().1).send().await.unwrap().text().await.unwrap();
    for csv in [page, api] {
        let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
        let cells: Vec<String> =
            reader.records().flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>()).collect();
        assert!(cells.iter().any(|c| *c == format!("'{handle}")), "neutralised: {cells:?}");
        assert!(!cells.iter().any(|c| c.starts_with('=')), "{cells:?}");
    }
}
on_both_databases!(csv_formulas, csv_cells_that_look_like_formulas_are_text);

/// Without an allowance in the configuration, alert and event-hook URLs on internal addresses are
/// refused when saved, and the sender's resolver refuses names that resolve to one.
async fn outbound_urls_never_reach_internal_addresses(backend: Backend) {
    let app = spawn_app_with_settings(backend, |settings| settings.outbound_allow.clear()).await;
    let fixture = organization(&app, "UTC").await;
    let budget = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, Decimal::TEN)).await;
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    let budget_id = budget.to_string();
    for (kind, url) in [
        ("webhook", "http://127.0.0.1:6379/"),
        ("webhook", "http://[::1]:8080/"),
        ("slack", "http://169.254.169.254/latest/meta-data/"),
        ("webhook", "http://localhost:3000/"),
        ("webhook", "http://10.0.0.7/hook"),
        ("webhook", "http://0x7f000001/"),
    ] {
        let form = [("budget_id", budget_id.as_str()), ("kind", kind), ("target", url)];
        let response = admin.call("add_recipient", &form).await;
        assert_eq!(response.status(), 422, "{url}");
        let hook = admin.call("add_event_hook", &[("url", url)]).await;
        assert_eq!(hook.status(), 422, "{url}");
    }
    let recipients = app::backend::services::alerts::recipients::list(&app.db, budget).await.unwrap();
    assert!(recipients.is_empty(), "{recipients:?}");

    // A recipient stored before this check existed is refused when its alert is sent.
    let receiver = HttpReceiver::start().await;
    let stored = alert_recipient::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        budget_id: Set(budget),
        kind: Set("webhook".into()),
        target: Set(receiver.url.clone()),
        secret: Set(Some("s".into())),
        min_threshold: Set(None),
        created_at: Set(app.clock_now()),
    };
    stored.insert(&app.db).await.unwrap();
    let event = json!({ "event_id": "e1", "occurred_at": app.clock_now(), "user": "ada", "project": "chatbot",
                        "category": "llm", "model": "gpt-4o", "cost": "6" });
    assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", event).await.0, 200);
    let mut refused = Vec::new();
    for _ in 0..200 {
        refused = delivery_attempt::Entity::find().all(&app.db).await.unwrap();
        if !refused.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let error = refused.first().and_then(|a| a.error.clone()).expect("a failed attempt");
    assert!(error.contains("internal address"), "{error}");
    assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");
}
on_both_databases!(outbound_urls, outbound_urls_never_reach_internal_addresses);

async fn pages_and_new_keys_carry_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    let page = admin.get("/budgets").await;
    let created = admin.call("create_api_key", &[("name", "gateway"), ("permission", "ingest")]).await;
    for response in [&page, &created] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["cache-control"], "no-store");
    }
    // A page allows inline script only with its render's own nonce; anything else allows nothing.
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("'wasm-unsafe-eval'"), "{policy}");
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce").to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)), "the hydration script: {html}");
    let next = admin.get("/budgets").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_ne!(next, policy, "every render has a nonce of its own");
    assert_eq!(created.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
}
on_both_databases!(security_headers, pages_and_new_keys_carry_security_headers);

async fn server_functions_answer_bad_arguments_with_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "root@example.com", &["admin"]).await;
    for form in [vec![("team_id", "not-a-uuid"), ("name", "Core")], vec![("name", "Core")]] {
        let response = admin.call("update_team", &form).await;
        assert_eq!(response.status(), 400, "{form:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("team_id") || body.contains("UUID") || body.contains("uuid"), "says why: {body}");
    }
}
on_both_databases!(bad_arguments, server_functions_answer_bad_arguments_with_400);
