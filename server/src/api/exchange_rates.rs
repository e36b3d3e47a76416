//! `GET` and `POST /api/v1/exchange-rates`: dated rates from a catalog's currency into the
//! organization's (admin keys).

use super::auth::ApiClient;
use super::error::{ApiError, ApiJson, ErrorBody};
use app::backend::services::directory::{self, Change, ExchangeRateInput, ExchangeRateView};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

#[utoipa::path(get, path = "/api/v1/exchange-rates", tag = "prices",
    responses(
        (status = 200, description = "Every rate into the organization's currency, oldest first per currency", body = Vec<ExchangeRateView>),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn list(State(state): State<AppState>, client: ApiClient) -> Result<Json<Vec<ExchangeRateView>>, ApiError> {
    client.require_admin()?;
    Ok(Json(directory::exchange_rates(&state.db, client.0.org.id).await?))
}

#[utoipa::path(post, path = "/api/v1/exchange-rates", tag = "prices", request_body = ExchangeRateInput,
    responses(
        (status = 201, description = "Added: usage from `effective_from` on is converted at this rate", body = ExchangeRateView),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn add(
    State(state): State<AppState>,
    client: ApiClient,
    ApiJson(input): ApiJson<ExchangeRateInput>,
) -> Result<(StatusCode, Json<ExchangeRateView>), ApiError> {
    client.require_admin()?;
    let org = &client.0.org;
    let change = Change { actor: &client.0.actor(), now: state.clock.now() };
    let added = directory::add_exchange_rate(&state.db, org.id, &org.currency, input, change).await?;
    Ok((StatusCode::CREATED, Json(added)))
}
