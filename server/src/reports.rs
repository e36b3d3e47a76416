//! Report exports: a report's table as CSV (with the byte-order mark spreadsheet programs need for
//! UTF-8), for the pages' download links and the API.

use app::reports::{ReportKind, Table};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The table as CSV: a header row, then every row; cells quoted where needed.
pub fn to_csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(&table.columns)?;
    for row in &table.rows {
        writer.write_record(&row.cells)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// A CSV download of a report, named after it.
pub fn csv_response(kind: ReportKind, table: &Table) -> Response {
    match to_csv(table) {
        Ok(body) => {
            let disposition = format!("attachment; filename=\"tollgate-{}.csv\"", kind.slug());
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => {
            tracing::error!(%error, "writing a CSV export failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::reports::TableRow;

    #[test]
    fn cells_with_commas_quotes_and_newlines_are_quoted() {
        let table = Table {
            columns: vec!["Name".into(), "Cost (USD)".into()],
            rows: vec![TableRow::new(vec!["Search, \"beta\"\nteam".into(), "12.50".into()])],
        };
        let text = String::from_utf8(to_csv(&table).unwrap()).unwrap();
        assert_eq!(text, "\u{feff}Name,Cost (USD)\n\"Search, \"\"beta\"\"\nteam\",12.50\n");
    }
}
