//! The overview page's figures: the organization's spend over a range of days, its top projects
//! and models, and the month's expected spend.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// `None` until an organization exists.
    pub organization: Option<OrgOverview>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgOverview {
    pub name: String,
    pub currency: String,
    pub timezone: String,
    pub teams: u64,
    pub projects: u64,
    pub budgets: u64,
    pub days: u32,
    pub total_spend: Decimal,
    pub total_tokens: i64,
    pub top_projects: Vec<SpendRow>,
    pub top_models: Vec<SpendRow>,
    /// ECharts option JSON for the daily spend chart.
    pub chart: String,
    /// The numbers behind the chart: spend per day, then the expected spend of the rest of the month.
    pub series: Vec<(chrono::NaiveDate, Decimal)>,
    pub forecast: Vec<(chrono::NaiveDate, Decimal)>,
    pub month_to_date: Decimal,
    pub month_forecast: Decimal,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpendRow {
    pub name: String,
    pub spend: Decimal,
}
