//! Releases reservations that were neither settled nor released before their expiry.

use app::services::engine;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match engine::sweep_expired(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(released) => tracing::info!(released, "released expired reservations"),
            Err(error) => tracing::warn!(%error, "sweeping expired reservations failed; will retry"),
        }
    }
}
