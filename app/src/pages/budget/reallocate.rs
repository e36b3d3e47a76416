//! Moving unused allowance of this window to a sibling budget, and (admins) the amount that needs no approver.

use crate::components::outcome;
use crate::errors::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReallocationOptions {
    /// Budgets this one can give allowance to: (id, name).
    pub siblings: Vec<(Uuid, String)>,
    /// Moves above this need an approver; None: none do.
    pub free_up_to: Option<Decimal>,
    pub currency: String,
    pub is_admin: bool,
}

#[cfg(feature = "ssr")]
pub async fn options(
    db: &sea_orm::DatabaseConnection,
    me: &crate::auth::Account,
    org: &crate::backend::entities::organization::Model,
    model: &crate::backend::entities::budget::Model,
) -> Result<ReallocationOptions, AppError> {
    use crate::backend::services::{access, reallocation};
    let mut siblings = Vec::new();
    if access::may_manage(db, me, model).await? {
        for sibling in reallocation::siblings(db, model).await? {
            if access::may_manage(db, me, &sibling).await? {
                siblings.push((sibling.id, sibling.name));
            }
        }
    }
    Ok(ReallocationOptions {
        siblings,
        free_up_to: org.reallocate_freely_up_to.map(tollgate_domain::money::from_storage),
        currency: model.currency.clone(),
        is_admin: me.has(crate::auth::Role::Admin),
    })
}

/// Moves `cost` from `from_budget` to `to_budget` until the window ends, or files it for approvers.
#[server(prefix = "/rpc", endpoint = "reallocate_allowance")]
pub async fn reallocate_allowance(
    from_budget: Uuid,
    to_budget: Uuid,
    cost: String,
    reason: String,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::reallocation::{reallocate, Reallocated};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let cost: Decimal = cost.trim().parse().map_err(|_| AppError::Invalid(format!("'{cost}' is not an amount")))?;
        Ok(match reallocate(&state.db, &me, from_budget, to_budget, cost, &reason, state.clock.now()).await? {
            Reallocated::Moved { until } => format!("Moved {cost} until {}.", until.format("%Y-%m-%d %H:%M UTC")),
            Reallocated::Requested(_) => format!("{cost} is above what moves without approval: sent to the approvers."),
        })
    })
    .await
}

/// Sets the amount leads may move without an approver (blank: any amount).
#[server(prefix = "/rpc", endpoint = "set_reallocation_rule")]
pub async fn set_reallocation_rule(free_up_to: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::engine::{begin_write, events};
        use crate::backend::entities::organization;
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let (me, state) = crate::pages::admin::admin()?;
        let free = match free_up_to.trim() {
            "" => None,
            text => {
                let amount: Decimal =
                    text.parse().map_err(|_| AppError::Invalid(format!("'{text}' is not an amount")))?;
                if amount.is_sign_negative() {
                    return Err(AppError::Invalid("the amount cannot be negative".into()));
                }
                Some(tollgate_domain::money::to_storage(amount).map_err(|e| AppError::Invalid(e.to_string()))?)
            }
        };
        let now = state.clock.now();
        let txn = begin_write(&state.db).await?;
        let org = organization::Entity::find_by_id(me.org_id).one(&txn).await?.ok_or(AppError::Unauthorized)?;
        let mut row: organization::ActiveModel = org.into();
        row.reallocate_freely_up_to = Set(free);
        row.update(&txn).await?;
        let detail = serde_json::json!({ "free_up_to": free.map(tollgate_domain::money::from_storage) });
        events::record_by(&txn, me.org_id, None, "reallocation_rule_changed", detail, &me.email, now).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

#[component]
pub fn ReallocateSection(
    budget_id: Uuid,
    options: ReallocationOptions,
    moved: ServerAction<ReallocateAllowance>,
    rule: ServerAction<SetReallocationRule>,
) -> impl IntoView {
    let rule_text = match options.free_up_to {
        Some(free) => format!("Moves above {} {free} wait for an approver.", options.currency),
        None => "Moves of any size take effect at once.".to_owned(),
    };
    let can_move = !options.siblings.is_empty();
    (can_move || options.is_admin).then(|| view! {
        <section class="card" id="reallocate">
            <h2>"Move unused allowance"</h2>
            <p class="muted">
                "Give part of this window's unused cost allowance to a sibling budget until the window ends; "
                "never more than is unused here, nor beyond the parent budget. " {rule_text}
            </p>
            {can_move.then(|| view! {
                <ActionForm action=moved>
                    <input type="hidden" name="from_budget" value=budget_id.to_string()/>
                    <label>"To"
                        <select name="to_budget">
                            {options.siblings.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{format!("Amount ({})", options.currency)} <input name="cost" inputmode="decimal" required/></label>
                    <label>"Reason" <input name="reason" required/></label>
                    <button type="submit" class="primary">"Move"</button>
                </ActionForm>
            })}
            {outcome(move || moved.value().get(), |said: &String| said.clone())}
            {options.is_admin.then(|| view! {
                <ActionForm action=rule attr:class="inline">
                    <label>"Organization rule: an approver decides moves above"
                        <input name="free_up_to" inputmode="decimal" placeholder="any amount moves freely"
                            value=options.free_up_to.map(|f| f.to_string()).unwrap_or_default()/>
                    </label>
                    <button type="submit">"Set approval amount"</button>
                </ActionForm>
                {outcome(move || rule.value().get(), |_| "Approval amount saved.".to_owned())}
            })}
        </section>
    })
}
