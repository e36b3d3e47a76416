//! The REST API's one error type: a status, a stable code and a message, as `{"error": {...}}`.

use app::backend::engine::{error_code, EngineError};
use app::backend::services::ServiceError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError { status, code: code.into(), message: message.into() }
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required: Authorization: Bearer <key>",
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; it has been logged")
    }
}

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable, e.g. `unpriced_model`.
    pub code: String,
    /// For people: what was wrong and how to fix it.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.into_owned(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        let status = match &error {
            EngineError::Database(e) => return ApiError::internal(e),
            EngineError::ReservationNotFound(_) => StatusCode::NOT_FOUND,
            EngineError::ReservationExpired(..) => StatusCode::GONE,
            EngineError::ReservationClosed(..) | EngineError::EventIdTaken(_) => StatusCode::CONFLICT,
            EngineError::ProjectNotAllowed(_) => StatusCode::FORBIDDEN,
            EngineError::KeyRevoked => StatusCode::UNAUTHORIZED,
            EngineError::Unconfirmed => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, error_code(&error), error.to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            ServiceError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} was not found"))
            }
            ServiceError::Invalid(message) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message),
            ServiceError::Engine(e) => e.into(),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        ApiError::internal(error)
    }
}

/// `Json<T>` whose rejections (wrong content type, malformed JSON, wrong or unknown fields) are API
/// errors; text with a NUL character anywhere is refused too (PostgreSQL cannot store it).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_body(req, state).await?;
        // Every body of the API is an object; serde would otherwise read an array as a struct.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "expected a JSON object"));
        }
        if has_nul(&bytes) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "text must not contain NUL characters (\\u0000)",
            ));
        }
        parse(&bytes).map(ApiJson)
    }
}

/// A batch body as JSON, each part judged later on its own (a NUL in one event rejects that event).
pub struct ApiJsonBatch(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for ApiJsonBatch {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse(&json_body(req, state).await?).map(ApiJsonBatch)
    }
}

async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || (m.starts_with("application/") && m.ends_with("+json")));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected a body with Content-Type: application/json",
        ));
    }
    Bytes::from_request(req, state).await.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", rejection.body_text())
        }
        other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.body_text()),
    })
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    Json::<T>::from_bytes(bytes).map(|Json(value)| value).map_err(json_rejection)
}

/// Whether a JSON text holds an escaped NUL (`\u0000`): the only way one can appear in valid JSON.
fn has_nul(json: &[u8]) -> bool {
    let mut escaped = false;
    for (i, &byte) in json.iter().enumerate() {
        if escaped {
            if byte == b'u' && json.get(i + 1..i + 5) == Some(b"0000") {
                return true;
            }
            escaped = false;
        } else if byte == b'\\' {
            escaped = true;
        }
    }
    false
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let (status, code) = match &rejection {
        JsonRejection::MissingJsonContentType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
        JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        _ => (StatusCode::BAD_REQUEST, "bad_request"),
    };
    ApiError::new(status, code, rejection.body_text())
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn only_an_escaped_nul_counts() {
        assert!(has_nul(br#"{"user":"a\u0000b"}"#));
        assert!(has_nul(br#"["\\\u0000"]"#));
        assert!(!has_nul(br#"{"user":"a\\u0000b"}"#), "an escaped backslash, then the text u0000");
        assert!(!has_nul(br#"{"user":"\u0001"}"#));
    }
}
