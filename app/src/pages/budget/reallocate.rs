//! Moving unused allowance of this window to a sibling budget, and (admins) the amount that needs no approver.

use crate::components::outcome;
use crate::errors::AppError;
pub use crate::models::ReallocationOptions;
use leptos::form::ActionForm;
use leptos::prelude::*;
use uuid::Uuid;

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
        use crate::components::{money, time::instant};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let cost: rust_decimal::Decimal =
            cost.trim().parse().map_err(|_| AppError::Invalid(format!("'{cost}' is not an amount")))?;
        Ok(match reallocate(&state.db, &me, from_budget, to_budget, cost, &reason, state.clock.now()).await? {
            Reallocated::Moved { until } => format!("Moved {} until {}.", money(cost), instant(until)),
            Reallocated::Requested(_) => {
                format!("{} is above what moves without approval: sent to the approvers.", money(cost))
            }
        })
    })
    .await
}

/// Sets the amount leads may move without an approver (blank: any amount).
#[server(prefix = "/rpc", endpoint = "set_reallocation_rule")]
pub async fn set_reallocation_rule(free_up_to: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory::Change, reallocation};
        let (me, state) = crate::pages::admin::admin()?;
        let free = match free_up_to.trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| AppError::Invalid(format!("'{text}' is not an amount")))?),
        };
        let change = Change { actor: &me.email, now: state.clock.now() };
        Ok(reallocation::set_free_amount(&state.db, me.org_id, free, change).await?)
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
