//! Budget templates: the built-ins and the organization's own, saved from a budget, edited, and applied to many scopes.

use super::ServiceError;
use crate::backend::engine::EngineError;
use crate::backend::entities::{budget_template, organization, project, team, user};
use crate::models::{BudgetDefaults, BudgetInput, PlannedBudget, TemplateView};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tollgate_domain::templates::{built_in, built_ins, TemplateSpec};
use tollgate_domain::ScopeKind;
use uuid::Uuid;

fn view(row: budget_template::Model) -> Result<TemplateView, EngineError> {
    let spec: TemplateSpec =
        serde_json::from_str(&row.spec).map_err(|e| EngineError::InvalidInput(format!("stored template: {e}")))?;
    Ok(TemplateView { id: row.id.to_string(), name: row.name, description: row.description, built_in: false, spec })
}

/// The built-ins first, then the organization's own by name.
pub async fn list(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<TemplateView>, EngineError> {
    let mut all: Vec<TemplateView> = built_ins().into_iter().map(TemplateView::from_built_in).collect();
    let own = budget_template::Entity::find()
        .filter(budget_template::Column::OrgId.eq(org_id))
        .order_by_asc(budget_template::Column::Name)
        .all(db)
        .await?;
    for row in own {
        all.push(view(row)?);
    }
    Ok(all)
}

/// A template by its id: a built-in's key or an own template's uuid.
pub async fn find(db: &impl ConnectionTrait, org_id: Uuid, id: &str) -> Result<Option<TemplateView>, EngineError> {
    if let Some(t) = built_in(id) {
        return Ok(Some(TemplateView::from_built_in(t)));
    }
    let Ok(uuid) = Uuid::parse_str(id) else { return Ok(None) };
    match budget_template::Entity::find_by_id(uuid).filter(budget_template::Column::OrgId.eq(org_id)).one(db).await? {
        Some(row) => Ok(Some(view(row)?)),
        None => Ok(None),
    }
}

/// The reusable part of a budget: its period, limits, enforcement and thresholds.
pub fn spec_of(input: &BudgetInput) -> TemplateSpec {
    TemplateSpec {
        period: input.period,
        cost_soft: input.cost_soft,
        cost_hard: input.cost_hard,
        tokens_soft: input.tokens_soft,
        tokens_hard: input.tokens_hard,
        operations_soft: input.operations_soft,
        operations_hard: input.operations_hard,
        enforcement: Some(input.enforcement),
        grace_minutes: Some(input.grace_minutes),
        reserve_cost: input.reserve_cost,
        thresholds: Some(input.thresholds.clone()),
    }
}

fn checked_name(name: &str) -> Result<String, EngineError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 120 {
        return Err(EngineError::InvalidInput("a template name must be 1 to 120 characters".into()));
    }
    if built_ins().iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
        return Err(EngineError::InvalidInput(format!("'{name}' is the name of a built-in template")));
    }
    Ok(name.to_owned())
}

async fn name_taken(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    other_than: Option<Uuid>,
) -> Result<bool, EngineError> {
    let found = budget_template::Entity::find()
        .filter(budget_template::Column::OrgId.eq(org_id))
        .filter(budget_template::Column::Name.eq(name))
        .one(db)
        .await?;
    Ok(found.is_some_and(|t| Some(t.id) != other_than))
}

/// Saves a new template of the organization.
pub async fn create(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    description: &str,
    spec: &TemplateSpec,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TemplateView, EngineError> {
    let name = checked_name(name)?;
    spec.check().map_err(EngineError::InvalidInput)?;
    if name_taken(db, org_id, &name, None).await? {
        return Err(EngineError::InvalidInput(format!("there is already a template named '{name}'")));
    }
    let row = budget_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        name: Set(name),
        description: Set(description.trim().to_owned()),
        spec: Set(serde_json::to_string(spec).map_err(|e| EngineError::InvalidInput(e.to_string()))?),
        created_by: Set(actor.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let detail = serde_json::json!({ "template_id": row.id, "name": row.name, "spec": spec });
    crate::backend::engine::events::record_by(db, org_id, None, "template_created", detail, actor, now).await?;
    view(row)
}

/// Replaces an own template's name, description and spec; built-ins cannot change.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: &str,
    name: &str,
    description: &str,
    spec: &TemplateSpec,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TemplateView, EngineError> {
    if built_in(id).is_some() {
        return Err(EngineError::InvalidInput("built-in templates cannot be changed; save a copy instead".into()));
    }
    let uuid = Uuid::parse_str(id).map_err(|_| EngineError::InvalidInput(format!("no template '{id}'")))?;
    let row = budget_template::Entity::find_by_id(uuid)
        .filter(budget_template::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| EngineError::InvalidInput(format!("no template '{id}'")))?;
    let name = checked_name(name)?;
    spec.check().map_err(EngineError::InvalidInput)?;
    if name_taken(db, org_id, &name, Some(uuid)).await? {
        return Err(EngineError::InvalidInput(format!("there is already a template named '{name}'")));
    }
    let before = serde_json::json!({ "name": row.name, "spec": row.spec });
    let mut row: budget_template::ActiveModel = row.into();
    row.name = Set(name);
    row.description = Set(description.trim().to_owned());
    row.spec = Set(serde_json::to_string(spec).map_err(|e| EngineError::InvalidInput(e.to_string()))?);
    row.updated_at = Set(now);
    let row = row.update(db).await?;
    let detail =
        serde_json::json!({ "template_id": uuid, "before": before, "after": { "name": row.name, "spec": spec } });
    crate::backend::engine::events::record_by(db, org_id, None, "template_changed", detail, actor, now).await?;
    view(row)
}

/// The display name of a scope, for naming the budgets a template creates.
pub async fn scope_name(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    kind: ScopeKind,
    id: Uuid,
) -> Result<String, EngineError> {
    let missing = || EngineError::InvalidInput(format!("no {kind} {id} in this organization"));
    Ok(match kind {
        ScopeKind::Organization => org.name.clone(),
        ScopeKind::Team => {
            team::Entity::find_by_id(id).filter(team::Column::OrgId.eq(org.id)).one(db).await?.ok_or_else(missing)?.name
        }
        ScopeKind::Project => {
            project::Entity::find_by_id(id)
                .filter(project::Column::OrgId.eq(org.id))
                .one(db)
                .await?
                .ok_or_else(missing)?
                .name
        }
        ScopeKind::User => {
            user::Entity::find_by_id(id)
                .filter(user::Column::OrgId.eq(org.id))
                .one(db)
                .await?
                .ok_or_else(missing)?
                .display_name
        }
    })
}

/// The budgets applying `template` to these scopes would create, named "<template> · <scope>", each
/// with the defaults resolved for its scope. Nothing is written.
pub async fn plan(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    template: &TemplateView,
    scopes: &[(ScopeKind, Uuid)],
    category: Option<String>,
) -> Result<Vec<PlannedBudget>, EngineError> {
    let mut planned = Vec::with_capacity(scopes.len());
    for &(kind, id) in scopes {
        let (user, project) = match kind {
            ScopeKind::User => (Some(id), None),
            ScopeKind::Project => (None, Some(id)),
            _ => (None, None),
        };
        let defaults = BudgetDefaults::from_resolved(&super::preferences::resolved(db, org, user, project).await?);
        let scope_name = scope_name(db, org, kind, id).await?;
        let name = format!("{} · {}", template.name, scope_name);
        let scope_id = (kind != ScopeKind::Organization).then_some(id);
        let input = template.budget_for(name, kind, scope_id, category.clone(), &defaults);
        planned.push(PlannedBudget { input, scope_name, recipients: defaults.recipients });
    }
    Ok(planned)
}

/// The budgets applying the template named `template` to `scopes` would create, for a person who
/// must be allowed to manage every one of the scopes. Nothing is written.
pub async fn preview(
    db: &impl ConnectionTrait,
    me: &crate::auth::Account,
    template: &str,
    scopes: &[(ScopeKind, Uuid)],
    category: Option<String>,
) -> Result<Vec<PlannedBudget>, ServiceError> {
    let org = super::organizations::organization(db, me.org_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("the organization"))?;
    let found = find(db, me.org_id, template)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("template '{template}'")))?;
    if scopes.is_empty() {
        return Err(ServiceError::invalid("choose at least one scope"));
    }
    for &(kind, id) in scopes {
        super::access::ensure_may_manage(db, me, kind, id).await?;
    }
    Ok(plan(db, &org, &found, scopes, category).await?)
}
