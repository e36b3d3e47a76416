//! Entity for `request_decisions`: one approver's approve, reject or question on a request.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_decisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub approver_id: Uuid,
    pub decision: String,
    pub cost: Option<i64>,
    pub tokens: Option<i64>,
    pub operations: Option<i64>,
    pub until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub comment: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
