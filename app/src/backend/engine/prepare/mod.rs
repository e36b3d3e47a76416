//! Before anything is decided: an operation's names resolved to its chain, currency and price,
//! the configuration cached per process, and the budgets that apply loaded.

pub mod budgets;
pub mod config_cache;
pub mod config_version;
pub mod reserve;
pub mod resolve;
pub mod status_budgets;
