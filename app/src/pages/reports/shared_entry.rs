//! The form on the allocation report where an admin marks a project as shared and names the
//! projects its spend is attributed to.

use crate::components::outcome;
use crate::errors::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "set_shared_project")]
pub async fn set_shared_project(project: String, method: String, consumers: String) -> Result<String, AppError> {
    crate::errors::respond(async move {
        let (me, state) = crate::pages::admin::admin()?;
        let count = crate::backend::services::shared_costs::set(
            &state.db,
            me.org_id,
            &project,
            &method,
            &consumers,
            &me.email,
            state.clock.now(),
        )
        .await?;
        Ok(if count == 0 {
            format!("{project} is no longer shared.")
        } else {
            format!("{project} is shared with {count} projects.")
        })
    })
    .await
}

/// `current`: (shared project, method, consumers) as they stand.
#[component]
pub fn SharedEntry(
    projects: Vec<(String, String)>,
    current: Vec<(String, String)>,
    set: ServerAction<SetSharedProject>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="shared-title">
            <h2 id="shared-title">"Shared projects"</h2>
            <ul class="muted">
                {current.into_iter().map(|(project, how)| view! { <li>{format!("{project}: {how}")}</li> }).collect_view()}
            </ul>
            <ActionForm action=set attr:class="filters">
                <label>"Shared project"
                    <select name="project">
                        {projects.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Split"
                    <select name="method">
                        <option value="usage">"by the consumers' spend"</option>
                        <option value="fixed">"fixed weights"</option>
                    </select>
                </label>
                <label>"Consumers (slugs; name:weight for a fixed split; empty to stop sharing)"
                    <input type="text" name="consumers" placeholder="search, etl  or  search:70, etl:30"/>
                </label>
                <button type="submit">"Save"</button>
            </ActionForm>
            {outcome(move || set.value().get(), |said: &String| said.clone())}
        </section>
    }
}
