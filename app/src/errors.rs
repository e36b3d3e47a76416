//! The error every server function returns: what the page shows, and on the server the HTTP status.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("please sign in again")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("something went wrong on the server; it has been logged")]
    Internal,
    #[error("{0}")]
    Transport(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value)
    }
}

impl AppError {
    pub fn forbidden(what: impl Into<String>) -> Self {
        AppError::Forbidden(what.into())
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) | AppError::Transport(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs the cause of an unexpected failure on the server and hides it from the client.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "server function failed");
        AppError::Internal
    }
}

/// Runs a server function's body and puts the error's status on the response (a page rendered on the
/// server takes the status of the data it could not load).
#[cfg(feature = "ssr")]
pub async fn respond<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(error) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
    }
    result
}

#[cfg(feature = "ssr")]
impl From<crate::backend::engine::EngineError> for AppError {
    fn from(error: crate::backend::engine::EngineError) -> Self {
        use crate::backend::engine::EngineError;
        match error {
            EngineError::Database(e) => AppError::internal(e),
            EngineError::Unconfirmed => AppError::internal(EngineError::Unconfirmed),
            other => AppError::Invalid(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        AppError::internal(error)
    }
}
