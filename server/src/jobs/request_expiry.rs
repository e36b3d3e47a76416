//! Marks requests that nobody decided in time as expired, and applies increases approved from the next window once it starts.

use super::runner::{counted, every};
use app::backend::services::requests;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, interval: Duration) {
    let pending = |state: AppState| async move { requests::any_due(&state.db, state.clock.now()).await };
    every(state, "request_expiry", interval, pending, |state, _| async move {
        let expired = requests::expire_overdue(&state.db, state.clock.now()).await.map_err(|e| e.to_string())?;
        let applied = requests::apply_scheduled(&state.db, state.clock.now()).await.map_err(|e| e.to_string())?;
        Ok(match (expired, applied) {
            (0, 0) => return counted(0, ""),
            _ => format!("{expired} requests expired, {applied} scheduled increases applied"),
        })
    })
    .await
}
