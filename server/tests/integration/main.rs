//! The server's integration tests as one binary: linked once, not once per file.

#[macro_use]
mod common;

mod accounts;
mod alert_inbox;
mod alerts;
mod approvals;
mod bills;
mod budget_access;
mod budget_list;
mod check_config;
mod cli;
mod crash;
mod digests;
mod engine_reserve;
mod engine_tables_migration;
mod engine_usage;
mod event_hooks;
mod hardening_api;
mod hardening_web;
mod holds_migration;
mod hostile_input;
mod jobs;
mod load;
mod management;
mod openapi;
mod optimistic_route;
mod preferences;
mod price_import;
mod pricing;
mod reallocation;
mod reconcile;
mod report_advice;
mod reports;
mod rollup_migration;
mod site_files;
mod skeleton;
mod sqlite_wal;
mod wizard_templates;
