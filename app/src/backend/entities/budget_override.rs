//! Entity for `budget_overrides`: approved extra allowance of a budget until it expires.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_overrides")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub budget_id: Uuid,
    pub cost: i64,
    pub tokens: i64,
    pub operations: i64,
    pub starts_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub reason: String,
    pub approved_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
