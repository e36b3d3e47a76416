//! Shared-cost attribution for the allocation report: how much of the range's cost each project
//! (or team) gives away or receives under the organization's shared projects.

use crate::backend::entities::{daily_project_usage, project};
use crate::backend::queries::sum_i64;
use crate::backend::services::shared_costs::splits;
use crate::backend::services::ServiceError;
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use tollgate_domain::money::from_storage;
use tollgate_domain::reports::attribute_shared;
use uuid::Uuid;

/// Cost units (billionths) per currency unit, for turning attributed decimals back into storage.
const UNITS: i64 = 1_000_000_000;

/// The change of cost (in storage units) per project id, or per team id when `by` is "team".
pub(super) async fn attributed(
    db: &DatabaseConnection,
    org_id: Uuid,
    by: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<Uuid, i64>, ServiceError> {
    let splits = splits(db, org_id).await?;
    if splits.is_empty() {
        return Ok(HashMap::new());
    }
    let per_project: Vec<(Uuid, i64)> = daily_project_usage::Entity::find()
        .select_only()
        .column(daily_project_usage::Column::ProjectId)
        .column_as(sum_i64(daily_project_usage::Column::Cost), "cost")
        .filter(daily_project_usage::Column::OrgId.eq(org_id))
        .filter(daily_project_usage::Column::Day.gte(from))
        .filter(daily_project_usage::Column::Day.lte(to))
        .group_by(daily_project_usage::Column::ProjectId)
        .into_tuple()
        .all(db)
        .await?;
    let costs: HashMap<Uuid, Decimal> = per_project.into_iter().map(|(id, c)| (id, from_storage(c))).collect();
    let change = attribute_shared(&costs, &splits);
    let to_units = |d: Decimal| (d * Decimal::from(UNITS)).round().to_i64().unwrap_or(0);
    if by != "team" {
        return Ok(change.into_iter().map(|(id, d)| (id, to_units(d))).collect());
    }
    let teams: HashMap<Uuid, Uuid> = project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.team_id))
        .collect();
    let mut by_team: HashMap<Uuid, i64> = HashMap::new();
    for (project, d) in change {
        if let Some(team) = teams.get(&project) {
            *by_team.entry(*team).or_default() += to_units(d);
        }
    }
    Ok(by_team)
}
