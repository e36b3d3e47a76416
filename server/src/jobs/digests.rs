//! Email digests: composes each subscriber's weekly or monthly digest once its period has ended
//! (once, whichever instance gets there: a unique row per subscription and period), then delivers
//! what is due, with retries; with mail off a digest is marked not sent instead of retried.

use super::runner::{every, Outcome, Progress};
use crate::channels::Channels;
use crate::mail::MAIL_OFF;
use app::backend::services::alerts::outbox::Attempt;
use app::backend::services::digests::{
    compose::{compose_due, due_digests},
    outbox,
};
use app::state::AppState;
use lettre::message::header::ContentType;
use lettre::Message;
use std::time::Duration;

const BATCH: u64 = 50;

pub async fn run(state: AppState, channels: Channels, interval: Duration) {
    every(state, "digests", interval, pending, move |state, progress| {
        let channels = channels.clone();
        async move { run_once(&state, &channels, &progress).await }
    })
    .await
}

/// Whether a digest is due to be composed or delivered (reads only).
async fn pending(state: AppState) -> Result<bool, sea_orm::DbErr> {
    let now = state.clock.now();
    Ok(!due_digests(&state.db, now).await?.is_empty() || !outbox::due(&state.db, now, 1).await?.is_empty())
}

pub async fn run_once(state: &AppState, channels: &Channels, progress: &Progress) -> Outcome {
    let composed = compose_due(&state.db, state.clock.now(), &channels.public_url).await.map_err(|e| e.to_string())?;
    let due = outbox::due(&state.db, state.clock.now(), BATCH).await.map_err(|e| e.to_string())?;
    let (total, mut sent) = (due.len(), 0);
    for (i, digest) in due.into_iter().enumerate() {
        progress.report(&format!("delivering digest {} of {total}", i + 1)).await;
        let outcome = if channels.mailer.is_off() {
            Attempt::NotSent(MAIL_OFF.into())
        } else {
            Attempt::from(deliver(channels, &digest).await)
        };
        if let Attempt::Failed(error) = &outcome {
            tracing::warn!(digest = %digest.id, %error, "digest delivery failed");
        }
        sent += usize::from(outcome == Attempt::Sent);
        outbox::record_attempt(&state.db, digest, outcome, state.clock.now()).await.map_err(|e| e.to_string())?;
    }
    Ok(if composed == 0 && total == 0 {
        "nothing to do".into()
    } else {
        format!("{composed} digests composed, {sent} of {total} delivered")
    })
}

async fn deliver(channels: &Channels, digest: &app::backend::entities::digest_send::Model) -> Result<(), String> {
    let message = Message::builder()
        .from(channels.mail_from.clone())
        .to(digest.recipient.parse().map_err(|e| format!("bad recipient address: {e}"))?)
        .subject(digest.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(digest.body.clone())
        .map_err(|e| format!("could not build the message: {e}"))?;
    channels.mailer.send(message).await.map_err(|e| format!("SMTP: {e}"))
}
