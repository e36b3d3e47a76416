//! Report exports: a report's table as CSV (with the byte-order mark spreadsheet programs need for
//! UTF-8), for the pages' download links and the API.

use app::reports::{ReportKind, Table};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

/// The table as CSV: a header row, then every row; cells quoted where needed and neutralised
/// where a spreadsheet would read them as a formula.
pub fn to_csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    for record in std::iter::once(&table.columns).chain(table.rows.iter().map(|row| &row.cells)) {
        for cell in record {
            writer.write_field(neutralised(cell).as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// A cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return) gets a leading
/// apostrophe, so spreadsheets show it as text (OWASP's advice); plain numbers such as `-12.50`
/// stay numbers.
fn neutralised(cell: &str) -> Cow<'_, str> {
    let formula_like = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula_like && cell.parse::<rust_decimal::Decimal>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
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
    use app::reports::{ColumnKind, TableRow};

    #[test]
    fn cells_with_commas_quotes_and_newlines_are_quoted() {
        let rows = vec![TableRow::new(vec!["Search, \"beta\"\nteam".into(), "12.50".into()])];
        let table = Table::new([("Name", ColumnKind::Text), ("Cost (USD)", ColumnKind::Money)], rows);
        let text = String::from_utf8(to_csv(&table).unwrap()).unwrap();
        assert_eq!(text, "\u{feff}Name,Cost (USD)\n\"Search, \"\"beta\"\"\nteam\",12.50\n");
    }

    #[test]
    fn formula_like_cells_are_text_and_numbers_stay_numbers() {
        let cells = ["=HYPERLINK(\"http://evil.example\")", "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\ry", "-12.50", "7"];
        let columns = vec!["=col".to_owned(); cells.len()];
        let rows = vec![TableRow::new(cells.map(String::from).to_vec())];
        let table = Table::new(columns.into_iter().map(|c| (c, ColumnKind::Text)), rows);
        let text = String::from_utf8(to_csv(&table).unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        assert!(reader.headers().unwrap().iter().all(|header| header == "'=col"));
        let row = reader.records().next().unwrap().unwrap();
        let expected =
            ["'=HYPERLINK(\"http://evil.example\")", "'+1+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\ry", "-12.50", "7"];
        assert_eq!(row.iter().collect::<Vec<_>>(), expected);
    }
}
