//! Reallocation: a lead moves unused allowance between sibling project budgets, never more than is
//! unused nor beyond the team's budget; above the organization's free amount an approver decides.

use crate::common;

use app::backend::entities::{budget, budget_event, budget_request};
use common::browser::{signed_in, Browser};
use common::fixtures::{add_budget, add_project, organization, BudgetSpec, Fixture};
use common::{spawn_app, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

struct Scene {
    app: TestApp,
    fixture: Fixture,
    chatbot: Uuid,
    search: Uuid,
    team_budget: Uuid,
    lead: Browser,
}

/// Team Core ($120 a month) with projects chatbot ($50 of $100 spent) and search ($95 of $100 spent); Lena leads it.
async fn scene(backend: Backend) -> Scene {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let search_project = add_project(&app, fixture.org_id, fixture.team_id, "search").await;
    let chatbot = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let search = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", search_project, dec!(100))).await;
    let team_budget = add_budget(&app, fixture.org_id, BudgetSpec::cost("team", fixture.team_id, dec!(120))).await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    common::team_lead(&app, fixture.team_id, lead_id).await;
    let s = Scene { app, fixture, chatbot, search, team_budget, lead };
    spend(&s, "chatbot", "50").await;
    spend(&s, "search", "65").await;
    s
}

async fn spend(s: &Scene, project: &str, cost: &str) {
    let body = json!({ "event_id": format!("{project}-{cost}"), "occurred_at": s.app.clock_now(), "user": "rory",
                       "project": project, "category": "llm", "model": "gpt-4o", "cost": cost });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/usage", body).await;
    assert_eq!(status, 200, "{body}");
}

async fn check(s: &Scene, project: &str, cost: &str) -> String {
    let body = json!({ "user": "rory", "project": project, "category": "llm", "model": "gpt-4o",
                       "estimated_cost": cost, "ttl_seconds": 60 });
    let (status, body) = s.app.post_json(&s.fixture.key, "/api/v1/check", body).await;
    assert_eq!(status, 200, "{body}");
    body["decision"].as_str().unwrap().to_owned()
}

/// The team's budget raised to $300, so only the projects' own limits decide.
async fn roomy_team(s: &Scene) {
    budget::Entity::update_many()
        .col_expr(budget::Column::CostHard, Expr::value(300_000_000_000_i64))
        .filter(budget::Column::Id.eq(s.team_budget))
        .exec(&s.app.db)
        .await
        .unwrap();
}

async fn reallocate(who: &Browser, from: Uuid, to: Uuid, cost: &str) -> (u16, String) {
    let (from, to) = (from.to_string(), to.to_string());
    let form =
        [("from_budget", from.as_str()), ("to_budget", to.as_str()), ("cost", cost), ("reason", "search launch")];
    let response = who.call("reallocate_allowance", &form).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn allowance_moves_within_what_is_unused_and_the_parent(backend: Backend) {
    let s = scene(backend).await;
    // Team: $115 of $120 used; search may grow to $120 at most, so 20 of chatbot's 50 unused.
    let (status, said) = reallocate(&s.lead, s.chatbot, s.search, "30").await;
    assert_eq!(status, 422, "{said}");
    assert!(said.contains("at most 20 can be moved"), "{said}");
    let (status, said) = reallocate(&s.lead, s.chatbot, s.search, "20").await;
    assert_eq!(status, 200, "{said}");
    assert!(said.contains("Moved 20.00 until 2026-12-01 00:00 UTC"), "{said}");
    assert_eq!(check(&s, "search", "50").await, "deny", "the team budget still holds at $120");
    roomy_team(&s).await;
    assert_eq!(check(&s, "search", "50").await, "allow", "search has $120: 65 + 50 fits");
    assert_eq!(check(&s, "chatbot", "35").await, "deny", "chatbot has $80 left of which 50 spent");
    let (status, said) = reallocate(&s.lead, s.chatbot, s.search, "31").await;
    assert_eq!(status, 422);
    assert!(said.contains("only 30 of the source budget is unused"), "{said}");

    let moves = budget_event::Entity::find()
        .filter(budget_event::Column::Kind.is_in(["allowance_moved_out", "allowance_moved_in"]));
    assert_eq!(moves.clone().count(&s.app.db).await.unwrap(), 2, "both budgets show the transfer");
    let page = s.lead.get(&format!("/budgets/{}", s.search)).await.text().await.unwrap();
    assert!(page.contains("USD 20.00 moved in from project budget"), "{page}");

    // Only between siblings, only by those who manage both.
    let (status, _) = reallocate(&s.lead, s.chatbot, s.team_budget, "5").await;
    assert_eq!(status, 422, "a team budget is not a project's sibling");
    let (viewer, _) = signed_in(&s.app, s.fixture.org_id, "vic@example.com", &["viewer"]).await;
    assert_eq!(reallocate(&viewer, s.chatbot, s.search, "5").await.0, 403);
    assert_eq!(moves.count(&s.app.db).await.unwrap(), 2, "refused moves change nothing");
}
on_both_databases!(within_limits, allowance_moves_within_what_is_unused_and_the_parent);

async fn large_moves_wait_for_an_approver(backend: Backend) {
    let s = scene(backend).await;
    roomy_team(&s).await;
    let (admin, _) = signed_in(&s.app, s.fixture.org_id, "ada@example.com", &["admin"]).await;
    assert_eq!(s.lead.call("set_reallocation_rule", &[("free_up_to", "10")]).await.status(), 403);
    assert_eq!(admin.call("set_reallocation_rule", &[("free_up_to", "-1")]).await.status(), 422);
    assert_eq!(admin.call("set_reallocation_rule", &[("free_up_to", "10")]).await.status(), 200);

    let (status, said) = reallocate(&s.lead, s.chatbot, s.search, "15").await;
    assert_eq!(status, 200, "{said}");
    assert!(said.contains("sent to the approvers"), "{said}");
    assert_eq!(check(&s, "search", "40").await, "deny", "nothing moved yet");
    let request = budget_request::Entity::find().one(&s.app.db).await.unwrap().unwrap();
    assert_eq!(
        (request.kind.as_str(), request.source_budget_id, request.budget_id),
        ("reallocation", Some(s.chatbot), s.search)
    );

    let (approver, _) = signed_in(&s.app, s.fixture.org_id, "april@example.com", &["approver"]).await;
    let id = request.id.to_string();
    let decided =
        approver.call("decide_request", &[("request_id", &id), ("decision", "approve"), ("comment", "ok")]).await;
    assert_eq!(decided.status(), 200, "{}", decided.text().await.unwrap());
    assert_eq!(check(&s, "search", "40").await, "allow", "65 + 40 fits the $115 after the move");
    let (status, said) = reallocate(&s.lead, s.chatbot, s.search, "5").await;
    assert!(status == 200 && said.contains("Moved 5.00"), "small moves stay free: {said}");
}
on_both_databases!(approval_above_free_amount, large_moves_wait_for_an_approver);
