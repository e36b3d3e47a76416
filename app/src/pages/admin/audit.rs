//! The audit log (admin): sign-ins, role changes, keys, directory and budget changes, newest first.

use crate::components::refused;
use crate::errors::AppError;
use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u64 = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: Option<String>,
    pub detail: String,
}

#[server(prefix = "/rpc", endpoint = "audit_log")]
pub async fn audit_log() -> Result<Vec<AuditEntry>, AppError> {
    crate::errors::respond(async move {
        use crate::entities::budget_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
        let (me, state) = super::admin()?;
        let rows = budget_event::Entity::find()
            .filter(budget_event::Column::OrgId.eq(me.org_id))
            .filter(budget_event::Column::Actor.is_not_null())
            .order_by_desc(budget_event::Column::CreatedAt)
            .order_by_desc(budget_event::Column::Id)
            .limit(PAGE_SIZE)
            .all(&state.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|e| AuditEntry { at: e.created_at, kind: e.kind, actor: e.actor, detail: e.detail })
            .collect())
    })
    .await
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| audit_log());
    view! {
        <Title text="Audit log · Tollgate"/>
        <h1>"Audit log"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(entries) => Either::Right(view! {
                        <section class="card">
                            <p class="muted">{format!("The latest {PAGE_SIZE} changes and sign-ins.")}</p>
                            <table class="audit">
                                <thead><tr><th>"When (UTC)"</th><th>"What"</th><th>"Who"</th><th>"Details"</th></tr></thead>
                                <tbody>
                                    {entries.into_iter().map(|e| view! {
                                        <tr>
                                            <td>{e.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                            <td>{e.kind}</td>
                                            <td>{e.actor.unwrap_or_default()}</td>
                                            <td><code class="detail">{e.detail}</code></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }),
                }
            })}
        </Transition>
    }
}
