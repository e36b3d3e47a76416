//! Integrations (admin): event hooks that receive the events feed, and alert deliveries that failed, with retry.

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
pub struct HookRow {
    pub id: Uuid,
    pub url: String,
    pub delivered_events: i64,
    pub last_delivered_at: Option<DateTime<Utc>>,
    pub failures: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedDelivery {
    pub id: Uuid,
    pub alert_title: String,
    pub budget_link: Option<String>,
    pub channel: String,
    /// Where it goes, with URL paths (which carry Slack's secret) cut off.
    pub destination: String,
    pub dead: bool,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationsView {
    pub hooks: Vec<HookRow>,
    pub failed: Vec<FailedDelivery>,
}

#[server(prefix = "/rpc", endpoint = "integrations")]
pub async fn integrations() -> Result<IntegrationsView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{alerts::outbox, event_hooks};
        let (me, state) = super::admin()?;
        let hooks = event_hooks::list(&state.db, me.org_id)
            .await?
            .into_iter()
            .map(|h| HookRow {
                id: h.id,
                url: h.url,
                delivered_events: h.delivered_events,
                last_delivered_at: h.last_delivered_at,
                failures: h.failures,
                last_error: h.last_error,
                next_attempt_at: h.next_attempt_at,
            })
            .collect();
        let failed = outbox::troubled(&state.db, me.org_id, 100)
            .await?
            .into_iter()
            .map(|(d, alert)| FailedDelivery {
                id: d.id,
                alert_title: alert.title,
                budget_link: alert.budget_id.map(|id| format!("/budgets/{id}")),
                destination: destination(&d.channel, &d.target),
                channel: d.channel,
                dead: d.state == "dead",
                attempts: d.attempts,
                last_error: d.last_error,
                next_attempt_at: d.next_attempt_at,
            })
            .collect();
        Ok(IntegrationsView { hooks, failed })
    })
    .await
}

#[cfg(feature = "ssr")]
fn destination(channel: &str, target: &str) -> String {
    if channel.starts_with("email") {
        return target.to_owned();
    }
    let host = target.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or(target);
    format!("{host}/…")
}

/// Registers a URL for the events feed; returns its signing secret, shown only this once.
#[server(prefix = "/rpc", endpoint = "add_event_hook")]
pub async fn add_event_hook(url: String) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory::Change, integrations};
        let (me, state) = super::admin()?;
        let change = Change { actor: &me.email, now: state.clock.now() };
        Ok(integrations::add_event_hook(&state, me.org_id, &url, change).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "remove_event_hook")]
pub async fn remove_event_hook(hook_id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory::Change, integrations};
        let (me, state) = super::admin()?;
        let change = Change { actor: &me.email, now: state.clock.now() };
        Ok(integrations::remove_event_hook(&state, me.org_id, hook_id, change).await?)
    })
    .await
}

/// Sends a dead-lettered alert delivery again, with a fresh round of attempts.
#[server(prefix = "/rpc", endpoint = "retry_delivery")]
pub async fn retry_delivery(delivery_id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory::Change, integrations};
        let (me, state) = super::admin()?;
        let change = Change { actor: &me.email, now: state.clock.now() };
        Ok(integrations::retry_delivery(&state, me.org_id, delivery_id, change).await?)
    })
    .await
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let add = ServerAction::<AddEventHook>::new();
    let new_hook = crate::components::resets_after_success(move || matches!(add.value().get(), Some(Ok(_))));
    let remove = ServerAction::<RemoveEventHook>::new();
    let retry = ServerAction::<RetryDelivery>::new();
    let page =
        Resource::new(move || (add.version().get(), remove.version().get(), retry.version().get()), |_| integrations());
    view! {
        <Title text="Integrations · Tollgate"/>
        <h1>"Integrations"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(IntegrationsView { hooks, failed }) => Either::Right(view! {
                        <section class="card">
                            <h2>"Event hooks"</h2>
                            <p class="muted">
                                "Every budget event (thresholds crossed, forecasts, denials, overrides, closed windows…) is POSTed in order, "
                                "in batches, signed like alert webhooks. The same events can be read with "<code>"GET /api/v1/events"</code>"."
                            </p>
                            <ActionForm action=add node_ref=new_hook>
                                <label>"Receiver URL" <input name="url" type="url" required placeholder="https://example.com/tollgate-events"/></label>
                                <button type="submit" class="primary">"Add hook"</button>
                            </ActionForm>
                            {outcome(move || add.value().get(), |secret| format!("Hook added. Its signing secret, shown only now: {secret}"))}
                            {outcome(move || remove.value().get(), |_| "Hook removed.".to_owned())}
                            <table data-testid="event-hooks">
                                <thead><tr><th>"URL"</th><th>"Delivered"</th><th>"Last delivery"</th><th>"State"</th><th></th></tr></thead>
                                <tbody>{hooks.into_iter().map(|h| view! { <HookLine hook=h remove/> }).collect_view()}</tbody>
                            </table>
                        </section>
                        <section class="card">
                            <h2>"Failed alert deliveries"</h2>
                            {outcome(move || retry.value().get(), |_| "Queued again.".to_owned())}
                            {if failed.is_empty() {
                                Either::Left(view! { <p class="muted">"No failed deliveries."</p> })
                            } else {
                                Either::Right(view! {
                                    <table data-testid="failed-deliveries">
                                        <thead><tr><th>"Alert"</th><th>"Channel"</th><th>"To"</th><th>"Attempts"</th><th>"Last error"</th><th></th></tr></thead>
                                        <tbody>{failed.into_iter().map(|d| view! { <FailedLine delivery=d retry/> }).collect_view()}</tbody>
                                    </table>
                                })
                            }}
                        </section>
                    }),
                }
            })}
        </Transition>
    }
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map(crate::components::time::instant).unwrap_or_else(|| "never".into())
}

#[component]
fn HookLine(hook: HookRow, remove: ServerAction<RemoveEventHook>) -> impl IntoView {
    let state = match hook.failures {
        0 => "ok".to_owned(),
        n => format!(
            "{n} failures, next try {}: {}",
            when(Some(hook.next_attempt_at)),
            hook.last_error.unwrap_or_default()
        ),
    };
    view! {
        <tr>
            <td><code>{hook.url}</code></td>
            <td>{format!("{} events", hook.delivered_events)}</td>
            <td>{when(hook.last_delivered_at)}</td>
            <td>{state}</td>
            <td>
                <ActionForm action=remove attr:class="inline">
                    <input type="hidden" name="hook_id" value=hook.id.to_string()/>
                    <button type="submit">"Remove"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
fn FailedLine(delivery: FailedDelivery, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let title = match delivery.budget_link {
        Some(link) => Either::Left(view! { <a href=link>{delivery.alert_title}</a> }),
        None => Either::Right(delivery.alert_title),
    };
    view! {
        <tr>
            <td>{title}</td>
            <td>{delivery.channel}</td>
            <td><code>{delivery.destination}</code></td>
            <td>{delivery.attempts}</td>
            <td>{delivery.last_error.unwrap_or_default()}</td>
            <td>
                {if delivery.dead {
                    Either::Left(view! {
                        <ActionForm action=retry attr:class="inline">
                            <input type="hidden" name="delivery_id" value=delivery.id.to_string()/>
                            <button type="submit">"Retry"</button>
                        </ActionForm>
                    })
                } else {
                    Either::Right(view! { <span class="muted">{format!("retrying, next {}", when(Some(delivery.next_attempt_at)))}</span> })
                }}
            </td>
        </tr>
    }
}
