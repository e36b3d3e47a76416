//! Saving templates: from a budget a person may see, or edited on the Templates page; each one
//! audited write transaction.

use super::{access, budgets, templates, ServiceError};
use crate::auth::Account;
use crate::backend::engine::begin_write;
use crate::models::TemplateView;
use crate::state::AppState;
use tollgate_domain::templates::TemplateSpec;
use uuid::Uuid;

/// A template's name and description as typed.
pub struct TemplateText<'a> {
    pub name: &'a str,
    pub description: &'a str,
}

/// Saves the reusable part of a budget `me` may see as a new template of the organization.
pub async fn save_budget_as_template(
    state: &AppState,
    me: &Account,
    budget_id: Uuid,
    text: TemplateText<'_>,
) -> Result<TemplateView, ServiceError> {
    let txn = begin_write(&state.db).await?;
    let not_found = || ServiceError::not_found("that budget");
    let model = budgets::find(&txn, me.org_id, budget_id).await?.ok_or_else(not_found)?;
    if !access::may_see(&txn, me, &model).await? {
        return Err(not_found());
    }
    let spec = templates::spec_of(&budgets::view(&txn, model).await?.input);
    let saved =
        templates::create(&txn, me.org_id, text.name, text.description, &spec, &me.email, state.clock.now()).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Changes one of the organization's own templates (built-ins cannot change).
pub async fn save_template(
    state: &AppState,
    me: &Account,
    id: &str,
    text: TemplateText<'_>,
    spec: &TemplateSpec,
) -> Result<TemplateView, ServiceError> {
    let txn = begin_write(&state.db).await?;
    let saved =
        templates::update(&txn, me.org_id, id, text.name, text.description, spec, &me.email, state.clock.now()).await?;
    txn.commit().await?;
    Ok(saved)
}
