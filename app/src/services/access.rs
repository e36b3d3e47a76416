//! Which teams a budget scope belongs to, and which budgets an account may see and manage.

use crate::auth::{Account, Role};
use crate::entities::{budget, project, project_member, team_member};
use crate::errors::AppError;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use tollgate_domain::ScopeKind;
use uuid::Uuid;

/// The teams a scope belongs to: none for the organization, the team itself, a project's team,
/// every team a person is a member of.
pub async fn owning_teams(db: &impl ConnectionTrait, kind: ScopeKind, scope_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    Ok(match kind {
        ScopeKind::Organization => Vec::new(),
        ScopeKind::Team => vec![scope_id],
        ScopeKind::Project => {
            project::Entity::find_by_id(scope_id).one(db).await?.map(|p| p.team_id).into_iter().collect()
        }
        ScopeKind::User => team_member::Entity::find()
            .filter(team_member::Column::UserId.eq(scope_id))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.team_id)
            .collect(),
    })
}

fn kind_of(model: &budget::Model) -> Result<ScopeKind, AppError> {
    model.scope_kind.parse().map_err(AppError::internal)
}

/// Refuses (403) unless the account may manage a budget with this scope.
pub async fn ensure_may_manage(
    db: &impl ConnectionTrait,
    account: &Account,
    kind: ScopeKind,
    scope_id: Uuid,
) -> Result<(), AppError> {
    if account.actor().may_manage_budget(&owning_teams(db, kind, scope_id).await?) {
        Ok(())
    } else if account.has(Role::Lead) {
        Err(AppError::forbidden("you may only manage budgets of teams you lead, their projects and people"))
    } else {
        Err(AppError::forbidden("managing budgets needs the lead or admin role"))
    }
}

pub async fn may_manage(db: &impl ConnectionTrait, account: &Account, model: &budget::Model) -> Result<bool, AppError> {
    Ok(account.actor().may_manage_budget(&owning_teams(db, kind_of(model)?, model.scope_id).await?))
}

/// Admins see every budget; everyone sees the organization's budgets, those of their teams, of
/// projects of their teams or that they work on, and their own.
pub async fn may_see(db: &impl ConnectionTrait, account: &Account, model: &budget::Model) -> Result<bool, AppError> {
    if account.has(Role::Admin) {
        return Ok(true);
    }
    let kind = kind_of(model)?;
    let owners = owning_teams(db, kind, model.scope_id).await?;
    let works_on = kind == ScopeKind::Project
        && project_member::Entity::find_by_id((model.scope_id, account.id)).one(db).await?.is_some();
    Ok(sees(account, kind, model.scope_id, &owners, works_on))
}

/// The rule of `may_see`, given the scope's owning teams and whether the account works on the
/// scope's project.
pub fn sees(account: &Account, kind: ScopeKind, scope_id: Uuid, owners: &[Uuid], works_on_project: bool) -> bool {
    if account.has(Role::Admin) {
        return true;
    }
    let on_my_team = owners.iter().any(|t| account.teams.contains(t));
    match kind {
        ScopeKind::Organization => true,
        ScopeKind::Team => on_my_team,
        ScopeKind::Project => on_my_team || works_on_project,
        // A person's own budget is theirs and their leads' to see, not their colleagues'.
        ScopeKind::User => scope_id == account.id || account.actor().may_manage_budget(owners),
    }
}
