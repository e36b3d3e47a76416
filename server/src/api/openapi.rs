//! `GET /api/v1/openapi.json`: the OpenAPI 3 document of the whole API, derived from its types.

use super::{budgets, directory, error, events, reports, requests, usage, values};
use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tollgate API", description = "Budgets that hold for LLM and AI usage: check-and-reserve before a call, settle after it, record usage, manage budgets."),
    paths(
        usage::check, usage::settle, usage::release, usage::record, usage::status, events::feed, requests::create,
        budgets::list, budgets::create, budgets::get, budgets::patch, budgets::set_state,
        directory::teams, directory::create_team, directory::get_team, directory::update_team,
        directory::projects, directory::create_project, directory::get_project, directory::update_project,
        directory::users, directory::create_user, directory::get_user, directory::update_user,
        directory::categories, directory::create_category, directory::prices, directory::add_price,
        reports::get, values::record,
    ),
    components(schemas(error::ErrorBody, app::services::engine::UsageInput)),
    modifiers(&ApiKeyAuth),
    tags(
        (name = "usage", description = "For services: ingest keys"),
        (name = "budgets", description = "Budget management: admin keys"),
        (name = "directory", description = "Teams, projects and users: admin keys"),
        (name = "prices", description = "The price catalog: admin keys"),
        (name = "reports", description = "Budget vs actual, allocation, trends and forecasts: admin keys"),
    )
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("api_key", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
