//! CSRF protection: state-changing browser requests must come from Tollgate's own pages.
//!
//! Session cookies are `SameSite=Lax`, so other sites' POSTs carry no session already; on top of
//! that, every unsafe request must show it is same-origin by `Sec-Fetch-Site` or `Origin` (the
//! OWASP "verify origin with standard headers" defence). The usage API authenticates with API keys,
//! not cookies, and is routed outside this layer.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn same_origin_only(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || is_same_origin(request.headers()) {
        return next.run(request).await;
    }
    (StatusCode::FORBIDDEN, "cross-site request refused: state-changing requests must come from Tollgate's pages")
        .into_response()
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin" || site == "none";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, authority)| authority == host),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn same_origin_requests_pass_and_others_do_not() {
        assert!(is_same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_same_origin(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://a:1"),
            ("host", "a:1")
        ])));
        assert!(is_same_origin(&headers(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")])));
        assert!(!is_same_origin(&headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:3000")])));
        assert!(!is_same_origin(&headers(&[("origin", "null"), ("host", "127.0.0.1:3000")])));
        assert!(!is_same_origin(&headers(&[("host", "127.0.0.1:3000")])), "no evidence of origin");
    }
}
