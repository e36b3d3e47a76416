//! Live updates for open pages: `GET /live` tells a signed-in browser, as server-sent events, that
//! its organization's budgets changed, so the page refetches what it shows.
//!
//! It follows the same ordered feed as integrations (read from the shared database), so every
//! instance tells its own browsers about changes made through any instance.

use app::auth::Account;
use app::backend::services::feed::{self, Cursor, SETTLE};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::StreamExt;
use std::convert::Infallible;
use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// How often the feed is read for each open page.
const POLL: Duration = Duration::from_secs(1);

/// Set once the process begins to shut down: every open stream then ends, so a graceful shutdown
/// does not wait for pages left open (a stream otherwise never ends).
static STOPPING: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::channel(false).0);

/// Ends every open live stream of this process.
pub fn end_streams() {
    STOPPING.send_replace(true);
}

pub async fn live(State(state): State<AppState>, account: Option<Extension<Account>>) -> Response {
    let Some(Extension(account)) = account else { return StatusCode::UNAUTHORIZED.into_response() };
    let start = Cursor::at(state.clock.now() - SETTLE);
    let counters = feed::counters_fingerprint(&state.db, account.org_id, state.clock.now()).await.ok();
    let changes =
        futures_util::stream::unfold(Watch { state, org_id: account.org_id, cursor: start, counters }, next_change);
    let mut stopping = STOPPING.subscribe();
    let until_stopping = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
    };
    Sse::new(changes.take_until(until_stopping)).keep_alive(KeepAlive::default()).into_response()
}

/// What one open page has been told about: the feed position and the counters' fingerprint.
struct Watch {
    state: AppState,
    org_id: Uuid,
    cursor: Cursor,
    counters: Option<i128>,
}

/// Waits for the next budget events after the cursor, or for spend or reservations to move; the
/// message only names what changed (pages refetch through their own access checks, so nothing a
/// viewer may not see is sent).
async fn next_change(mut watch: Watch) -> Option<(Result<Event, Infallible>, Watch)> {
    loop {
        tokio::time::sleep(POLL).await;
        let now = watch.state.clock.now();
        let mut kinds: Vec<String> = Vec::new();
        match feed::page(&watch.state.db, watch.org_id, None, Some(watch.cursor), 100, now).await {
            Ok(events) => {
                if let Some(last) = events.last() {
                    watch.cursor = Cursor::after(last);
                }
                kinds.extend(events.into_iter().map(|e| e.kind));
            }
            Err(error) => tracing::warn!(%error, "reading the feed for live updates failed; will retry"),
        }
        match feed::counters_fingerprint(&watch.state.db, watch.org_id, now).await {
            Ok(counters) if Some(counters) != watch.counters => {
                watch.counters = Some(counters);
                kinds.push("usage".to_owned());
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "reading the budget counters for live updates failed; will retry"),
        }
        if !kinds.is_empty() {
            kinds.sort_unstable();
            kinds.dedup();
            let event = Event::default().data(serde_json::json!({ "kinds": kinds }).to_string());
            return Some((Ok(event), watch));
        }
    }
}
