//! Reading a price list (a JSON price map or Tollgate's CSV) and planning what importing it changes.
//!
//! Parsing and planning are pure: the caller passes the prices in force and the date the import
//! takes effect from, and applies the plan's new and changed prices as new catalog rows. A price
//! equal to the one in force is left alone, so importing the same file twice changes nothing the
//! second time.

mod csv_file;
mod price_map;

use crate::pricing::Price;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use csv_file::{row as csv_row, CSV_HEADER};

/// One model's price as a file lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedPrice {
    pub provider: String,
    pub model: String,
    pub price: Price,
}

/// An entry the file lists but an import leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub entry: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The JSON price map (model name → `input_cost_per_token`, … per token, in USD).
    PriceMap,
    /// Tollgate's CSV: one row per model, prices per million tokens, with their currency.
    Csv,
}

/// A whole price list, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceList {
    pub format: Format,
    pub prices: Vec<ListedPrice>,
    pub skipped: Vec<Skipped>,
}

/// Why a file cannot be imported at all; nothing is imported from a file with any such problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not valid JSON: {0}")]
    Json(String),
    #[error("entry '{entry}': {problem}")]
    Entry { entry: String, problem: String },
    #[error("line {line}: {problem}")]
    Line { line: u64, problem: String },
}

/// Which providers' entries to take; empty takes every provider.
#[derive(Debug, Clone, Default)]
pub struct ProviderFilter(Vec<String>);

impl ProviderFilter {
    /// From a comma- or space-separated list, such as `openai, anthropic`.
    pub fn parse(list: &str) -> Self {
        ProviderFilter(
            list.split([',', ' ', '\n']).map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()).collect(),
        )
    }

    pub(crate) fn takes(&self, provider: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|p| p == provider)
    }
}

/// Reads a price list: a JSON object is a price map, anything else Tollgate's CSV.
pub fn read(text: &str, providers: &ProviderFilter) -> Result<PriceList, ImportError> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(ImportError::Empty);
    }
    let (format, listed) = if text.starts_with('{') {
        (Format::PriceMap, price_map::read(text, providers)?)
    } else {
        (Format::Csv, csv_file::read(text)?)
    };
    let mut list = PriceList { format, prices: Vec::new(), skipped: listed.skipped };
    // Where each provider and model was first listed: maps list thousands of entries.
    let mut first_at: HashMap<(String, String), usize> = HashMap::new();
    for price in listed.prices {
        if !providers.takes(&price.provider) {
            continue;
        }
        match first_at.get(&(price.provider.clone(), price.model.clone())) {
            Some(&at) if list.prices[at].price == price.price => {}
            Some(_) => list.skipped.push(Skipped {
                entry: format!("{}/{}", price.provider, price.model),
                reason: "listed again with another price; the first listing is taken".into(),
            }),
            None => {
                first_at.insert((price.provider.clone(), price.model.clone()), list.prices.len());
                list.prices.push(price);
            }
        }
    }
    list.prices.sort_by(|a, b| (&a.provider, &a.model).cmp(&(&b.provider, &b.model)));
    Ok(list)
}

/// What importing a list changes: prices for models the catalog does not price yet, new prices
/// for models whose price differs, and how many are the same already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub new: Vec<ListedPrice>,
    pub changed: Vec<Repriced>,
    pub unchanged: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repriced {
    pub listed: ListedPrice,
    pub before: Price,
}

impl Plan {
    /// The rows to add to the catalog, from the import's date on.
    pub fn to_add(&self) -> impl Iterator<Item = &ListedPrice> {
        self.new.iter().chain(self.changed.iter().map(|r| &r.listed))
    }
}

/// An import as its caller reports it: what the file held, what changes (or changed) from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub format: Format,
    pub effective_from: DateTime<Utc>,
    /// False on a dry run: the plan is what an import would change.
    pub applied: bool,
    pub plan: Plan,
    pub skipped: Vec<Skipped>,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::PriceMap => "JSON price map",
            Format::Csv => "CSV price list",
        }
    }
}

/// Compares a list with the prices in force when it takes effect (`in_force` holds provider,
/// model and price).
pub fn plan(list: &PriceList, in_force: &[(String, String, Price)]) -> Plan {
    let in_force: HashMap<(&str, &str), &Price> =
        in_force.iter().map(|(provider, model, price)| ((provider.as_str(), model.as_str()), price)).collect();
    let mut plan = Plan { new: Vec::new(), changed: Vec::new(), unchanged: 0 };
    for listed in &list.prices {
        match in_force.get(&(listed.provider.as_str(), listed.model.as_str())) {
            None => plan.new.push(listed.clone()),
            Some(before) if **before == listed.price => plan.unchanged += 1,
            Some(before) => plan.changed.push(Repriced { listed: listed.clone(), before: **before }),
        }
    }
    plan
}

/// An amount per million tokens from its text in a file: a plain or scientific decimal, not negative.
fn amount(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    let parsed = if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { text.parse() };
    match parsed {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => Err(format!("{text} is negative")),
        Ok(d) => Ok(d.normalize()),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}

/// An amount the catalog can hold: at most nine decimal places per million tokens.
fn storable(amount: Decimal) -> Result<Decimal, String> {
    if amount.scale() > crate::money::STORAGE_SCALE {
        return Err(format!("{amount} per million tokens is finer than the catalog's billionths"));
    }
    Ok(amount)
}

/// Checks a name as the catalog stores it: not empty, no control characters, at most 120 characters (as the catalog).
fn name(text: &str, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.len() > 120 || text.chars().any(char::is_control) {
        return Err(format!("the {what} must be 1 to 120 printable characters"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests;
