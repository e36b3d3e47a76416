//! Budget vs actual: limit, overrides, actual and variance per budget and window; closed windows
//! from their snapshot, with late events shown as adjustments; drill-down org → team → project → user.

use super::{options, Context, Viewer};
use crate::backend::entities::{budget, budget_counter, budget_override, project, project_member, window_close};
use crate::backend::queries::budget::charted_limit;
use crate::backend::services::ServiceError;
use crate::reports::{ColumnKind::*, ReportChart, ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};
use tollgate_domain::figures::{exact, percent};
use tollgate_domain::money::from_storage;
use tollgate_domain::period::Window;
use tollgate_domain::reports::Variance;
use tollgate_domain::{LimitKind, Period};
use uuid::Uuid;

const LEVELS: [(&str, &str); 4] =
    [("organization", "Organization"), ("team", "Team"), ("project", "Project"), ("user", "Person")];

/// Spent of one limit kind from a counter's or snapshot's three columns.
fn pick(kind: LimitKind, cost: i64, tokens: i64, operations: i64) -> Decimal {
    match kind {
        LimitKind::Cost => from_storage(cost),
        LimitKind::Tokens => Decimal::from(tokens),
        LimitKind::Operations => Decimal::from(operations),
    }
}

pub(super) async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    let windows_shown = query.number("windows", 1..=12).map_err(ServiceError::Invalid)?.unwrap_or(3);
    query.0.insert("windows".into(), windows_shown.to_string());
    let level = query.get("level").map(str::to_owned);
    if let Some(level) = &level {
        if !LEVELS.iter().any(|(l, _)| l == level) {
            return Err(ServiceError::Invalid(format!(
                "'level' must be organization, team, project or user, not '{level}'"
            )));
        }
    }
    let within = query
        .get("within")
        .map(|v| {
            v.parse::<Uuid>()
                .map_err(|_| ServiceError::Invalid(format!("'within' must be a team or project id, not '{v}'")))
        })
        .transpose()?;
    let inside = scopes_within(db, within).await?;
    let budgets: Vec<budget::Model> = viewer
        .budgets(db)
        .await?
        .into_iter()
        .filter(|b| level.as_deref().is_none_or(|l| b.scope_kind == l))
        .filter(|b| inside.as_ref().is_none_or(|scopes| scopes.contains(&b.scope_id)))
        .collect();
    let ids: Vec<Uuid> = budgets.iter().map(|b| b.id).collect();
    let counters: HashMap<(Uuid, DateTime<Utc>), budget_counter::Model> = budget_counter::Entity::find()
        .filter(budget_counter::Column::BudgetId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| ((c.budget_id, c.window_start), c))
        .collect();
    let closes: HashMap<(Uuid, DateTime<Utc>), window_close::Model> = window_close::Entity::find()
        .filter(window_close::Column::BudgetId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| ((c.budget_id, c.window_start), c))
        .collect();
    let overrides =
        budget_override::Entity::find().filter(budget_override::Column::BudgetId.is_in(ids)).all(db).await?;

    let mut rows = Vec::new();
    // Only organizations with shared projects pay for attribution.
    let mut attributions: Option<Attributions> =
        (!crate::backend::services::shared_costs::splits(db, ctx.org.id).await?.is_empty()).then(HashMap::new);
    let (mut over, mut latest) = (0, Vec::new());
    for model in &budgets {
        let (kind, _, hard_now) = charted_limit(model);
        let period: Period = model.period.parse().unwrap_or(Period::Monthly);
        let mut window = period.window_at(ctx.now, ctx.tz);
        for age in 0..windows_shown {
            if window.end <= model.created_at {
                break;
            }
            let counter = counters.get(&(model.id, window.start));
            let spent_now =
                counter.map_or(Decimal::ZERO, |c| pick(kind, c.cost_spent, c.tokens_spent, c.operations_spent));
            let close = closes.get(&(model.id, window.start));
            let (limit, actual, extra) = match close {
                Some(c) => {
                    let hard = pick(
                        kind,
                        c.cost_hard.unwrap_or(0),
                        c.tokens_hard.unwrap_or(0),
                        c.operations_hard.unwrap_or(0),
                    );
                    let extra = if kind == LimitKind::Cost { from_storage(c.override_cost) } else { Decimal::ZERO };
                    let has_limit = match kind {
                        LimitKind::Cost => c.cost_hard.is_some(),
                        LimitKind::Tokens => c.tokens_hard.is_some(),
                        LimitKind::Operations => c.operations_hard.is_some(),
                    };
                    (has_limit.then_some(hard), pick(kind, c.cost_spent, c.tokens_spent, c.operations_spent), extra)
                }
                None => (hard_now, spent_now, override_amount(&overrides, model.id, window, kind)),
            };
            let adjustment = if close.is_some() { spent_now - actual } else { Decimal::ZERO };
            let shared = shared_cost(db, ctx, model, kind, window, &mut attributions).await?;
            let variance = limit.map(|l| Variance::of(l + extra, actual + adjustment));
            if age == 0 && kind == LimitKind::Cost {
                latest.push((model.name.clone(), limit.map(|l| l + extra), spent_now));
            }
            over += usize::from(variance.is_some_and(|v| v.is_over()));
            let unit = match kind {
                LimitKind::Cost => model.currency.clone(),
                LimitKind::Tokens => "tokens".into(),
                LimitKind::Operations => "operations".into(),
            };
            let local = |t: DateTime<Utc>| t.with_timezone(&ctx.tz).date_naive();
            let figure = |d: Decimal| if kind == LimitKind::Cost { exact(d) } else { d.round().to_string() };
            let state = if close.is_some() {
                "closed"
            } else if age == 0 {
                "current"
            } else {
                "not closed yet"
            };
            // The deciding columns first: which window, its limit, what was spent, by how much over.
            let mut row = TableRow::new(vec![
                model.name.clone(),
                format!("{} – {}", local(window.start), local(window.end - chrono::Duration::seconds(1))),
                limit.map(figure).unwrap_or_default(),
                figure(actual),
                variance.map(|v| figure(v.amount)).unwrap_or_default(),
                variance.and_then(|v| v.percent).map(percent).unwrap_or_default(),
                figure(extra),
                figure(adjustment),
                shared.map(figure).unwrap_or_default(),
                state.into(),
                model.scope_kind.clone(),
                unit,
            ]);
            row.tone = variance.map(|v| if v.is_over() { "over".into() } else { "under".into() });
            row.link = Some(drill_down(&query, model).unwrap_or_else(|| format!("/budgets/{}", model.id)));
            rows.push(row);
            window = period.previous(window, ctx.tz);
        }
    }
    rows.sort_by(|a, b| {
        a.cells[0].to_lowercase().cmp(&b.cells[0].to_lowercase()).then_with(|| b.cells[1].cmp(&a.cells[1]))
    });
    Ok(ReportView {
        kind: ReportKind::BudgetVsActual,
        headline: vec![
            ("Budgets".into(), budgets.len().to_string()),
            ("Windows over their limit".into(), over.to_string()),
        ],
        chart: (!latest.is_empty()).then(|| ReportChart {
            title: "Current window: spend against each budget's limit".into(),
            option: crate::charts::ranked_bars(&latest, &ctx.org.currency),
        }),
        table: Table::new(
            [
                ("Budget", Text),
                ("Window", Text),
                ("Limit", Amount),
                ("Actual", Amount),
                ("Variance", Amount),
                ("Variance (%)", Percent),
                ("Overrides", Amount),
                ("Late adjustments", Amount),
                ("Shared cost attributed", Amount),
                ("State", Text),
                ("Scope", Text),
                ("Unit", Text),
            ],
            rows,
        )
        .with_verdict([4, 5]),
        notes: vec![
            "Each budget is reported on its cost limit, else its token limit, else its operation limit.".into(),
            "Closed windows show the figures snapshotted at close (limit, overrides, actual); usage recorded for a window after it closed is shown as a late adjustment and counted in the variance.".into(),
            "Shared cost attributed: for cost budgets of a team or project (all categories), the spend of shared projects attributed to it (+) or away from it (−) over the window; attribution only, the variance and enforcement stay on what was recorded.".into(),
            "Variance = actual + late adjustments − (limit + overrides); positive means over. The budget name links one level down (team → its projects → their people), or to the budget.".into(),
        ],
        choices: [("level".to_owned(), options(&LEVELS))].into(),
        inputs: Vec::new(),
        query,
    })
}

/// Attributions already computed in this report, by scope level and day range (budgets of the
/// same period share their windows).
type Attributions = HashMap<(String, NaiveDate, NaiveDate), HashMap<Uuid, i64>>;

/// For cost budgets of a team or project: the shared-project spend attributed to (+) or away from
/// (−) its scope over the window's days. Shown beside the variance, which stays on what was recorded.
async fn shared_cost(
    db: &DatabaseConnection,
    ctx: &Context,
    model: &budget::Model,
    kind: LimitKind,
    window: Window,
    seen: &mut Option<Attributions>,
) -> Result<Option<Decimal>, ServiceError> {
    let Some(seen) = seen else { return Ok(None) };
    if kind != LimitKind::Cost
        || !matches!(model.scope_kind.as_str(), "team" | "project")
        || model.category_id.is_some()
    {
        return Ok(None);
    }
    let local = |t: DateTime<Utc>| t.with_timezone(&ctx.tz).date_naive();
    let key = (model.scope_kind.clone(), local(window.start), local(window.end) - chrono::Duration::days(1));
    if !seen.contains_key(&key) {
        let moved = super::shared::attributed(db, ctx.org.id, &key.0, key.1, key.2).await?;
        seen.insert(key.clone(), moved);
    }
    Ok(seen[&key].get(&model.scope_id).map(|units| Decimal::new(*units, 9).normalize()))
}

/// Overrides active at any time in the window, in the charted unit.
fn override_amount(overrides: &[budget_override::Model], budget_id: Uuid, window: Window, kind: LimitKind) -> Decimal {
    overrides
        .iter()
        .filter(|o| o.budget_id == budget_id && o.starts_at < window.end && o.expires_at > window.start)
        .map(|o| pick(kind, o.cost, o.tokens, o.operations))
        .sum()
}

/// The link one level down from a budget's scope, keeping the other parameters.
fn drill_down(query: &ReportQuery, model: &budget::Model) -> Option<String> {
    let (level, within) = match model.scope_kind.as_str() {
        "organization" => ("team", None),
        "team" => ("project", Some(model.scope_id)),
        "project" => ("user", Some(model.scope_id)),
        _ => return None,
    };
    let mut next = query.with("level", level);
    match within {
        Some(id) => next.0.insert("within".into(), id.to_string()),
        None => next.0.remove("within"),
    };
    Some(format!("/reports/budget-vs-actual?{}", next.to_query_string()))
}

/// The scopes inside a team (the team, its projects) or a project (the project, its people).
async fn scopes_within(db: &DatabaseConnection, within: Option<Uuid>) -> Result<Option<HashSet<Uuid>>, ServiceError> {
    let Some(id) = within else { return Ok(None) };
    let mut scopes = HashSet::from([id]);
    let projects = project::Entity::find().filter(project::Column::TeamId.eq(id)).all(db).await?;
    scopes.extend(projects.iter().map(|p| p.id));
    let members = project_member::Entity::find().filter(project_member::Column::ProjectId.eq(id)).all(db).await?;
    scopes.extend(members.iter().map(|m| m.user_id));
    Ok(Some(scopes))
}
