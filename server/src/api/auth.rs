//! Bearer API-key authentication for `/api/v1`: unknown or revoked keys get a 401 JSON error.

use super::error::ApiError;
use app::backend::engine::keys::{self, Authenticated, Permission};
use app::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, StatusCode};
use std::sync::Arc;

/// The calling service, authenticated by its API key.
pub struct ApiClient(pub Authenticated);

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match keys::authenticate(&state.db, bearer(parts)?, state.clock.now()).await? {
            Some(client) => Ok(ApiClient(client)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// The calling service for check-and-reserve, its key taken from the process's cache when known;
/// the engine reads the key again in the transaction that decides the check.
pub struct CachedApiClient(pub Arc<Authenticated>);

impl FromRequestParts<AppState> for CachedApiClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match state.config.authenticate(&state.db, bearer(parts)?, state.clock.now()).await? {
            Some(client) => Ok(CachedApiClient(client)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::unauthorized)
}

impl ApiClient {
    /// Management endpoints need an `admin` key.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.0.permission {
            Permission::Admin => Ok(()),
            Permission::Ingest => {
                Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this endpoint needs an admin API key"))
            }
        }
    }
}
