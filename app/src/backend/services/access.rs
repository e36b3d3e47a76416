//! Which teams a budget scope belongs to, and which budgets an account may see and manage.

use super::ServiceError;
use crate::auth::{Account, Role};
use crate::backend::entities::{budget, project, project_member, team_member};
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

fn kind_of(model: &budget::Model) -> Result<ScopeKind, ServiceError> {
    model.scope_kind.parse().map_err(ServiceError::corrupt)
}

/// Refuses (403) unless the account may manage a budget with this scope.
pub async fn ensure_may_manage(
    db: &impl ConnectionTrait,
    account: &Account,
    kind: ScopeKind,
    scope_id: Uuid,
) -> Result<(), ServiceError> {
    if account.actor().may_manage_budget(&owning_teams(db, kind, scope_id).await?) {
        Ok(())
    } else if account.has(Role::Lead) {
        Err(ServiceError::forbidden("you may only manage budgets of teams you lead, their projects and people"))
    } else {
        Err(ServiceError::forbidden("managing budgets needs the lead or admin role"))
    }
}

pub async fn may_manage(
    db: &impl ConnectionTrait,
    account: &Account,
    model: &budget::Model,
) -> Result<bool, ServiceError> {
    Ok(account.actor().may_manage_budget(&owning_teams(db, kind_of(model)?, model.scope_id).await?))
}

/// Admins see every budget; everyone sees the organization's budgets, those of their teams, of
/// projects of their teams or that they work on, and their own.
pub async fn may_see(
    db: &impl ConnectionTrait,
    account: &Account,
    model: &budget::Model,
) -> Result<bool, ServiceError> {
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

/// Every scope this account may create budgets for, labelled for a select.
pub async fn manageable_targets(db: &impl ConnectionTrait, me: &Account) -> Result<Vec<(String, String)>, DbErr> {
    use crate::backend::entities::{team, user};
    use sea_orm::QueryOrder;
    let actor = me.actor();
    let mut out = Vec::new();
    if me.has(crate::auth::Role::Admin) {
        out.push(("organization".to_owned(), "The whole organization".to_owned()));
    }
    let teams =
        team::Entity::find().filter(team::Column::OrgId.eq(me.org_id)).order_by_asc(team::Column::Name).all(db).await?;
    let mine: Vec<team::Model> = teams.into_iter().filter(|t| actor.may_manage_budget(&[t.id])).collect();
    out.extend(mine.iter().map(|t| (format!("team:{}", t.id), format!("Team: {}", t.name))));
    let projects = project::Entity::find()
        .filter(project::Column::OrgId.eq(me.org_id))
        .filter(project::Column::ArchivedAt.is_null())
        .order_by_asc(project::Column::Name)
        .all(db)
        .await?;
    out.extend(
        projects
            .into_iter()
            .filter(|p| actor.may_manage_budget(&[p.team_id]))
            .map(|p| (format!("project:{}", p.id), format!("Project: {}", p.name))),
    );
    let members = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(mine.iter().map(|t| t.id)))
        .all(db)
        .await?;
    let mut people = user::Entity::find()
        .filter(user::Column::Id.is_in(members.iter().map(|m| m.user_id)))
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?;
    people.dedup_by_key(|u| u.id);
    out.extend(people.into_iter().map(|u| (format!("user:{}", u.id), format!("Person: {}", u.display_name))));
    Ok(out)
}

/// Who acts on budgets: a signed-in person, whose roles and teams decide what they may manage,
/// or an admin API key (checked by the caller), which may manage every budget of its organization.
#[derive(Debug, Clone, Copy)]
pub enum Acting<'a> {
    Person(&'a Account),
    /// An admin API key, with the name history and audit show for it.
    AdminKey {
        org_id: Uuid,
        actor: &'a str,
    },
}

impl Acting<'_> {
    pub fn org_id(&self) -> Uuid {
        match self {
            Acting::Person(account) => account.org_id,
            Acting::AdminKey { org_id, .. } => *org_id,
        }
    }

    /// The person acting; an API key is nobody.
    pub fn person_id(&self) -> Option<Uuid> {
        match self {
            Acting::Person(account) => Some(account.id),
            Acting::AdminKey { .. } => None,
        }
    }

    /// The name the audit trail records.
    pub fn actor(&self) -> String {
        match self {
            Acting::Person(account) => account.email.clone(),
            Acting::AdminKey { actor, .. } => (*actor).to_owned(),
        }
    }

    /// Refuses (403) unless this one may manage a budget with this scope.
    pub async fn ensure_may_manage(
        &self,
        db: &impl ConnectionTrait,
        kind: ScopeKind,
        scope_id: Uuid,
    ) -> Result<(), ServiceError> {
        match self {
            Acting::Person(account) => ensure_may_manage(db, account, kind, scope_id).await,
            Acting::AdminKey { .. } => Ok(()),
        }
    }
}

/// The budget with this id, if `by` may manage it (404 when it is not the organization's).
pub async fn managed_budget(
    db: &impl ConnectionTrait,
    by: Acting<'_>,
    budget_id: Uuid,
) -> Result<budget::Model, ServiceError> {
    let found = budget::Entity::find_by_id(budget_id)
        .filter(budget::Column::OrgId.eq(by.org_id()))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("budget {budget_id}")))?;
    by.ensure_may_manage(db, kind_of(&found)?, found.scope_id).await?;
    Ok(found)
}
