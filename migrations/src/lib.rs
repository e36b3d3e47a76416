//! The SeaORM migrator: every schema change of Tollgate, applied in order at start-up or by `tollgate migrate`.

pub use sea_orm_migration::prelude::*;

mod config_watch;

mod m20261128_000001_organizations;
mod m20261128_000002_budgets_and_ledger;
mod m20261128_000003_overrides;
mod m20261128_000004_sessions;
mod m20261128_000005_requests;
mod m20261128_000006_alerts;
mod m20261128_000007_windows_and_hooks;
mod m20261128_000008_scheduled_increases;
mod m20261128_000009_reallocation;
mod m20261129_000010_preferences_and_templates;
mod m20261129_000011_jobs_and_digests;
mod m20261129_000012_project_values;
mod m20261129_000013_shared_projects;
mod m20261129_000014_daily_rollups;
mod m20261129_000015_config_version;
mod m20261130_000016_clustered_engine_tables;
mod m20261204_000017_holds_on_reservations;
mod m20261207_000018_counter_limits;
mod m20261207_000019_reservation_keys;
mod m20261207_000020_budget_counting_since;
mod m20261207_000021_creation_requests;
mod m20261207_000022_priced_model;
mod m20261207_000023_exchange_rates;
mod m20261207_000024_model_aliases;
mod m20261207_000025_price_components;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_organizations::Migration),
            Box::new(m20261128_000002_budgets_and_ledger::Migration),
            Box::new(m20261128_000003_overrides::Migration),
            Box::new(m20261128_000004_sessions::Migration),
            Box::new(m20261128_000005_requests::Migration),
            Box::new(m20261128_000006_alerts::Migration),
            Box::new(m20261128_000007_windows_and_hooks::Migration),
            Box::new(m20261128_000008_scheduled_increases::Migration),
            Box::new(m20261128_000009_reallocation::Migration),
            Box::new(m20261129_000010_preferences_and_templates::Migration),
            Box::new(m20261129_000011_jobs_and_digests::Migration),
            Box::new(m20261129_000012_project_values::Migration),
            Box::new(m20261129_000013_shared_projects::Migration),
            Box::new(m20261129_000014_daily_rollups::Migration),
            Box::new(m20261129_000015_config_version::Migration),
            Box::new(m20261130_000016_clustered_engine_tables::Migration),
            Box::new(m20261204_000017_holds_on_reservations::Migration),
            Box::new(m20261207_000018_counter_limits::Migration),
            Box::new(m20261207_000019_reservation_keys::Migration),
            Box::new(m20261207_000020_budget_counting_since::Migration),
            Box::new(m20261207_000021_creation_requests::Migration),
            Box::new(m20261207_000022_priced_model::Migration),
            Box::new(m20261207_000023_exchange_rates::Migration),
            Box::new(m20261207_000024_model_aliases::Migration),
            Box::new(m20261207_000025_price_components::Migration),
        ]
    }
}
