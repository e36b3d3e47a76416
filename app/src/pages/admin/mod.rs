//! Administration pages: people and roles, API keys, integrations and failed deliveries (the audit
//! log is a report: `pages::reports`).

pub mod api_keys;
pub mod integrations;
pub mod jobs;
pub mod users;

/// The admin who makes a change, as the audit trail names them.
#[cfg(feature = "ssr")]
pub(crate) fn admin() -> Result<(crate::auth::Account, crate::state::AppState), crate::errors::AppError> {
    let account = crate::auth::require(crate::auth::Role::Admin)?;
    let state = crate::state::app_state().map_err(crate::errors::AppError::internal)?;
    Ok((account, state))
}
