//! Tollgate's own price list: CSV with a header row, prices per million tokens in a named currency.

use super::{amount, name, price_map::Listed, storable, ImportError, ListedPrice};
use crate::money::Currency;
use crate::pricing::Price;
use rust_decimal::Decimal;

/// The columns, in the order Tollgate writes them; the first five are required, the rest may be
/// left out or empty (billed as input or output, no fee).
pub const CSV_HEADER: [&str; 9] = [
    "provider",
    "model",
    "currency",
    "input_per_mtok",
    "output_per_mtok",
    "cached_input_per_mtok",
    "cache_write_per_mtok",
    "reasoning_per_mtok",
    "request_fee",
];
const REQUIRED: usize = 5;

pub(super) fn read(text: &str) -> Result<Listed, ImportError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| ImportError::Line { line: 1, problem: e.to_string() })?.clone();
    let mut columns = Vec::new();
    for field in &header {
        match CSV_HEADER.iter().position(|c| *c == field) {
            Some(at) if !columns.contains(&at) => columns.push(at),
            Some(_) => return Err(header_problem(format!("column '{field}' appears twice"))),
            None => {
                return Err(header_problem(format!(
                    "unknown column '{field}' (the columns are {})",
                    CSV_HEADER.join(", ")
                )))
            }
        }
    }
    if let Some(missing) = (0..REQUIRED).find(|c| !columns.contains(c)) {
        return Err(header_problem(format!("the column '{}' is required", CSV_HEADER[missing])));
    }
    let mut listed = Listed { prices: Vec::new(), skipped: Vec::new() };
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Line {
            line: e.position().map_or(0, csv::Position::line),
            problem: e.to_string(),
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let mut fields: [&str; 9] = [""; 9];
        for (value, &column) in record.iter().zip(&columns) {
            fields[column] = value;
        }
        let entry = if fields[1].is_empty() { format!("line {line}") } else { fields[1].to_owned() };
        let problem = |problem: String| ImportError::Line { line, problem: format!("{entry}: {problem}") };
        let required = |at: usize| -> Result<Decimal, ImportError> {
            amount(fields[at]).and_then(storable).map_err(|e| problem(format!("{}: {e}", CSV_HEADER[at])))
        };
        let optional = |at: usize| match fields[at] {
            "" => Ok(None),
            _ => required(at).map(Some),
        };
        let currency = Currency::parse(&fields[2].to_uppercase()).map_err(|e| problem(e.to_string()))?;
        let price = Price {
            cached_input_per_mtok: optional(5)?,
            cache_write_per_mtok: optional(6)?,
            reasoning_per_mtok: optional(7)?,
            request_fee: optional(8)?,
            ..Price::new(required(3)?, required(4)?, currency)
        };
        listed.prices.push(ListedPrice {
            provider: name(fields[0], "provider").map_err(problem)?.to_lowercase(),
            model: name(fields[1], "model").map_err(problem)?,
            price,
        });
    }
    Ok(listed)
}

fn header_problem(problem: String) -> ImportError {
    ImportError::Line { line: 1, problem }
}

/// One catalog price as a CSV row in `CSV_HEADER`'s order.
pub fn row(provider: &str, model: &str, price: &Price) -> [String; 9] {
    let optional = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    [
        provider.to_owned(),
        model.to_owned(),
        price.currency.to_string(),
        price.input_per_mtok.normalize().to_string(),
        price.output_per_mtok.normalize().to_string(),
        optional(price.cached_input_per_mtok),
        optional(price.cache_write_per_mtok),
        optional(price.reasoning_per_mtok),
        optional(price.request_fee),
    ]
}
