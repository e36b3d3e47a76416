//! The budget events feed (sign-ins and other account events stay in the audit log): `GET /api/v1/events?after=<cursor>`, in order, for integrations to follow.

use super::auth::ApiClient;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use app::backend::services::feed::{self, Cursor, FeedEvent};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// The `next` cursor of the previous page; omitted for the beginning.
    after: Option<String>,
    /// At most this many events (1–1000, default 100).
    limit: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    events: Vec<FeedEvent>,
    /// Pass as `after` to get what comes next (also when this page is empty).
    next: String,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "usage", params(EventsQuery), responses((status = 200, body = EventsPage), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid cursor or limit", body = ErrorBody)), security(("api_key" = [])))]
pub async fn feed(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit must be between 1 and 1000"));
    }
    let after = query.after.as_deref().map(str::parse::<Cursor>).transpose().map_err(|e| invalid(&e))?;
    // A key limited to one project follows only that project's budgets.
    let rows = feed::page(&state.db, client.org.id, client.project_id, after, limit, state.clock.now()).await?;
    let next = rows.last().map(|e| Cursor::after(e).to_string()).or(query.after).unwrap_or_default();
    Ok(Json(EventsPage { events: rows.into_iter().map(FeedEvent::from).collect(), next }))
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
}
