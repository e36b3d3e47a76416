//! Usage endpoints: check-and-reserve, settle, release, record usage, status.

use super::auth::{ApiClient, CachedApiClient};
use super::error::ErrorBody;
use super::error::{ApiError, ApiJson, ApiJsonBatch};
use super::extract::{ApiPath, ApiQuery};
use app::backend::engine::BudgetReport;
use app::backend::engine::{self, CheckInput, CheckOutcome, RecordOutcome, SettleInput, SettleOutcome, UsageInput};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const MAX_BATCH: usize = 1000;

#[derive(Serialize, ToSchema)]
pub struct RecordSummary {
    accepted: usize,
    duplicates: usize,
    rejected: usize,
    /// One per submitted event, in order.
    results: Vec<RecordOutcome>,
}

#[derive(Serialize, ToSchema)]
pub struct StatusBody {
    budgets: Vec<BudgetReport>,
}

#[utoipa::path(post, path = "/api/v1/check", tag = "usage", request_body = CheckInput, responses((status = 200, description = "Decision, reservation and every applicable budget", body = CheckOutcome), (status = 403, description = "Key restricted to another project", body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 503, description = "The database did not confirm the check's commit (code `unconfirmed`): a reservation it may have made expires unused; check again", body = ErrorBody)), security(("api_key" = [])))]
pub async fn check(
    State(state): State<AppState>,
    CachedApiClient(client): CachedApiClient,
    ApiJson(input): ApiJson<CheckInput>,
) -> Result<Json<CheckOutcome>, ApiError> {
    Ok(Json(state.checks.check(&client, input, state.clock.now()).await?))
}

#[utoipa::path(post, path = "/api/v1/reservations/{id}/settle", tag = "usage", params(("id" = Uuid, Path, description = "Reservation id")), request_body = SettleInput, responses((status = 200, body = SettleOutcome), (status = 404, body = ErrorBody), (status = 409, description = "Already settled or released", body = ErrorBody), (status = 410, description = "Expired and released", body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn settle(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<SettleInput>,
) -> Result<Json<SettleOutcome>, ApiError> {
    Ok(Json(engine::settle(&state.db, &client, id, input, state.clock.now()).await?))
}

#[utoipa::path(delete, path = "/api/v1/reservations/{id}", tag = "usage", params(("id" = Uuid, Path, description = "Reservation id")), responses((status = 204, description = "Released"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, description = "Expired and released", body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn release(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    engine::release(&state.db, &client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One event, or `{"events": [...]}` with up to 1,000. Each event is judged on its own: a malformed
/// one is rejected with its reason and the others are still recorded.
#[utoipa::path(post, path = "/api/v1/usage", tag = "usage", request_body(content = UsageInput, description = "One event, or {\"events\": [...]} with up to 1,000"), responses((status = 200, description = "Per event: accepted, duplicate or rejected (a single rejected event is a 422 error)", body = RecordSummary), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn record(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJsonBatch(body): ApiJsonBatch,
) -> Result<(StatusCode, Json<RecordSummary>), ApiError> {
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
    // A single rejected event is an error like any other; a batch reports each event's fate.
    if let (false, Some(RecordOutcome::Rejected { code, message, .. })) = (batch, results.first()) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code.clone(), message.clone()));
    }
    let count = |f: fn(&RecordOutcome) -> bool| results.iter().filter(|r| f(r)).count();
    let summary = RecordSummary {
        accepted: count(|r| matches!(r, RecordOutcome::Accepted { .. })),
        duplicates: count(|r| matches!(r, RecordOutcome::Duplicate { .. })),
        rejected: count(|r| matches!(r, RecordOutcome::Rejected { .. })),
        results,
    };
    Ok((StatusCode::OK, Json(summary)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// Project slug.
    project: String,
    /// User handle; budgets of that user are included when given.
    user: Option<String>,
    /// Category name; budgets of that category are included when given.
    category: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/status", tag = "usage", params(StatusQuery), responses((status = 200, body = StatusBody), (status = 403, description = "Key restricted to another project", body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn status(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiQuery(query): ApiQuery<StatusQuery>,
) -> Result<Json<StatusBody>, ApiError> {
    let query = engine::StatusQuery {
        project: query.project.trim().to_owned(),
        user: query.user,
        category: query.category,
        allowed_project: client.project_id,
    };
    let budgets = engine::status_cached(&state.config, &state.db, &client.org, &query, state.clock.now()).await?;
    Ok(Json(StatusBody { budgets }))
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
}
