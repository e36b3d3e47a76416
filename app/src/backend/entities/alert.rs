//! Entity for `alerts`: a raised alert (threshold crossing, forecast, reserve use, request), once per dedup key.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub budget_id: Option<Uuid>,
    pub kind: String,
    pub limit_kind: Option<String>,
    pub threshold: Option<i32>,
    pub window_start: Option<DateTimeUtc>,
    pub dedup_key: String,
    pub severity: String,
    pub title: String,
    pub body: String,
    pub detail: String,
    pub created_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<Uuid>,
    pub escalation_level: i32,
    pub escalate_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
