//! Drains the alert outbox: claims due messages, sends them, records each attempt (retry, backoff, dead letter).

use crate::channels::Channels;
use crate::mail::MAIL_OFF;
use app::backend::services::alerts::outbox::{any_due, claim_due, record_attempt, Attempt};
use app::state::AppState;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Messages claimed per round; they are sent concurrently.
const BATCH: u64 = 32;

pub async fn run(state: AppState, channels: Channels, interval: Duration) {
    let pending = |state: AppState| async move { any_due(&state.db, state.clock.now()).await };
    super::runner::every(state, "alert_dispatcher", interval, pending, move |state, _| {
        let channels = channels.clone();
        async move {
            super::runner::counted(
                drain(&state, &channels).await.map_err(|e| e.to_string())?,
                "alert messages attempted",
            )
        }
    })
    .await
}

/// Sends everything due now; returns how many messages were attempted.
pub async fn drain(state: &AppState, channels: &Channels) -> Result<usize, sea_orm::DbErr> {
    let mut attempted = 0;
    loop {
        let claimed = claim_due(&state.db, state.clock.now(), BATCH).await?;
        if claimed.is_empty() {
            return Ok(attempted);
        }
        attempted += claimed.len();
        let mut sending = JoinSet::new();
        for message in claimed {
            let (state, channels) = (state.clone(), channels.clone());
            sending.spawn(async move {
                let started = Instant::now();
                let first = &message.deliveries[0];
                let outcome = if first.channel.starts_with("email") && channels.mailer.is_off() {
                    Attempt::NotSent(MAIL_OFF.into())
                } else {
                    Attempt::from(channels.send(&message.deliveries, &message.alerts, state.clock.now()).await)
                };
                let took = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
                if let Attempt::Failed(error) = &outcome {
                    tracing::warn!(delivery = %first.id, channel = %first.channel, %error, "alert delivery failed");
                }
                record_attempt(&state.db, &message.deliveries, outcome, took, state.clock.now()).await
            });
        }
        while let Some(done) = sending.join_next().await {
            match done {
                Ok(recorded) => recorded?,
                Err(panic) => tracing::error!(%panic, "an alert delivery task failed"),
            }
        }
    }
}
