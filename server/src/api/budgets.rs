//! Management API for budgets (admin keys): list, create, get, patch, enable/disable/archive.

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::extract::ApiPath;
use app::backend::services::access::Acting;
use app::backend::services::budget_changes::{self, edit_budget, BudgetEdit, EditMode};
use app::backend::services::budget_creation::{self, create_budgets, NewBudget, RequestKey};
use app::backend::services::budgets::{self, BudgetInput, BudgetView};
use app::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::Value;
use uuid::Uuid;

async fn found(
    state: &AppState,
    client: &ApiClient,
    id: Uuid,
) -> Result<app::backend::entities::budget::Model, ApiError> {
    budgets::find(&state.db, client.0.org.id, id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("budget {id} does not exist")))
}

#[utoipa::path(get, path = "/api/v1/budgets", tag = "budgets", responses((status = 200, body = Vec<BudgetView>), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn list(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<BudgetView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(budgets::list(&state.db, client.0.org.id).await?))
}

/// Creates a budget. With an `Idempotency-Key`, a retry with the same key creates nothing new and
/// answers 200 with the budget the first request created.
#[utoipa::path(post, path = "/api/v1/budgets", tag = "budgets", request_body = BudgetInput, params(("Idempotency-Key" = Option<String>, Header, description = "1 to 100 visible ASCII characters; a retry with the same key creates nothing new")), responses((status = 201, body = BudgetView), (status = 200, description = "Created earlier by a request with the same Idempotency-Key", body = BudgetView), (status = 409, description = "The request with this Idempotency-Key created a budget that was deleted since", body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    client: ApiClient,
    headers: HeaderMap,
    ApiJson(input): ApiJson<BudgetInput>,
) -> Result<(StatusCode, Json<BudgetView>), ApiError> {
    client.require_admin()?;
    let once = match headers.get("idempotency-key") {
        Some(value) => Some(RequestKey::parse(value.to_str().unwrap_or_default())?),
        None => None,
    };
    let org = &client.0.org;
    let alerts = budget_creation::default_alerts(&state, org, &input).await?;
    let actor = client.0.actor();
    let by = Acting::AdminKey { org_id: org.id, actor: &actor };
    let created = create_budgets(&state, by, &[NewBudget { input, alerts }], once.as_ref()).await?;
    let status = if created.repeated { StatusCode::OK } else { StatusCode::CREATED };
    let budget = created.budgets.into_iter().next().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "the request with this Idempotency-Key created a budget that was deleted since",
        )
    })?;
    Ok((status, Json(budgets::view(&state.db, budget).await?)))
}

#[utoipa::path(get, path = "/api/v1/budgets/{id}", tag = "budgets", params(("id" = Uuid, Path)), responses((status = 200, body = BudgetView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn get(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<BudgetView>, ApiError> {
    client.require_admin()?;
    let model = found(&state, &client, id).await?;
    Ok(Json(budgets::view(&state.db, model).await?))
}

/// Merges the given fields onto the budget's current definition and validates the result whole.
#[utoipa::path(patch, path = "/api/v1/budgets/{id}", tag = "budgets", params(("id" = Uuid, Path)), request_body(content = Object, description = "Any fields of BudgetInput; merged onto the current budget and validated whole"), responses((status = 200, body = BudgetView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<Value>,
) -> Result<Json<BudgetView>, ApiError> {
    client.require_admin()?;
    let Value::Object(changes) = changes else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "expected an object of fields to change",
        ));
    };
    let actor = client.0.actor();
    let by = Acting::AdminKey { org_id: client.0.org.id, actor: &actor };
    Ok(Json(edit_budget(&state, by, id, BudgetEdit::Fields(changes), EditMode::Save).await?.after))
}

#[utoipa::path(post, path = "/api/v1/budgets/{id}/{action}", tag = "budgets", params(("id" = Uuid, Path), ("action" = String, Path, description = "enable, disable or archive")), responses((status = 200, body = BudgetView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn set_state(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
) -> Result<Json<BudgetView>, ApiError> {
    client.require_admin()?;
    let target = match action.as_str() {
        "enable" => "enabled",
        "disable" => "disabled",
        "archive" => "archived",
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "expected enable, disable or archive")),
    };
    let actor = client.0.actor();
    let by = Acting::AdminKey { org_id: client.0.org.id, actor: &actor };
    Ok(Json(budget_changes::set_budget_state(&state, by, id, target).await?))
}
