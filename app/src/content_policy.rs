//! The Content-Security-Policy of every page, allowing only this page's own nonce for inline script.
//!
//! Leptos (through leptos_axum's `nonce` feature) gives each server render a fresh nonce and puts it
//! on the scripts it writes inline (hydration, resolved resources); every other script is a file of
//! this site. WebAssembly needs `'wasm-unsafe-eval'`; styles set per element (progress bars, chart
//! sizes) need `'unsafe-inline'` for styles only.

/// The policy for a page rendered with `nonce`.
#[cfg(feature = "ssr")]
pub fn policy(nonce: &leptos::nonce::Nonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Puts the policy on the response of the page being rendered (server only; in the browser,
/// and outside a render, there is no response to set it on).
pub fn apply() {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), leptos::prelude::use_context::<leptos_axum::ResponseOptions>())
    {
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy(&nonce)) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
