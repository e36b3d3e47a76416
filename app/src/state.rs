//! The state shared by every request and server function: database, clock, site options.

use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tollgate_domain::Clock;

/// Cloned for every request and server function, so the fields sit behind one shared pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub leptos_options: LeptosOptions,
    /// Check-and-reserve requests of this process, decided in batches (group commit).
    pub checks: crate::backend::engine::CheckCombiner,
    /// This process's cache of read-mostly configuration (`engine::prepare::config_cache`).
    pub config: Arc<crate::backend::engine::ConfigCache>,
    /// Where webhooks, Slack messages and event hooks may be sent.
    pub outbound: crate::backend::services::outbound::OutboundPolicy,
    /// No mail server is configured: pages that offer email say it will not be sent.
    pub mail_off: bool,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state provided to server functions through `leptos_routes_with_context`.
pub fn app_state() -> Result<AppState, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("application state is missing"))
}
