//! Forecasts every budget's cost to its window end and alerts once per window when it will run out.

use super::runner::{always, counted, every};
use app::backend::services::alerts::forecasts::raise_forecast_alerts;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, interval: Duration) {
    every(state, "forecast_refresh", interval, always, |state, _| async move {
        let raised = raise_forecast_alerts(&state.db, state.clock.now()).await.map_err(|e| e.to_string())?;
        counted(raised, "forecast alerts raised")
    })
    .await
}
