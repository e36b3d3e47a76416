//! Write-side services used by server functions, the REST API and the command line.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod api_keys;
pub mod budget_list;
pub mod budgets;
pub mod digests;
pub mod directory;
pub mod engine;
pub mod event_hooks;
pub mod feed;
pub mod jobs;
pub mod members;
pub mod organizations;
pub mod outbound;
pub mod preferences;
pub mod reallocation;
pub mod reconcile;
pub mod reports;
pub mod requests;
pub mod setup;
pub mod shared_costs;
pub mod templates;
pub mod values;
pub mod windows;
