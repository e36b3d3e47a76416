//! Creating and changing budgets: one validated input for the UI and the API, every change audited.

use crate::backend::engine::counters::counting_start::begin_counting;
use crate::backend::engine::{prepare::budgets::to_domain, EngineError};
use crate::backend::entities::{budget, category, organization, project, team, user};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tollgate_domain::money::{from_storage, to_storage};
use tollgate_domain::{Currency, Limit, LimitKind, ScopeKind};
use uuid::Uuid;

pub use crate::models::{BudgetInput, BudgetView};

const MAX_GRACE_MINUTES: u32 = 7 * 24 * 60;

pub async fn view(db: &impl ConnectionTrait, model: budget::Model) -> Result<BudgetView, EngineError> {
    let category = match model.category_id {
        Some(id) => category::Entity::find_by_id(id).one(db).await?.map(|c| c.name),
        None => None,
    };
    view_with_category(model, category)
}

/// The view of a budget whose category name the caller already knows.
pub fn view_with_category(model: budget::Model, category: Option<String>) -> Result<BudgetView, EngineError> {
    let kind: ScopeKind = model.scope_kind.parse().map_err(EngineError::InvalidInput)?;
    let input = BudgetInput {
        name: model.name.clone(),
        scope: kind,
        scope_id: (kind != ScopeKind::Organization).then_some(model.scope_id),
        category,
        period: model
            .period
            .parse()
            .map_err(|e: tollgate_domain::period::UnknownPeriod| EngineError::InvalidInput(e.to_string()))?,
        currency: Some(model.currency.clone()),
        cost_soft: model.cost_soft.map(from_storage),
        cost_hard: model.cost_hard.map(from_storage),
        tokens_soft: model.tokens_soft,
        tokens_hard: model.tokens_hard,
        operations_soft: model.operations_soft,
        operations_hard: model.operations_hard,
        enforcement: model.enforcement.parse().map_err(EngineError::InvalidInput)?,
        grace_minutes: u32::try_from(model.grace_minutes).unwrap_or(0),
        reserve_cost: from_storage(model.reserve_cost),
        reserve_tokens: model.reserve_tokens,
        reserve_operations: model.reserve_operations,
        thresholds: tollgate_domain::thresholds::parse_thresholds(&model.thresholds)
            .map_err(EngineError::InvalidInput)?,
        two_approvers_above: model.two_approvers_above.map(from_storage),
        escalate_after_minutes: model.escalate_after_minutes.and_then(|m| u32::try_from(m).ok()),
        escalate_from: model.escalate_from.and_then(|p| u32::try_from(p).ok()),
    };
    Ok(BudgetView {
        id: model.id,
        state: model.state,
        input,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

pub async fn list(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<BudgetView>, EngineError> {
    let rows = budget::Entity::find()
        .filter(budget::Column::OrgId.eq(org_id))
        .order_by_asc(budget::Column::Name)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(db, row).await?);
    }
    Ok(out)
}

pub async fn find(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<budget::Model>, EngineError> {
    Ok(budget::Entity::find_by_id(id).filter(budget::Column::OrgId.eq(org_id)).one(db).await?)
}

/// Validates an input against the organization and returns the columns to store.
async fn validate(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    input: &BudgetInput,
) -> Result<budget::ActiveModel, EngineError> {
    let invalid = |m: String| EngineError::InvalidInput(m);
    let name = input.name.trim();
    if name.is_empty() || name.len() > 120 {
        return Err(invalid("name must be 1 to 120 characters".into()));
    }
    let scope_id = scope_id(db, org.id, input).await?;
    let category_id = match input.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(name) => Some(crate::backend::engine::prepare::resolve::category_id(db, org.id, name).await?),
        None => None,
    };
    let org_currency = Currency::parse(&org.currency)?;
    if let Some(given) = &input.currency {
        if Currency::parse(given)? != org_currency {
            return Err(EngineError::CurrencyMismatch { expected: org.currency.clone(), given: given.clone() });
        }
    }
    let levels = [
        (LimitKind::Cost, input.cost_soft, input.cost_hard),
        (LimitKind::Tokens, input.tokens_soft.map(Decimal::from), input.tokens_hard.map(Decimal::from)),
        (LimitKind::Operations, input.operations_soft.map(Decimal::from), input.operations_hard.map(Decimal::from)),
    ];
    let mut any_limit = false;
    for (kind, soft, hard) in levels {
        match hard {
            Some(hard) => {
                Limit::new(kind, soft, hard).map_err(|e| invalid(e.to_string()))?;
                any_limit = true;
            }
            None if soft.is_some() => return Err(invalid(format!("a soft {kind} level needs a hard {kind} level"))),
            None => {}
        }
    }
    if !any_limit {
        return Err(invalid("set at least one hard limit: cost_hard, tokens_hard or operations_hard".into()));
    }
    if input.grace_minutes > MAX_GRACE_MINUTES {
        return Err(invalid(format!("grace_minutes must be at most {MAX_GRACE_MINUTES}")));
    }
    if input.two_approvers_above.is_some_and(|t| t.is_sign_negative()) {
        return Err(invalid("two_approvers_above must not be negative".into()));
    }
    if input.reserve_cost.is_sign_negative() || input.reserve_tokens < 0 || input.reserve_operations < 0 {
        return Err(invalid("emergency reserves must not be negative".into()));
    }
    let thresholds = tollgate_domain::thresholds::parse_thresholds(
        &input.thresholds.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
    )
    .map_err(invalid)?;
    let stored = |d: Option<Decimal>| d.map(to_storage).transpose();
    Ok(budget::ActiveModel {
        org_id: Set(org.id),
        name: Set(name.to_owned()),
        scope_kind: Set(input.scope.as_str().to_owned()),
        scope_id: Set(scope_id),
        category_id: Set(category_id),
        period: Set(input.period.as_str().to_owned()),
        currency: Set(org_currency.to_string()),
        cost_soft: Set(stored(input.cost_soft)?),
        cost_hard: Set(stored(input.cost_hard)?),
        tokens_soft: Set(input.tokens_soft),
        tokens_hard: Set(input.tokens_hard),
        operations_soft: Set(input.operations_soft),
        operations_hard: Set(input.operations_hard),
        enforcement: Set(input.enforcement.as_str().to_owned()),
        grace_minutes: Set(input.grace_minutes as i32),
        reserve_cost: Set(to_storage(input.reserve_cost)?),
        reserve_tokens: Set(input.reserve_tokens),
        reserve_operations: Set(input.reserve_operations),
        thresholds: Set(thresholds.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
        two_approvers_above: Set(stored(input.two_approvers_above)?),
        escalate_after_minutes: Set(input.escalate_after_minutes.map(|m| m.min(10_080) as i32)),
        escalate_from: Set(input.escalate_from.map(|p| p.min(1000) as i32)),
        ..Default::default()
    })
}

async fn scope_id(db: &impl ConnectionTrait, org_id: Uuid, input: &BudgetInput) -> Result<Uuid, EngineError> {
    let missing =
        || EngineError::InvalidInput(format!("scope_id does not name a {} of this organization", input.scope));
    if input.scope == ScopeKind::Organization {
        return Ok(org_id);
    }
    let id = input.scope_id.ok_or_else(missing)?;
    let found = match input.scope {
        ScopeKind::Team => team::Entity::find_by_id(id).filter(team::Column::OrgId.eq(org_id)).one(db).await?.is_some(),
        ScopeKind::Project => {
            project::Entity::find_by_id(id).filter(project::Column::OrgId.eq(org_id)).one(db).await?.is_some()
        }
        ScopeKind::User => user::Entity::find_by_id(id).filter(user::Column::OrgId.eq(org_id)).one(db).await?.is_some(),
        ScopeKind::Organization => true,
    };
    found.then_some(id).ok_or_else(missing)
}

pub async fn create(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    input: &BudgetInput,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<budget::Model, EngineError> {
    let mut row = validate(db, org, input).await?;
    row.id = Set(Uuid::now_v7());
    row.state = Set("enabled".into());
    row.created_at = Set(now);
    row.updated_at = Set(now);
    row.counting_since = Set(Some(now));
    let created = row.insert(db).await?;
    to_domain(created.clone())?;
    begin_counting(db, &created, org.timezone.parse().unwrap_or(Tz::UTC), now).await?;
    let detail = serde_json::json!({ "budget": input });
    crate::backend::engine::events::record_by(db, org.id, Some(created.id), "budget_created", detail, actor, now)
        .await?;
    Ok(created)
}

/// Replaces a budget's definition; the audit entry keeps what it was and what it became.
pub async fn update(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    current: budget::Model,
    input: &BudgetInput,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<budget::Model, EngineError> {
    let before = view(db, current.clone()).await?.input;
    let mut row = validate(db, org, input).await?;
    row.id = Set(current.id);
    row.updated_at = Set(now);
    let updated = row.update(db).await?;
    let detail = serde_json::json!({ "before": before, "after": input });
    crate::backend::engine::events::record_by(db, org.id, Some(current.id), "budget_changed", detail, actor, now)
        .await?;
    Ok(updated)
}

/// Moves a budget to `enabled`, `disabled` or `archived`. A budget that becomes enabled begins
/// counting again from its current window (`counting_start`): usage while it was off is taken in.
pub async fn set_state(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    current: budget::Model,
    state: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<budget::Model, EngineError> {
    if !["enabled", "disabled", "archived"].contains(&state) {
        return Err(EngineError::InvalidInput(format!("unknown state '{state}'")));
    }
    let from = current.state.clone();
    let enabling = state == "enabled" && from != "enabled";
    let mut row: budget::ActiveModel = current.into();
    row.state = Set(state.to_owned());
    row.updated_at = Set(now);
    if enabling {
        row.counting_since = Set(Some(now));
    }
    let updated = row.update(db).await?;
    if enabling {
        let org = organization::Entity::find_by_id(org_id).one(db).await?;
        let tz = org.and_then(|o| o.timezone.parse().ok()).unwrap_or(Tz::UTC);
        begin_counting(db, &updated, tz, now).await?;
    }
    let detail = serde_json::json!({ "from": from, "to": state });
    crate::backend::engine::events::record_by(db, org_id, Some(updated.id), "budget_state_changed", detail, actor, now)
        .await?;
    Ok(updated)
}

/// What became of a budget someone asked to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    /// It has history (usage, requests, alerts, overrides or closed windows), which is kept.
    Archived,
}

/// Deletes a budget that never had any history; archives one that has.
pub async fn delete_or_archive(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    current: budget::Model,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Removal, EngineError> {
    use crate::backend::entities::{
        alert, alert_recipient, budget_counter, budget_override, budget_request, window_close,
    };
    use sea_orm::PaginatorTrait;
    let id = current.id;
    let history = budget_counter::Entity::find().filter(budget_counter::Column::BudgetId.eq(id)).count(db).await?
        + budget_request::Entity::find().filter(budget_request::Column::BudgetId.eq(id)).count(db).await?
        + budget_override::Entity::find().filter(budget_override::Column::BudgetId.eq(id)).count(db).await?
        + alert::Entity::find().filter(alert::Column::BudgetId.eq(id)).count(db).await?
        + window_close::Entity::find().filter(window_close::Column::BudgetId.eq(id)).count(db).await?;
    if history > 0 {
        set_state(db, org_id, current, "archived", actor, now).await?;
        return Ok(Removal::Archived);
    }
    alert_recipient::Entity::delete_many().filter(alert_recipient::Column::BudgetId.eq(id)).exec(db).await?;
    budget::Entity::delete_by_id(id).exec(db).await?;
    let detail = serde_json::json!({ "budget_id": id, "name": current.name });
    crate::backend::engine::events::record_by(db, org_id, Some(id), "budget_deleted", detail, actor, now).await?;
    Ok(Removal::Deleted)
}
