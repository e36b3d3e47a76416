//! Entity for `prices`: the price catalog, per million tokens, effective from a date.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub provider: String,
    pub model: String,
    pub input_per_mtok: i64,
    pub output_per_mtok: i64,
    pub currency: String,
    pub effective_from: DateTimeUtc,
    /// Components billed apart (billionths per million tokens; the fee per request); null: not apart.
    pub cached_input_per_mtok: Option<i64>,
    pub cache_write_per_mtok: Option<i64>,
    pub reasoning_per_mtok: Option<i64>,
    pub request_fee: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
