//! `GET /api/v1/reports/{report}`: the report pages' data for admin keys, as JSON or, with
//! `format=csv`, as the same CSV the pages export.

use super::auth::ApiClient;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use app::backend::services::reports::{run, Viewer};
use app::reports::{ReportKind, ReportQuery};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::BTreeMap;

#[utoipa::path(get, path = "/api/v1/reports/{report}", tag = "reports",
    params(
        ("report" = String, Path, description = "budget-vs-actual, allocation, components, trends, forecasts, suggestions, what-if, roi or audit"),
        ("from" = Option<String>, Query, description = "First day (YYYY-MM-DD); allocation, components and trends"),
        ("to" = Option<String>, Query, description = "Last day (YYYY-MM-DD); allocation, components and trends"),
        ("model" = Option<String>, Query, description = "Components: one catalog model only"),
        ("by" = Option<String>, Query, description = "Allocation: team, project, user, category, model or provider"),
        ("step" = Option<String>, Query, description = "Trends: day or week"),
        ("windows" = Option<u32>, Query, description = "Budget vs actual: windows per budget, 1 to 12"),
        ("level" = Option<String>, Query, description = "Budget vs actual: organization, team, project or user"),
        ("within" = Option<String>, Query, description = "Budget vs actual: a team or project id to drill into"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
    ),
    responses(
        (status = 200, description = "The report: headline figures, table (columns and rows), notes; or CSV", body = Object),
        (status = 404, description = "No such report", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
        (status = 422, description = "Invalid parameters", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn get(
    State(state): State<AppState>,
    client: ApiClient,
    ApiPath(report): ApiPath<String>,
    ApiQuery(mut query): ApiQuery<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    client.require_admin()?;
    let kind = ReportKind::from_slug(&report)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no report named '{report}'")))?;
    let format = query.remove("format").unwrap_or_else(|| "json".into());
    if format != "json" && format != "csv" {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "'format' must be json or csv"));
    }
    let query = ReportQuery::from_pairs(query.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let viewer = Viewer::AdminKey { org_id: client.0.org.id };
    let view = run(&state.db, &viewer, kind, query, state.clock.now()).await?;
    if format == "csv" {
        return Ok(crate::reports::csv_response(kind, &view.table));
    }
    Ok(Json(view).into_response())
}
