//! The audit log (admins): every budget event — changes, sign-ins, crossings, denials, closes, late
//! adjustments — filtered by budget, scope level, type, actor and date, newest first.

use super::{day_range, options, Context, Viewer};
use crate::backend::entities::{budget, budget_event};
use crate::backend::services::ServiceError;
use crate::reports::ColumnKind::*;
use crate::reports::{ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::{Duration, NaiveTime};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

/// The most rows one query returns; narrow the filters (or the dates) for older events.
pub const MAX_ROWS: u64 = 1000;

pub(super) async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    if !viewer.is_admin() {
        return Err(ServiceError::forbidden("the audit log needs the admin role"));
    }
    let (from, to) = day_range(&mut query, ctx.today)?;
    let local_midnight =
        |day: chrono::NaiveDate| day.and_time(NaiveTime::MIN).and_local_timezone(ctx.tz).earliest().map(|t| t.to_utc());
    let (Some(start), Some(end)) = (local_midnight(from), local_midnight(to + Duration::days(1))) else {
        return Err(ServiceError::Invalid("those dates do not exist in the organization's time zone".into()));
    };
    let budgets: HashMap<Uuid, budget::Model> = budget::Entity::find()
        .filter(budget::Column::OrgId.eq(ctx.org.id))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let mut select = budget_event::Entity::find()
        .filter(budget_event::Column::OrgId.eq(ctx.org.id))
        .filter(budget_event::Column::CreatedAt.gte(start))
        .filter(budget_event::Column::CreatedAt.lt(end));
    if let Some(kind) = query.get("type") {
        select = select.filter(budget_event::Column::Kind.eq(kind));
    }
    if let Some(actor) = query.get("actor") {
        select = select.filter(budget_event::Column::Actor.contains(actor));
    }
    if let Some(id) = query.get("budget") {
        let id: Uuid =
            id.parse().map_err(|_| ServiceError::Invalid(format!("'budget' must be a budget id, not '{id}'")))?;
        select = select.filter(budget_event::Column::BudgetId.eq(id));
    }
    if let Some(level) = query.get("level") {
        let ids: Vec<Uuid> = budgets.values().filter(|b| b.scope_kind == level).map(|b| b.id).collect();
        select = select.filter(budget_event::Column::BudgetId.is_in(ids));
    }
    let events = select
        .order_by_desc(budget_event::Column::CreatedAt)
        .order_by_desc(budget_event::Column::Id)
        .limit(MAX_ROWS)
        .all(db)
        .await?;
    let kinds: Vec<String> = budget_event::Entity::find()
        .select_only()
        .column(budget_event::Column::Kind)
        .distinct()
        .filter(budget_event::Column::OrgId.eq(ctx.org.id))
        .order_by_asc(budget_event::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let rows: Vec<TableRow> = events
        .iter()
        .map(|e| {
            let budget = e.budget_id.and_then(|id| budgets.get(&id));
            let mut row = TableRow::new(vec![
                e.created_at.with_timezone(&ctx.tz).format("%Y-%m-%d %H:%M:%S").to_string(),
                e.kind.clone(),
                budget.map(|b| b.name.clone()).unwrap_or_default(),
                budget.map(|b| b.scope_kind.clone()).unwrap_or_default(),
                e.actor.clone().unwrap_or_else(|| "Tollgate".into()),
                e.detail.clone(),
            ]);
            row.link = budget.map(|b| format!("/budgets/{}", b.id));
            row
        })
        .collect();
    let mut budget_choices: Vec<(String, String)> =
        budgets.values().map(|b| (b.id.to_string(), b.name.clone())).collect();
    budget_choices.sort_by_key(|(_, name)| name.to_lowercase());
    let levels = [("organization", "Organization"), ("team", "Team"), ("project", "Project"), ("user", "Person")];
    Ok(ReportView {
        kind: ReportKind::Audit,
        headline: vec![("Events".into(), if rows.len() as u64 == MAX_ROWS { format!("{MAX_ROWS}+") } else { rows.len().to_string() })],
        chart: None,
        table: Table::new(
            [("When", Text), ("Event", Text), ("Budget", Text), ("Scope", Text), ("Actor", Text), ("Details", Text)],
            rows,
        ),
        notes: vec![
            format!("Times in {}. Newest first, at most {MAX_ROWS} events per view: narrow the dates or filters for more.", ctx.tz.name()),
            "The actor is the person (email) or API key that made a change; \"Tollgate\" marks what the engine and its jobs recorded.".into(),
        ],
        choices: [
            ("type".to_owned(), kinds.iter().map(|k| (k.clone(), k.replace('_', " "))).collect()),
            ("budget".to_owned(), budget_choices),
            ("level".to_owned(), options(&levels)),
        ]
        .into(),
        inputs: vec![("actor".into(), "Actor (email or api-key:…)".into())],
        query,
    })
}
