//! The site's pages, each with the server functions it uses.

pub mod account;
pub mod admin;
pub mod approvals;
pub mod ask_more;
pub mod budget;
pub mod budget_filters;
pub mod budgets;
pub mod exchange_rates;
pub mod inbox;
pub mod login;
pub mod model_aliases;
pub mod not_found;
pub mod overview;
pub mod preferences;
pub mod price_import;
pub mod prices;
pub mod reports;
pub mod setup;
pub mod teams;
pub mod templates;
pub mod wizard;
pub mod your_budgets;
