//! Escalates alerts nobody acknowledged in time to the next level.

use app::services::alerts::escalation::escalate_due;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match escalate_due(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(escalated) => tracing::info!(escalated, "escalated unacknowledged alerts"),
            Err(error) => tracing::warn!(%error, "escalating alerts failed; will retry"),
        }
    }
}
