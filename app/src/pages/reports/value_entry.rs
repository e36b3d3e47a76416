//! The form on the ROI report where a project's lead (or an admin) records the value the project
//! produced in a month.

use crate::components::outcome;
use crate::errors::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "record_project_value")]
pub async fn record_project_value(
    project: String,
    month: String,
    amount: String,
    note: String,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{access::Acting, values};
        let account = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let value = values::NewValue { project: &project, month: &month, amount: &amount, note: &note };
        let values::Recorded { project: found, month, amount } =
            values::record_value(&state, Acting::Person(&account), &value).await?;
        Ok(format!("Recorded {amount} for {} in {}.", found.name, month.format("%Y-%m")))
    })
    .await
}

#[component]
pub fn ValueEntry(projects: Vec<(String, String)>, record: ServerAction<RecordProjectValue>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="value-title">
            <h2 id="value-title">"Record a project's value"</h2>
            <p class="muted">"Leads of the project's team and admins; recording a month again replaces its figure."</p>
            <ActionForm action=record attr:class="filters">
                <label>"Project"
                    <select name="project">
                        {projects.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Month" <input type="month" name="month" required/></label>
                <label>"Value" <input type="text" name="amount" inputmode="decimal" required placeholder="1250.00"/></label>
                <label>"Note" <input type="text" name="note" maxlength="500"/></label>
                <button type="submit">"Record"</button>
            </ActionForm>
            {outcome(move || record.value().get(), |said: &String| said.clone())}
        </section>
    }
}
