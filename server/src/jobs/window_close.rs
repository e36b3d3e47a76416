//! Closes ended budget windows: final figures written once, a `window_closed` event for integrations.

use app::services::windows::close_due;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match close_due(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "closed budget windows"),
            Err(error) => tracing::warn!(%error, "closing budget windows failed; will retry"),
        }
    }
}
