//! Management API for teams, projects, users and the price catalog (admin keys).

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::extract::ApiPath;
use app::backend::services::directory::{
    self, CategoryView, Change, NewProject, NewUser, PriceInput, ProjectPatch, ProjectView, TeamPatch, TeamView,
    UserPatch, UserView,
};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

/// The audit identity of an API client.
fn change<'a>(actor: &'a str, state: &AppState) -> Change<'a> {
    Change { actor, now: state.clock.now() }
}

fn actor(client: &ApiClient) -> String {
    client.0.actor()
}

fn not_found(what: &str, id: Uuid) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} {id} does not exist"))
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "directory", responses((status = 200, body = Vec<TeamView>), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn teams(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<TeamView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::teams(&state.db, client.0.org.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    name: String,
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "directory", request_body = NewTeam, responses((status = 201, body = TeamView), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn create_team(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<NewTeam>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    client.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(directory::create_team(&state.db, client.0.org.id, &input.name, change(&actor(&client), &state)).await?),
    ))
}

async fn find_team(state: &AppState, client: &ApiClient, id: Uuid) -> Result<TeamView, ApiError> {
    client.require_admin()?;
    directory::team(&state.db, client.0.org.id, id).await?.ok_or_else(|| not_found("team", id))
}

#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "directory", params(("id" = Uuid, Path)), responses((status = 200, body = TeamView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn get_team(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(find_team(&state, &client, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "directory", params(("id" = Uuid, Path)), request_body = TeamPatch, responses((status = 200, body = TeamView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn update_team(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<TeamPatch>,
) -> Result<Json<TeamView>, ApiError> {
    client.require_admin()?;
    let actor = actor(&client);
    let change = change(&actor, &state);
    Ok(Json(directory::update_team(&state.db, client.0.org.id, id, patch, change).await?))
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "directory", responses((status = 200, body = Vec<ProjectView>), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn projects(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<ProjectView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::projects(&state.db, client.0.org.id).await?))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "directory", request_body = NewProject, responses((status = 201, body = ProjectView), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn create_project(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    client.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(directory::create_project(&state.db, client.0.org.id, input, change(&actor(&client), &state)).await?),
    ))
}

async fn find_project(state: &AppState, client: &ApiClient, id: Uuid) -> Result<ProjectView, ApiError> {
    client.require_admin()?;
    directory::project(&state.db, client.0.org.id, id).await?.ok_or_else(|| not_found("project", id))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "directory", params(("id" = Uuid, Path)), responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn get_project(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ProjectView>, ApiError> {
    Ok(Json(find_project(&state, &client, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "directory", params(("id" = Uuid, Path)), request_body = ProjectPatch, responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn update_project(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> Result<Json<ProjectView>, ApiError> {
    client.require_admin()?;
    let actor = actor(&client);
    let change = change(&actor, &state);
    Ok(Json(directory::update_project(&state.db, client.0.org.id, id, patch, change).await?))
}

async fn find_user(state: &AppState, client: &ApiClient, id: Uuid) -> Result<UserView, ApiError> {
    client.require_admin()?;
    directory::user(&state.db, client.0.org.id, id).await?.ok_or_else(|| not_found("user", id))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "directory", params(("id" = Uuid, Path)), responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn get_user(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(find_user(&state, &client, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "directory", params(("id" = Uuid, Path)), request_body = UserPatch, responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn update_user(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    client.require_admin()?;
    let actor = actor(&client);
    let change = change(&actor, &state);
    Ok(Json(directory::update_user(&state.db, client.0.org.id, id, patch, change).await?))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "directory", responses((status = 200, body = Vec<UserView>), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn users(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<UserView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::users(&state.db, client.0.org.id).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "directory", request_body = NewUser, responses((status = 201, body = UserView), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    client.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(directory::create_user(&state.db, client.0.org.id, input, change(&actor(&client), &state)).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/prices", tag = "prices", responses((status = 200, body = Vec<PriceInput>), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn prices(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<PriceInput>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::prices(&state.db, client.0.org.id).await?))
}

#[utoipa::path(post, path = "/api/v1/prices", tag = "prices", request_body = PriceInput, responses((status = 201, description = "Added"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn add_price(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<PriceInput>,
) -> Result<StatusCode, ApiError> {
    client.require_admin()?;
    let org = &client.0.org;
    directory::add_price(&state.db, org.id, input, change(&actor(&client), &state)).await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "directory", responses((status = 200, body = Vec<CategoryView>), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn categories(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<CategoryView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::categories(&state.db, client.0.org.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    name: String,
}

#[utoipa::path(post, path = "/api/v1/categories", tag = "directory", request_body = NewCategory, responses((status = 201, body = CategoryView), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 403, description = "Not an admin key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn create_category(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<NewCategory>,
) -> Result<(StatusCode, Json<CategoryView>), ApiError> {
    client.require_admin()?;
    let created =
        directory::create_category(&state.db, client.0.org.id, &input.name, change(&actor(&client), &state)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}
