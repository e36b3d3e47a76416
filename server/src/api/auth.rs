//! Bearer API-key authentication for `/api/v1`: unknown or revoked keys get a 401 JSON error.

use super::error::ApiError;
use app::services::api_keys::{self, Authenticated, Permission};
use app::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, StatusCode};

/// The calling service, authenticated by its API key.
pub struct ApiClient(pub Authenticated);

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        match api_keys::authenticate(&state.db, presented, state.clock.now()).await? {
            Some(client) => Ok(ApiClient(client)),
            None => Err(ApiError::unauthorized()),
        }
    }
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
