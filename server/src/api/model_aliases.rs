//! `/api/v1/model-aliases`: names services send that a catalog entry prices (admin keys).

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::extract::ApiPath;
use app::backend::services::directory::{self, Change, ModelAliasInput, ModelAliasView};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/model-aliases", tag = "prices",
    responses(
        (status = 200, description = "Every alias, by name", body = Vec<ModelAliasView>),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn list(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<ModelAliasView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::model_aliases(&state.db, client.0.org.id).await?))
}

#[utoipa::path(post, path = "/api/v1/model-aliases", tag = "prices", request_body = ModelAliasInput,
    responses(
        (status = 201, description = "Added: calls naming the alias are priced by the model's entry", body = ModelAliasView),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
        (status = 422, description = "Invalid input, a taken alias or a model the catalog does not list", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn add(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<ModelAliasInput>,
) -> Result<(StatusCode, Json<ModelAliasView>), ApiError> {
    client.require_admin()?;
    let change = Change { actor: &client.0.actor(), now: state.clock.now() };
    Ok((StatusCode::CREATED, Json(directory::add_model_alias(&state.db, client.0.org.id, input, change).await?)))
}

#[utoipa::path(delete, path = "/api/v1/model-aliases/{id}", tag = "prices",
    params(("id" = Uuid, Path, description = "The alias's id")),
    responses(
        (status = 204, description = "Removed; recorded usage keeps the entry that priced it"),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
        (status = 404, description = "No such alias", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    client.require_admin()?;
    let change = Change { actor: &client.0.actor(), now: state.clock.now() };
    match directory::remove_model_alias(&state.db, client.0.org.id, id, change).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("model alias {id} does not exist"))),
    }
}
