//! Releases reservations that were neither settled nor released before their expiry.

use super::runner::{counted, every};
use app::backend::engine;
use app::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState, interval: Duration) {
    let pending = |state: AppState| async move { engine::any_expired(&state.db, state.clock.now()).await };
    every(state, "reservation_sweeper", interval, pending, |state, _| async move {
        let released = engine::sweep_expired(&state.db, state.clock.now()).await.map_err(|e| e.to_string())?;
        counted(released, "expired reservations released")
    })
    .await
}
