//! Price components some providers bill apart (`prices`: cache reads, cache writes and reasoning
//! per million tokens, a fee per request; null: billed as input, input, output, none), and the
//! parts of each usage event's tokens they price (`usage_events`: of its input tokens, those read
//! from and written to the prompt cache; of its output tokens, the reasoning ones).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PRICE_PARTS: [&str; 4] = ["cached_input_per_mtok", "cache_write_per_mtok", "reasoning_per_mtok", "request_fee"];
const TOKEN_PARTS: [&str; 3] = ["cached_input_tokens", "cache_write_tokens", "reasoning_tokens"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in PRICE_PARTS {
            m.alter_table(Table::alter().table("prices").add_column(big_integer_null(column)).to_owned()).await?;
        }
        for column in TOKEN_PARTS {
            let add = Table::alter().table("usage_events").add_column(big_integer(column).default(0)).to_owned();
            m.alter_table(add).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in TOKEN_PARTS {
            m.alter_table(Table::alter().table("usage_events").drop_column(column).to_owned()).await?;
        }
        for column in PRICE_PARTS {
            m.alter_table(Table::alter().table("prices").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
