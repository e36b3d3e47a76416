//! Entity for `usage_events`: the append-only usage ledger, unique per (organization, event id).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub event_id: String,
    pub occurred_at: DateTimeUtc,
    pub user_id: Uuid,
    pub team_id: Uuid,
    pub project_id: Uuid,
    pub category_id: Uuid,
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: i64,
    pub currency: String,
    pub operations: i64,
    pub pricing: String,
    /// The catalog entry that priced the event (the model as sent is in `model`).
    pub priced_model: Option<String>,
    /// The exchange rate (billionths) that converted the entry's price to the ledger's currency.
    pub exchange_rate: Option<i64>,
    /// Parts of `input_tokens` read from and written to the prompt cache, and of `output_tokens`
    /// the reasoning ones.
    pub cached_input_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    pub reservation_id: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
