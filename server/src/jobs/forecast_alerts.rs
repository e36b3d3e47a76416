//! Forecasts every budget's cost to its window end and alerts once per window when it will run out.

use app::services::alerts::forecasts::raise_forecast_alerts;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match raise_forecast_alerts(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(raised) => tracing::info!(raised, "raised forecast alerts"),
            Err(error) => tracing::warn!(%error, "forecasting budgets failed; will retry"),
        }
    }
}
