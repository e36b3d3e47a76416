//! Entity for `budget_requests`: a person's request for a temporary override or a limit increase.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub budget_id: Uuid,
    pub kind: String,
    pub requested_by: Uuid,
    pub cost: Option<i64>,
    pub tokens: Option<i64>,
    pub operations: Option<i64>,
    pub until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub status: String,
    pub decide_by: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub from_next_window: bool,
    pub applies_from: Option<DateTimeUtc>,
    pub applied_at: Option<DateTimeUtc>,
    pub source_budget_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
