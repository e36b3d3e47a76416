//! API keys (admin): create one (its secret is shown once), see when each was last used, revoke.

use crate::components::{outcome, refused};
use crate::errors::AppError;
use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

pub use crate::models::{KeyRow, KeysPage};

#[server(prefix = "/rpc", endpoint = "api_keys")]
pub async fn api_keys() -> Result<KeysPage, AppError> {
    crate::errors::respond(async move {
        let (me, state) = super::admin()?;
        Ok(crate::backend::services::api_key_admin::keys_page(&state.db, me.org_id).await?)
    })
    .await
}

/// Creates a key and returns its secret, the only time it is ever shown.
#[server(prefix = "/rpc", endpoint = "create_api_key")]
pub async fn create_api_key(name: String, permission: String, project: Option<String>) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{api_key_admin, api_key_admin::Permission, directory::Change};
        let (me, state) = super::admin()?;
        let name = name.trim();
        if name.is_empty() || name.len() > 120 {
            return Err(AppError::Invalid(
                "name the key (1 to 120 characters), e.g. after the service using it".into(),
            ));
        }
        let permission = match permission.as_str() {
            "ingest" => Permission::Ingest,
            "admin" => Permission::Admin,
            other => return Err(AppError::Invalid(format!("unknown permission '{other}'"))),
        };
        let project = project.as_deref().map(str::trim).filter(|p| !p.is_empty());
        let key = api_key_admin::NewKey { org_id: me.org_id, name, permission, project };
        let change = Change { actor: &me.email, now: state.clock.now() };
        Ok(api_key_admin::create_key(&state.db, key, change).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key_id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{api_key_admin, directory::Change};
        let (me, state) = super::admin()?;
        let change = Change { actor: &me.email, now: state.clock.now() };
        Ok(api_key_admin::revoke_key(&state.db, me.org_id, key_id, change).await?)
    })
    .await
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let new_key = crate::components::resets_after_success(move || matches!(create.value().get(), Some(Ok(_))));
    let revoke = ServerAction::<RevokeApiKey>::new();
    let page = Resource::new(move || (create.version().get(), revoke.version().get()), |_| api_keys());
    view! {
        <Title text="API keys · Tollgate"/>
        <h1>"API keys"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(KeysPage { keys, projects }) => Either::Right(view! {
                        <section class="card narrow">
                            <h2>"New key"</h2>
                            <ActionForm action=create node_ref=new_key>
                                <label>"Name" <input name="name" required placeholder="e.g. chat-gateway"/></label>
                                <label>"Permission"
                                    <select name="permission">
                                        <option value="ingest" selected>"usage only (check, reserve, settle, record)"</option>
                                        <option value="admin">"usage and management API"</option>
                                    </select>
                                </label>
                                <label>"Only for project"
                                    <select name="project">
                                        <option value="">"any project"</option>
                                        {projects.into_iter().map(|p| view! { <option value=p.clone()>{p.clone()}</option> }).collect_view()}
                                    </select>
                                </label>
                                <button type="submit" class="primary">"Create key"</button>
                            </ActionForm>
                            {outcome(move || create.value().get(), |secret| format!("Copy the key now; it is not shown again: {secret}"))}
                        </section>
                        <section class="card">
                            {outcome(move || revoke.value().get(), |_| "Key revoked.".to_owned())}
                            <table>
                                <thead><tr><th>"Name"</th><th>"Key"</th><th>"Permission"</th><th>"Project"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>
                                    {keys.into_iter().map(|k| view! { <KeyLine key=k revoke/> }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }),
                }
            })}
        </Transition>
    }
}

#[component]
fn KeyLine(key: KeyRow, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let when = |at: Option<DateTime<Utc>>| at.map(crate::components::time::instant);
    view! {
        <tr>
            <td>{key.name}</td>
            <td><code>{key.prefix}</code></td>
            <td>{key.permission}</td>
            <td>{key.project.unwrap_or_else(|| "any".into())}</td>
            <td>{when(key.last_used_at).unwrap_or_else(|| "never".into())}</td>
            <td>
                {match when(key.revoked_at) {
                    Some(at) => Either::Left(view! { <span class="badge deactivated">{format!("revoked {at}")}</span> }),
                    None => Either::Right(view! {
                        <ActionForm action=revoke attr:class="inline">
                            <input type="hidden" name="key_id" value=key.id.to_string()/>
                            <button type="submit">"Revoke"</button>
                        </ActionForm>
                    }),
                }}
            </td>
        </tr>
    }
}
