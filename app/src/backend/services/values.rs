//! The value projects report producing per month (entered by a lead or sent over the API), for
//! return-on-investment reports; recording a month again replaces its figure, audited.

use crate::backend::entities::{project, project_value};
use crate::backend::services::ServiceError;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tollgate_domain::money::to_storage;
use uuid::Uuid;

/// A value as a person or service gives it.
pub struct NewValue<'a> {
    /// The project's id or slug.
    pub project: &'a str,
    /// "2026-10"
    pub month: &'a str,
    pub amount: &'a str,
    pub note: &'a str,
}

/// The first day of a month given as "YYYY-MM".
pub fn parse_month(text: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
        .map_err(|_| ServiceError::Invalid(format!("the month must look like 2026-10, not '{text}'")))
}

/// Finds the project (by id or slug) in the organization.
pub async fn find_project(db: &impl ConnectionTrait, org_id: Uuid, key: &str) -> Result<project::Model, ServiceError> {
    let by_key = match key.parse::<Uuid>() {
        Ok(id) => project::Column::Id.eq(id),
        Err(_) => project::Column::Slug.eq(key.trim()),
    };
    project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .filter(by_key)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("project '{key}'")))
}

/// A value as it was recorded.
pub struct Recorded {
    pub project: project::Model,
    pub month: NaiveDate,
    pub amount: Decimal,
}

/// Records (or replaces) a project's value for a month in one write transaction, audited; `by`
/// must be allowed to manage the project's budgets.
pub async fn record_value(
    state: &crate::state::AppState,
    by: super::access::Acting<'_>,
    value: &NewValue<'_>,
) -> Result<Recorded, ServiceError> {
    let txn = crate::backend::engine::begin_write(&state.db).await?;
    let project = find_project(&txn, by.org_id(), value.project).await?;
    by.ensure_may_manage(&txn, tollgate_domain::ScopeKind::Project, project.id).await?;
    let (month, amount) = record(&txn, by.org_id(), &project, value, &by.actor(), state.clock.now()).await?;
    txn.commit().await?;
    Ok(Recorded { project, month, amount })
}

async fn record(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    project: &project::Model,
    value: &NewValue<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, Decimal), ServiceError> {
    let month = parse_month(value.month)?;
    let amount: Decimal = value.amount.trim().parse().map_err(|_| {
        ServiceError::Invalid(format!("the value must be an amount such as 1250.00, not '{}'", value.amount))
    })?;
    let stored = to_storage(amount).map_err(|e| ServiceError::Invalid(format!("the value: {e}")))?;
    let row = project_value::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        project_id: Set(project.id),
        month: Set(month),
        amount: Set(stored),
        note: Set(value.note.trim().chars().take(500).collect()),
        recorded_by: Set(actor.to_owned()),
        recorded_at: Set(now),
    };
    use project_value::Column as C;
    project_value::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::ProjectId, C::Month])
                .update_columns([C::Amount, C::Note, C::RecordedBy, C::RecordedAt])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    let detail =
        serde_json::json!({ "project": project.slug, "month": month, "value": amount, "note": value.note.trim() });
    crate::backend::engine::events::record_by(txn, org_id, None, "project_value_recorded", detail, actor, now).await?;
    Ok((month, amount))
}
