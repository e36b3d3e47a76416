//! The budget list filters and sorts from its query string, server-rendered (works before hydration);
//! edits are reviewed before they are saved; budgets without history are deleted, others archived;
//! open pages hear about budget changes over server-sent events.

use crate::common;

use app::backend::entities::{budget, budget_event};
use common::browser::signed_in;
use common::fixtures::{add_budget, add_project, organization, BudgetSpec};
use common::{spawn_app, Backend};
use rust_decimal_macros::dec;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn the_list_filters_and_sorts(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let search = add_project(&app, fixture.org_id, fixture.team_id, "search").await;
    add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let mut weekly = BudgetSpec::cost("project", search, dec!(100));
    weekly.period = "weekly";
    add_budget(&app, fixture.org_id, weekly).await;
    add_budget(&app, fixture.org_id, BudgetSpec::cost("team", fixture.team_id, dec!(500))).await;
    for (project, cost) in [("chatbot", "20"), ("search", "70")] {
        let body = json!({ "event_id": project, "occurred_at": app.clock_now(), "user": "rory", "project": project,
                           "category": "llm", "model": "gpt-4o", "cost": cost });
        assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", body).await.0, 200);
    }
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let page = |query: &'static str| {
        let admin = &admin;
        async move { admin.get(&format!("/budgets{query}")).await.text().await.unwrap() }
    };
    assert!(page("").await.contains("3 of 3 budgets"));
    assert!(page("?scope=team").await.contains("1 of 3 budgets"));
    assert!(page("?period=weekly").await.contains("1 of 3 budgets"));
    assert!(page("?scope=any&status=over_budget").await.contains("0 of 3 budgets"));

    // Projects by spend: search ($70) before chatbot ($20); by name the other way round.
    let by_spend = page("?scope=project&sort=spend").await;
    assert!(by_spend.contains("2 of 3 budgets"));
    let position = |html: &str, needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle} missing"));
    assert!(position(&by_spend, "70.00 of 100.00") < position(&by_spend, "20.00 of 100.00"), "highest spend first");
    let by_name = page("?scope=project").await;
    assert!(by_name.contains(r#"<option value="project" selected"#), "the form shows the filter in use");

    // The dashboard shows each budget with its bars and its forecast.
    let dashboard = admin.get("/").await.text().await.unwrap();
    assert_eq!(dashboard.matches(r#"class="budget-tile""#).count(), 3, "three tiles");
    assert!(dashboard.contains("tile-forecast") && dashboard.contains("Forecast "), "{dashboard}");
}
on_both_databases!(filters_and_sorting, the_list_filters_and_sorts);

async fn delete_only_without_history_else_archive(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let used = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let quiet = add_project(&app, fixture.org_id, fixture.team_id, "quiet").await;
    let unused = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", quiet, dec!(500))).await;
    let body = json!({ "event_id": "e-1", "occurred_at": app.clock_now(), "user": "rory", "project": "chatbot",
                       "category": "llm", "model": "gpt-4o", "cost": "99" });
    assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", body).await.0, 200);
    let (viewer, _) = signed_in(&app, fixture.org_id, "vic@example.com", &["viewer"]).await;
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    assert_eq!(viewer.call("delete_budget", &[("budget_id", &unused.to_string())]).await.status(), 403);

    let deleted = admin.call("delete_budget", &[("budget_id", &unused.to_string())]).await;
    assert_eq!(deleted.headers()["location"], "/budgets?removed=deleted", "back to the list, which confirms it");
    let said: String = deleted.json().await.unwrap();
    assert_eq!(said, "project budget is deleted.");
    let list = admin.get("/budgets?removed=deleted").await.text().await.unwrap();
    assert!(list.contains("The budget is deleted.") && list.contains(r#"href="/budgets/new""#), "{list}");
    let seen_by_viewer = viewer.get("/budgets").await.text().await.unwrap();
    assert!(!seen_by_viewer.contains(r#"href="/budgets/new""#), "a viewer is not offered New budget");
    assert!(budget::Entity::find_by_id(unused).one(&app.db).await.unwrap().is_none());
    let said: String = admin.call("delete_budget", &[("budget_id", &used.to_string())]).await.json().await.unwrap();
    assert!(said.contains("archived instead"), "{said}");
    let archived = budget::Entity::find_by_id(used).one(&app.db).await.unwrap().unwrap();
    assert_eq!(archived.state, "archived");
    let check = json!({ "user": "rory", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                        "estimated_cost": "50", "ttl_seconds": 60 });
    let (_, decision) = app.post_json(&fixture.key, "/api/v1/check", check).await;
    assert_eq!(decision["decision"], "allow", "an archived budget no longer applies");
    let audit = budget_event::Entity::find().filter(budget_event::Column::Kind.eq("budget_deleted"));
    assert_eq!(audit.one(&app.db).await.unwrap().unwrap().actor.as_deref(), Some("ada@example.com"));
}
on_both_databases!(delete_or_archive, delete_only_without_history_else_archive);

async fn edits_are_reviewed_before_they_are_saved(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let id = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    common::team_lead(&app, fixture.team_id, lead_id).await;
    let id_text = id.to_string();
    let form = |cost_hard: &'static str, confirm: bool| {
        let mut form = vec![
            ("budget_id", id_text.clone()),
            ("name", "Chatbot".to_owned()),
            ("period", "monthly".to_owned()),
            ("cost_soft", "".to_owned()),
            ("cost_hard", cost_hard.to_owned()),
            ("tokens_soft", "".to_owned()),
            ("tokens_hard", "".to_owned()),
            ("operations_soft", "".to_owned()),
            ("operations_hard", "".to_owned()),
            ("enforcement", "hard_stop".to_owned()),
            ("grace_minutes", "0".to_owned()),
            ("reserve_cost", "0".to_owned()),
        ];
        if confirm {
            form.push(("confirm", "yes".to_owned()));
        }
        form
    };
    let call = |form: Vec<(&'static str, String)>| {
        let lead = &lead;
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = lead.call("edit_budget", &pairs).await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let hard = || async { budget::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().cost_hard };

    let (status, review) = call(form("150", false)).await;
    assert_eq!(status, 200, "{review}");
    let review: serde_json::Value = serde_json::from_str(&review).unwrap();
    assert_eq!(review["saved"], json!(false));
    assert_eq!(
        review["changes"],
        json!([{ "field": "name", "from": "project budget", "to": "Chatbot" },
                                         { "field": "cost hard", "from": "100", "to": "150" }])
    );
    assert_eq!(hard().await, Some(100_000_000_000), "a review changes nothing");
    let (status, said) = call(form("lots", false)).await;
    assert!(status == 422 && said.contains("cost hard: 'lots' is not a number"), "{status} {said}");

    let (status, saved) = call(form("150", true)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(hard().await, Some(150_000_000_000));
    let changed = budget_event::Entity::find().filter(budget_event::Column::Kind.eq("budget_changed"));
    assert_eq!(changed.one(&app.db).await.unwrap().unwrap().actor.as_deref(), Some("lena@example.com"));
    let (viewer, _) = signed_in(&app, fixture.org_id, "vic@example.com", &["viewer"]).await;
    let pairs: Vec<(&str, String)> = form("1", true);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(viewer.call("edit_budget", &pairs).await.status(), 403);
}
on_both_databases!(edit_with_review, edits_are_reviewed_before_they_are_saved);

async fn open_pages_hear_about_budget_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    assert_eq!(app.get("/live").await.status(), 303, "signed-out browsers are sent to sign in");
    let (viewer, _) = signed_in(&app, fixture.org_id, "vic@example.com", &["viewer"]).await;
    let mut response = viewer.get("/live").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");

    let body = json!({ "event_id": "e-60", "occurred_at": app.clock_now(), "user": "rory", "project": "chatbot",
                       "category": "llm", "model": "gpt-4o", "cost": "60" });
    assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", body).await.0, 200);
    app.clock.advance(chrono::Duration::seconds(3));
    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    // Spend moves at once ("usage"); the threshold alert follows once the feed has settled.
    while !received.contains(r#""alert""#) && tokio::time::Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) = tokio::time::timeout(std::time::Duration::from_secs(2), response.chunk()).await {
            received.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(received.contains(r#""usage""#), "{received}");
    assert!(received.contains(r#""alert""#), "{received}");
}
on_both_databases!(live_updates, open_pages_hear_about_budget_changes);
