//! Editing a budget's limits, period and enforcement, with a review of what changes before it is saved.

use crate::components::outcome;
use crate::errors::AppError;
use crate::models::BudgetView;
use leptos::form::ActionForm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditOutcome {
    pub changes: Vec<FieldChange>,
    pub saved: bool,
}

/// Checks the edit (nothing is written unless `confirm` is on) and lists what would change.
#[server(prefix = "/rpc", endpoint = "edit_budget")]
#[allow(clippy::too_many_arguments)]
pub async fn edit_budget(
    budget_id: Uuid,
    name: String,
    period: String,
    cost_soft: String,
    cost_hard: String,
    tokens_soft: String,
    tokens_hard: String,
    operations_soft: String,
    operations_hard: String,
    enforcement: String,
    grace_minutes: String,
    reserve_cost: String,
    confirm: Option<String>,
) -> Result<EditOutcome, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::access::Acting;
        use crate::backend::services::budget_changes::{edit_budget, BudgetEdit, EditMode};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let invalid = |field: &str, text: &str| AppError::Invalid(format!("{field}: '{text}' is not a number"));
        let decimal = |field: &str, text: &str| match text.trim() {
            "" => Ok(None),
            t => t.parse().map(Some).map_err(|_| invalid(field, t)),
        };
        let count = |field: &str, text: &str| match text.trim() {
            "" => Ok(None),
            t => t.parse::<i64>().map(Some).map_err(|_| invalid(field, t)),
        };
        let name = name.trim().to_owned();
        let period = period.parse().map_err(|_| AppError::Invalid(format!("unknown period '{period}'")))?;
        let (cost_soft, cost_hard) = (decimal("cost soft", &cost_soft)?, decimal("cost hard", &cost_hard)?);
        let (tokens_soft, tokens_hard) = (count("tokens soft", &tokens_soft)?, count("tokens hard", &tokens_hard)?);
        let operations_soft = count("operations soft", &operations_soft)?;
        let operations_hard = count("operations hard", &operations_hard)?;
        let enforcement =
            enforcement.parse().map_err(|_| AppError::Invalid(format!("unknown enforcement '{enforcement}'")))?;
        let grace_minutes = grace_minutes.trim().parse().map_err(|_| invalid("grace minutes", &grace_minutes))?;
        let reserve_cost = decimal("emergency reserve", &reserve_cost)?.unwrap_or_default();
        let edit = BudgetEdit::Adjust(Box::new(move |after| {
            after.name = name;
            after.period = period;
            (after.cost_soft, after.cost_hard) = (cost_soft, cost_hard);
            (after.tokens_soft, after.tokens_hard) = (tokens_soft, tokens_hard);
            (after.operations_soft, after.operations_hard) = (operations_soft, operations_hard);
            after.enforcement = enforcement;
            after.grace_minutes = grace_minutes;
            after.reserve_cost = reserve_cost;
        }));
        // Validated in full either way, so the review already names any problem; an edit that
        // changes nothing is not saved.
        let mode = if confirm.is_some() { EditMode::Save } else { EditMode::Review };
        let edited = edit_budget(&state, Acting::Person(&me), budget_id, edit, mode).await?;
        let changes = differences(&edited.before, &edited.after.input);
        Ok(EditOutcome { saved: mode == EditMode::Save && !changes.is_empty(), changes })
    })
    .await
}

#[cfg(feature = "ssr")]
fn differences(before: &crate::models::BudgetInput, after: &crate::models::BudgetInput) -> Vec<FieldChange> {
    fn shown<T: ToString>(value: &Option<T>) -> String {
        value.as_ref().map_or_else(|| "none".to_owned(), |v| v.to_string())
    }
    let pairs = [
        ("name", before.name.clone(), after.name.clone()),
        ("period", before.period.as_str().to_owned(), after.period.as_str().to_owned()),
        ("cost soft", shown(&before.cost_soft), shown(&after.cost_soft)),
        ("cost hard", shown(&before.cost_hard), shown(&after.cost_hard)),
        ("tokens soft", shown(&before.tokens_soft), shown(&after.tokens_soft)),
        ("tokens hard", shown(&before.tokens_hard), shown(&after.tokens_hard)),
        ("operations soft", shown(&before.operations_soft), shown(&after.operations_soft)),
        ("operations hard", shown(&before.operations_hard), shown(&after.operations_hard)),
        ("enforcement", before.enforcement.as_str().to_owned(), after.enforcement.as_str().to_owned()),
        ("grace minutes", before.grace_minutes.to_string(), after.grace_minutes.to_string()),
        ("emergency reserve", before.reserve_cost.normalize().to_string(), after.reserve_cost.normalize().to_string()),
    ];
    pairs
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .map(|(field, from, to)| FieldChange { field: field.to_owned(), from, to })
        .collect()
}

#[component]
pub fn EditSection(budget: BudgetView, edit: ServerAction<EditBudget>) -> impl IntoView {
    let b = budget.input;
    let text = |v: Option<String>| v.unwrap_or_default();
    let periods = ["daily", "weekly", "monthly", "quarterly"];
    view! {
        <section class="card" id="edit">
            <h2>"Edit"</h2>
            <ActionForm action=edit>
                <input type="hidden" name="budget_id" value=budget.id.to_string()/>
                <label>"Name" <input name="name" value=b.name.clone() required/></label>
                <div class="inline-fields">
                    <label>"Period"
                        <select name="period">
                            {periods.into_iter().map(|p| view! { <option value=p selected=b.period.as_str() == p>{p}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Enforcement"
                        <select name="enforcement">
                            <option value="hard_stop" selected=b.enforcement.as_str() == "hard_stop">"hard stop"</option>
                            <option value="soft_warning" selected=b.enforcement.as_str() == "soft_warning">"soft warning"</option>
                        </select>
                    </label>
                    <label>"Grace minutes" <input name="grace_minutes" inputmode="numeric" value=b.grace_minutes.to_string()/></label>
                    <label>"Emergency reserve (cost)" <input name="reserve_cost" inputmode="decimal" value=b.reserve_cost.normalize().to_string()/></label>
                </div>
                <div class="inline-fields">
                    <label>"Cost soft" <input name="cost_soft" inputmode="decimal" value=text(b.cost_soft.map(|d| d.to_string()))/></label>
                    <label>"Cost hard" <input name="cost_hard" inputmode="decimal" value=text(b.cost_hard.map(|d| d.to_string()))/></label>
                    <label>"Tokens soft" <input name="tokens_soft" inputmode="numeric" value=text(b.tokens_soft.map(|d| d.to_string()))/></label>
                    <label>"Tokens hard" <input name="tokens_hard" inputmode="numeric" value=text(b.tokens_hard.map(|d| d.to_string()))/></label>
                    <label>"Operations soft" <input name="operations_soft" inputmode="numeric" value=text(b.operations_soft.map(|d| d.to_string()))/></label>
                    <label>"Operations hard" <input name="operations_hard" inputmode="numeric" value=text(b.operations_hard.map(|d| d.to_string()))/></label>
                </div>
                <label class="check"><input type="checkbox" name="confirm" value="yes"/> "Save (leave unticked to review the changes first)"</label>
                <button type="submit" class="primary">"Review or save"</button>
            </ActionForm>
            {outcome(move || edit.value().get(), |done: &EditOutcome| match (done.saved, done.changes.is_empty()) {
                (_, true) => "Nothing would change.".to_owned(),
                (true, false) => "Saved.".to_owned(),
                (false, false) => "Review the changes below; tick Save and submit to apply them.".to_owned(),
            })}
            {move || edit.value().get().and_then(Result::ok).filter(|done| !done.changes.is_empty()).map(|done| view! {
                <table data-testid="edit-changes">
                    <thead><tr><th>"Field"</th><th>"Now"</th><th>{if done.saved { "Saved as" } else { "Would become" }}</th></tr></thead>
                    <tbody>
                        {done.changes.into_iter().map(|c| view! { <tr><td>{c.field}</td><td>{c.from}</td><td>{c.to}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
