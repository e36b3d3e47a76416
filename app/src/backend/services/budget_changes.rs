//! Changing budgets: editing, enabling, disabling, archiving and deleting, each in one write
//! transaction, for people (who must manage the budget at its old and at its new scope) and admin
//! API keys alike.

use super::access::{managed_budget, Acting};
use super::alerts::recipients::{self, NewRecipient};
use super::budgets::{self, Removal};
use super::{organizations, ServiceError};
use crate::backend::engine::{begin_write, events};
use crate::models::{BudgetInput, BudgetView};
use crate::state::AppState;
use tollgate_domain::alerting::RecipientKind;
use tollgate_domain::ScopeKind;
use uuid::Uuid;

/// A new definition for a budget: whole, some fields merged onto the current definition
/// (`PATCH /api/v1/budgets/{id}`), or the current definition adjusted by the caller (the budget
/// page's forms). Every new definition is validated whole.
pub enum BudgetEdit {
    Whole(Box<BudgetInput>),
    Fields(serde_json::Map<String, serde_json::Value>),
    Adjust(Box<dyn FnOnce(&mut BudgetInput) + Send>),
}

/// Whether an edit is saved, or only validated and shown (the edit form's review step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditMode {
    Save,
    Review,
}

/// A budget's definition before an edit, and the budget after it.
pub struct Edited {
    pub before: BudgetInput,
    pub after: BudgetView,
}

/// Replaces a budget's definition; the audit entry keeps what it was and what it became. In
/// review mode the edit is validated whole, and nothing is written; neither is an edit that
/// changes nothing.
pub async fn edit_budget(
    state: &AppState,
    by: Acting<'_>,
    budget_id: Uuid,
    edit: BudgetEdit,
    mode: EditMode,
) -> Result<Edited, ServiceError> {
    let txn = begin_write(&state.db).await?;
    let current = managed_budget(&txn, by, budget_id).await?;
    let before = budgets::view(&txn, current.clone()).await?.input;
    let input = match edit {
        BudgetEdit::Whole(input) => *input,
        BudgetEdit::Fields(changes) => {
            let mut merged = serde_json::to_value(&before).map_err(ServiceError::corrupt)?;
            for (field, value) in changes {
                merged[field] = value;
            }
            serde_json::from_value(merged).map_err(|e| ServiceError::invalid(e.to_string()))?
        }
        BudgetEdit::Adjust(adjust) => {
            let mut input = before.clone();
            adjust(&mut input);
            input
        }
    };
    let target_scope = match input.scope {
        ScopeKind::Organization => by.org_id(),
        _ => input.scope_id.ok_or_else(|| ServiceError::invalid("scope_id is required for this scope"))?,
    };
    by.ensure_may_manage(&txn, input.scope, target_scope).await?;
    let org = organizations::organization(&txn, by.org_id())
        .await?
        .ok_or_else(|| ServiceError::not_found("the organization"))?;
    let unchanged = input == before;
    let updated = budgets::update(&txn, &org, current, &input, &by.actor(), state.clock.now()).await?;
    let after = budgets::view(&txn, updated).await?;
    match mode {
        EditMode::Save if !unchanged => txn.commit().await?,
        _ => txn.rollback().await?,
    }
    Ok(Edited { before, after })
}

/// Moves a budget to `enabled`, `disabled` or `archived`; one enabled again counts its window's usage.
pub async fn set_budget_state(
    state: &AppState,
    by: Acting<'_>,
    budget_id: Uuid,
    target: &str,
) -> Result<BudgetView, ServiceError> {
    let txn = begin_write(&state.db).await?;
    let current = managed_budget(&txn, by, budget_id).await?;
    let updated = budgets::set_state(&txn, by.org_id(), current, target, &by.actor(), state.clock.now()).await?;
    let view = budgets::view(&txn, updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes a budget that never had any history, archives one that has; returns its name and which.
pub async fn remove_budget(
    state: &AppState,
    by: Acting<'_>,
    budget_id: Uuid,
) -> Result<(String, Removal), ServiceError> {
    let txn = begin_write(&state.db).await?;
    let current = managed_budget(&txn, by, budget_id).await?;
    let name = current.name.clone();
    let removal = budgets::delete_or_archive(&txn, by.org_id(), current, &by.actor(), state.clock.now()).await?;
    txn.commit().await?;
    Ok((name, removal))
}

/// Adds an alert recipient to a budget (a Slack or webhook URL is resolved and refused when it
/// names an internal address); audited.
pub async fn add_recipient(
    state: &AppState,
    by: Acting<'_>,
    budget_id: Uuid,
    new: NewRecipient<'_>,
) -> Result<(), ServiceError> {
    if matches!(new.kind, RecipientKind::Slack | RecipientKind::Webhook) {
        state.outbound.check(new.target.trim()).await.map_err(ServiceError::Invalid)?;
    }
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let budget = managed_budget(&txn, by, budget_id).await?;
    let added = recipients::add(&txn, &budget, new, &state.outbound, now).await?;
    let detail =
        serde_json::json!({ "kind": added.kind, "target": added.target, "min_threshold": added.min_threshold });
    events::record_by(&txn, by.org_id(), Some(budget.id), "alert_recipient_added", detail, &by.actor(), now).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes one of a budget's alert recipients; audited.
pub async fn remove_recipient(
    state: &AppState,
    by: Acting<'_>,
    budget_id: Uuid,
    recipient_id: Uuid,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let budget = managed_budget(&txn, by, budget_id).await?;
    if !recipients::remove(&txn, budget.id, recipient_id).await? {
        return Err(ServiceError::not_found("that recipient"));
    }
    let detail = serde_json::json!({ "recipient_id": recipient_id });
    events::record_by(&txn, by.org_id(), Some(budget.id), "alert_recipient_removed", detail, &by.actor(), now).await?;
    txn.commit().await?;
    Ok(())
}
