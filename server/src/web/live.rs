//! Live updates for open pages: `GET /live` tells a signed-in browser, as server-sent events, that
//! its organization's budgets changed, so the page refetches what it shows.
//!
//! It follows the same ordered feed as integrations (read from the shared database), so every
//! instance tells its own browsers about changes made through any instance.

use app::auth::Account;
use app::services::feed::{self, Cursor, SETTLE};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::convert::Infallible;
use std::time::Duration;
use uuid::Uuid;

/// How often the feed is read for each open page.
const POLL: Duration = Duration::from_secs(1);

pub async fn live(State(state): State<AppState>, account: Option<Extension<Account>>) -> Response {
    let Some(Extension(account)) = account else { return StatusCode::UNAUTHORIZED.into_response() };
    let start = Cursor::at(state.clock.now() - SETTLE);
    let changes = futures_util::stream::unfold((state, account.org_id, start), next_change);
    Sse::new(changes).keep_alive(KeepAlive::default()).into_response()
}

/// Waits for the next budget events after `cursor`; the message only names their kinds (pages
/// refetch through their own access checks, so nothing a viewer may not see is sent).
async fn next_change(
    (state, org_id, mut cursor): (AppState, Uuid, Cursor),
) -> Option<(Result<Event, Infallible>, (AppState, Uuid, Cursor))> {
    loop {
        tokio::time::sleep(POLL).await;
        match feed::page(&state.db, org_id, None, Some(cursor), 100, state.clock.now()).await {
            Ok(events) if !events.is_empty() => {
                cursor = Cursor::after(events.last().expect("not empty"));
                let mut kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
                kinds.sort_unstable();
                kinds.dedup();
                let event = Event::default().data(serde_json::json!({ "kinds": kinds }).to_string());
                return Some((Ok(event), (state, org_id, cursor)));
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "reading the feed for live updates failed; will retry"),
        }
    }
}
