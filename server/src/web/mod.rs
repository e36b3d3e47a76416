//! The browser side of the HTTP stack: sessions, the signed-in account, page guards, CSRF checks, live updates.

mod csrf;
pub mod live;
pub mod reports;
mod rpc_errors;
mod security_headers;
mod session;
pub mod site_files;

pub use csrf::same_origin_only;
pub use rpc_errors::bad_arguments_are_400;
pub use security_headers::security_headers;
pub use session::{authenticate, session_layer, WebSettings};
