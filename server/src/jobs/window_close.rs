//! Period-end reconciliation: closes ended budget windows (final figures written once, a
//! `window_closed` event for integrations).

use super::runner::{counted, every};
use app::backend::services::windows::{close_due, due_windows};
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, interval: Duration) {
    let pending = |state: AppState| async move { Ok(!due_windows(&state.db, state.clock.now()).await?.is_empty()) };
    every(state, "window_close", interval, pending, |state, _| async move {
        counted(close_due(&state.db, state.clock.now()).await.map_err(|e| e.to_string())?, "budget windows closed")
    })
    .await
}
