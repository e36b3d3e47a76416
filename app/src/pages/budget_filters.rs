//! Filtering and sorting the budget list by scope, category, status and period, from the page's query string.

use crate::models::BudgetRow;
use leptos::prelude::*;
use leptos_router::params::ParamsMap;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetFilters {
    pub scope: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub period: Option<String>,
    /// name (default), used (highest utilization first) or spend (highest cost first)
    pub sort: String,
}

impl BudgetFilters {
    pub fn from_query(query: &ParamsMap) -> Self {
        let pick = |key: &str| query.get(key).filter(|v| !v.is_empty() && v != "any");
        BudgetFilters {
            scope: pick("scope"),
            category: pick("category"),
            status: pick("status"),
            period: pick("period"),
            sort: pick("sort").unwrap_or_else(|| "name".into()),
        }
    }

    fn keeps(&self, row: &BudgetRow) -> bool {
        let b = &row.budget.input;
        let category = b.category.clone().unwrap_or_else(|| "all".into());
        self.scope.as_deref().is_none_or(|s| b.scope.to_string() == s)
            && self.category.as_deref().is_none_or(|c| category == c)
            && self.status.as_deref().is_none_or(|s| row.status == s)
            && self.period.as_deref().is_none_or(|p| b.period.as_str() == p)
    }

    /// The rows these filters keep, in their order.
    pub fn apply(&self, rows: Vec<BudgetRow>) -> Vec<BudgetRow> {
        let mut kept: Vec<BudgetRow> = rows.into_iter().filter(|r| self.keeps(r)).collect();
        let most_used = |r: &BudgetRow| r.usage.iter().map(|u| u.percent_used).max().unwrap_or_default();
        let cost = |r: &BudgetRow| r.usage.iter().find(|u| u.limit_type == "cost").map_or(Decimal::ZERO, |u| u.spent);
        match self.sort.as_str() {
            "used" => kept.sort_by_key(|r| std::cmp::Reverse(most_used(r))),
            "spend" => kept.sort_by_key(|r| std::cmp::Reverse(cost(r))),
            _ => kept.sort_by_key(|r| r.budget.input.name.to_lowercase()),
        }
        kept
    }
}

/// A plain GET form, so filtering works before hydration and the URL can be shared.
#[component]
pub fn FilterBar(filters: BudgetFilters, categories: Vec<String>) -> impl IntoView {
    let choice = |name: &'static str, label: &'static str, current: Option<String>, options: Vec<(String, String)>| {
        view! {
            <label>{label}
                <select name=name>
                    <option value="any">"any"</option>
                    {options.into_iter().map(|(value, text)| {
                        let selected = current.as_deref() == Some(value.as_str());
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let pairs = |values: &[&str]| values.iter().map(|v| (v.to_string(), v.replace('_', " "))).collect::<Vec<_>>();
    let sorts = [("name", "name"), ("used", "most used first"), ("spend", "highest spend first")];
    view! {
        <form method="get" class="filters" aria-label="Filter budgets">
            {choice("scope", "Scope", filters.scope.clone(), pairs(&["organization", "team", "project", "user"]))}
            {choice("category", "Category", filters.category.clone(), categories.iter().map(|c| (c.clone(), c.clone())).collect())}
            {choice("status", "Status", filters.status.clone(), pairs(&["within_budget", "at_risk", "approaching_limit", "over_budget"]))}
            {choice("period", "Period", filters.period.clone(), pairs(&["daily", "weekly", "monthly", "quarterly"]))}
            <label>"Sort"
                <select name="sort">
                    {sorts.into_iter().map(|(value, text)| view! { <option value=value selected=filters.sort == value>{text}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit">"Apply"</button>
            <a href="/budgets">"Clear"</a>
        </form>
    }
}
