//! Shared projects (admins): which projects' spend reports attribute to the projects that use
//! them, and how — in proportion to the consumers' own spend, or by a fixed split.

use crate::backend::entities::{project, shared_project};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use tollgate_domain::reports::SharedSplit;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Consumer {
    project_id: Uuid,
    weight: Decimal,
}

/// Parses "search:70, etl:30" (fixed) or "search, etl" (by usage) against the project slugs.
fn parse_consumers(text: &str, fixed: bool, projects: &[project::Model]) -> Result<Vec<Consumer>, ServiceError> {
    let mut consumers = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (slug, weight) = match part.split_once(':') {
            Some((slug, weight)) => {
                let weight: Decimal =
                    weight.trim().parse().ok().filter(|w: &Decimal| *w > Decimal::ZERO).ok_or_else(|| {
                        ServiceError::Invalid(format!("the weight of '{}' must be a positive number", slug.trim()))
                    })?;
                (slug.trim(), weight)
            }
            None if fixed => {
                return Err(ServiceError::Invalid(format!("a fixed split needs a weight for '{part}', e.g. {part}:50")))
            }
            None => (part, Decimal::ONE),
        };
        let found = projects
            .iter()
            .find(|p| p.slug == slug)
            .ok_or_else(|| ServiceError::Invalid(format!("there is no project '{slug}'")))?;
        consumers.push(Consumer { project_id: found.id, weight });
    }
    Ok(consumers)
}

/// Marks a project as shared with the given consumers, or (no consumers) as not shared any more.
pub async fn set(
    db: &sea_orm::DatabaseConnection,
    org_id: Uuid,
    shared: &str,
    method: &str,
    consumers: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let txn = crate::backend::engine::begin_write(db).await?;
    let db = &txn;
    if method != "usage" && method != "fixed" {
        return Err(ServiceError::Invalid(format!("the split is by usage or fixed, not '{method}'")));
    }
    let projects = project::Entity::find().filter(project::Column::OrgId.eq(org_id)).all(db).await?;
    let shared = projects
        .iter()
        .find(|p| p.slug == shared)
        .ok_or_else(|| ServiceError::Invalid(format!("there is no project '{shared}'")))?;
    let parsed = parse_consumers(consumers, method == "fixed", &projects)?;
    if parsed.iter().any(|c| c.project_id == shared.id) {
        return Err(ServiceError::Invalid("a shared project cannot be its own consumer".into()));
    }
    if parsed.is_empty() {
        shared_project::Entity::delete_by_id(shared.id).exec(db).await?;
    } else {
        let row = shared_project::ActiveModel {
            project_id: Set(shared.id),
            org_id: Set(org_id),
            method: Set(method.to_owned()),
            consumers: Set(serde_json::to_string(&parsed).map_err(ServiceError::corrupt)?),
            updated_by: Set(actor.to_owned()),
            updated_at: Set(now),
        };
        use shared_project::Column as C;
        shared_project::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::ProjectId)
                    .update_columns([C::Method, C::Consumers, C::UpdatedBy, C::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let detail = serde_json::json!({ "project": shared.slug, "method": method, "consumers": consumers });
    crate::backend::engine::events::record_by(db, org_id, None, "shared_project_changed", detail, actor, now).await?;
    txn.commit().await?;
    Ok(parsed.len())
}

/// Every shared project of the organization as a split over project ids.
pub async fn splits(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<SharedSplit<Uuid>>, ServiceError> {
    let rows = shared_project::Entity::find().filter(shared_project::Column::OrgId.eq(org_id)).all(db).await?;
    rows.into_iter()
        .map(|row| {
            let consumers: Vec<Consumer> = serde_json::from_str(&row.consumers).map_err(ServiceError::corrupt)?;
            Ok(SharedSplit {
                shared: row.project_id,
                by_usage: row.method == "usage",
                consumers: consumers.into_iter().map(|c| (c.project_id, c.weight)).collect(),
            })
        })
        .collect()
}

/// "search:70, etl:30" or "search, etl" for each shared project slug, as the form shows them.
pub async fn describe(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<(String, String, String)>, ServiceError> {
    let projects = project::Entity::find().filter(project::Column::OrgId.eq(org_id)).all(db).await?;
    let slug = |id: Uuid| projects.iter().find(|p| p.id == id).map_or_else(|| id.to_string(), |p| p.slug.clone());
    Ok(splits(db, org_id)
        .await?
        .into_iter()
        .map(|s| {
            let list = s
                .consumers
                .iter()
                .map(|(id, w)| if s.by_usage { slug(*id) } else { format!("{}:{w}", slug(*id)) })
                .collect::<Vec<_>>()
                .join(", ");
            (slug(s.shared), if s.by_usage { "usage".into() } else { "fixed".into() }, list)
        })
        .collect())
}
