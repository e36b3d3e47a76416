//! Pushes the budget events feed to registered event hooks: signed batches in order, retried until accepted.

use crate::channels::{http_outcome, webhook::signature, Channels};
use app::backend::services::event_hooks::{any_due, claim_due, record_push, Push};
use app::backend::services::feed::FeedEvent;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, channels: Channels, interval: Duration) {
    let pending = |state: AppState| async move { any_due(&state.db, state.clock.now()).await };
    super::runner::every(state, "event_push", interval, pending, move |state, _| {
        let channels = channels.clone();
        async move {
            super::runner::counted(
                drain(&state, &channels).await.map_err(|e| e.to_string())?,
                "events accepted by hooks",
            )
        }
    })
    .await
}

/// Pushes everything waiting now; returns how many events were accepted by receivers.
pub async fn drain(state: &AppState, channels: &Channels) -> Result<usize, sea_orm::DbErr> {
    let mut accepted = 0;
    loop {
        let pushes = claim_due(&state.db, state.clock.now()).await?;
        if pushes.is_empty() {
            return Ok(accepted);
        }
        let mut any_ok = false;
        for push in pushes {
            let outcome = send(channels, &push, state.clock.now().timestamp()).await;
            match &outcome {
                Ok(()) => {
                    accepted += push.events.len();
                    any_ok = true;
                }
                Err(error) => tracing::warn!(hook = %push.hook.id, %error, "event hook push failed"),
            }
            record_push(&state.db, &push, outcome, state.clock.now()).await?;
        }
        if !any_ok {
            return Ok(accepted);
        }
    }
}

/// POSTs `{"hook_id", "events": [...], "next"}` signed like alert webhooks (see `channels::webhook`).
async fn send(channels: &Channels, push: &Push, timestamp: i64) -> Result<(), String> {
    let events: Vec<FeedEvent> = push.events.iter().cloned().map(FeedEvent::from).collect();
    let body =
        serde_json::to_vec(&serde_json::json!({ "hook_id": push.hook.id, "events": events, "next": push.next() }))
            .map_err(|e| e.to_string())?;
    let signed = signature(&push.hook.secret, timestamp, &body);
    let sent = channels
        .post(&push.hook.url)?
        .header("content-type", "application/json")
        .header("Tollgate-Timestamp", timestamp.to_string())
        .header("Tollgate-Signature", format!("v1={signed}"))
        .header("Tollgate-Delivery", push.next())
        .body(body)
        .send()
        .await;
    http_outcome(sent).await
}
