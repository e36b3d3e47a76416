//! Marks override and increase requests that nobody decided in time as expired.

use app::services::requests;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match requests::expire_overdue(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "expired undecided requests"),
            Err(error) => tracing::warn!(%error, "expiring requests failed; will retry"),
        }
    }
}
