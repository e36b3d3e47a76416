//! Teams and projects: create, list, rename, move and archive, each change audited in its transaction.

use super::{audit, check_name, invalid, taken, Change};
use crate::backend::engine::{begin_write, EngineError};
use crate::backend::entities::{project, team};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<team::Model> for TeamView {
    fn from(t: team::Model) -> Self {
        TeamView { id: t.id, name: t.name, archived_at: t.archived_at, created_at: t.created_at }
    }
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ProjectView {
    pub id: Uuid,
    pub team_id: Uuid,
    pub slug: String,
    pub name: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<project::Model> for ProjectView {
    fn from(p: project::Model) -> Self {
        ProjectView {
            id: p.id,
            team_id: p.team_id,
            slug: p.slug,
            name: p.name,
            archived_at: p.archived_at,
            created_at: p.created_at,
        }
    }
}

pub async fn teams(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<TeamView>, EngineError> {
    let rows =
        team::Entity::find().filter(team::Column::OrgId.eq(org_id)).order_by_asc(team::Column::Name).all(db).await?;
    Ok(rows.into_iter().map(TeamView::from).collect())
}

pub async fn create_team(
    db: &DatabaseConnection,
    org_id: Uuid,
    name: &str,
    change: Change<'_>,
) -> Result<TeamView, ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let now = change.now;
    let name = check_name(name, "a team name")?;
    let id = Uuid::now_v7();
    let row = team::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        name: Set(name.clone()),
        archived_at: Set(None),
        created_at: Set(now),
    };
    row.insert(db).await.map_err(|e| taken(e, format!("a team named '{name}'")))?;
    let view: TeamView = team::Entity::find_by_id(id).one(db).await?.ok_or(sea_orm::DbErr::RecordNotInserted)?.into();
    audit(db, org_id, "team_created", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub archived: Option<bool>,
}

pub async fn update_team(
    db: &DatabaseConnection,
    org_id: Uuid,
    team_id: Uuid,
    patch: TeamPatch,
    change: Change<'_>,
) -> Result<TeamView, ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let now = change.now;
    let current = team::Entity::find_by_id(team_id)
        .filter(team::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("team {team_id}")))?;
    let mut row: team::ActiveModel = current.into();
    let name = patch.name.as_deref().map(|name| check_name(name, "a team name")).transpose()?;
    if let Some(name) = &name {
        row.name = Set(name.clone());
    }
    if let Some(archived) = patch.archived {
        row.archived_at = Set(archived.then_some(now));
    }
    let renamed = |e| taken(e, format!("a team named '{}'", name.unwrap_or_default()));
    let view: TeamView = row.update(db).await.map_err(renamed)?.into();
    audit(db, org_id, "team_changed", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn projects(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<ProjectView>, EngineError> {
    let rows = project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .order_by_asc(project::Column::Slug)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ProjectView::from).collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct NewProject {
    pub slug: String,
    pub name: String,
    pub team_id: Uuid,
}

pub async fn create_project(
    db: &DatabaseConnection,
    org_id: Uuid,
    input: NewProject,
    change: Change<'_>,
) -> Result<ProjectView, ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let now = change.now;
    let slug = input.slug.trim().to_owned();
    if slug.is_empty()
        || slug.len() > 64
        || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(invalid("slug must be 1 to 64 lower-case letters, digits or '-'").into());
    }
    team_of(db, org_id, input.team_id).await?;
    let id = Uuid::now_v7();
    let row = project::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        team_id: Set(input.team_id),
        slug: Set(slug.clone()),
        name: Set(check_name(&input.name, "a project name")?),
        archived_at: Set(None),
        created_at: Set(now),
    };
    row.insert(db).await.map_err(|e| taken(e, format!("a project with slug '{slug}'")))?;
    let view: ProjectView =
        project::Entity::find_by_id(id).one(db).await?.ok_or(sea_orm::DbErr::RecordNotInserted)?.into();
    audit(db, org_id, "project_created", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct ProjectPatch {
    pub name: Option<String>,
    /// Moves the project; its budgets follow it, its usage history stays where it happened.
    pub team_id: Option<Uuid>,
    pub archived: Option<bool>,
}

pub async fn update_project(
    db: &DatabaseConnection,
    org_id: Uuid,
    project_id: Uuid,
    patch: ProjectPatch,
    change: Change<'_>,
) -> Result<ProjectView, ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let now = change.now;
    let current = project::Entity::find_by_id(project_id)
        .filter(project::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("project {project_id}")))?;
    let mut row: project::ActiveModel = current.into();
    if let Some(name) = patch.name {
        row.name = Set(check_name(&name, "a project name")?);
    }
    if let Some(team_id) = patch.team_id {
        team_of(db, org_id, team_id).await?;
        row.team_id = Set(team_id);
    }
    if let Some(archived) = patch.archived {
        row.archived_at = Set(archived.then_some(now));
    }
    let view: ProjectView = row.update(db).await?.into();
    audit(db, org_id, "project_changed", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}

async fn team_of(db: &impl ConnectionTrait, org_id: Uuid, team_id: Uuid) -> Result<team::Model, EngineError> {
    team::Entity::find_by_id(team_id)
        .filter(team::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| invalid("team_id does not name a team of this organization"))
}

/// One team of the organization.
pub async fn team(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<TeamView>, EngineError> {
    Ok(team::Entity::find_by_id(id).filter(team::Column::OrgId.eq(org_id)).one(db).await?.map(TeamView::from))
}

/// One project of the organization.
pub async fn project(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<ProjectView>, EngineError> {
    Ok(project::Entity::find_by_id(id).filter(project::Column::OrgId.eq(org_id)).one(db).await?.map(ProjectView::from))
}
