//! Entity for `window_closes`: the final figures of a budget window, written once when it closes.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "window_closes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub budget_id: Uuid,
    pub window_start: DateTimeUtc,
    pub window_end: DateTimeUtc,
    pub cost_spent: i64,
    pub tokens_spent: i64,
    pub operations_spent: i64,
    pub cost_hard: Option<i64>,
    pub tokens_hard: Option<i64>,
    pub operations_hard: Option<i64>,
    pub override_cost: i64,
    pub detail: String,
    pub closed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
