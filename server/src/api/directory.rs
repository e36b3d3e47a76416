//! Management API for teams, projects, users and the price catalog (admin keys).

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson};
use app::entities::{project, team, user};
use app::services::directory::{self, NewProject, NewUser, PriceInput, ProjectPatch, TeamPatch, UserPatch, UserView};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

fn not_found(what: &str, id: Uuid) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} {id} does not exist"))
}

pub async fn teams(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<team::Model>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::teams(&state.db, client.0.org.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    name: String,
}

pub async fn create_team(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<NewTeam>,
) -> Result<(StatusCode, Json<team::Model>), ApiError> {
    client.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(directory::create_team(&state.db, client.0.org.id, &input.name, state.clock.now()).await?),
    ))
}

async fn find_team(state: &AppState, client: &ApiClient, id: Uuid) -> Result<team::Model, ApiError> {
    client.require_admin()?;
    team::Entity::find_by_id(id)
        .filter(team::Column::OrgId.eq(client.0.org.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| not_found("team", id))
}

pub async fn get_team(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<Uuid>,
) -> Result<Json<team::Model>, ApiError> {
    Ok(Json(find_team(&state, &client, id).await?))
}

pub async fn update_team(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<TeamPatch>,
) -> Result<Json<team::Model>, ApiError> {
    let current = find_team(&state, &client, id).await?;
    Ok(Json(directory::update_team(&state.db, current, patch, state.clock.now()).await?))
}

pub async fn projects(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<project::Model>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::projects(&state.db, client.0.org.id).await?))
}

pub async fn create_project(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<project::Model>), ApiError> {
    client.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(directory::create_project(&state.db, client.0.org.id, input, state.clock.now()).await?),
    ))
}

async fn find_project(state: &AppState, client: &ApiClient, id: Uuid) -> Result<project::Model, ApiError> {
    client.require_admin()?;
    project::Entity::find_by_id(id)
        .filter(project::Column::OrgId.eq(client.0.org.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| not_found("project", id))
}

pub async fn get_project(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<Uuid>,
) -> Result<Json<project::Model>, ApiError> {
    Ok(Json(find_project(&state, &client, id).await?))
}

pub async fn update_project(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> Result<Json<project::Model>, ApiError> {
    let current = find_project(&state, &client, id).await?;
    Ok(Json(directory::update_project(&state.db, current, patch, state.clock.now()).await?))
}

async fn find_user(state: &AppState, client: &ApiClient, id: Uuid) -> Result<user::Model, ApiError> {
    client.require_admin()?;
    user::Entity::find_by_id(id)
        .filter(user::Column::OrgId.eq(client.0.org.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| not_found("user", id))
}

pub async fn get_user(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(find_user(&state, &client, id).await?.into()))
}

pub async fn update_user(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    let current = find_user(&state, &client, id).await?;
    Ok(Json(directory::update_user(&state.db, current, patch).await?))
}

pub async fn users(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<UserView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::users(&state.db, client.0.org.id).await?))
}

pub async fn create_user(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    client.require_admin()?;
    Ok((StatusCode::CREATED, Json(directory::create_user(&state.db, client.0.org.id, input, state.clock.now()).await?)))
}

pub async fn prices(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<PriceInput>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::prices(&state.db, client.0.org.id).await?))
}

pub async fn add_price(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<PriceInput>,
) -> Result<StatusCode, ApiError> {
    client.require_admin()?;
    let org = &client.0.org;
    directory::add_price(&state.db, org.id, &org.currency, input, state.clock.now()).await?;
    Ok(StatusCode::CREATED)
}
