//! Entity for `job_runs`: one scheduled job's lease, schedule and last outcome.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub every_ms: i64,
    pub lease_holder: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub next_run_at: Option<DateTimeUtc>,
    pub trigger_requested_at: Option<DateTimeUtc>,
    pub triggered_by: Option<String>,
    pub last_started_at: Option<DateTimeUtc>,
    pub last_finished_at: Option<DateTimeUtc>,
    pub last_duration_ms: Option<i64>,
    pub last_ok: Option<bool>,
    pub last_outcome: Option<String>,
    pub progress: Option<String>,
    pub runs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
