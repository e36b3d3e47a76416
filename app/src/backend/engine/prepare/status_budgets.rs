//! The budgets a status query asks for: a project's chain, optionally a person and a category.

use crate::backend::engine::prepare::budgets::{applicable, ApplicableBudget};
use crate::backend::engine::prepare::resolve::{category_id, plain_text};
use crate::backend::engine::EngineError;
use crate::backend::entities::{organization, project, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tollgate_domain::OperationChain;
use uuid::Uuid;

/// Whose budgets a status query asks for, and which project the asking key is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusQuery {
    pub project: String,
    pub user: Option<String>,
    pub category: Option<String>,
    /// A key bound to one project may ask only for that project (as `check` requires too).
    pub allowed_project: Option<Uuid>,
}

/// The enabled budgets on the chain of a project, and optionally a person and a category.
pub(in crate::backend::engine) async fn status_budgets(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    query: &StatusQuery,
) -> Result<Vec<ApplicableBudget>, EngineError> {
    let (project_slug, user_handle, category_name) =
        (query.project.as_str(), query.user.as_deref(), query.category.as_deref());
    for (value, what) in [(Some(project_slug), "project"), (user_handle, "user"), (category_name, "category")] {
        plain_text(value.unwrap_or_default(), what)?;
    }
    let project = project::Entity::find()
        .filter(project::Column::OrgId.eq(org.id))
        .filter(project::Column::Slug.eq(project_slug))
        .one(db)
        .await?
        .ok_or_else(|| EngineError::UnknownProject(project_slug.to_owned()))?;
    if query.allowed_project.is_some_and(|allowed| allowed != project.id) {
        return Err(EngineError::ProjectNotAllowed(project_slug.to_owned()));
    }
    let user_id = match user_handle {
        Some(handle) => user::Entity::find()
            .filter(user::Column::OrgId.eq(org.id))
            .filter(user::Column::Handle.eq(handle))
            .one(db)
            .await?
            .map(|u| u.id),
        None => None,
    };
    let category_id = match category_name {
        Some(name) => Some(category_id(db, org.id, name).await?),
        None => None,
    };
    // A missing part of the chain matches no budget scoped to it (nil ids never exist).
    let chain = OperationChain {
        organization: org.id,
        team: project.team_id,
        project: project.id,
        user: user_id.unwrap_or(Uuid::nil()),
        category: category_id.unwrap_or(Uuid::nil()),
    };
    applicable(db, &chain).await
}
