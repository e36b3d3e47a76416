//! Marks requests that nobody decided in time as expired, and applies increases approved from the next window once it starts.

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
        match requests::apply_scheduled(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(applied) => tracing::info!(applied, "applied increases scheduled for this window"),
            Err(error) => tracing::warn!(%error, "applying scheduled increases failed; will retry"),
        }
    }
}
