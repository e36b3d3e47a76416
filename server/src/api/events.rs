//! The budget events feed (sign-ins and other account events stay in the audit log): `GET /api/v1/events?after=<cursor>`, in order, for integrations to follow.
//!
//! Events are ordered by (created_at, id). Only events at least `SETTLE` old are served, so one
//! committed late by a slower transaction cannot appear behind a cursor a client already holds.

use super::auth::ApiClient;
use super::error::{ApiError, ErrorBody};
use app::entities::{budget, budget_event};
use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const SETTLE: Duration = Duration::seconds(2);

#[derive(Deserialize, IntoParams)]
pub struct EventsQuery {
    /// The `next` cursor of the previous page; omitted for the beginning.
    after: Option<String>,
    /// At most this many events (1–1000, default 100).
    limit: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct FeedEvent {
    id: Uuid,
    /// e.g. alert, denied, override_granted, request_created, budget_changed, emergency_reserve_used
    kind: String,
    budget_id: Option<Uuid>,
    window_start: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    actor: Option<String>,
    created_at: DateTime<Utc>,
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
    Query(query): Query<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit must be between 1 and 1000"));
    }
    let after = query.after.as_deref().map(parse_cursor).transpose()?;
    let mut select = budget_event::Entity::find()
        .filter(budget_event::Column::OrgId.eq(client.org.id))
        .filter(budget_event::Column::BudgetId.is_not_null())
        .filter(budget_event::Column::CreatedAt.lte(state.clock.now() - SETTLE));
    if let Some((at, id)) = after {
        select =
            select.filter(Condition::any().add(budget_event::Column::CreatedAt.gt(at)).add(
                Condition::all().add(budget_event::Column::CreatedAt.eq(at)).add(budget_event::Column::Id.gt(id)),
            ));
    }
    // A key limited to one project follows only that project's budgets.
    if let Some(project) = client.project_id {
        let ids: Vec<Uuid> = budget::Entity::find()
            .filter(budget::Column::ScopeKind.eq("project"))
            .filter(budget::Column::ScopeId.eq(project))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect();
        select = select.filter(budget_event::Column::BudgetId.is_in(ids));
    }
    let rows = select
        .order_by_asc(budget_event::Column::CreatedAt)
        .order_by_asc(budget_event::Column::Id)
        .limit(limit)
        .all(&state.db)
        .await?;
    let next = rows.last().map(|e| cursor(e.created_at, e.id)).or(query.after).unwrap_or_default();
    let events = rows
        .into_iter()
        .map(|e| FeedEvent {
            id: e.id,
            kind: e.kind,
            budget_id: e.budget_id,
            window_start: e.window_start,
            detail: serde_json::from_str(&e.detail).unwrap_or_default(),
            actor: e.actor,
            created_at: e.created_at,
        })
        .collect();
    Ok(Json(EventsPage { events, next }))
}

fn cursor(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{}", at.timestamp_micros(), id.simple())
}

fn parse_cursor(text: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let bad = || invalid("after must be a cursor returned as `next` by this endpoint");
    let (micros, id) = text.split_once('_').ok_or_else(bad)?;
    let at = micros.parse().ok().and_then(DateTime::<Utc>::from_timestamp_micros).ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
}
