//! Security headers on every response: no MIME sniffing, no framing, no referrer to other sites,
//! and nothing but built assets kept in caches (pages, server-function answers such as a new API
//! key's secret, and API answers are private to whoever asked). Pages carry their own
//! Content-Security-Policy with the render's nonce (`app::content_policy`); every other answer
//! allows nothing at all.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub async fn security_headers(request: Request, next: Next) -> Response {
    let cacheable = super::is_sessionless(request.uri().path()) && !request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
