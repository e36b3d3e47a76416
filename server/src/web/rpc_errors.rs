//! Server functions called with arguments that do not parse (a missing field, a malformed id)
//! answer 400 with the reason, not 500: Leptos answers every error it raises itself with 500.

use app::errors::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use leptos::server_fn::error::ServerFnErrorErr;

/// Error bodies are small; a larger one is not an argument error and passes through untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn bad_arguments_are_400(request: Request, next: Next) -> Response {
    let is_rpc = request.uri().path().starts_with("/rpc/");
    let response = next.run(request).await;
    if !is_rpc || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(AppError::Transport(
        ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_),
    )) = serde_json::from_slice::<AppError>(&bytes)
    {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
