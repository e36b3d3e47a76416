//! API keys (admin): create one (its secret is shown once), see when each was last used, revoke.

use crate::components::{outcome, refused};
use crate::errors::AppError;
use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    /// `tg_<prefix>_…`: enough to recognise a key, useless to use it.
    pub prefix: String,
    pub permission: String,
    pub project: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeysPage {
    pub keys: Vec<KeyRow>,
    /// Slugs of the organization's projects, for the restriction choice.
    pub projects: Vec<String>,
}

#[server(prefix = "/rpc", endpoint = "api_keys")]
pub async fn api_keys() -> Result<KeysPage, AppError> {
    crate::errors::respond(async move {
        use crate::entities::{api_key, project};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let (me, state) = super::admin()?;
        let projects = project::Entity::find()
            .filter(project::Column::OrgId.eq(me.org_id))
            .order_by_asc(project::Column::Slug)
            .all(&state.db)
            .await?;
        let slug = |id: Uuid| projects.iter().find(|p| p.id == id).map(|p| p.slug.clone());
        let keys = api_key::Entity::find()
            .filter(api_key::Column::OrgId.eq(me.org_id))
            .order_by_desc(api_key::Column::CreatedAt)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name,
                prefix: format!("tg_{}_…", k.prefix),
                permission: k.permission,
                project: k.project_id.and_then(slug),
                created_at: k.created_at,
                last_used_at: k.last_used_at,
                revoked_at: k.revoked_at,
            })
            .collect();
        Ok(KeysPage { keys, projects: projects.iter().map(|p| p.slug.clone()).collect() })
    })
    .await
}

/// Creates a key and returns its secret, the only time it is ever shown.
#[server(prefix = "/rpc", endpoint = "create_api_key")]
pub async fn create_api_key(name: String, permission: String, project: Option<String>) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::services::api_keys::{self, Permission};
        let (me, state) = super::admin()?;
        let name = name.trim();
        if name.is_empty() || name.len() > 120 {
            return Err(AppError::Invalid("name the key (1 to 120 characters), e.g. after the service using it".into()));
        }
        let permission = match permission.as_str() {
            "ingest" => Permission::Ingest,
            "admin" => Permission::Admin,
            other => return Err(AppError::Invalid(format!("unknown permission '{other}'"))),
        };
        let now = state.clock.now();
        let txn = crate::services::engine::begin_write(&state.db).await?;
        let project_id = match project.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(slug) => Some(
                crate::services::organizations::project_by_slug(&txn, me.org_id, slug)
                    .await?
                    .ok_or_else(|| AppError::Invalid(format!("unknown project '{slug}'")))?
                    .id,
            ),
            None => None,
        };
        let (key, secret) = api_keys::create(&txn, me.org_id, name, permission, project_id, now).await?;
        let detail = serde_json::json!({ "key": key.name, "prefix": key.prefix, "permission": key.permission, "project": project });
        crate::services::engine::events::record_by(&txn, me.org_id, None, "api_key_created", detail, &me.email, now).await?;
        txn.commit().await?;
        Ok(secret)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key_id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let (me, state) = super::admin()?;
        let now = state.clock.now();
        let txn = crate::services::engine::begin_write(&state.db).await?;
        if !crate::services::api_keys::revoke(&txn, me.org_id, key_id, now).await? {
            return Err(AppError::NotFound("a live key with that id".into()));
        }
        let detail = serde_json::json!({ "key_id": key_id });
        crate::services::engine::events::record_by(&txn, me.org_id, None, "api_key_revoked", detail, &me.email, now)
            .await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
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
                            <ActionForm action=create>
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
    let when = |at: Option<DateTime<Utc>>| at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
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
