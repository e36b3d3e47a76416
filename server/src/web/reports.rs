//! `GET /reports/{report}/csv`: a report's table as CSV for the signed-in person, with the same
//! filters and access rules as its page.

use app::auth::Account;
use app::backend::services::reports::{run, Viewer};
use app::errors::AppError;
use app::reports::{ReportKind, ReportQuery};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::collections::BTreeMap;

pub async fn csv(
    State(state): State<AppState>,
    account: Option<Extension<Account>>,
    Path(report): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(Extension(account)) = account else { return failure(AppError::Unauthorized) };
    let Some(kind) = ReportKind::from_slug(&report) else {
        return failure(AppError::NotFound(format!("report '{report}'")));
    };
    let query = ReportQuery::from_pairs(query.iter().map(|(k, v)| (k.as_str(), v.clone())));
    match run(&state.db, &Viewer::Person(account), kind, query, state.clock.now()).await {
        Ok(view) => crate::reports::csv_response(kind, &view.table),
        Err(error) => failure(error.into()),
    }
}

fn failure(error: AppError) -> Response {
    (error.status(), Json(serde_json::json!({ "error": { "message": error.to_string() } }))).into_response()
}
