//! Role and scope boundaries on budgets, over HTTP: leads manage only their teams' budgets.

use crate::common;

use app::backend::entities::{budget, team_member};
use common::browser::{signed_in, Browser};
use common::fixtures::{add_budget, add_project, add_team, organization, BudgetSpec};
use common::{spawn_app, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::{EntityTrait, Set};
use serde_json::{json, Value};
use uuid::Uuid;

async fn lead_of(app: &TestApp, team_id: Uuid, user_id: Uuid) {
    let row = team_member::ActiveModel { team_id: Set(team_id), user_id: Set(user_id), is_lead: Set(true) };
    team_member::Entity::insert(row).exec_without_returning(&app.db).await.unwrap();
}

fn edit(name: &str, scope: &str, scope_id: Uuid, hard: &str) -> Value {
    json!({ "name": name, "scope": scope, "scope_id": scope_id, "period": "monthly", "cost_hard": hard })
}

async fn cost_hard(app: &TestApp, id: Uuid) -> Option<i64> {
    budget::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().cost_hard
}

async fn leads_manage_only_their_own_teams_budgets(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let other_team = add_team(&app, fixture.org_id, "Research").await;
    let other_project = add_project(&app, fixture.org_id, other_team, "lab").await;
    let mine = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let theirs = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", other_project, dec!(100))).await;
    let org_wide = add_budget(&app, fixture.org_id, BudgetSpec::cost("organization", fixture.org_id, dec!(1000))).await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    lead_of(&app, fixture.team_id, lead_id).await;

    // Another team's budget: 403, and nothing changed.
    let before = cost_hard(&app, theirs).await;
    let response = lead
        .call_json(
            "update_budget",
            json!({ "budget_id": theirs, "input": edit("lab", "project", other_project, "5000") }),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("teams you lead"));
    assert_eq!(cost_hard(&app, theirs).await, before);
    let id = theirs.to_string();
    assert_eq!(lead.call("set_budget_state", &[("budget_id", id.as_str()), ("state", "disabled")]).await.status(), 403);
    // Nor the organization's budget.
    let id = org_wide.to_string();
    assert_eq!(lead.call("set_budget_state", &[("budget_id", id.as_str()), ("state", "disabled")]).await.status(), 403);

    // Moving their own budget onto another team's project is refused too.
    let response = lead
        .call_json("update_budget", json!({ "budget_id": mine, "input": edit("x", "project", other_project, "1") }))
        .await;
    assert_eq!(response.status(), 403);

    // Their own team's budget: allowed, and audited with who did it.
    let response = lead
        .call_json(
            "update_budget",
            json!({ "budget_id": mine, "input": edit("chatbot", "project", fixture.project_id, "250") }),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(cost_hard(&app, mine).await, Some(250_000_000_000));

    // The list shows what they may see, and which of it they may manage.
    let rows: Value = lead.call("budgets", &[]).await.json().await.unwrap();
    let managed: Vec<(String, bool)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["budget"]["id"].as_str().unwrap().to_owned(), r["may_manage"].as_bool().unwrap()))
        .collect();
    assert!(managed.contains(&(mine.to_string(), true)));
    let row = rows.as_array().unwrap().iter().find(|r| r["budget"]["id"] == mine.to_string()).unwrap();
    assert_eq!(row["status"], "within_budget");
    assert_eq!(row["usage"][0]["limit_type"], "cost");
    assert_eq!(row["usage"][0]["allowance"], "250", "the window's allowance follows the edit");
    assert!(managed.contains(&(org_wide.to_string(), false)));
    assert!(!managed.iter().any(|(id, _)| id == &theirs.to_string()), "another team's budget is not shown");
}
on_both_databases!(lead_scope, leads_manage_only_their_own_teams_budgets);

async fn viewers_and_signed_out_callers_cannot_change_budgets(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let id = add_budget(&app, fixture.org_id, BudgetSpec::cost("team", fixture.team_id, dec!(100))).await;
    let (viewer, _) = signed_in(&app, fixture.org_id, "vic@example.com", &[]).await;
    let body = json!({ "budget_id": id, "input": edit("t", "team", fixture.team_id, "1") });
    let response = viewer.call_json("update_budget", body.clone()).await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("lead or admin role"));
    assert_eq!(Browser::new(&app).call_json("update_budget", body).await.status(), 401);
    assert_eq!(cost_hard(&app, id).await, Some(100_000_000_000));

    // Admins may change any budget.
    let (admin, _) = signed_in(&app, fixture.org_id, "ari@example.com", &["admin"]).await;
    let form = [("budget_id", id.to_string()), ("state", "disabled".to_owned())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(admin.call("set_budget_state", &form).await.status().is_success());
    assert_eq!(budget::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().state, "disabled");
}
on_both_databases!(viewer_scope, viewers_and_signed_out_callers_cannot_change_budgets);

async fn people_see_budgets_of_projects_they_work_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let project_budget =
        add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let (worker, worker_id) = signed_in(&app, fixture.org_id, "wes@example.com", &[]).await;
    let visible = |rows: Value| -> Vec<String> {
        rows.as_array().unwrap().iter().map(|r| r["budget"]["id"].as_str().unwrap().to_owned()).collect()
    };
    assert!(!visible(worker.call("budgets", &[]).await.json().await.unwrap()).contains(&project_budget.to_string()));

    let (project, person) = (fixture.project_id.to_string(), worker_id.to_string());
    let form = [("project_id", project.as_str()), ("user_id", person.as_str()), ("member", "true")];
    assert!(admin.call("set_project_membership", &form).await.status().is_success());
    assert!(visible(worker.call("budgets", &[]).await.json().await.unwrap()).contains(&project_budget.to_string()));
    let teams: Value = admin.call("teams", &[]).await.json().await.unwrap();
    assert_eq!(teams["teams"][0]["projects"][0]["members"], json!(["wes@example.com"]));
    // Only admins assign people.
    assert_eq!(worker.call("set_project_membership", &form).await.status(), 403);
}
on_both_databases!(project_members, people_see_budgets_of_projects_they_work_on);
