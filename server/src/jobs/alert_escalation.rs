//! Escalates alerts nobody acknowledged in time to the next level.

use super::runner::{counted, every};
use app::backend::services::alerts::escalation::{any_due, escalate_due};
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, interval: Duration) {
    let pending = |state: AppState| async move { any_due(&state.db, state.clock.now()).await };
    every(state, "alert_escalation", interval, pending, |state, _| async move {
        counted(escalate_due(&state.db, state.clock.now()).await.map_err(|e| e.to_string())?, "alerts escalated")
    })
    .await
}
