//! Removes rows that have served their purpose: create-once keys after 30 days, expired sessions, sign-in attempts after 90 days.

use super::runner::{counted, every};
use app::backend::services::housekeeping;
use app::state::AppState;
use chrono::Utc;
use std::time::Duration;

pub async fn run(state: AppState, interval: Duration) {
    let pending =
        |state: AppState| async move { housekeeping::any_due(&state.db, state.clock.now(), Utc::now()).await };
    every(state, "housekeeping", interval, pending, |state, _| async move {
        let removed =
            housekeeping::remove_old(&state.db, state.clock.now(), Utc::now()).await.map_err(|e| e.to_string())?;
        if removed.total() == 0 {
            return counted(0, "");
        }
        Ok(format!(
            "removed {} create-once keys, {} expired sessions, {} old sign-in attempts",
            removed.creation_keys, removed.sessions, removed.sign_in_attempts
        ))
    })
    .await
}
