//! What a report is to its readers: which reports exist, the query they take, and the table (also
//! its CSV), chart and headline figures they answer with.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportKind {
    BudgetVsActual,
    Allocation,
    Components,
    Trends,
    Forecasts,
    Suggestions,
    WhatIf,
    Roi,
    /// Every budget event; admins only, so it is not among the reports everyone is offered.
    Audit,
}

impl ReportKind {
    pub const ALL: [ReportKind; 8] = [
        ReportKind::BudgetVsActual,
        ReportKind::Allocation,
        ReportKind::Components,
        ReportKind::Trends,
        ReportKind::Forecasts,
        ReportKind::Suggestions,
        ReportKind::WhatIf,
        ReportKind::Roi,
    ];

    /// The name in URLs: `/reports/{slug}`, `/reports/{slug}/csv`, `/api/v1/reports/{slug}`.
    pub fn slug(self) -> &'static str {
        match self {
            ReportKind::BudgetVsActual => "budget-vs-actual",
            ReportKind::Allocation => "allocation",
            ReportKind::Components => "components",
            ReportKind::Trends => "trends",
            ReportKind::Forecasts => "forecasts",
            ReportKind::Suggestions => "suggestions",
            ReportKind::WhatIf => "what-if",
            ReportKind::Roi => "roi",
            ReportKind::Audit => "audit",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().chain([ReportKind::Audit]).find(|k| k.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            ReportKind::BudgetVsActual => "Budget vs actual",
            ReportKind::Allocation => "Allocation",
            ReportKind::Components => "Cost by price component",
            ReportKind::Trends => "Trends",
            ReportKind::Forecasts => "Forecasts",
            ReportKind::Suggestions => "Cost-saving suggestions",
            ReportKind::WhatIf => "What-if replay",
            ReportKind::Roi => "Return on investment",
            ReportKind::Audit => "Audit log",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            ReportKind::BudgetVsActual => "Limit, actual and variance per budget and window, with drill-down.",
            ReportKind::Allocation => "Spend by team, project, person, category, model or provider.",
            ReportKind::Components => "What input, cache reads and writes, output, reasoning and request fees cost.",
            ReportKind::Trends => "Daily or weekly spend, tokens and operations with moving averages.",
            ReportKind::Forecasts => "Projected spend to each window's end with an uncertainty band.",
            ReportKind::Suggestions => "Cheaper models for what was used, and budgets that never fit their use.",
            ReportKind::WhatIf => "Replay a budget's last window against proposed limits before saving them.",
            ReportKind::Roi => "Cost against the value each project reports producing, per month.",
            ReportKind::Audit => "Every budget event, filterable by budget, scope, type, actor and date.",
        }
    }
}

/// A report's parameters as they arrive in a query string; each report reads the ones it knows
/// and explains any it cannot parse.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportQuery(pub BTreeMap<String, String>);

impl ReportQuery {
    pub fn from_pairs<'a, V: Into<String>>(pairs: impl IntoIterator<Item = (&'a str, V)>) -> Self {
        ReportQuery(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into()))
                .filter(|(_, v): &(String, String)| !v.trim().is_empty())
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty() && *v != "any")
    }

    pub fn date(&self, key: &str) -> Result<Option<NaiveDate>, String> {
        self.get(key)
            .map(|v| v.parse::<NaiveDate>().map_err(|_| format!("'{key}' must be a date like 2026-11-01, not '{v}'")))
            .transpose()
    }

    pub fn number(&self, key: &str, range: std::ops::RangeInclusive<u32>) -> Result<Option<u32>, String> {
        self.get(key)
            .map(|v| {
                v.parse::<u32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    format!("'{key}' must be a whole number from {} to {}, not '{v}'", range.start(), range.end())
                })
            })
            .transpose()
    }

    /// The same query as a URL query string (for CSV links and drill-down).
    pub fn to_query_string(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{}={}", urlencoding(k), urlencoding(v))).collect::<Vec<_>>().join("&")
    }

    pub fn with(&self, key: &str, value: impl Into<String>) -> Self {
        let mut next = self.clone();
        next.0.insert(key.to_owned(), value.into());
        next
    }
}

fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One table row. `tone` marks rows to highlight (`over`, `under`); `link` goes on the first cell
/// (a drill-down or the budget's page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    pub cells: Vec<String>,
    pub tone: Option<String>,
    pub link: Option<String>,
}

impl TableRow {
    pub fn new(cells: Vec<String>) -> Self {
        TableRow { cells, tone: None, link: None }
    }
}

/// What a column holds, so pages can show it by the figures policy while exports keep it exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    #[default]
    Text,
    /// Cells are exact amounts (`figures::exact`); pages round them to cents.
    Money,
    /// Cells are whole numbers; pages group their thousands.
    Count,
    /// Money or a whole count, by the row's unit: exact amounts carry decimals, counts none.
    Amount,
    /// Cells are percentages to one decimal (`figures::percent`).
    Percent,
}

impl ColumnKind {
    /// A cell as a page shows it.
    pub fn shown(self, cell: &str) -> String {
        use tollgate_domain::figures::{money, whole};
        let number = || cell.parse::<rust_decimal::Decimal>().ok();
        match self {
            ColumnKind::Money => number().map_or_else(|| cell.to_owned(), money),
            ColumnKind::Count => number().map_or_else(|| cell.to_owned(), whole),
            ColumnKind::Amount if cell.contains('.') => number().map_or_else(|| cell.to_owned(), money),
            ColumnKind::Amount => number().map_or_else(|| cell.to_owned(), whole),
            ColumnKind::Text | ColumnKind::Percent => cell.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
    /// The columns (by position) that carry each row's verdict, coloured by its `tone` on pages.
    #[serde(default)]
    pub verdict: Vec<usize>,
    /// What each column holds, by position (missing: text).
    #[serde(default)]
    pub kinds: Vec<ColumnKind>,
}

impl Table {
    /// A table of `columns`, each named with what it holds.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = (S, ColumnKind)>, rows: Vec<TableRow>) -> Self {
        let (columns, kinds) = columns.into_iter().map(|(name, kind)| (name.into(), kind)).unzip();
        Table { columns, rows, verdict: Vec::new(), kinds }
    }

    /// Marks the columns that carry each row's verdict.
    pub fn with_verdict(mut self, columns: impl IntoIterator<Item = usize>) -> Self {
        self.verdict = columns.into_iter().collect();
        self
    }

    pub fn kind(&self, column: usize) -> ColumnKind {
        self.kinds.get(column).copied().unwrap_or_default()
    }
}

/// A report's chart: the heading of its card and the ECharts option it draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportChart {
    pub title: String,
    pub option: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub kind: ReportKind,
    /// The query as the report understood it, defaults filled in (for the filter form and links).
    pub query: ReportQuery,
    /// Headline figures: label and value.
    pub headline: Vec<(String, String)>,
    /// A chart drawn above the table, when the report has one.
    pub chart: Option<ReportChart>,
    pub table: Table,
    /// How the figures were computed, shown under the table.
    pub notes: Vec<String>,
    /// Choices for the filter form's selects: field name → (value, label) options.
    pub choices: BTreeMap<String, Vec<(String, String)>>,
    /// Free inputs of the filter form: field name and label.
    pub inputs: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_any_values_are_unset_and_bad_ones_are_explained() {
        let q = ReportQuery::from_pairs([
            ("from", "2026-11-01".to_owned()),
            ("by", "any".to_owned()),
            ("to", " ".to_owned()),
        ]);
        assert_eq!(q.date("from"), Ok(NaiveDate::from_ymd_opt(2026, 11, 1)));
        assert_eq!((q.get("by"), q.get("to")), (None, None));
        let bad = ReportQuery::from_pairs([("windows", "40".to_owned()), ("from", "yesterday".to_owned())]);
        assert_eq!(
            bad.number("windows", 1..=12),
            Err("'windows' must be a whole number from 1 to 12, not '40'".into())
        );
        assert!(bad.date("from").unwrap_err().contains("2026-11-01"));
    }

    #[test]
    fn pages_show_exact_cells_by_the_figures_policy() {
        assert_eq!(ColumnKind::Money.shown("1234.5678"), "1,234.57");
        assert_eq!(ColumnKind::Count.shown("4893052"), "4,893,052");
        assert_eq!(ColumnKind::Money.shown(""), "", "an empty cell stays empty");
        assert_eq!(ColumnKind::Text.shown("1234"), "1234");
        assert_eq!(
            (ColumnKind::Amount.shown("12.5"), ColumnKind::Amount.shown("12500")),
            ("12.50".into(), "12,500".into())
        );
    }

    #[test]
    fn query_strings_are_encoded() {
        let q = ReportQuery::from_pairs([("by", "model".to_owned()), ("within", "a b&c".to_owned())]);
        assert_eq!(q.to_query_string(), "by=model&within=a%20b%26c");
        assert_eq!(ReportKind::from_slug("budget-vs-actual"), Some(ReportKind::BudgetVsActual));
    }
}
