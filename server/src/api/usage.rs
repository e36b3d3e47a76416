//! Usage endpoints: check-and-reserve, settle, release, record usage, status.

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson};
use app::services::engine::{self, CheckInput, CheckOutcome, RecordOutcome, SettleInput, SettleOutcome, UsageInput};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

pub const MAX_BATCH: usize = 1000;

pub async fn check(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(input): ApiJson<CheckInput>,
) -> Result<Json<CheckOutcome>, ApiError> {
    let outcome =
        engine::check_and_reserve(&state.db, &client.org, input, client.project_id, state.clock.now()).await?;
    Ok(Json(outcome))
}

pub async fn settle(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<SettleInput>,
) -> Result<Json<SettleOutcome>, ApiError> {
    Ok(Json(engine::settle(&state.db, &client.org, id, input, state.clock.now()).await?))
}

pub async fn release(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    engine::release(&state.db, &client.org, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One event, or `{"events": [...]}` with up to 1,000. Each event is judged on its own: a malformed
/// one is rejected with its reason and the others are still recorded.
pub async fn record(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (batch, raw) = match body {
        Value::Object(mut map) if map.contains_key("events") => match map.remove("events") {
            Some(Value::Array(events)) => (true, events),
            _ => return Err(invalid("'events' must be an array of usage events")),
        },
        single @ Value::Object(_) => (false, vec![single]),
        _ => return Err(invalid("expected a usage event object or {\"events\": [...]}")),
    };
    if raw.is_empty() || raw.len() > MAX_BATCH {
        return Err(invalid(format!("a batch holds 1 to {MAX_BATCH} events, got {}", raw.len())));
    }
    let inputs = raw.into_iter().map(|v| serde_json::from_value::<UsageInput>(v).map_err(|e| e.to_string())).collect();
    let results = engine::record_usage(&state.db, &client.org, inputs, client.project_id, state.clock.now()).await?;
    let count = |f: fn(&RecordOutcome) -> bool| results.iter().filter(|r| f(r)).count();
    let summary = json!({
        "accepted": count(|r| matches!(r, RecordOutcome::Accepted { .. })),
        "duplicates": count(|r| matches!(r, RecordOutcome::Duplicate { .. })),
        "rejected": count(|r| matches!(r, RecordOutcome::Rejected { .. })),
        "results": results,
    });
    let status = match (batch, results.first()) {
        (false, Some(RecordOutcome::Rejected { .. })) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    Ok((status, Json(summary)))
}

#[derive(Deserialize)]
pub struct StatusQuery {
    project: String,
    user: Option<String>,
    category: Option<String>,
}

pub async fn status(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    Query(query): Query<StatusQuery>,
) -> Result<Json<Value>, ApiError> {
    let budgets = engine::status(
        &state.db,
        &client.org,
        &query.project,
        query.user.as_deref(),
        query.category.as_deref(),
        state.clock.now(),
    )
    .await?;
    Ok(Json(json!({ "budgets": budgets })))
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
}
