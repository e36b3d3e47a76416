//! Override and increase requests over HTTP: approve, partial approve, reject, never one's own, two
//! approvers above an amount, expiry, questions — and the engine honouring what was approved.

use crate::common;

use app::backend::entities::{budget, budget_event, budget_override, budget_request};
use app::backend::services::requests;
use chrono::{Duration, TimeZone, Utc};
use common::browser::{signed_in, Browser};
use common::fixtures::{add_budget, organization, BudgetSpec, Fixture};
use common::{spawn_app, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

struct Scene {
    app: TestApp,
    fixture: Fixture,
    budget: Uuid,
    requester: Browser,
    approver: Browser,
}

/// A $100 project budget; a member who asks, and an approver.
async fn scene(backend: Backend, two_approvers_above: Option<rust_decimal::Decimal>) -> Scene {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let mut spec = BudgetSpec::cost("project", fixture.project_id, dec!(100));
    spec.two_approvers_above = two_approvers_above;
    let budget = add_budget(&app, fixture.org_id, spec).await;
    let (requester, requester_id) = signed_in(&app, fixture.org_id, "rory@example.com", &["lead"]).await;
    common::team_membership(&app, fixture.team_id, requester_id).await;
    let (approver, _) = signed_in(&app, fixture.org_id, "april@example.com", &["approver"]).await;
    Scene { app, fixture, budget, requester, approver }
}

async fn ask(s: &Scene, kind: &str, cost: &str, days: &str) -> Uuid {
    let budget = s.budget.to_string();
    let form = [
        ("budget_id", budget.as_str()),
        ("kind", kind),
        ("cost", cost),
        ("tokens", ""),
        ("operations", ""),
        ("days", days),
        ("reason", "launch week traffic"),
    ];
    let response = s.requester.call("request_budget", &form).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn decide(who: &Browser, id: Uuid, decision: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let id = id.to_string();
    let mut form = vec![("request_id", id.as_str()), ("decision", decision)];
    form.extend_from_slice(extra);
    who.call("decide_request", &form).await
}

async fn check(s: &Scene, cost: &str) -> String {
    let body = json!({ "user": "rory", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                       "estimated_cost": cost, "ttl_seconds": 86_400 });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/check", body).await;
    assert_eq!(status, 200, "{body}");
    body["decision"].as_str().unwrap().to_owned()
}

async fn status_of(app: &TestApp, id: Uuid) -> String {
    budget_request::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().status
}

async fn an_approved_override_is_honoured_at_once(backend: Backend) {
    let s = scene(backend, None).await;
    let spent = json!({ "event_id": "e-90", "occurred_at": s.app.clock_now(), "user": "rory", "project": "chatbot",
                        "category": "llm", "model": "gpt-4o", "cost": "90" });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/usage", spent).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(check(&s, "40").await, "deny", "$130 would pass the $100 hard level");
    let id = ask(&s, "override", "50", "2").await;
    let queue: Value = s.approver.call("requests", &[]).await.json().await.unwrap();
    let projected: rust_decimal::Decimal = queue[0]["cost_projected"].as_str().unwrap().parse().unwrap();
    assert!(projected >= dec!(90), "the queue shows the forecast: {projected}");
    let row = &queue[0];
    assert_eq!(row["status"], "pending");
    assert_eq!(row["requester"], "rory@example.com");
    assert_eq!(row["cost_spent"], "90");
    assert_eq!(row["cost_hard"], "100");
    let response = decide(&s.approver, id, "approve", &[("comment", "ok for launch")]).await;
    assert_eq!(response.json::<String>().await.unwrap(), "approved");
    assert_eq!(check(&s, "40").await, "allow", "the override counts in the very next check");
    let kinds: Vec<String> =
        budget_event::Entity::find().all(&s.app.db).await.unwrap().into_iter().map(|e| e.kind).collect();
    for kind in ["request_created", "request_decision", "override_granted"] {
        assert!(kinds.contains(&kind.to_owned()), "{kind} in {kinds:?}");
    }
    // It ends on its own (the $40 reservation has lapsed by then too; the $90 stays spent).
    s.app.clock.advance(Duration::days(2) + Duration::minutes(1));
    assert_eq!(check(&s, "40").await, "deny");
}
on_both_databases!(approve, an_approved_override_is_honoured_at_once);

async fn approvers_may_approve_less_or_reject(backend: Backend) {
    let s = scene(backend, None).await;
    let id = ask(&s, "override", "50", "7").await;
    let too_much = decide(&s.approver, id, "approve", &[("cost", "60")]).await;
    assert_eq!(too_much.status(), 422);
    let response = decide(&s.approver, id, "approve", &[("cost", "20"), ("days", "1")]).await;
    assert_eq!(response.status(), 200);
    let granted = budget_override::Entity::find().one(&s.app.db).await.unwrap().unwrap();
    assert_eq!(granted.cost, 20_000_000_000);
    assert_eq!(granted.expires_at, s.app.clock_now() + Duration::days(1));

    let second = ask(&s, "override", "30", "3").await;
    let response = decide(&s.approver, second, "reject", &[("comment", "use the cheaper model")]).await;
    assert_eq!(response.json::<String>().await.unwrap(), "rejected");
    assert_eq!(budget_override::Entity::find().count(&s.app.db).await.unwrap(), 1, "nothing granted");
    assert_eq!(decide(&s.approver, second, "approve", &[]).await.status(), 422, "decided is decided");
    let mine: Value = s.requester.call("requests", &[]).await.json().await.unwrap();
    let rejected = mine.as_array().unwrap().iter().find(|r| r["id"] == second.to_string()).unwrap();
    assert_eq!(rejected["notes"][0][2], "use the cheaper model", "the requester sees why");
    assert!(rejected["granted"].is_null(), "a rejection grants nothing");
    let approved = mine.as_array().unwrap().iter().find(|r| r["id"] == id.to_string()).unwrap();
    assert_eq!((approved["cost"].as_str(), approved["granted"]["cost"].as_str()), (Some("50"), Some("20")));
    let until = (s.app.clock_now() + Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(approved["granted"]["until"].as_str(), Some(until.as_str()), "the requester sees the day granted");
    assert_eq!(approved["granted"]["by"], serde_json::json!(["april@example.com"]));
}
on_both_databases!(partial_and_reject, approvers_may_approve_less_or_reject);

async fn nobody_approves_their_own_request(backend: Backend) {
    let s = scene(backend, None).await;
    let (both, both_id) = signed_in(&s.app, s.fixture.org_id, "bo@example.com", &["approver", "admin"]).await;
    common::team_membership(&s.app, s.fixture.team_id, both_id).await;
    let budget = s.budget.to_string();
    let form =
        [("budget_id", budget.as_str()), ("kind", "override"), ("cost", "10"), ("days", "1"), ("reason", "mine")];
    let id: Uuid = both.call("request_budget", &form).await.json().await.unwrap();
    let response = decide(&both, id, "approve", &[]).await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("own request"));
    assert_eq!(status_of(&s.app, id).await, "pending");
    assert_eq!(budget_override::Entity::find().count(&s.app.db).await.unwrap(), 0);
    // Nor may people without the approver role decide anybody's.
    let other = ask(&s, "override", "10", "1").await;
    let (viewer, _) = signed_in(&s.app, s.fixture.org_id, "vi@example.com", &[]).await;
    assert_eq!(decide(&viewer, other, "approve", &[]).await.status(), 403);
    assert_eq!(decide(&s.requester, other, "approve", &[]).await.status(), 403);
    assert_eq!(status_of(&s.app, other).await, "pending");
}
on_both_databases!(self_approval, nobody_approves_their_own_request);

async fn large_asks_need_two_distinct_approvers(backend: Backend) {
    let s = scene(backend, Some(dec!(100))).await;
    let id = ask(&s, "increase", "150", "").await;
    let first = decide(&s.approver, id, "approve", &[]).await;
    assert_eq!(first.json::<String>().await.unwrap(), "pending");
    assert_eq!(decide(&s.approver, id, "approve", &[]).await.status(), 422, "the same approver twice is one");
    let (second, _) = signed_in(&s.app, s.fixture.org_id, "abe@example.com", &["approver"]).await;
    let response = decide(&second, id, "approve", &[("cost", "120"), ("comment", "120 is enough")]).await;
    assert_eq!(response.json::<String>().await.unwrap(), "approved");
    let raised = budget::Entity::find_by_id(s.budget).one(&s.app.db).await.unwrap().unwrap();
    assert_eq!(raised.cost_hard, Some(220_000_000_000), "$100 + the smaller grant of $120");
    let entry = budget_event::Entity::find()
        .filter(budget_event::Column::Kind.eq("limit_increased"))
        .one(&s.app.db)
        .await
        .unwrap()
        .unwrap();
    let detail: Value = serde_json::from_str(&entry.detail).unwrap();
    assert_eq!(detail["before"]["cost_hard"], "100");
    assert_eq!(detail["after"]["cost_hard"], "220");
    assert_eq!(detail["reason"], "launch week traffic");
    assert_eq!(entry.actor.as_deref(), Some("abe@example.com"));
}
on_both_databases!(two_approvers, large_asks_need_two_distinct_approvers);

async fn questions_answers_and_expiry(backend: Backend) {
    let s = scene(backend, None).await;
    let id = ask(&s, "override", "10", "1").await;
    let asked = decide(&s.approver, id, "ask_info", &[("comment", "which feature?")]).await;
    assert_eq!(asked.json::<String>().await.unwrap(), "needs_info");
    let answer = s
        .requester
        .call("answer_request", &[("request_id", id.to_string().as_str()), ("note", "the new search")])
        .await;
    assert!(answer.status().is_success());
    assert_eq!(status_of(&s.app, id).await, "pending");

    let late = ask(&s, "override", "10", "5").await;
    let idle = ask(&s, "increase", "10", "").await;
    s.app.clock.advance(Duration::hours(73));
    // The expiry job marks undecided requests without anyone touching them.
    for _ in 0..100 {
        if status_of(&s.app, idle).await == "expired" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status_of(&s.app, idle).await, "expired");
    // Sessions last 12 hours at most: both sign in again.
    s.approver.sign_in("april@example.com", common::browser::PASSWORD).await;
    s.requester.sign_in("rory@example.com", common::browser::PASSWORD).await;
    let response = decide(&s.approver, late, "approve", &[]).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("expired"));
    assert_eq!(status_of(&s.app, late).await, "expired");

    // Bad asks change nothing.
    let before = budget_request::Entity::find().count(&s.app.db).await.unwrap();
    let budget = s.budget.to_string();
    for form in [
        vec![("budget_id", budget.as_str()), ("kind", "override"), ("cost", "-5"), ("days", "1"), ("reason", "x")],
        vec![("budget_id", budget.as_str()), ("kind", "override"), ("cost", "5"), ("days", ""), ("reason", "x")],
        vec![("budget_id", budget.as_str()), ("kind", "override"), ("cost", "five"), ("days", "1"), ("reason", "x")],
        vec![("budget_id", budget.as_str()), ("kind", "override"), ("cost", "5"), ("days", "1"), ("reason", " ")],
    ] {
        assert_eq!(s.requester.call("request_budget", &form).await.status(), 422, "{form:?}");
    }
    assert_eq!(budget_request::Entity::find().count(&s.app.db).await.unwrap(), before);
}
on_both_databases!(questions_and_expiry, questions_answers_and_expiry);

async fn a_denied_check_leads_to_a_request_filed_by_the_service(backend: Backend) {
    let s = scene(backend, None).await;
    let spent = json!({ "event_id": "e-95", "occurred_at": s.app.clock_now(), "user": "dev-7", "project": "chatbot",
                        "category": "llm", "model": "gpt-4o", "cost": "95" });
    assert_eq!(s.app.post_json(&s.fixture.key, "/api/v1/usage", spent).await.0, 200);
    let body = json!({ "user": "dev-7", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                       "estimated_cost": "10", "ttl_seconds": 86_400 });
    let (_, denied) = s.app.post_json(&s.fixture.key, "/api/v1/check", body.clone()).await;
    assert_eq!(denied["decision"], "deny");
    let link = denied["request_more"].as_str().expect("a denial says where to ask for more").to_owned();
    assert_eq!(link, format!("/api/v1/budgets/{}/requests", s.budget));
    assert_eq!(denied["request_more_page"], format!("/budgets/{}#ask", s.budget), "and where a person asks");

    let until = s.app.clock_now() + Duration::days(1);
    let before = budget_request::Entity::find().count(&s.app.db).await.unwrap();
    for bad in [
        json!({ "user": "nobody", "kind": "override", "cost": "20", "until": until, "reason": "x" }),
        json!({ "user": "dev-7", "kind": "override", "cost": "20", "reason": "no end time" }),
        json!({ "user": "dev-7", "kind": "bonus", "cost": "20", "until": until, "reason": "x" }),
        json!({ "user": "dev-7", "kind": "override", "cost": "20", "until": until, "reason": "x", "extra": 1 }),
        json!({ "user": "dev-7", "kind": "override", "cost": "20", "until": until, "reason": "x", "from_next_window": true }),
    ] {
        let (status, error) = s.app.post_json(&s.fixture.key, &link, bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {error}");
        assert!(error["error"]["message"].is_string());
    }
    assert_eq!(budget_request::Entity::find().count(&s.app.db).await.unwrap(), before, "bad asks change nothing");

    let ask =
        json!({ "user": "dev-7", "kind": "override", "cost": "20", "until": until, "reason": "nightly eval run" });
    let (status, filed) = s.app.post_json(&s.fixture.key, &link, ask).await;
    assert_eq!(status, 201, "{filed}");
    let id: Uuid = filed["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(decide(&s.approver, id, "approve", &[]).await.json::<String>().await.unwrap(), "approved");
    let (_, allowed) = s.app.post_json(&s.fixture.key, "/api/v1/check", body).await;
    assert_eq!(allowed["decision"], "allow", "{allowed}");
    assert!(allowed["request_more"].is_null());
}
on_both_databases!(api_request, a_denied_check_leads_to_a_request_filed_by_the_service);

async fn increases_from_the_next_window_wait_for_it(backend: Backend) {
    let s = scene(backend, None).await;
    let spent = json!({ "event_id": "e-90", "occurred_at": s.app.clock_now(), "user": "rory", "project": "chatbot",
                        "category": "llm", "model": "gpt-4o", "cost": "90" });
    assert_eq!(s.app.post_json(&s.fixture.key, "/api/v1/usage", spent).await.0, 200);
    let id = ask(&s, "increase_next", "50", "").await;
    assert_eq!(decide(&s.approver, id, "approve", &[]).await.json::<String>().await.unwrap(), "approved");
    let december = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let request = budget_request::Entity::find_by_id(id).one(&s.app.db).await.unwrap().unwrap();
    assert_eq!((request.applies_from, request.applied_at), (Some(december), None));
    let hard = |app: &TestApp| {
        let (db, id) = (app.db.clone(), s.budget);
        async move { budget::Entity::find_by_id(id).one(&db).await.unwrap().unwrap().cost_hard }
    };
    assert_eq!(hard(&s.app).await, Some(100_000_000_000), "November keeps its limit");
    assert_eq!(check(&s, "40").await, "deny");

    // When December starts, the job raises the hard level once.
    s.app.clock.set(december + Duration::seconds(1));
    for _ in 0..200 {
        if hard(&s.app).await != Some(100_000_000_000) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(hard(&s.app).await, Some(150_000_000_000));
    assert_eq!(requests::apply_scheduled(&s.app.db, s.app.clock_now()).await.unwrap(), 0, "applied once");
    let raised = budget_event::Entity::find().filter(budget_event::Column::Kind.eq("limit_increased"));
    let raised = raised.all(&s.app.db).await.unwrap();
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].actor.as_deref(), Some("tollgate (approved increase, next window)"));
    let detail: Value = serde_json::from_str(&raised[0].detail).unwrap();
    assert_eq!(
        (detail["before"]["cost_hard"].clone(), detail["after"]["cost_hard"].clone()),
        (json!("100"), json!("150"))
    );
    assert_eq!(check(&s, "140").await, "allow", "December has the new $150 level");
}
on_both_databases!(next_window_increase, increases_from_the_next_window_wait_for_it);
