//! Alerts end to end: each threshold fires once per window under concurrency and reaches SMTP, Slack,
//! webhook and inbox receivers; a receiver that is down loses nothing; escalation; forecast alerts.

use crate::common;

use app::backend::entities::{
    alert, alert_delivery, alert_recipient, budget, delivery_attempt, digest_send, notification, team_member,
};
use app::backend::services::alerts::{forecasts::raise_forecast_alerts, recipients};
use app::backend::services::outbound::OutboundPolicy;
use chrono::Duration;
use common::fixtures::{add_budget, grant_override, organization, BudgetSpec, Fixture};
use common::receivers::{eventually, HttpReceiver, SmtpReceiver};
use common::{spawn_app_with_mailer, spawn_instance, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use tollgate_domain::alerting::RecipientKind;
use tollgate_server::mail::Mailer;
use uuid::Uuid;

struct Scene {
    app: TestApp,
    fixture: Fixture,
    budget: budget::Model,
    smtp: SmtpReceiver,
    lead: Uuid,
}

/// A $100 monthly project budget, mail through a real SMTP receiver, and Lena who leads the team.
async fn scene(backend: Backend) -> Scene {
    let smtp = SmtpReceiver::start().await;
    let app = spawn_app_with_mailer(backend, Mailer::from_url(Some(&smtp.url())).unwrap()).await;
    let fixture = organization(&app, "UTC").await;
    let id = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let budget = budget::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    let lead = common::browser::account(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    let row = team_member::ActiveModel { team_id: Set(fixture.team_id), user_id: Set(lead), is_lead: Set(true) };
    team_member::Entity::insert(row).exec_without_returning(&app.db).await.unwrap();
    Scene { app, fixture, budget, smtp, lead }
}

async fn spend(s: &Scene, event_id: &str, cost: &str) {
    let body = json!({ "event_id": event_id, "occurred_at": s.app.clock_now(), "user": "rory", "project": "chatbot",
                       "category": "llm", "model": "gpt-4o", "cost": cost });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/usage", body).await;
    assert_eq!(status, 200, "{body}");
}

async fn add(s: &Scene, kind: RecipientKind, target: &str) -> alert_recipient::Model {
    add_to(s, &s.budget, kind, target).await
}

/// Adds a recipient to `budget`; the tests' receivers listen on loopback, which they allow.
async fn add_to(s: &Scene, budget: &budget::Model, kind: RecipientKind, target: &str) -> alert_recipient::Model {
    let new = recipients::NewRecipient { kind, target, min_threshold: None };
    let loopback = OutboundPolicy::new(["127.0.0.1"]);
    recipients::add(&s.app.db, budget, new, &loopback, s.app.clock_now()).await.unwrap()
}

async fn alerts_of(app: &TestApp) -> Vec<alert::Model> {
    let mut all = alert::Entity::find().all(&app.db).await.unwrap();
    all.sort_by_key(|a| (a.window_start, a.threshold));
    all
}

async fn concurrent_crossings_fire_once_on_every_channel(backend: Backend) {
    let s = scene(backend).await;
    let slack = HttpReceiver::start().await;
    let hook = HttpReceiver::start().await;
    add(&s, RecipientKind::User, "lena@example.com").await;
    add(&s, RecipientKind::Email, "finance@example.com").await;
    add(&s, RecipientKind::Slack, &slack.url).await;
    let webhook = add(&s, RecipientKind::Webhook, &hook.url).await;

    // 100 parallel $1 events: spend climbs to $100 and crosses 50, 75, 90 and 100 % on the way.
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..100 {
        let (client, url, key) =
            (s.app.client.clone(), format!("{}/api/v1/usage", s.app.address), s.fixture.key.clone());
        let body = json!({ "event_id": format!("e-{i}"), "occurred_at": s.app.clock_now(), "user": "rory",
                           "project": "chatbot", "category": "llm", "model": "gpt-4o", "cost": "1" });
        posts.spawn(async move { client.post(url).bearer_auth(key).json(&body).send().await.unwrap().status() });
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }

    let alerts = alerts_of(&s.app).await;
    let thresholds: Vec<Option<i32>> = alerts.iter().map(|a| a.threshold).collect();
    assert_eq!(thresholds, vec![Some(50), Some(75), Some(90), Some(100)], "one alert per threshold");
    assert_eq!(alerts[3].severity, "critical");
    assert_eq!(alerts[3].title, "project budget: cost limit reached (100%)");

    eventually("4 Slack and 4 webhook posts", || slack.received().len() == 4 && hook.received().len() == 4).await;
    eventually("8 emails (Lena and finance, 4 each)", || s.smtp.received().len() == 8).await;
    let mails = s.smtp.received();
    for address in ["lena@example.com", "finance@example.com"] {
        assert_eq!(mails.iter().filter(|(to, _)| to == &vec![address.to_owned()]).count(), 4, "{address}");
    }
    assert!(mails.iter().any(|(_, raw)| raw.contains("Subject: project budget: 50% of the cost limit used")));
    assert!(mails.iter().all(|(_, raw)| raw.contains("text/html") && raw.contains("text/plain")));
    assert!(slack.received().iter().any(|(_, body)| body.contains("cost limit reached")));

    // The webhook body is signed: HMAC-SHA256(secret, "<timestamp>.<body>").
    let secret = webhook.secret.unwrap();
    for (headers, body) in hook.received() {
        let timestamp: i64 = headers["tollgate-timestamp"].to_str().unwrap().parse().unwrap();
        let expected = tollgate_server::channels::webhook::signature(&secret, timestamp, body.as_bytes());
        assert_eq!(headers["tollgate-signature"].to_str().unwrap(), format!("v1={expected}"));
        let payload: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(payload["budget_id"], json!(s.budget.id));
        assert_eq!(payload["link"], json!(format!("http://tollgate.test/budgets/{}", s.budget.id)));
    }
    let unread = notification::Entity::find()
        .filter(notification::Column::UserId.eq(s.lead))
        .filter(notification::Column::ReadAt.is_null())
        .count(&s.app.db)
        .await
        .unwrap();
    assert_eq!(unread, 4, "Lena's inbox holds each alert once");

    // More spend in the same window fires nothing; the next window re-arms the thresholds.
    spend(&s, "more", "30").await;
    assert_eq!(alerts_of(&s.app).await.len(), 4);
    s.app.clock.advance(Duration::days(13));
    spend(&s, "december", "60").await;
    let alerts = alerts_of(&s.app).await;
    assert_eq!(alerts.len(), 5);
    assert_eq!(alerts[4].threshold, Some(50));
    assert_ne!(alerts[4].window_start, alerts[0].window_start);
}
on_both_databases!(fire_once_everywhere, concurrent_crossings_fire_once_on_every_channel);

async fn two_instances_raise_each_threshold_once(backend: Backend) {
    let s = scene(backend).await;
    let second = spawn_instance(&s.app).await;
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..60 {
        let app = if i % 2 == 0 { &s.app } else { &second };
        let (client, url, key) = (app.client.clone(), format!("{}/api/v1/usage", app.address), s.fixture.key.clone());
        let body = json!({ "event_id": format!("e-{i}"), "occurred_at": s.app.clock_now(), "user": "rory",
                           "project": "chatbot", "category": "llm", "model": "gpt-4o", "cost": "2" });
        posts.spawn(async move { client.post(url).bearer_auth(key).json(&body).send().await.unwrap().status() });
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let thresholds: Vec<Option<i32>> = alerts_of(&s.app).await.iter().map(|a| a.threshold).collect();
    assert_eq!(thresholds, vec![Some(50), Some(75), Some(90), Some(100)], "$120 over two instances");
}
on_both_databases!(two_instances, two_instances_raise_each_threshold_once);

async fn a_receiver_that_is_down_loses_nothing(backend: Backend) {
    let s = scene(backend).await;
    let hook = HttpReceiver::start().await;
    add(&s, RecipientKind::Webhook, &hook.url).await;
    hook.set_down(true);
    spend(&s, "half", "50").await;
    let attempts = |app: &TestApp| {
        let db = app.db.clone();
        async move { delivery_attempt::Entity::find().all(&db).await.unwrap() }
    };
    // Bounded waits for the dispatcher (every 20 ms of wall time); generous for a loaded CI machine.
    for _ in 0..600 {
        if !attempts(&s.app).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let delivery = alert_delivery::Entity::find().one(&s.app.db).await.unwrap().unwrap();
    assert_eq!(delivery.state, "pending", "a failed attempt is retried later");
    assert_eq!(delivery.attempts, 1);
    assert!(delivery.last_error.unwrap().contains("503"));
    assert_eq!(delivery.next_attempt_at, s.app.clock_now() + Duration::seconds(5), "first backoff is 5 s");

    hook.set_down(false);
    s.app.clock.advance(Duration::seconds(5));
    eventually("the retried webhook", || hook.received().len() == 1).await;
    let delivery = alert_delivery::Entity::find().one(&s.app.db).await.unwrap().unwrap();
    assert_eq!((delivery.state.as_str(), delivery.attempts), ("delivered", 2));
    let outcomes: Vec<bool> = attempts(&s.app).await.iter().map(|a| a.ok).collect();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.contains(&false) && outcomes.contains(&true), "every attempt is recorded");

    // A receiver that never comes back: the delivery ends dead-lettered after the last attempt.
    hook.set_down(true);
    spend(&s, "three-quarters", "25").await;
    for _ in 0..tollgate_domain::alerting::MAX_ATTEMPTS {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        s.app.clock.advance(Duration::hours(1));
    }
    let dead = alert_delivery::Entity::find().filter(alert_delivery::Column::State.eq("dead"));
    for _ in 0..300 {
        if dead.clone().count(&s.app.db).await.unwrap() == 1 {
            break;
        }
        s.app.clock.advance(Duration::hours(1));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let dead = dead.one(&s.app.db).await.unwrap().expect("dead-lettered");
    assert_eq!(dead.attempts as u32, tollgate_domain::alerting::MAX_ATTEMPTS);
}
on_both_databases!(receiver_down, a_receiver_that_is_down_loses_nothing);

async fn unacknowledged_alerts_escalate_to_leads_then_admins(backend: Backend) {
    let s = scene(backend).await;
    let admin = common::browser::account(&s.app, s.fixture.org_id, "ada@example.com", &["admin"]).await;
    let mut row = s.budget.clone().into_active_model();
    row.escalate_after_minutes = Set(Some(30));
    row.escalate_from = Set(Some(90));
    let budget = row.update(&s.app.db).await.unwrap();
    add_to(&s, &budget, RecipientKind::Email, "oncall@example.com").await;
    spend(&s, "e-95", "95").await;
    let alerts = alerts_of(&s.app).await;
    assert_eq!(alerts.len(), 3);
    let ninety = alerts.iter().find(|a| a.threshold == Some(90)).unwrap();
    assert_eq!(ninety.escalate_at, Some(s.app.clock_now() + Duration::minutes(30)));
    assert!(alerts.iter().filter(|a| a.threshold < Some(90)).all(|a| a.escalate_at.is_none()));
    eventually("3 emails to on-call", || s.smtp.received().len() == 3).await;

    s.app.clock.advance(Duration::minutes(31));
    eventually("the leads' escalation email", || {
        s.smtp.received().iter().any(|(to, _)| to == &vec!["lena@example.com".to_owned()])
    })
    .await;
    let inbox = |user: Uuid| notification::Entity::find().filter(notification::Column::UserId.eq(user));
    assert_eq!(inbox(s.lead).count(&s.app.db).await.unwrap(), 1, "only the 90 % alert escalates");
    assert_eq!(inbox(admin).count(&s.app.db).await.unwrap(), 0);

    s.app.clock.advance(Duration::minutes(31));
    eventually("the admins' escalation email", || {
        s.smtp.received().iter().any(|(to, _)| to == &vec!["ada@example.com".to_owned()])
    })
    .await;
    let escalated = alert::Entity::find_by_id(ninety.id).one(&s.app.db).await.unwrap().unwrap();
    assert_eq!((escalated.escalation_level, escalated.escalate_at), (2, None), "admins are the last level");

    // An acknowledged alert stops escalating; only someone who received it may acknowledge it.
    s.app.clock.advance(Duration::days(13));
    add_to(&s, &budget, RecipientKind::User, "lena@example.com").await;
    spend(&s, "dec-95", "95").await;
    let december = alerts_of(&s.app).await.into_iter().find(|a| a.threshold == Some(90) && a.id != ninety.id).unwrap();
    let ninety_dec = december.id;
    let acknowledge =
        |who: Uuid| app::backend::services::alerts::inbox::acknowledge(&s.app.db, who, ninety_dec, s.app.clock_now());
    assert!(!acknowledge(admin).await.unwrap(), "the admin did not receive it (yet)");
    assert!(acknowledge(s.lead).await.unwrap());
    s.app.clock.advance(Duration::minutes(31));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let handled = alert::Entity::find_by_id(ninety_dec).one(&s.app.db).await.unwrap().unwrap();
    assert_eq!((handled.escalation_level, handled.acknowledged_by), (0, Some(s.lead)));
}
on_both_databases!(escalation, unacknowledged_alerts_escalate_to_leads_then_admins);

async fn forecasts_alert_once_per_window_before_the_money_runs_out(backend: Backend) {
    let s = scene(backend).await;
    let mut row = s.budget.clone().into_active_model();
    row.cost_hard = Set(Some(500_000_000_000));
    row.update(&s.app.db).await.unwrap();
    // $20 a day for the last 28 days: $340 of November (1st–17th) is spent at 10:00 on the 18th.
    let now = s.app.clock_now();
    for back in 1..=28 {
        let body = json!({ "event_id": format!("d-{back}"), "occurred_at": now - Duration::days(back),
                           "user": "rory", "project": "chatbot", "category": "llm", "model": "gpt-4o", "cost": "20" });
        let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/usage", body).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(raise_forecast_alerts(&s.app.db, now).await.unwrap(), 1);
    assert_eq!(raise_forecast_alerts(&s.app.db, now).await.unwrap(), 0, "once per window");
    let forecast =
        alert::Entity::find().filter(alert::Column::Kind.eq("forecast")).one(&s.app.db).await.unwrap().unwrap();
    // 160 left at 20 a day from 10:00 on the 18th: 8 days, so the 26th at 10:00.
    assert!(forecast.title.contains("2026-11-26 10:00"), "{}", forecast.title);
    let detail: serde_json::Value = serde_json::from_str(&forecast.detail).unwrap();
    assert_eq!(detail["spent"], json!("340"));
    assert!(forecast.body.contains("USD 591.67"), "{}", forecast.body);

    // Threshold alerts carry the forecast too: $380 of $500 at 10:00 on the 18th, $20 a day.
    spend(&s, "now-40", "40").await;
    let crossed = alert::Entity::find().filter(alert::Column::Threshold.eq(75)).one(&s.app.db).await.unwrap().unwrap();
    assert!(crossed.body.contains("the limit runs out around 2026-11-24"), "{}", crossed.body);
}
on_both_databases!(forecast, forecasts_alert_once_per_window_before_the_money_runs_out);

/// Thresholds 50, 75 and 90, a soft level at 80 %: spend past the hard level alerts at every one of
/// them and at the soft and hard levels too, each once in the window however often it is crossed.
async fn the_soft_and_hard_levels_always_alert(backend: Backend) {
    let s = scene(backend).await;
    let mut row = s.budget.clone().into_active_model();
    row.thresholds = Set("50,75,90".into());
    row.cost_soft = Set(Some(80_000_000_000));
    row.update(&s.app.db).await.unwrap();
    for (i, cost) in ["49", "30", "6", "15", "2"].into_iter().enumerate() {
        spend(&s, &format!("e-{i}"), cost).await;
    }
    let mut levels: Vec<(i32, String)> = alerts_of(&s.app)
        .await
        .into_iter()
        .filter(|a| a.kind == "threshold")
        .map(|a| (a.threshold.unwrap(), a.title))
        .collect();
    levels.sort();
    let thresholds: Vec<i32> = levels.iter().map(|(pct, _)| *pct).collect();
    assert_eq!(thresholds, vec![50, 75, 80, 90, 100], "{levels:?}");
    assert!(levels[2].1.contains("soft cost level"), "{levels:?}");
    assert!(levels[4].1.contains("limit reached"), "{levels:?}");
}
on_both_databases!(soft_and_hard_levels, the_soft_and_hard_levels_always_alert);

async fn without_a_mail_server_email_deliveries_say_mail_is_off(backend: Backend) {
    let app = spawn_app_with_mailer(backend, Mailer::from_url(None).unwrap()).await;
    let fixture = organization(&app, "UTC").await;
    let id = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let budget = budget::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    let hook = HttpReceiver::start().await;
    let loopback = OutboundPolicy::new(["127.0.0.1"]);
    for (kind, target) in [(RecipientKind::Email, "finance@example.com"), (RecipientKind::Webhook, hook.url.as_str())] {
        let new = recipients::NewRecipient { kind, target, min_threshold: None };
        recipients::add(&app.db, &budget, new, &loopback, app.clock_now()).await.unwrap();
    }
    let body = json!({ "event_id": "e-60", "occurred_at": app.clock_now(), "user": "rory", "project": "chatbot",
                       "category": "llm", "model": "gpt-4o", "cost": "60" });
    assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", body).await.0, 200);

    eventually("the webhook is delivered", || hook.received().len() == 1).await;
    let email = || async {
        alert_delivery::Entity::find().filter(alert_delivery::Column::Channel.eq("email")).one(&app.db).await.unwrap()
    };
    for _ in 0..200 {
        if email().await.is_some_and(|d| d.state != "pending") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let email = email().await.expect("an email delivery was queued");
    assert_eq!(email.state, "not_sent", "never 'delivered' when nothing was sent");
    assert_eq!(email.last_error.as_deref(), Some(tollgate_server::mail::MAIL_OFF));
    assert!(email.delivered_at.is_none());

    let (lead, _) = common::browser::signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let page = lead.get(&format!("/budgets/{id}")).await.text().await.unwrap();
    assert!(page.contains("email finance@example.com: not sent"), "{page}");
    assert!(page.contains("mail is off"), "the page says why");
    assert!(page.contains("webhook"), "the webhook's delivery is listed too");

    // Digests are not retried for nothing either, and the page offering them says why.
    let subscribed = lead.call("subscribe_digest", &[("frequency", "weekly"), ("scope", "organization")]).await;
    assert_eq!(subscribed.status(), 200);
    let digests: serde_json::Value = lead.call("my_digests", &[]).await.json().await.unwrap();
    assert_eq!(digests["mail_off"], true, "{digests}");
    app.clock.set(app.clock_now() + Duration::days(7));
    let digest = || async { digest_send::Entity::find().one(&app.db).await.unwrap() };
    for _ in 0..200 {
        if digest().await.is_some_and(|d| d.status != "pending") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let digest = digest().await.expect("the week's digest was composed");
    assert_eq!((digest.status.as_str(), digest.attempts), ("not_sent", 1), "tried once, not retried");
    assert_eq!(digest.last_error.as_deref(), Some(tollgate_server::mail::MAIL_OFF));
}
on_both_databases!(mail_off, without_a_mail_server_email_deliveries_say_mail_is_off);

/// Status counts what overrides allow, and so does the forecast; a budget forecast to run out
/// before its window ends is at risk, not within budget.
async fn status_and_forecast_count_overrides(backend: Backend) {
    let s = scene(backend).await;
    let now = s.app.clock_now();
    // $20 a day for four weeks, $340 so far this window: a $500 budget runs out on the 26th.
    let mut row = s.budget.clone().into_active_model();
    row.cost_hard = Set(Some(500_000_000_000));
    row.update(&s.app.db).await.unwrap();
    for back in 1..=28 {
        let body = json!({ "event_id": format!("d-{back}"), "occurred_at": now - Duration::days(back),
                           "user": "rory", "project": "chatbot", "category": "llm", "model": "gpt-4o", "cost": "20" });
        assert_eq!(s.app.post_json(&s.fixture.key, "/api/v1/usage", body).await.0, 200);
    }
    let (admin, _) = common::browser::signed_in(&s.app, s.fixture.org_id, "ada@example.com", &["admin"]).await;
    let window = || async {
        let id = s.budget.id.to_string();
        admin.call("budget_window", &[("budget_id", &id)]).await.json::<serde_json::Value>().await.unwrap()
    };
    let view = window().await;
    assert_eq!(view["row"]["status"], "at_risk", "forecast {} of 500", view["forecast"]["projected"]);
    // The budget list says so too, and its status filter finds it.
    let list = admin.get("/budgets?status=at_risk").await.text().await.unwrap();
    assert!(list.contains(&s.budget.name) && list.contains("badge at_risk"), "{list}");
    let within = admin.get("/budgets?status=within_budget").await.text().await.unwrap();
    assert!(!within.contains(&format!("/budgets/{}", s.budget.id)), "not listed as within budget");

    // An override of $200 until the window ends: the forecast now fits.
    grant_override(&s.app, s.budget.id, dec!(200), now - Duration::hours(1), now + Duration::days(30)).await;
    let view = window().await;
    assert_eq!(view["forecast"]["hard"], "700", "the forecast counts the override");
    assert_eq!(view["row"]["status"], "within_budget");

    // Spend past the hard level but within the override: approaching the limit, not over it.
    spend(&s, "big", "170").await;
    let (_, status) = s.app.get_json(&s.fixture.key, "/api/v1/status?project=chatbot").await;
    let budget = status["budgets"].as_array().unwrap().iter().find(|b| b["budget_id"] == json!(s.budget.id)).unwrap();
    assert_eq!(budget["status"], "approaching_limit", "{budget}");
    assert_eq!(budget["limits"][0]["remaining"], "190", "{budget}");
}
on_both_databases!(overrides_in_status, status_and_forecast_count_overrides);
