//! The JSON API under `/api/v1`, authenticated by API keys.

pub mod auth;
mod budgets;
mod directory;
pub mod error;
mod events;
mod exchange_rates;
mod extract;
mod model_aliases;
pub mod openapi;
mod reports;
mod requests;
mod usage;
mod values;

use app::state::AppState;
use axum::routing::{delete, get, post};
use axum::Router;
use error::ApiError;

/// Bodies above this are refused before parsing (a full batch of 1,000 events fits easily).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/check", post(usage::check))
        .route("/api/v1/reservations/{id}/settle", post(usage::settle))
        .route("/api/v1/reservations/{id}", delete(usage::release))
        .route("/api/v1/usage", post(usage::record))
        .route("/api/v1/status", get(usage::status))
        .route("/api/v1/events", get(events::feed))
        .route("/api/v1/budgets", get(budgets::list).post(budgets::create))
        .route("/api/v1/budgets/{id}", get(budgets::get).patch(budgets::patch))
        .route("/api/v1/budgets/{id}/requests", post(requests::create))
        .route("/api/v1/budgets/{id}/{action}", post(budgets::set_state))
        .route("/api/v1/teams", get(directory::teams).post(directory::create_team))
        .route("/api/v1/teams/{id}", get(directory::get_team).patch(directory::update_team))
        .route("/api/v1/projects", get(directory::projects).post(directory::create_project))
        .route("/api/v1/projects/{id}", get(directory::get_project).patch(directory::update_project))
        .route("/api/v1/users", get(directory::users).post(directory::create_user))
        .route("/api/v1/users/{id}", get(directory::get_user).patch(directory::update_user))
        .route("/api/v1/categories", get(directory::categories).post(directory::create_category))
        .route("/api/v1/prices", get(directory::prices).post(directory::add_price))
        .route("/api/v1/exchange-rates", get(exchange_rates::list).post(exchange_rates::add))
        .route("/api/v1/model-aliases", get(model_aliases::list).post(model_aliases::add))
        .route("/api/v1/model-aliases/{id}", axum::routing::delete(model_aliases::remove))
        .route("/api/v1/reports/{report}", get(reports::get))
        .route("/api/v1/projects/{id}/value", post(values::record))
        .route("/api/v1/{*rest}", axum::routing::any(unknown_endpoint))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn unknown_endpoint() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
}
