//! The in-app inbox: alerts for the signed-in person, unread counts, read, acknowledge, email digest choice.

use crate::components::time::instant;
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
pub struct InboxEntry {
    pub id: Uuid,
    pub alert_id: Uuid,
    pub budget_id: Option<Uuid>,
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    pub acknowledged: bool,
    pub escalation_level: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxView {
    pub entries: Vec<InboxEntry>,
    pub unread: u64,
    /// immediate, hourly or daily
    pub digest: String,
}

#[server(prefix = "/rpc", endpoint = "inbox")]
pub async fn inbox() -> Result<InboxView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::alerts::inbox;
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let entries = inbox::entries(&state.db, me.id, 200)
            .await?
            .into_iter()
            .map(|(n, a)| InboxEntry {
                id: n.id,
                alert_id: a.id,
                budget_id: a.budget_id,
                kind: a.kind,
                severity: a.severity,
                title: a.title,
                body: a.body,
                created_at: a.created_at,
                read: n.read_at.is_some(),
                acknowledged: a.acknowledged_at.is_some(),
                escalation_level: a.escalation_level,
            })
            .collect();
        let digest = inbox::digest_of(&state.db, me.id).await?;
        Ok(InboxView { entries, unread: inbox::unread_count(&state.db, me.id).await?, digest })
    })
    .await
}

/// Unread inbox entries of the signed-in person (0 when signed out), for the top bar.
#[server(prefix = "/rpc", endpoint = "unread_alerts")]
pub async fn unread_alerts() -> Result<u64, AppError> {
    let Ok(me) = crate::auth::current_account() else { return Ok(0) };
    let state = crate::state::app_state().map_err(AppError::internal)?;
    Ok(crate::backend::services::alerts::inbox::unread_count(&state.db, me.id).await?)
}

/// Marks one entry read, or every entry when `entry_id` is empty.
#[server(prefix = "/rpc", endpoint = "mark_read")]
pub async fn mark_read(entry_id: Option<String>) -> Result<u64, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let id = match entry_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => Some(Uuid::parse_str(text).map_err(|_| AppError::Invalid("not an inbox entry".into()))?),
            None => None,
        };
        Ok(crate::backend::services::alerts::inbox::mark_read(&state.db, me.id, id, state.clock.now()).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "acknowledge_alert")]
pub async fn acknowledge_alert(alert_id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let done =
            crate::backend::services::alerts::inbox::acknowledge(&state.db, me.id, alert_id, state.clock.now()).await?;
        done.then_some(()).ok_or_else(|| AppError::NotFound("that alert in your inbox".into()))
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_alert_digest")]
pub async fn set_alert_digest(digest: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let choice = tollgate_domain::alerting::Digest::parse(&digest)
            .ok_or_else(|| AppError::Invalid("choose immediate, hourly or daily".into()))?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        Ok(crate::backend::services::alerts::inbox::set_digest(&state.db, me.id, choice).await?)
    })
    .await
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let read = ServerAction::<MarkRead>::new();
    let acknowledge = ServerAction::<AcknowledgeAlert>::new();
    let digest = ServerAction::<SetAlertDigest>::new();
    let data =
        Resource::new(move || (read.version().get(), acknowledge.version().get(), digest.version().get()), |_| inbox());
    view! {
        <Title text="Inbox · Tollgate"/>
        <h1>"Inbox"</h1>
        {outcome(move || acknowledge.value().get(), |_| "Acknowledged: it will not escalate.".to_owned())}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(inbox) => Either::Right(view! {
                        <section class="card">
                            <div class="section-head">
                                <p data-testid="unread">{format!("{} unread", inbox.unread)}</p>
                                <ActionForm action=read attr:class="inline">
                                    <input type="hidden" name="entry_id" value=""/>
                                    <button type="submit">"Mark all read"</button>
                                </ActionForm>
                            </div>
                            {if inbox.entries.is_empty() {
                                Either::Left(view! { <p class="muted">"No alerts yet. They appear here when a budget crosses a threshold."</p> })
                            } else {
                                Either::Right(view! {
                                    <ul class="inbox">
                                        {inbox.entries.into_iter().map(|e| view! { <Entry entry=e read acknowledge/> }).collect_view()}
                                    </ul>
                                })
                            }}
                        </section>
                        <DigestChoice current=inbox.digest digest/>
                    }),
                }
            })}
        </Transition>
    }
}

#[component]
fn Entry(
    entry: InboxEntry,
    read: ServerAction<MarkRead>,
    acknowledge: ServerAction<AcknowledgeAlert>,
) -> impl IntoView {
    let class = format!("inbox-entry {} {}", entry.severity, if entry.read { "read" } else { "unread" });
    view! {
        <li class=class data-alert=entry.alert_id.to_string()>
            <div>
                <span class=format!("badge {}", entry.severity)>{entry.severity.clone()}</span>
                " "
                <strong>{entry.title.clone()}</strong>
                {(entry.escalation_level > 0).then(|| view! { <span class="muted">" · escalated"</span> })}
            </div>
            <p>{entry.body.clone()}</p>
            <p class="muted">
                <time datetime=entry.created_at.to_rfc3339()>{instant(entry.created_at)}</time>
                {entry.budget_id.map(|id| view! { " · " <a href=format!("/budgets/{id}")>"Open the budget"</a> })}
            </p>
            <div class="actions">
                {(!entry.read).then(|| view! {
                    <ActionForm action=read attr:class="inline">
                        <input type="hidden" name="entry_id" value=entry.id.to_string()/>
                        <button type="submit">"Mark read"</button>
                    </ActionForm>
                })}
                {if entry.acknowledged {
                    Either::Left(view! { <span class="badge within_budget">"acknowledged"</span> })
                } else {
                    Either::Right(view! {
                        <ActionForm action=acknowledge attr:class="inline">
                            <input type="hidden" name="alert_id" value=entry.alert_id.to_string()/>
                            <button type="submit" class="primary">"Acknowledge"</button>
                        </ActionForm>
                    })
                }}
            </div>
        </li>
    }
}

#[component]
fn DigestChoice(current: String, digest: ServerAction<SetAlertDigest>) -> impl IntoView {
    let options =
        [("immediate", "each alert at once"), ("hourly", "one digest an hour"), ("daily", "one digest a day")];
    view! {
        <section class="card narrow">
            <h2>"Alert emails"</h2>
            <ActionForm action=digest>
                <label>"Send me"
                    <select name="digest">
                        {options.into_iter().map(|(value, label)| view! {
                            <option value=value selected=current == value>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Save"</button>
            </ActionForm>
            {outcome(move || digest.value().get(), |_| "Saved.".to_owned())}
        </section>
    }
}
