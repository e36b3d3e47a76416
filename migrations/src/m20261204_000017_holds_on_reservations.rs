//! The budget windows a reservation holds stored in its own row (`reservations.holds`, JSON)
//! instead of a row each in `reservation_holds`: a check writes one row, not five, and PostgreSQL
//! runs no foreign-key check per hold. Every hold is carried over, both ways.
//!
//! The JSON is `[{"budget_id": "…", "window_start": "…"}]`, ordered by budget; times as the
//! database returns them (RFC 3339). SQLite stores UUIDs as 16-byte blobs, written back here as
//! hyphenated text and read with `unhex`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::m20261128_000001_organizations::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_FILL: &str = "UPDATE reservations SET holds = held.list \
     FROM (SELECT reservation_id, json_agg(json_build_object('budget_id', budget_id, 'window_start', window_start) \
                                           ORDER BY budget_id)::text AS list \
           FROM reservation_holds GROUP BY reservation_id) AS held \
     WHERE reservations.id = held.reservation_id";

const SQLITE_FILL: &str = "UPDATE reservations SET holds = \
     (SELECT json_group_array(json_object('budget_id', lower(substr(hex(budget_id), 1, 8) || '-' || \
         substr(hex(budget_id), 9, 4) || '-' || substr(hex(budget_id), 13, 4) || '-' || \
         substr(hex(budget_id), 17, 4) || '-' || substr(hex(budget_id), 21)), 'window_start', window_start)) \
      FROM (SELECT budget_id, window_start FROM reservation_holds \
            WHERE reservation_id = reservations.id ORDER BY budget_id)) \
     WHERE id IN (SELECT reservation_id FROM reservation_holds)";

const POSTGRES_SPLIT: &str = "INSERT INTO reservation_holds (reservation_id, budget_id, window_start) \
     SELECT reservations.id, (hold->>'budget_id')::uuid, (hold->>'window_start')::timestamptz \
     FROM reservations, json_array_elements(reservations.holds::json) AS hold";

const SQLITE_SPLIT: &str = "INSERT INTO reservation_holds (reservation_id, budget_id, window_start) \
     SELECT reservations.id, unhex(replace(json_extract(hold.value, '$.budget_id'), '-', '')), \
            json_extract(hold.value, '$.window_start') \
     FROM reservations, json_each(reservations.holds) AS hold";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let add = Table::alter().table("reservations").add_column(text("holds").default("[]")).to_owned();
        m.alter_table(add).await?;
        let fill = match m.get_database_backend() {
            DbBackend::Postgres => POSTGRES_FILL,
            _ => SQLITE_FILL,
        };
        m.get_connection().execute_unprepared(fill).await?;
        m.drop_table(Table::drop().table("reservation_holds").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let table = Table::create()
            .table("reservation_holds")
            .col(uuid("reservation_id"))
            .col(uuid("budget_id"))
            .col(timestamp_with_time_zone("window_start"))
            .primary_key(Index::create().col("reservation_id").col("budget_id"))
            .foreign_key(&mut fk("reservation_holds", "reservation_id", "reservations"))
            .to_owned();
        let mut create = backend.build(&table).sql;
        if backend == DbBackend::Sqlite {
            // As the clustering migration before this one left it.
            create.push_str(" WITHOUT ROWID");
        }
        let db = m.get_connection();
        db.execute_unprepared(&create).await?;
        db.execute_unprepared(if backend == DbBackend::Postgres { POSTGRES_SPLIT } else { SQLITE_SPLIT }).await?;
        m.alter_table(Table::alter().table("reservations").drop_column("holds").to_owned()).await
    }
}
