//! Entity for `budget_counters`: spent and reserved amounts of one budget window.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub budget_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub window_start: DateTimeUtc,
    pub window_end: DateTimeUtc,
    pub cost_spent: i64,
    pub cost_reserved: i64,
    pub tokens_spent: i64,
    pub tokens_reserved: i64,
    pub operations_spent: i64,
    pub operations_reserved: i64,
    pub hard_crossed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
