//! What-if: the last complete window's real operations of a budget's scope, replayed in order
//! against proposed limits, thresholds and enforcement — nothing is saved.

use super::{Context, Viewer};
use crate::backend::engine::prepare::budgets::to_domain;
use crate::backend::entities::{budget, usage_event};
use crate::backend::services::ServiceError;
use crate::reports::ColumnKind::*;
use crate::reports::{ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::Duration;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tollgate_domain::enforcement::BudgetRules;
use tollgate_domain::figures::{priced, whole};
use tollgate_domain::money::from_storage;
use tollgate_domain::replay::{replay, Moment, ReplayEvent};
use tollgate_domain::thresholds::parse_thresholds;
use tollgate_domain::time_face::instant_in;
use tollgate_domain::{EnforcementMode, Limit, LimitKind, Usage};
use uuid::Uuid;

/// The most operations replayed in one go.
const MAX_EVENTS: u64 = 200_000;

pub(super) async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    let mut budgets = viewer.budgets(db).await?;
    budgets.sort_by_key(|b| b.name.to_lowercase());
    let choices = budgets.iter().map(|b| (b.id.to_string(), b.name.clone())).collect::<Vec<_>>();
    // Without a choice, the first budget the viewer can see.
    let Some(id) = query.get("budget").map(str::to_owned).or_else(|| budgets.first().map(|b| b.id.to_string())) else {
        return Err(ServiceError::Invalid("there is no budget you can see to replay".into()));
    };
    query.0.insert("budget".into(), id.clone());
    let id: Uuid =
        id.parse().map_err(|_| ServiceError::Invalid(format!("'budget' must be a budget id, not '{id}'")))?;
    let model =
        budgets.into_iter().find(|b| b.id == id).ok_or_else(|| ServiceError::NotFound(format!("budget {id}")))?;
    let current = to_domain(model.clone())?;
    let rules = proposed(&mut query, &current.rules)?;
    let thresholds = match query.get("thresholds") {
        Some(text) => parse_thresholds(text).map_err(ServiceError::Invalid)?,
        None => parse_thresholds(&model.thresholds).unwrap_or_default(),
    };
    query.0.insert("thresholds".into(), thresholds.iter().map(u32::to_string).collect::<Vec<_>>().join(", "));
    let window = current.period.previous(current.period.window_at(ctx.now, ctx.tz), ctx.tz);
    let events = operations(db, &model, window).await?;
    let outcome = replay(&rules, &thresholds, &events);
    let actual = events.iter().fold(Usage::default(), |sum, e| sum + e.usage);

    let local = |t: chrono::DateTime<chrono::Utc>| instant_in(ctx.tz, t);
    let unit = |kind: LimitKind, amount: Decimal| match kind {
        LimitKind::Cost => priced(&model.currency, amount),
        other => format!("{} {other}", whole(amount)),
    };
    let rows = outcome
        .moments
        .iter()
        .map(|m| match m {
            Moment::Alert { at, kind, threshold } => {
                let hard = rules.limits.iter().find(|l| l.kind == *kind).map_or(Decimal::ZERO, |l| l.hard);
                TableRow::new(vec![
                    local(*at),
                    "alert".into(),
                    format!("{kind} reached {threshold}% of {}", unit(*kind, hard)),
                ])
            }
            Moment::FirstDenial { at, reason } => {
                let mut row = TableRow::new(vec![local(*at), "first denial".into(), reason.clone()]);
                row.tone = Some("over".into());
                row
            }
        })
        .collect();
    let last_day = (window.end - Duration::seconds(1)).with_timezone(&ctx.tz).date_naive();
    Ok(ReportView {
        kind: ReportKind::WhatIf,
        headline: vec![
            ("Window replayed".into(), format!("{} to {last_day}", window.start.with_timezone(&ctx.tz).date_naive())),
            ("Operations".into(), events.len().to_string()),
            ("Allowed / warned / denied".into(), format!("{} / {} / {}", outcome.allowed, outcome.warned, outcome.denied)),
            ("Spend admitted".into(), format!("{} of {} actual", unit(LimitKind::Cost, outcome.admitted.cost), unit(LimitKind::Cost, actual.cost))),
            ("Refused".into(), unit(LimitKind::Cost, outcome.refused.cost)),
        ],
        chart: None,
        table: Table::new([("When", Text), ("What", Text), ("Detail", Text)], rows),
        notes: vec![
            format!("Every operation recorded for the scope of \"{}\" in its last complete {} window, in time order, as if its actual usage had been its estimate; a denied operation is not counted, so later ones may fit.", model.name, model.period),
            "The same rules as the engine decide: soft levels warn, hard_stop denies beyond the hard level after any grace period, soft_warning only warns. Overrides and the emergency reserve are left out. Nothing is saved.".into(),
        ],
        choices: [
            ("budget".to_owned(), choices),
            ("enforcement".to_owned(), vec![("hard_stop".into(), "hard stop".into()), ("soft_warning".into(), "soft warning".into())]),
        ]
        .into(),
        inputs: [
            ("cost_soft", "Cost soft level"),
            ("cost_hard", "Cost hard level"),
            ("tokens_hard", "Token hard level"),
            ("operations_hard", "Operation hard level"),
            ("thresholds", "Alert thresholds (%)"),
            ("grace_minutes", "Grace minutes"),
        ]
        .map(|(name, label)| (name.to_owned(), label.to_owned()))
        .to_vec(),
        query,
    })
}

/// The proposed rules: each field given in the query, else the budget's current value (written
/// back into the query so the form shows what was replayed).
fn proposed(query: &mut ReportQuery, current: &BudgetRules) -> Result<BudgetRules, ServiceError> {
    let level = |query: &ReportQuery, key: &str| -> Result<Option<Decimal>, ServiceError> {
        query
            .get(key)
            .map(|v| {
                v.parse::<Decimal>().map_err(|_| ServiceError::Invalid(format!("'{key}' must be a number, not '{v}'")))
            })
            .transpose()
    };
    let mut limits = Vec::new();
    for kind in [LimitKind::Cost, LimitKind::Tokens, LimitKind::Operations] {
        let now = current.limits.iter().find(|l| l.kind == kind);
        let (hard_key, soft_key) = (format!("{}_hard", kind.as_str()), format!("{}_soft", kind.as_str()));
        let hard = level(query, &hard_key)?.or(now.map(|l| l.hard));
        // The current soft level is kept only while it stays below a proposed hard level.
        let soft = level(query, &soft_key)?.or(now.and_then(|l| l.soft).filter(|s| hard.is_some_and(|h| *s < h)));
        if let Some(hard) = hard {
            limits.push(Limit::new(kind, soft, hard).map_err(|e| ServiceError::Invalid(e.to_string()))?);
            query.0.insert(hard_key, hard.to_string());
            if let Some(soft) = soft {
                query.0.insert(soft_key, soft.to_string());
            }
        }
    }
    if limits.is_empty() {
        return Err(ServiceError::Invalid(
            "give at least one hard level (cost_hard, tokens_hard or operations_hard)".into(),
        ));
    }
    let mode = match query.get("enforcement") {
        Some(text) => text.parse::<EnforcementMode>().map_err(ServiceError::Invalid)?,
        None => current.mode,
    };
    let grace = match query.get("grace_minutes") {
        Some(text) => text.parse::<i64>().ok().filter(|m| (0..=10_080).contains(m)).ok_or_else(|| {
            ServiceError::Invalid(format!("'grace_minutes' must be a whole number from 0 to 10080, not '{text}'"))
        })?,
        None => current.grace.num_minutes(),
    };
    query.0.insert("enforcement".into(), mode.as_str().into());
    query.0.insert("grace_minutes".into(), grace.to_string());
    Ok(BudgetRules { limits, mode, grace: Duration::minutes(grace), ..current.clone() })
}

/// The scope's operations in the window, oldest first.
async fn operations(
    db: &DatabaseConnection,
    model: &budget::Model,
    window: tollgate_domain::Window,
) -> Result<Vec<ReplayEvent>, ServiceError> {
    let mut select = usage_event::Entity::find()
        .filter(usage_event::Column::OrgId.eq(model.org_id))
        .filter(usage_event::Column::OccurredAt.gte(window.start))
        .filter(usage_event::Column::OccurredAt.lt(window.end));
    select = match model.scope_kind.as_str() {
        "team" => select.filter(usage_event::Column::TeamId.eq(model.scope_id)),
        "project" => select.filter(usage_event::Column::ProjectId.eq(model.scope_id)),
        "user" => select.filter(usage_event::Column::UserId.eq(model.scope_id)),
        _ => select,
    };
    if let Some(category) = model.category_id {
        select = select.filter(usage_event::Column::CategoryId.eq(category));
    }
    let rows = select
        .order_by_asc(usage_event::Column::OccurredAt)
        .order_by_asc(usage_event::Column::Id)
        .limit(MAX_EVENTS)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|e| ReplayEvent {
            at: e.occurred_at,
            usage: Usage::new(from_storage(e.cost), e.input_tokens + e.output_tokens, e.operations),
        })
        .collect())
}
