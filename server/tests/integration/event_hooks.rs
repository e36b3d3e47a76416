//! Event hooks and closed windows: the feed pushed in order to a signed receiver that may be down,
//! windows closed once with their final figures, and failed alert deliveries retried by an admin.

use crate::common;

use app::backend::entities::{alert_delivery, budget_event, event_hook, window_close};
use app::backend::services::alerts::recipients;
use app::backend::services::outbound::OutboundPolicy;
use app::backend::services::windows::close_due;
use chrono::{Duration, TimeZone, Utc};
use common::browser::{signed_in, Browser};
use common::fixtures::{add_budget, organization, BudgetSpec, Fixture};
use common::receivers::{eventually, HttpReceiver};
use common::{spawn_app, spawn_instance, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use tollgate_domain::alerting::RecipientKind;
use uuid::Uuid;

struct Scene {
    app: TestApp,
    fixture: Fixture,
    budget: Uuid,
    admin: Browser,
    lead: Browser,
}

/// A $100 monthly project budget (created 18 November), Ada the admin and Lena who leads the team.
async fn scene(backend: Backend) -> Scene {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let budget = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    common::team_lead(&app, fixture.team_id, lead_id).await;
    Scene { app, fixture, budget, admin, lead }
}

async fn spend(s: &Scene, event_id: &str, cost: &str) {
    let body = json!({ "event_id": event_id, "occurred_at": s.app.clock_now(), "user": "rory", "project": "chatbot",
                       "category": "llm", "model": "gpt-4o", "cost": cost });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/usage", body).await;
    assert_eq!(status, 200, "{body}");
}

/// Every event the receiver accepted, in the order it received them.
fn pushed(receiver: &HttpReceiver, secret: &str) -> Vec<Value> {
    let mut events = Vec::new();
    for (headers, body) in receiver.received() {
        let timestamp: i64 = headers["tollgate-timestamp"].to_str().unwrap().parse().unwrap();
        let expected = tollgate_server::channels::webhook::signature(secret, timestamp, body.as_bytes());
        assert_eq!(headers["tollgate-signature"].to_str().unwrap(), format!("v1={expected}"), "signed");
        let payload: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(headers["tollgate-delivery"].to_str().unwrap(), payload["next"].as_str().unwrap());
        events.extend(payload["events"].as_array().unwrap().iter().cloned());
    }
    events
}

async fn hooks_receive_the_feed_in_order_and_catch_up_after_an_outage(backend: Backend) {
    let s = scene(backend).await;
    let receiver = HttpReceiver::start().await;
    let refused = s.lead.call("add_event_hook", &[("url", &receiver.url)]).await;
    assert_eq!(refused.status(), 403, "only admins register hooks");
    let bad = s.admin.call("add_event_hook", &[("url", "ftp://example.com")]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("not an http(s) URL"));
    assert_eq!(event_hook::Entity::find().count(&s.app.db).await.unwrap(), 0);

    let added = s.admin.call("add_event_hook", &[("url", &receiver.url)]).await;
    assert_eq!(added.status(), 200);
    let secret: String = added.json().await.unwrap();
    spend(&s, "e-60", "60").await;
    s.app.clock.advance(Duration::seconds(3));
    eventually("the 50 % alert pushed", || !receiver.received().is_empty()).await;
    let first = pushed(&receiver, &secret);
    assert_eq!(first.len(), 1);
    assert_eq!((first[0]["kind"].as_str(), first[0]["detail"]["threshold"].as_i64()), (Some("alert"), Some(50)));

    // The receiver goes down: the 75 % and 90 % alerts wait, and the failure is shown to admins.
    receiver.set_down(true);
    spend(&s, "e-20", "20").await;
    spend(&s, "e-15", "15").await;
    s.app.clock.advance(Duration::seconds(3));
    let failing = event_hook::Entity::find().filter(event_hook::Column::Failures.gt(0));
    for _ in 0..200 {
        if failing.clone().count(&s.app.db).await.unwrap() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let hook = failing.one(&s.app.db).await.unwrap().expect("a failed push is recorded");
    assert!(hook.last_error.as_deref().unwrap().contains("503"));
    assert_eq!(hook.next_attempt_at, s.app.clock_now() + Duration::seconds(5), "first backoff is 5 s");
    let page = s.admin.get("/admin/integrations").await.text().await.unwrap();
    assert!(page.contains(&receiver.url) && page.contains("1 failures"), "{page}");

    receiver.set_down(false);
    s.app.clock.advance(Duration::seconds(5));
    eventually("the waiting alerts pushed", || pushed(&receiver, &secret).len() == 3).await;
    let events = pushed(&receiver, &secret);
    let thresholds: Vec<i64> = events.iter().map(|e| e["detail"]["threshold"].as_i64().unwrap()).collect();
    assert_eq!(thresholds, vec![50, 75, 90], "in order, none lost, none twice");
    let hook = event_hook::Entity::find_by_id(hook.id).one(&s.app.db).await.unwrap().unwrap();
    assert_eq!((hook.failures, hook.delivered_events, hook.last_error), (0, 3, None));

    let removed = s.admin.call("remove_event_hook", &[("hook_id", &hook.id.to_string())]).await;
    assert_eq!(removed.status(), 200);
    assert_eq!(event_hook::Entity::find().count(&s.app.db).await.unwrap(), 0);
}
on_both_databases!(hooks_follow_the_feed, hooks_receive_the_feed_in_order_and_catch_up_after_an_outage);

async fn ended_windows_close_once_with_their_final_figures(backend: Backend) {
    let s = scene(backend).await;
    let second = spawn_instance(&s.app).await;
    spend(&s, "november", "40").await;
    assert_eq!(close_due(&s.app.db, s.app.clock_now()).await.unwrap(), 0, "November is still open");

    // 1 December: both instances run the closing job; November closes exactly once.
    let december = Utc.with_ymd_and_hms(2026, 12, 1, 0, 1, 0).unwrap();
    s.app.clock.set(december);
    second.clock.set(december);
    let closes = window_close::Entity::find().filter(window_close::Column::BudgetId.eq(s.budget));
    for _ in 0..200 {
        if closes.clone().count(&s.app.db).await.unwrap() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(close_due(&s.app.db, december).await.unwrap(), 0, "already closed");
    let closed = closes.all(&s.app.db).await.unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].window_start, Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
    assert_eq!((closed[0].cost_spent, closed[0].cost_hard), (40_000_000_000, Some(100_000_000_000)));
    let events = budget_event::Entity::find()
        .filter(budget_event::Column::Kind.eq("window_closed"))
        .all(&s.app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "one window_closed event");
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!((detail["cost_spent"].clone(), detail["cost_variance"].clone()), (json!("40"), json!("60")));
    assert_eq!(detail["over_budget"], json!(false));
    // Sessions from November have expired by now: a fresh one reads the budget's history.
    let (admin, _) = signed_in(&s.app, s.fixture.org_id, "alex@example.com", &["admin"]).await;
    let page = admin.get(&format!("/budgets/{}", s.budget)).await.text().await.unwrap();
    assert!(page.contains("Window closed: USD 40.00 spent of 100.00 (within budget)"), "the budget's history shows it");

    // Integrations following the feed see it.
    s.app.clock.advance(Duration::seconds(3));
    let (_, page) = s.app.get_json(&s.fixture.key, "/api/v1/events").await;
    let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.last(), Some(&"window_closed"), "{kinds:?}");
}
on_both_databases!(windows_close_once, ended_windows_close_once_with_their_final_figures);

async fn admins_retry_dead_lettered_deliveries(backend: Backend) {
    let s = scene(backend).await;
    let receiver = HttpReceiver::start().await;
    let budget = app::backend::entities::budget::Entity::find_by_id(s.budget).one(&s.app.db).await.unwrap().unwrap();
    let new = recipients::NewRecipient { kind: RecipientKind::Slack, target: &receiver.url, min_threshold: None };
    let loopback = OutboundPolicy::new(["127.0.0.1"]);
    recipients::add(&s.app.db, &budget, new, &loopback, s.app.clock_now()).await.unwrap();
    receiver.set_down(true);
    spend(&s, "e-60", "60").await;
    let tried = alert_delivery::Entity::find().filter(alert_delivery::Column::Attempts.gt(0));
    for _ in 0..200 {
        if tried.clone().count(&s.app.db).await.unwrap() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let delivery = tried.one(&s.app.db).await.unwrap().unwrap();
    let id = delivery.id.to_string();
    let early = s.admin.call("retry_delivery", &[("delivery_id", &id)]).await;
    assert_eq!(early.status(), 422, "a delivery still being retried is not dead yet");

    // The last attempt failed long ago (the dead-letter path itself is tested in tests/alerts.rs).
    alert_delivery::Entity::update_many()
        .col_expr(alert_delivery::Column::State, sea_orm::sea_query::Expr::value("dead"))
        .filter(alert_delivery::Column::Id.eq(delivery.id))
        .exec(&s.app.db)
        .await
        .unwrap();
    let page = s.admin.get("/admin/integrations").await.text().await.unwrap();
    assert!(page.contains("Failed alert deliveries") && page.contains("Retry"), "{page}");
    let host = receiver.url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    assert!(page.contains(&format!("{host}/…")) && !page.contains(&receiver.url), "Slack URLs are secrets");

    assert_eq!(s.lead.call("retry_delivery", &[("delivery_id", &id)]).await.status(), 403);
    let other = s.admin.call("retry_delivery", &[("delivery_id", &Uuid::now_v7().to_string())]).await;
    assert_eq!(other.status(), 404);
    receiver.set_down(false);
    assert_eq!(s.admin.call("retry_delivery", &[("delivery_id", &id)]).await.status(), 200);
    eventually("the retried Slack message", || receiver.received().len() == 1).await;
    let audit = budget_event::Entity::find().filter(budget_event::Column::Kind.eq("delivery_retried"));
    assert_eq!(audit.one(&s.app.db).await.unwrap().unwrap().actor.as_deref(), Some("ada@example.com"));
}
on_both_databases!(retry_dead_letters, admins_retry_dead_lettered_deliveries);
