//! `POST /api/v1/projects/{id}/value`: a service reports the value a project produced in a
//! month (admin keys), for the ROI report.

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::extract::ApiPath;
use app::backend::services::access::Acting;
use app::backend::services::values;
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueInput {
    /// The month, e.g. "2026-10".
    pub month: String,
    /// The value produced, in the organization's currency, as a decimal string or number.
    #[schema(value_type = String)]
    pub amount: serde_json::Value,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValueRecorded {
    pub project: String,
    pub month: String,
    pub amount: String,
    pub currency: String,
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/value", tag = "reports", params(("id" = String, Path, description = "Project id or slug")), request_body = ValueInput, responses((status = 200, body = ValueRecorded), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn record(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(project): ApiPath<String>,
    ApiJson(input): ApiJson<ValueInput>,
) -> Result<Json<ValueRecorded>, ApiError> {
    client.require_admin()?;
    let org = &client.0.org;
    let amount = match &input.amount {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Number(number) => number.to_string(),
        _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "amount must be a number")),
    };
    let value = values::NewValue { project: &project, month: &input.month, amount: &amount, note: &input.note };
    let actor = client.0.actor();
    let by = Acting::AdminKey { org_id: org.id, actor: &actor };
    let values::Recorded { project: found, month, amount } = values::record_value(&state, by, &value).await?;
    Ok(Json(ValueRecorded {
        project: found.slug,
        month: month.format("%Y-%m").to_string(),
        amount: amount.to_string(),
        currency: org.currency.clone(),
    }))
}
