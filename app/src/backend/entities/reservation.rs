//! Entity for `reservations`: an estimate held on budgets between check and settle, with the budget
//! windows it is held on (`holds`, JSON: see `services::engine::decide::holds`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub project_id: Uuid,
    pub category_id: Uuid,
    pub model: String,
    pub cost: i64,
    pub tokens: i64,
    pub operations: i64,
    pub state: String,
    pub critical: bool,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub holds: String,
    /// The key that made it; `None` for reservations made before keys were recorded.
    pub api_key_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
