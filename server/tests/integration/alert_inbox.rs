//! Alerts as people and integrations see them: the inbox, recipients on the budget page (with role
//! checks), email digests, request notifications and the events feed cursor.

use crate::common;

use app::backend::entities::{alert_delivery, alert_recipient, team_member};
use chrono::Duration;
use common::browser::{signed_in, Browser};
use common::fixtures::{add_budget, organization, BudgetSpec, Fixture};
use common::{spawn_app, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::{EntityTrait, PaginatorTrait, Set};
use serde_json::{json, Value};
use uuid::Uuid;

struct Scene {
    app: TestApp,
    fixture: Fixture,
    budget: Uuid,
    lead: Browser,
    viewer: Browser,
}

/// A $100 project budget; Lena leads its team, Vic is a member who only views.
async fn scene(backend: Backend) -> Scene {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let budget = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    let row = team_member::ActiveModel { team_id: Set(fixture.team_id), user_id: Set(lead_id), is_lead: Set(true) };
    team_member::Entity::insert(row).exec_without_returning(&app.db).await.unwrap();
    let (viewer, viewer_id) = signed_in(&app, fixture.org_id, "vic@example.com", &["viewer"]).await;
    common::team_membership(&app, fixture.team_id, viewer_id).await;
    Scene { app, fixture, budget, lead, viewer }
}

async fn spend(s: &Scene, event_id: &str, cost: &str) {
    let body = json!({ "event_id": event_id, "occurred_at": s.app.clock_now(), "user": "rory", "project": "chatbot",
                       "category": "llm", "model": "gpt-4o", "cost": cost });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/usage", body).await;
    assert_eq!(status, 200, "{body}");
}

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn the_inbox_shows_unread_alerts_and_acknowledges_them(backend: Backend) {
    let s = scene(backend).await;
    spend(&s, "e-1", "80").await;
    // No recipients chosen: the team's lead hears about it.
    let inbox = json_of(s.lead.call("inbox", &[]).await).await;
    assert_eq!(inbox["unread"], 2);
    let entries = inbox["entries"].as_array().unwrap();
    let titles: Vec<&str> = entries.iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"project budget: 75% of the cost limit used"), "{titles:?}");
    assert_eq!(json_of(s.lead.call("unread_alerts", &[]).await).await, 2);
    assert_eq!(json_of(s.viewer.call("unread_alerts", &[]).await).await, 0, "viewers are not recipients");

    let first = entries[0]["id"].as_str().unwrap();
    assert_eq!(json_of(s.lead.call("mark_read", &[("entry_id", first)]).await).await, 1);
    assert_eq!(json_of(s.lead.call("unread_alerts", &[]).await).await, 1);

    let alert = entries[1]["alert_id"].as_str().unwrap();
    let refused = s.viewer.call("acknowledge_alert", &[("alert_id", alert)]).await;
    assert_eq!(refused.status(), 404, "only recipients acknowledge");
    assert!(s.lead.call("acknowledge_alert", &[("alert_id", alert)]).await.status().is_success());
    let inbox = json_of(s.lead.call("inbox", &[]).await).await;
    assert_eq!(inbox["unread"], 0, "acknowledging reads it too");
    assert_eq!(inbox["entries"][1]["acknowledged"], true);
    assert_eq!(json_of(s.lead.call("mark_read", &[("entry_id", "")]).await).await, 0);

    let signed_out = Browser::new(&s.app).call("inbox", &[]).await;
    assert_eq!(signed_out.status(), 401);
}
on_both_databases!(inbox, the_inbox_shows_unread_alerts_and_acknowledges_them);

async fn only_managers_change_recipients_and_bad_targets_change_nothing(backend: Backend) {
    let s = scene(backend).await;
    let id = s.budget.to_string();
    let add = |who: &'static str, kind: &'static str, target: &'static str| {
        let id = id.clone();
        let who = if who == "lead" { &s.lead } else { &s.viewer };
        async move {
            who.call("add_recipient", &[("budget_id", &id), ("kind", kind), ("target", target), ("min_threshold", "")])
                .await
        }
    };
    assert_eq!(add("viewer", "email", "ops@example.com").await.status(), 403);
    assert_eq!(add("lead", "email", "not an address").await.status(), 422);
    assert_eq!(add("lead", "webhook", "ftp://example.com").await.status(), 422);
    assert_eq!(add("lead", "role", "everyone").await.status(), 422);
    assert_eq!(add("lead", "user", "nobody@example.com").await.status(), 422);
    assert_eq!(alert_recipient::Entity::find().count(&s.app.db).await.unwrap(), 0, "nothing stored");

    assert!(add("lead", "webhook", "https://hooks.example.com/tollgate").await.status().is_success());
    assert!(add("lead", "user", "vic@example.com").await.status().is_success());
    assert_eq!(add("lead", "user", "vic@example.com").await.status(), 422, "no duplicates");
    let rules =
        [("budget_id", id.as_str()), ("thresholds", "80, 95"), ("escalate_after_minutes", "15"), ("escalate_from", "")];
    assert!(s.lead.call("set_alert_rules", &rules).await.status().is_success());
    let bad =
        [("budget_id", id.as_str()), ("thresholds", "eighty"), ("escalate_after_minutes", ""), ("escalate_from", "")];
    assert_eq!(s.lead.call("set_alert_rules", &bad).await.status(), 422);

    let seen_by_lead = json_of(s.lead.call("budget_detail", &[("budget_id", &id)]).await).await;
    let alerts = &seen_by_lead["alerts"];
    assert_eq!(alerts["thresholds"], "80, 95");
    assert_eq!((alerts["escalate_after_minutes"].clone(), alerts["escalate_from"].clone()), (json!(15), json!(90)));
    assert_eq!(alerts["recipients"][0]["secret"].as_str().unwrap().len(), 48, "managers see the signing secret");
    assert_eq!(alerts["recipients"][1]["target"], "vic@example.com <vic@example.com>");
    let seen_by_viewer = json_of(s.viewer.call("budget_detail", &[("budget_id", &id)]).await).await;
    assert_eq!(seen_by_viewer["alerts"]["recipients"][0]["secret"], Value::Null, "viewers do not");

    // Vic now hears about 80 %, not about 50 % (no longer a threshold).
    spend(&s, "e-85", "85").await;
    let inbox = json_of(s.viewer.call("inbox", &[]).await).await;
    let titles: Vec<&str> = inbox["entries"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["project budget: 80% of the cost limit used"]);
    let history = json_of(s.viewer.call("budget_detail", &[("budget_id", &id)]).await).await["history"].clone();
    let kinds: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    for kind in ["alert", "alert_recipient_added", "budget_changed"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}
on_both_databases!(recipients, only_managers_change_recipients_and_bad_targets_change_nothing);

async fn digests_bundle_alert_emails_into_one_message(backend: Backend) {
    let s = scene(backend).await;
    assert!(s.lead.call("set_alert_digest", &[("digest", "daily")]).await.status().is_success());
    assert_eq!(s.lead.call("set_alert_digest", &[("digest", "weekly")]).await.status(), 422);
    spend(&s, "e-95", "95").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(s.app.mailer.recorded().await.is_empty(), "nothing is mailed before the digest is due");
    let queued = alert_delivery::Entity::find().all(&s.app.db).await.unwrap();
    assert_eq!(queued.len(), 3);
    assert!(queued
        .iter()
        .all(|d| d.channel == "email_digest" && d.next_attempt_at.to_rfc3339().starts_with("2026-11-19T00:00:00")));

    s.app.clock.advance(Duration::hours(15));
    for _ in 0..100 {
        if !s.app.mailer.recorded().await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mails = s.app.mailer.recorded().await;
    assert_eq!(mails.len(), 1, "one message for three alerts");
    assert!(mails[0].1.contains("Subject: Tollgate: 3 budget alerts"));
    for pct in ["50%", "75%", "90%"] {
        assert!(mails[0].1.contains(&format!("project budget: {pct} of the cost limit used")), "{pct}");
    }
}
on_both_databases!(digest, digests_bundle_alert_emails_into_one_message);

async fn requests_and_decisions_reach_the_other_side(backend: Backend) {
    let s = scene(backend).await;
    let (approver, _) = signed_in(&s.app, s.fixture.org_id, "april@example.com", &["approver"]).await;
    let id = s.budget.to_string();
    let form = [
        ("budget_id", id.as_str()),
        ("kind", "override"),
        ("cost", "50"),
        ("tokens", ""),
        ("operations", ""),
        ("days", "2"),
        ("reason", "launch week"),
    ];
    let request: String = json_of(s.lead.call("request_budget", &form).await).await.as_str().unwrap().to_owned();
    let inbox = json_of(approver.call("inbox", &[]).await).await;
    assert_eq!(inbox["entries"][0]["title"], "lena@example.com asks for USD 50.00 more on project budget");
    let decided =
        approver.call("decide_request", &[("request_id", &request), ("decision", "approve"), ("comment", "go")]).await;
    assert!(decided.status().is_success());
    let inbox = json_of(s.lead.call("inbox", &[]).await).await;
    let until = (s.app.clock_now() + chrono::Duration::days(2)).format("%Y-%m-%d %H:%M UTC");
    assert_eq!(
        inbox["entries"][0]["title"],
        format!("Your request for more on project budget is approved: granted USD 50.00 until {until}"),
        "the requester learns what was granted"
    );
    assert_eq!(inbox["entries"][0]["body"], "april@example.com wrote: \"go\"");
}
on_both_databases!(request_notices, requests_and_decisions_reach_the_other_side);

async fn the_events_feed_follows_with_a_cursor(backend: Backend) {
    let s = scene(backend).await;
    spend(&s, "e-60", "60").await;
    let (status, page) = s.app.get_json(&s.fixture.key, "/api/v1/events").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["events"], json!([]), "events younger than two seconds wait, so none is skipped");
    s.app.clock.advance(Duration::seconds(3));
    let (_, page) = s.app.get_json(&s.fixture.key, "/api/v1/events?limit=1").await;
    let first = &page["events"][0];
    assert_eq!(first["kind"], "alert");
    assert_eq!(first["detail"]["threshold"], 50);
    let next = page["next"].as_str().unwrap().to_owned();
    let (_, page) = s.app.get_json(&s.fixture.key, &format!("/api/v1/events?after={next}")).await;
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["next"], json!(next), "an empty page keeps the cursor");

    spend(&s, "e-20", "20").await;
    s.app.clock.advance(Duration::seconds(3));
    let (_, page) = s.app.get_json(&s.fixture.key, &format!("/api/v1/events?after={next}")).await;
    let kinds: Vec<(String, Value)> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["detail"]["threshold"].clone()))
        .collect();
    assert_eq!(kinds, vec![("alert".to_owned(), json!(75))]);

    let (status, body) = s.app.get_json(&s.fixture.key, "/api/v1/events?after=nonsense").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_input")));
    let (status, _) = s.app.get_json(&s.fixture.key, "/api/v1/events?limit=0").await;
    assert_eq!(status, 422);
    let (status, _) = s.app.get_json("tg_wrong", "/api/v1/events").await;
    assert_eq!(status, 401);
}
on_both_databases!(events_feed, the_events_feed_follows_with_a_cursor);

async fn muted_lower_thresholds_and_reserve_use_alerts(backend: Backend) {
    let s = scene(backend).await;
    let id = s.budget.to_string();
    let form = [("budget_id", id.as_str()), ("kind", "user"), ("target", "vic@example.com"), ("min_threshold", "90")];
    assert!(s.lead.call("add_recipient", &form).await.status().is_success());
    let row = app::backend::entities::budget::Entity::find_by_id(s.budget).one(&s.app.db).await.unwrap().unwrap();
    let mut row: app::backend::entities::budget::ActiveModel = row.into();
    row.reserve_cost = Set(20_000_000_000);
    sea_orm::ActiveModelTrait::update(row, &s.app.db).await.unwrap();

    spend(&s, "e-95", "95").await;
    let titles = |inbox: Value| -> Vec<String> {
        inbox["entries"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_owned()).collect()
    };
    let seen = titles(json_of(s.viewer.call("inbox", &[]).await).await);
    assert_eq!(seen, vec!["project budget: 90% of the cost limit used"], "50 and 75 % are muted for Vic");

    // A critical call beyond the hard level draws on the reserve, and that is alerted.
    let check = json!({ "user": "rory", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                        "estimated_cost": "10", "critical": true });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/check", check).await;
    assert_eq!((status, body["decision"].as_str()), (200, Some("warn")), "{body}");
    let seen = titles(json_of(s.viewer.call("inbox", &[]).await).await);
    assert_eq!(seen[0], "project budget: emergency reserve used by a critical call");
}
on_both_databases!(mute_and_reserve, muted_lower_thresholds_and_reserve_use_alerts);
