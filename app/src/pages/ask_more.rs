//! Asking an approver for more: a temporary override or a permanent increase, on the budget list and every budget's page.

use crate::components::outcome;
use crate::pages::approvals::RequestBudget;
use leptos::form::ActionForm;
use leptos::prelude::*;
use uuid::Uuid;

/// The form; with one budget to choose from (a budget's own page) it asks for that one.
#[component]
pub fn AskForMore(budgets: Vec<(Uuid, String)>, ask: ServerAction<RequestBudget>) -> impl IntoView {
    let only = (budgets.len() == 1).then(|| budgets[0].0);
    view! {
        <section class="card narrow" id="ask">
            <h2>{if only.is_some() { "Ask for more on this budget" } else { "Ask for more" }}</h2>
            <p class="muted">"An approver decides; you see the answer under " <a href="/requests">"Requests"</a> " and in your inbox."</p>
            <ActionForm action=ask>
                {match only {
                    Some(id) => view! { <input type="hidden" name="budget_id" value=id.to_string()/> }.into_any(),
                    None => view! {
                        <label>"Budget"
                            <select name="budget_id">
                                {budgets.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                            </select>
                        </label>
                    }.into_any(),
                }}
                <label>"What"
                    <select name="kind">
                        <option value="override">"a temporary override"</option>
                        <option value="increase">"a permanent increase of the hard level"</option>
                        <option value="increase_next">"a permanent increase from the next window"</option>
                    </select>
                </label>
                <div class="inline-fields">
                    <label>"Cost" <input name="cost" inputmode="decimal"/></label>
                    <label>"Tokens" <input name="tokens" inputmode="numeric"/></label>
                    <label>"Operations" <input name="operations" inputmode="numeric"/></label>
                    <label>"For how many days (override)" <input name="days" inputmode="numeric" value="7"/></label>
                </div>
                <label>"Reason" <input name="reason" required/></label>
                <button type="submit" class="primary">"Send request"</button>
            </ActionForm>
            {outcome(move || ask.value().get(), |_| "Request sent to the approvers.".to_owned())}
        </section>
    }
}
