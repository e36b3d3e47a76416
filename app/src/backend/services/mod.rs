//! Use cases over the database, one function per use case, for server functions, the REST API and the command line.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod api_key_admin;
pub mod budget_changes;
pub mod budget_creation;
pub mod budget_list;
pub mod budget_page;
pub mod budgets;
pub mod digests;
pub mod directory;
mod error;
pub mod event_hooks;
pub mod feed;
pub mod housekeeping;
pub mod integrations;
pub mod jobs;
pub mod members;
pub mod organizations;
pub mod outbound;
pub mod people;
pub mod preferences;
pub mod reallocation;
pub mod reconcile;
pub mod reports;
pub mod requests;
pub mod setup;
pub mod shared_costs;
pub mod template_changes;
pub mod templates;
pub mod values;
pub mod windows;

pub use error::ServiceError;
