//! Session cookies, and the middleware that puts the signed-in account on each request and sends
//! people without one to the sign-in (or first-run setup) page.

use app::auth::store::DbSessionStore;
use app::auth::{
    self, Account, ClientAddress, ABSOLUTE_LIFETIME_HOURS, ACCOUNT_KEY, IDLE_LIFETIME_MINUTES, SIGNED_IN_AT_KEY,
};
use app::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use std::net::SocketAddr;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use uuid::Uuid;

/// Cookie and proxy settings of the web front.
#[derive(Debug, Clone, Copy)]
pub struct WebSettings {
    /// `Secure` cookies (browsers still accept them on http://localhost and 127.0.0.1).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
}

pub fn session_layer(state: &AppState, settings: WebSettings) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("tollgate_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::minutes(IDLE_LIFETIME_MINUTES)))
}

pub async fn authenticate(
    State((state, settings)): State<(AppState, WebSettings)>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let address = client_address(&request, settings.trust_forwarded_for);
    request.extensions_mut().insert(ClientAddress(address));
    let account = match signed_in(&state, &session).await {
        Ok(account) => account,
        Err(error) => {
            tracing::error!(%error, "loading the session failed");
            None
        }
    };
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD) && !path.starts_with("/rpc/");
    if is_page {
        if let Some(redirect) = page_guard(&state, account.is_some(), request.uri()).await {
            return redirect;
        }
    }
    if let Some(account) = account {
        request.extensions_mut().insert(account);
    }
    next.run(request).await
}

/// The session's account, if it is still active and the session is younger than its absolute lifetime.
async fn signed_in(state: &AppState, session: &Session) -> anyhow::Result<Option<Account>> {
    let Some(id) = session.get::<Uuid>(ACCOUNT_KEY).await? else { return Ok(None) };
    let signed_in_at = session.get::<DateTime<Utc>>(SIGNED_IN_AT_KEY).await?;
    let fresh = signed_in_at.is_some_and(|at| state.clock.now() - at < Duration::hours(ABSOLUTE_LIFETIME_HOURS));
    let account = if fresh { auth::load_account(&state.db, id).await? } else { None };
    if account.is_none() {
        session.flush().await?;
    }
    Ok(account)
}

async fn page_guard(state: &AppState, signed_in: bool, uri: &Uri) -> Option<Response> {
    let path = uri.path();
    if signed_in {
        return matches!(path, "/login" | "/setup").then(|| Redirect::to("/").into_response());
    }
    let accounts_exist = match app::backend::services::accounts::any_sign_in_account(&state.db).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "checking for accounts failed");
            return Some(axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response());
        }
    };
    match (accounts_exist, path) {
        (false, "/setup") | (true, "/login") => None,
        (false, _) => Some(Redirect::to("/setup").into_response()),
        (true, "/setup") => Some(Redirect::to("/login").into_response()),
        (true, _) => {
            let wanted = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next: String = form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
            Some(Redirect::to(&format!("/login?next={next}")).into_response())
        }
    }
}

fn client_address(request: &Request, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| request.headers().get("x-forwarded-for")?.to_str().ok()?.split(',').next().map(str::trim))
        .flatten()
        .filter(|a| !a.is_empty());
    match forwarded {
        Some(address) => address.to_owned(),
        None => request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned()),
    }
}
