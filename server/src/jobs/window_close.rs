//! Period-end reconciliation: closes ended budget windows (final figures written once, a
//! `window_closed` event for integrations).

use super::runner::{counted, every};
use app::services::windows::close_due;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, interval: Duration) {
    every(state, "window_close", interval, |state, _| async move {
        counted(close_due(&state.db, state.clock.now()).await.map_err(|e| e.to_string())?, "budget windows closed")
    })
    .await
}
