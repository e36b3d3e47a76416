//! Entity for `budget_events`: the audit trail of budgets (crossings, denials, expiries, changes).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub budget_id: Option<Uuid>,
    pub kind: String,
    pub window_start: Option<DateTimeUtc>,
    pub dedup_key: Option<String>,
    pub detail: String,
    pub actor: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
