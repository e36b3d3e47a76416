//! `POST /api/v1/budgets/{id}/requests`: a service asks for an override or increase for its user.

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::extract::ApiPath;
use app::backend::services::directory;
use app::backend::services::requests::{self, NewRequest, Requester};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tollgate_domain::approval::RequestKind;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The handle of the person the request is for (as in usage events).
    user: String,
    /// `override` (needs `until`) or `increase`.
    kind: String,
    #[serde(default)]
    cost: Option<Decimal>,
    #[serde(default)]
    tokens: Option<i64>,
    #[serde(default)]
    operations: Option<i64>,
    #[serde(default)]
    until: Option<DateTime<Utc>>,
    /// For an increase: raise the limits when the budget's next window starts rather than at approval.
    #[serde(default)]
    from_next_window: bool,
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestFiled {
    id: Uuid,
    status: &'static str,
}

#[utoipa::path(post, path = "/api/v1/budgets/{id}/requests", tag = "usage", params(("id" = Uuid, Path, description = "Budget id, e.g. from a denied check's request_more")), request_body = RequestInput, responses((status = 201, body = RequestFiled), (status = 404, body = ErrorBody), (status = 403, description = "Key restricted to another project", body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiPath(budget_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RequestInput>,
) -> Result<(StatusCode, Json<RequestFiled>), ApiError> {
    let kind = RequestKind::parse(&input.kind).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "kind is override or increase")
    })?;
    let person =
        directory::active_user_by_handle(&state.db, client.org.id, input.user.trim()).await?.ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_user", format!("no active user '{}'", input.user))
        })?;
    if let Some(project_id) = client.project_id {
        let target = app::backend::services::budgets::find(&state.db, client.org.id, budget_id).await?;
        if target.is_some_and(|b| !(b.scope_kind == "project" && b.scope_id == project_id)) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "project_not_allowed",
                "this key may only ask for its own project's budgets",
            ));
        }
    }
    let new = NewRequest {
        kind,
        cost: input.cost,
        tokens: input.tokens,
        operations: input.operations,
        until: input.until,
        from_next_window: input.from_next_window,
        source_budget_id: None,
        reason: input.reason,
    };
    let requester = Requester::ApiKeyFor { user: &person, key: client.actor() };
    let id = requests::create(&state.db, requester, budget_id, new, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(RequestFiled { id, status: "pending" })))
}
