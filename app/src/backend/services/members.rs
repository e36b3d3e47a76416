//! Team and project membership: who belongs where, and who leads a team; each change one audited transaction.

use super::directory::Change;
use crate::backend::engine::{begin_write, events, EngineError};
use crate::backend::entities::{project, project_member, team, team_member, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// A person's place in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    None,
    Member,
    Lead,
}

impl Membership {
    pub fn parse(value: &str) -> Option<Membership> {
        match value {
            "none" => Some(Membership::None),
            "member" => Some(Membership::Member),
            "lead" => Some(Membership::Lead),
            _ => None,
        }
    }
}

async fn user_in(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<user::Model, EngineError> {
    user::Entity::find_by_id(id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| EngineError::InvalidInput("no such person in this organization".into()))
}

pub async fn set_team_membership(
    db: &DatabaseConnection,
    org_id: Uuid,
    team_id: Uuid,
    user_id: Uuid,
    membership: Membership,
    change: Change<'_>,
) -> Result<(), EngineError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let team = team::Entity::find_by_id(team_id)
        .filter(team::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| EngineError::InvalidInput("no such team in this organization".into()))?;
    let person = user_in(db, org_id, user_id).await?;
    team_member::Entity::delete_by_id((team_id, user_id)).exec(db).await?;
    if membership != Membership::None {
        let row = team_member::ActiveModel {
            team_id: Set(team_id),
            user_id: Set(user_id),
            is_lead: Set(membership == Membership::Lead),
        };
        team_member::Entity::insert(row).exec_without_returning(db).await?;
    }
    let detail = json!({ "team": team.name, "user": person.handle, "membership": membership });
    events::record_by(db, org_id, None, "team_membership_changed", detail, change.actor, change.now).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn set_project_membership(
    db: &DatabaseConnection,
    org_id: Uuid,
    project_id: Uuid,
    user_id: Uuid,
    member: bool,
    change: Change<'_>,
) -> Result<(), EngineError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let project = project::Entity::find_by_id(project_id)
        .filter(project::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| EngineError::InvalidInput("no such project in this organization".into()))?;
    let person = user_in(db, org_id, user_id).await?;
    project_member::Entity::delete_by_id((project_id, user_id)).exec(db).await?;
    if member {
        let row = project_member::ActiveModel { project_id: Set(project_id), user_id: Set(user_id) };
        project_member::Entity::insert(row).exec_without_returning(db).await?;
    }
    let detail = json!({ "project": project.slug, "user": person.handle, "member": member });
    events::record_by(db, org_id, None, "project_membership_changed", detail, change.actor, change.now).await?;
    txn.commit().await?;
    Ok(())
}

/// Every team membership of an organization, as (team, user, is_lead).
pub async fn team_memberships(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<team_member::Model>, EngineError> {
    let teams: Vec<Uuid> =
        team::Entity::find().filter(team::Column::OrgId.eq(org_id)).all(db).await?.iter().map(|t| t.id).collect();
    Ok(team_member::Entity::find().filter(team_member::Column::TeamId.is_in(teams)).all(db).await?)
}

/// Every project membership of an organization.
pub async fn project_memberships(
    db: &impl ConnectionTrait,
    org_id: Uuid,
) -> Result<Vec<project_member::Model>, EngineError> {
    let projects: Vec<Uuid> =
        project::Entity::find().filter(project::Column::OrgId.eq(org_id)).all(db).await?.iter().map(|p| p.id).collect();
    Ok(project_member::Entity::find().filter(project_member::Column::ProjectId.is_in(projects)).all(db).await?)
}
