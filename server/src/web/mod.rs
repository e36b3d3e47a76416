//! The browser side of the HTTP stack: sessions, the signed-in account, page guards, CSRF checks, live updates.

mod csrf;
pub mod live;
pub mod reports;
mod rpc_errors;
mod security_headers;
mod session;

pub use csrf::same_origin_only;
pub use rpc_errors::bad_arguments_are_400;
pub use security_headers::security_headers;
pub use session::{authenticate, session_layer, WebSettings};

/// Requests to the pages' router that never need a session: built assets and other files. (The API
/// and the health check have their own routes outside the session layer.)
pub(crate) fn is_sessionless(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/vendor/")
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}
