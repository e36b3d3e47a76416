//! The browser side of the HTTP stack: sessions, the signed-in account, page guards, CSRF checks, live updates.

mod csrf;
pub mod live;
pub mod reports;
mod session;

pub use csrf::same_origin_only;
pub use session::{authenticate, session_layer, WebSettings};

/// Requests that never need a session: built assets, the usage API (API keys), health checks.
pub(crate) fn is_sessionless(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/vendor/")
        || path.starts_with("/api/v1/")
        || path == "/healthz"
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}
