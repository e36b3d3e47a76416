//! Test data: an organization with a team, a project, budgets and an API key, made through the services.

use super::TestApp;
use app::backend::engine::counters::counting_start::begin_counting;
use app::backend::engine::keys;
use app::backend::entities::{budget, budget_override, organization, project, team};
use app::backend::services::organizations;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use tollgate_domain::money::to_storage;
use uuid::Uuid;

pub struct Fixture {
    pub org_id: Uuid,
    pub team_id: Uuid,
    pub project_id: Uuid,
    pub key: String,
}

/// Organization "Acme" in `timezone` with team "Core" and project "chatbot", plus an ingest key.
pub async fn organization(app: &TestApp, timezone: &str) -> Fixture {
    let now = app.clock_now();
    let org = organizations::create_organization(&app.db, "Acme", timezone, "USD", now).await.unwrap();
    let team_id = add_team(app, org.id, "Core").await;
    let project_id = add_project(app, org.id, team_id, "chatbot").await;
    let (_, key) = keys::create(&app.db, org.id, "tests", keys::Permission::Ingest, None, now).await.unwrap();
    Fixture { org_id: org.id, team_id, project_id, key }
}

pub async fn add_team(app: &TestApp, org_id: Uuid, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    team::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        name: Set(name.into()),
        archived_at: Set(None),
        created_at: Set(app.clock_now()),
    }
    .insert(&app.db)
    .await
    .unwrap();
    id
}

pub async fn add_project(app: &TestApp, org_id: Uuid, team_id: Uuid, slug: &str) -> Uuid {
    let id = Uuid::now_v7();
    project::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        team_id: Set(team_id),
        slug: Set(slug.into()),
        name: Set(slug.into()),
        archived_at: Set(None),
        created_at: Set(app.clock_now()),
    }
    .insert(&app.db)
    .await
    .unwrap();
    id
}

/// A budget with sensible defaults; set only what a test cares about.
pub struct BudgetSpec {
    pub scope_kind: &'static str,
    pub scope_id: Uuid,
    pub category_id: Option<Uuid>,
    pub period: &'static str,
    pub cost_hard: Option<Decimal>,
    pub tokens_hard: Option<i64>,
    pub enforcement: &'static str,
    pub grace_minutes: i32,
    pub reserve_cost: Decimal,
    pub two_approvers_above: Option<Decimal>,
}

impl BudgetSpec {
    pub fn cost(scope_kind: &'static str, scope_id: Uuid, hard: Decimal) -> Self {
        BudgetSpec {
            scope_kind,
            scope_id,
            category_id: None,
            period: "monthly",
            cost_hard: Some(hard),
            tokens_hard: None,
            enforcement: "hard_stop",
            grace_minutes: 0,
            reserve_cost: Decimal::ZERO,
            two_approvers_above: None,
        }
    }
}

pub async fn add_budget(app: &TestApp, org_id: Uuid, spec: BudgetSpec) -> Uuid {
    let now: DateTime<Utc> = app.clock_now();
    let id = Uuid::now_v7();
    budget::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        name: Set(format!("{} budget", spec.scope_kind)),
        scope_kind: Set(spec.scope_kind.into()),
        scope_id: Set(spec.scope_id),
        category_id: Set(spec.category_id),
        period: Set(spec.period.into()),
        currency: Set("USD".into()),
        cost_soft: Set(None),
        cost_hard: Set(spec.cost_hard.map(|c| to_storage(c).unwrap())),
        tokens_soft: Set(None),
        tokens_hard: Set(spec.tokens_hard),
        operations_soft: Set(None),
        operations_hard: Set(None),
        enforcement: Set(spec.enforcement.into()),
        grace_minutes: Set(spec.grace_minutes),
        reserve_cost: Set(to_storage(spec.reserve_cost).unwrap()),
        reserve_tokens: Set(0),
        reserve_operations: Set(0),
        thresholds: Set("50,75,90,100".into()),
        state: Set("enabled".into()),
        two_approvers_above: Set(spec.two_approvers_above.map(|c| to_storage(c).unwrap())),
        escalate_after_minutes: Set(None),
        escalate_from: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        counting_since: Set(Some(now)),
    }
    .insert(&app.db)
    .await
    .unwrap();
    // As `services::budgets::create` does: the new budget's window takes in the usage already there.
    let created = budget::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    let org = organization::Entity::find_by_id(org_id).one(&app.db).await.unwrap().unwrap();
    begin_counting(&app.db, &created, org.timezone.parse().unwrap(), now).await.unwrap();
    id
}

/// Makes a budget count from `at`, as if created or enabled then (with no usage before it).
pub async fn counting_since(app: &TestApp, budget_id: Uuid, at: DateTime<Utc>) {
    let row = budget::ActiveModel { id: Set(budget_id), counting_since: Set(Some(at)), ..Default::default() };
    row.update(&app.db).await.unwrap();
}

/// A cost override of `cost` on a budget from `from` until `until`, written as an approval (or another
/// instance) would write it, behind the writers' backs.
pub async fn grant_override(app: &TestApp, budget_id: Uuid, cost: Decimal, from: DateTime<Utc>, until: DateTime<Utc>) {
    budget_override::ActiveModel {
        id: Set(Uuid::now_v7()),
        budget_id: Set(budget_id),
        cost: Set(to_storage(cost).unwrap()),
        tokens: Set(0),
        operations: Set(0),
        starts_at: Set(from),
        expires_at: Set(until),
        reason: Set("granted in a test".into()),
        approved_by: Set(None),
        created_at: Set(from),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// `organization` with a $10 budget on its project and a $100 one on its team: a check holds both.
pub async fn project_and_team_budgets(app: &TestApp) -> Fixture {
    let fx = organization(app, "UTC").await;
    add_budget(app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    add_budget(app, fx.org_id, BudgetSpec::cost("team", fx.team_id, Decimal::from(100))).await;
    fx
}

/// A check of `cost` dollars by "ada" on project "chatbot", its reservation held for a day.
pub fn day_long_check(cost: &str) -> serde_json::Value {
    serde_json::json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                        "estimated_cost": cost, "ttl_seconds": 86_400 })
}

/// Releases the reservation a check answer holds; the response's status.
pub async fn release(app: &TestApp, key: &str, answer: &serde_json::Value) -> u16 {
    let id = answer["reservation_id"].as_str().expect("the check holds a reservation");
    let url = format!("{}/api/v1/reservations/{id}", app.address);
    app.client.delete(&url).bearer_auth(key).send().await.expect("request is sent").status().as_u16()
}
