//! Entity for `budgets`: scope, period, limits (money in billionths), enforcement and thresholds.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budgets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub scope_kind: String,
    pub scope_id: Uuid,
    pub category_id: Option<Uuid>,
    pub period: String,
    pub currency: String,
    pub cost_soft: Option<i64>,
    pub cost_hard: Option<i64>,
    pub tokens_soft: Option<i64>,
    pub tokens_hard: Option<i64>,
    pub operations_soft: Option<i64>,
    pub operations_hard: Option<i64>,
    pub enforcement: String,
    pub grace_minutes: i32,
    pub reserve_cost: i64,
    pub reserve_tokens: i64,
    pub reserve_operations: i64,
    pub thresholds: String,
    pub state: String,
    pub two_approvers_above: Option<i64>,
    pub escalate_after_minutes: Option<i32>,
    pub escalate_from: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When it began counting: created or last enabled (`None` in rows older than the column:
    /// their creation). Windows that ended before then are not counted.
    pub counting_since: Option<DateTimeUtc>,
}

impl Model {
    /// When the budget began counting usage (its creation or its last enabling).
    pub fn counting_since(&self) -> DateTimeUtc {
        self.counting_since.unwrap_or(self.created_at)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
