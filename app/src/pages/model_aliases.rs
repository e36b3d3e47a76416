//! Model aliases on the Prices page: names services send that a catalog entry prices; admins add
//! and remove them.

use crate::components::outcome;
use crate::errors::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasRow {
    pub id: Uuid,
    pub alias: String,
    pub model: String,
}

#[server(prefix = "/rpc", endpoint = "add_model_alias")]
pub async fn add_model_alias(alias: String, model: String) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::directory;
        let me = crate::auth::require(crate::auth::Role::Admin)?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let change = directory::Change { actor: &me.email, now: state.clock.now() };
        let added =
            directory::add_model_alias(&state.db, me.org_id, directory::ModelAliasInput { alias, model }, change)
                .await?;
        Ok(format!("Calls naming {} are priced as {}.", added.alias, added.model))
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "remove_model_alias")]
pub async fn remove_model_alias(id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::directory;
        let me = crate::auth::require(crate::auth::Role::Admin)?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let change = directory::Change { actor: &me.email, now: state.clock.now() };
        match directory::remove_model_alias(&state.db, me.org_id, id, change).await? {
            true => Ok(()),
            false => Err(AppError::NotFound("that alias".into())),
        }
    })
    .await
}

#[component]
pub fn ModelAliases(
    aliases: Vec<AliasRow>,
    may_edit: bool,
    add: ServerAction<AddModelAlias>,
    remove: ServerAction<RemoveModelAlias>,
) -> impl IntoView {
    let form = crate::components::resets_after_success(move || matches!(add.value().get(), Some(Ok(_))));
    view! {
        <section class="card" aria-labelledby="aliases-title">
            <h2 id="aliases-title">"Model aliases"</h2>
            <p class="muted">"Dated names (gpt-4o-2024-08-06), provider prefixes (openai/gpt-4o) and -latest names are priced by their catalog entry without an alias. An alias prices a name of your own (a deployment, a router's name) as a catalog entry."</p>
            {(!aliases.is_empty()).then(|| view! {
                <table class="compact" data-testid="model-aliases">
                    <thead><tr><th scope="col">"Name sent"</th><th scope="col">"Priced as"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                    <tbody>
                        {aliases.into_iter().map(|a| {
                            let remove_label = format!("Remove alias {}", a.alias);
                            view! {
                            <tr data-alias=a.alias.clone()>
                                <td>{a.alias.clone()}</td>
                                <td>{a.model}</td>
                                <td>{may_edit.then(|| view! {
                                    <ActionForm action=remove attr:class="inline">
                                        <input type="hidden" name="id" value=a.id.to_string()/>
                                        <button type="submit" aria-label=remove_label>"Remove"</button>
                                    </ActionForm>
                                })}</td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            })}
            {may_edit.then(|| view! {
                <ActionForm action=add node_ref=form attr:class="filters">
                    <label>"Name sent" <input name="alias" required/></label>
                    <label>"Priced as (catalog model)" <input name="model" required/></label>
                    <button type="submit" class="primary">"Add alias"</button>
                </ActionForm>
                {outcome(move || add.value().get(), |said: &String| said.clone())}
            })}
        </section>
    }
}
