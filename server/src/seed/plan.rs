//! The demo organization's shape: teams, projects, people, memberships, and budgets sized to its usage.

use super::usage::DemoEvent;
use app::backend::entities::{budget, category, organization, project, project_member, team, team_member, user};
use chrono::{DateTime, Duration, Utc};
use rand::distr::{Alphanumeric, SampleString};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use tollgate_domain::money::to_storage;
use tollgate_domain::thresholds::DEFAULT_THRESHOLDS;
use uuid::Uuid;

pub struct DemoProject {
    pub id: Uuid,
    pub team_id: Uuid,
    pub name: &'static str,
    pub category_id: Uuid,
    /// (provider, model, relative weight)
    pub models: &'static [(&'static str, &'static str, u32)],
    pub events_per_day: u32,
    /// Budget hard level as a multiple of the last 30 days' spend: < 1 runs over, > 1 stays within.
    pub budget_factor: Decimal,
}

pub struct DemoUser {
    pub id: Uuid,
    pub team_id: Uuid,
}

pub struct People {
    pub teams: Vec<(Uuid, &'static str)>,
    pub projects: Vec<DemoProject>,
    pub users: Vec<DemoUser>,
    pub categories: HashMap<String, Uuid>,
}

const GATEWAY_MODELS: &[(&str, &str, u32)] =
    &[("openai", "gpt-4o", 3), ("openai", "gpt-4o-mini", 6), ("anthropic", "claude-sonnet-4-5", 2)];
const REVIEW_MODELS: &[(&str, &str, u32)] =
    &[("anthropic", "claude-sonnet-4-5", 4), ("anthropic", "claude-haiku-4-5", 3)];
const EVAL_MODELS: &[(&str, &str, u32)] =
    &[("openai", "gpt-4o", 2), ("gemini", "gemini-2.5-pro", 2), ("mistral", "mistral-small", 3)];
const TUNING_MODELS: &[(&str, &str, u32)] = &[("openai", "gpt-4o-mini", 5), ("gemini", "gemini-2.0-flash", 3)];
const SUPPORT_MODELS: &[(&str, &str, u32)] = &[("anthropic", "claude-haiku-4-5", 5), ("openai", "gpt-4o", 1)];
const SEARCH_MODELS: &[(&str, &str, u32)] =
    &[("openai", "text-embedding-3-small", 6), ("gemini", "gemini-2.0-flash", 2)];

/// (team, [(slug, name, category, models, events per day, budget factor in percent)], people)
type TeamPlan = (
    &'static str,
    [(&'static str, &'static str, &'static str, &'static [(&'static str, &'static str, u32)], u32, i64); 2],
    [&'static str; 3],
);

const TEAMS: [TeamPlan; 3] = [
    (
        "Platform",
        [
            ("gateway", "LLM Gateway", "llm", GATEWAY_MODELS, 40, 180),
            ("ci-review", "CI code review", "code_quality", REVIEW_MODELS, 30, 105),
        ],
        ["lena", "omar", "yuki"],
    ),
    (
        "Research",
        [
            ("evals", "Eval harness", "ml", EVAL_MODELS, 25, 90),
            ("fine-tuning", "Fine-tuning data", "ml", TUNING_MODELS, 20, 150),
        ],
        ["priya", "mateo", "ines"],
    ),
    (
        "Product",
        [
            ("support-bot", "Support assistant", "llm", SUPPORT_MODELS, 45, 120),
            ("search", "Semantic search", "llm", SEARCH_MODELS, 35, 250),
        ],
        ["sam", "noor", "felix"],
    ),
];

pub fn demo_password() -> String {
    format!("demo-{}", Alphanumeric.sample_string(&mut rand::rng(), 16))
}

pub async fn insert_people_and_structure(
    txn: &impl sea_orm::ConnectionTrait,
    org: &organization::Model,
    at: DateTime<Utc>,
) -> Result<People, DbErr> {
    let categories: HashMap<String, Uuid> = category::Entity::find()
        .filter(category::Column::OrgId.eq(org.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    let mut people = People { teams: Vec::new(), projects: Vec::new(), users: Vec::new(), categories };
    for (team_name, projects, handles) in TEAMS {
        let team_id = Uuid::now_v7();
        team::ActiveModel {
            id: Set(team_id),
            org_id: Set(org.id),
            name: Set(team_name.into()),
            archived_at: Set(None),
            created_at: Set(at),
        }
        .insert(txn)
        .await?;
        people.teams.push((team_id, team_name));
        let mut member_ids = Vec::new();
        for (i, handle) in handles.iter().enumerate() {
            let id = Uuid::now_v7();
            let email = format!("{handle}@acme.example");
            user::ActiveModel {
                id: Set(id),
                org_id: Set(org.id),
                handle: Set(email.clone()),
                display_name: Set(capitalize(handle)),
                email: Set(Some(email)),
                password_hash: Set(None),
                active: Set(true),
                created_at: Set(at),
                alert_digest: Set("immediate".into()),
            }
            .insert(txn)
            .await?;
            team_member::ActiveModel { team_id: Set(team_id), user_id: Set(id), is_lead: Set(i == 0) }
                .insert(txn)
                .await?;
            member_ids.push(id);
            people.users.push(DemoUser { id, team_id });
        }
        for (slug, name, category, models, events_per_day, factor_pct) in projects {
            let id = Uuid::now_v7();
            project::ActiveModel {
                id: Set(id),
                org_id: Set(org.id),
                team_id: Set(team_id),
                slug: Set(slug.into()),
                name: Set(name.into()),
                archived_at: Set(None),
                created_at: Set(at),
            }
            .insert(txn)
            .await?;
            for user_id in &member_ids {
                project_member::ActiveModel { project_id: Set(id), user_id: Set(*user_id) }.insert(txn).await?;
            }
            people.projects.push(DemoProject {
                id,
                team_id,
                name,
                category_id: people.categories[category],
                models,
                events_per_day,
                budget_factor: Decimal::new(factor_pct, 2),
            });
        }
    }
    Ok(people)
}

/// Monthly budgets for the organization, each team and project, a code-quality category budget
/// and a daily budget for one heavy user, sized from the last 30 days of demo usage.
struct BudgetSpec {
    name: String,
    scope_kind: &'static str,
    scope_id: Uuid,
    category_id: Option<Uuid>,
    period: &'static str,
    hard: Decimal,
    tokens_hard: Option<i64>,
}

impl BudgetSpec {
    fn monthly(name: String, scope_kind: &'static str, scope_id: Uuid, hard: Decimal) -> Self {
        BudgetSpec { name, scope_kind, scope_id, category_id: None, period: "monthly", hard, tokens_hard: None }
    }
}

pub async fn insert_budgets(
    txn: &impl sea_orm::ConnectionTrait,
    org: &organization::Model,
    people: &People,
    events: &[DemoEvent],
    now: DateTime<Utc>,
    at: DateTime<Utc>,
) -> anyhow::Result<Vec<budget::Model>> {
    let since = now - Duration::days(30);
    let recent = |keep: &dyn Fn(&DemoEvent) -> bool| -> (Decimal, i64) {
        events
            .iter()
            .filter(|e| e.occurred_at >= since && keep(e))
            .fold((Decimal::ZERO, 0), |(c, t), e| (c + e.cost, t + e.input_tokens + e.output_tokens))
    };
    let mut specs: Vec<BudgetSpec> = Vec::new();
    let mut team_totals: HashMap<Uuid, Decimal> = HashMap::new();
    for p in &people.projects {
        let (cost, tokens) = recent(&|e| e.project_id == p.id);
        let hard = round_up(cost * p.budget_factor, 10);
        *team_totals.entry(p.team_id).or_default() += hard;
        let tokens_hard = (Decimal::from(tokens) * p.budget_factor).round().try_into().ok();
        specs.push(BudgetSpec {
            tokens_hard,
            ..BudgetSpec::monthly(format!("{} monthly", p.name), "project", p.id, hard)
        });
    }
    for (team_id, name) in &people.teams {
        let hard = round_up(team_totals[team_id] * Decimal::new(110, 2), 10);
        specs.push(BudgetSpec::monthly(format!("{name} team monthly"), "team", *team_id, hard));
    }
    let org_total: Decimal = team_totals.values().copied().sum();
    let org_hard = round_up(org_total * Decimal::new(105, 2), 50);
    specs.push(BudgetSpec::monthly("Organization monthly".into(), "organization", org.id, org_hard));
    let code_quality = people.categories["code_quality"];
    let (cq_cost, _) = recent(&|e| e.category_id == code_quality);
    let cq_hard = round_up(cq_cost * Decimal::new(85, 2), 10);
    specs.push(BudgetSpec {
        category_id: Some(code_quality),
        ..BudgetSpec::monthly("Code quality (all teams)".into(), "organization", org.id, cq_hard)
    });
    let heavy = &people.users[0];
    let (heavy_cost, _) = recent(&|e| e.user_id == heavy.id);
    specs.push(BudgetSpec {
        period: "daily",
        ..BudgetSpec::monthly(
            "Lena daily".into(),
            "user",
            heavy.id,
            round_up(heavy_cost / Decimal::from(30) * Decimal::new(150, 2), 1),
        )
    });

    let mut created = Vec::new();
    for BudgetSpec { name, scope_kind, scope_id, category_id, period, hard, tokens_hard } in specs {
        let hard = hard.max(Decimal::ONE);
        let model = budget::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org.id),
            name: Set(name),
            scope_kind: Set(scope_kind.into()),
            scope_id: Set(scope_id),
            category_id: Set(category_id),
            period: Set(period.into()),
            currency: Set(org.currency.clone()),
            cost_soft: Set(Some(to_storage((hard * Decimal::new(80, 2)).round_dp(2))?)),
            cost_hard: Set(Some(to_storage(hard)?)),
            tokens_soft: Set(None),
            tokens_hard: Set(tokens_hard),
            operations_soft: Set(None),
            operations_hard: Set(None),
            enforcement: Set(if scope_kind == "project" { "hard_stop" } else { "soft_warning" }.into()),
            grace_minutes: Set(if scope_kind == "project" { 15 } else { 0 }),
            reserve_cost: Set(if scope_kind == "project" {
                to_storage((hard / Decimal::from(20)).round_dp(2))?
            } else {
                0
            }),
            reserve_tokens: Set(0),
            reserve_operations: Set(0),
            thresholds: Set(DEFAULT_THRESHOLDS.map(|t| t.to_string()).join(",")),
            two_approvers_above: Set(None),
            escalate_after_minutes: Set((scope_kind == "project").then_some(60)),
            escalate_from: Set((scope_kind == "project").then_some(90)),
            state: Set("enabled".into()),
            created_at: Set(at),
            updated_at: Set(at),
            counting_since: Set(Some(at)),
        };
        created.push(model.insert(txn).await?);
    }
    Ok(created)
}

fn round_up(amount: Decimal, step: i64) -> Decimal {
    let step = Decimal::from(step);
    ((amount / step).ceil() * step).max(step)
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
