//! Runs a report for a viewer: the same figures for the report pages, their CSV and the API.

mod allocation;
mod audit;
mod budget_vs_actual;
mod components;
mod forecasts;
mod roi;
mod shared;
mod suggestions;
mod trends;
mod what_if;

use crate::auth::{Account, Role};
use crate::backend::entities::{budget, organization};
use crate::backend::services::access::may_see;
use crate::backend::services::ServiceError;
use crate::reports::{ReportKind, ReportQuery, ReportView};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The longest date range a report covers in one go.
const MAX_RANGE_DAYS: i64 = 400;

/// Who a report is for: a signed-in person (who sees what their roles allow) or an admin API key
/// (which sees the whole organization).
#[derive(Debug, Clone)]
pub enum Viewer {
    Person(Account),
    AdminKey { org_id: Uuid },
}

impl Viewer {
    pub fn org_id(&self) -> Uuid {
        match self {
            Viewer::Person(account) => account.org_id,
            Viewer::AdminKey { org_id } => *org_id,
        }
    }

    fn is_admin(&self) -> bool {
        match self {
            Viewer::Person(account) => account.has(Role::Admin),
            Viewer::AdminKey { .. } => true,
        }
    }

    /// Whether the viewer may manage budgets of the teams given (a project's team, say).
    fn may_manage(&self, owning_teams: &[Uuid]) -> bool {
        match self {
            Viewer::Person(account) => account.actor().may_manage_budget(owning_teams),
            Viewer::AdminKey { .. } => true,
        }
    }

    /// The budgets of the organization this viewer may see (archived ones excluded).
    async fn budgets(&self, db: &DatabaseConnection) -> Result<Vec<budget::Model>, ServiceError> {
        let all = budget::Entity::find()
            .filter(budget::Column::OrgId.eq(self.org_id()))
            .filter(budget::Column::State.ne("archived"))
            .all(db)
            .await?;
        let Viewer::Person(account) = self else { return Ok(all) };
        let mut seen = Vec::with_capacity(all.len());
        for model in all {
            if may_see(db, account, &model).await? {
                seen.push(model);
            }
        }
        Ok(seen)
    }
}

/// What every report needs to know about the organization.
struct Context {
    org: organization::Model,
    tz: Tz,
    now: DateTime<Utc>,
    today: NaiveDate,
}

pub async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    kind: ReportKind,
    query: ReportQuery,
    now: DateTime<Utc>,
) -> Result<ReportView, ServiceError> {
    let org = organization::Entity::find_by_id(viewer.org_id())
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("the organization".into()))?;
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let ctx = Context { today: now.with_timezone(&tz).date_naive(), org, tz, now };
    match kind {
        ReportKind::BudgetVsActual => budget_vs_actual::run(db, viewer, &ctx, query).await,
        ReportKind::Allocation => allocation::run(db, viewer, &ctx, query).await,
        ReportKind::Trends => trends::run(db, &ctx, query).await,
        ReportKind::Components => components::run(db, &ctx, query).await,
        ReportKind::Forecasts => forecasts::run(db, viewer, &ctx, query).await,
        ReportKind::Suggestions => suggestions::run(db, viewer, &ctx, query).await,
        ReportKind::WhatIf => what_if::run(db, viewer, &ctx, query).await,
        ReportKind::Roi => roi::run(db, viewer, &ctx, query).await,
        ReportKind::Audit => audit::run(db, viewer, &ctx, query).await,
    }
}

/// The inclusive day range of a query (`from`, `to`), by default the 30 days up to today; the
/// query gets the resolved dates so links and CSV exports repeat exactly this range.
fn day_range(query: &mut ReportQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let to = query.date("to").map_err(ServiceError::Invalid)?.unwrap_or(today);
    let from = query.date("from").map_err(ServiceError::Invalid)?.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(ServiceError::Invalid(format!("'from' ({from}) must not be after 'to' ({to})")));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(ServiceError::Invalid(format!(
            "a report covers at most {MAX_RANGE_DAYS} days; narrow 'from' and 'to'"
        )));
    }
    query.0.insert("from".into(), from.to_string());
    query.0.insert("to".into(), to.to_string());
    Ok((from, to))
}

/// Options of a filter select from (value, label) pairs.
fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
}
