//! The configuration version: one counter that database triggers bump on every change to what
//! checks look up, read by statements that must know which configuration they saw.

use crate::backend::entities::config_version;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect, QueryTrait};

/// The read of the configuration version, for statements that return it beside their own rows.
pub fn version_read() -> SelectStatement {
    config_version::Entity::find_by_id(1).select_only().column(config_version::Column::Version).into_query()
}

/// The configuration version as of now (inside a transaction: as that transaction sees it).
pub async fn current_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = config_version::Entity::find_by_id(1).one(db).await?;
    Ok(row.map_or(0, |r| r.version))
}
