//! Tests of the SQLite check writer's Direct route: what it writes is what sqlx reads back, what it
//! reads is what sqlx wrote, and a batch it cannot finish leaves nothing behind.

use super::{open_own_connection, DirectConnection};
use crate::backend::engine::counters::lock_statement_with_overrides;
use crate::backend::engine::decide::counter_changes::CounterChanges;
use crate::backend::engine::Writes;
use crate::backend::entities::{budget_counter, budget_override, config_version};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, Schema, Set};
use tollgate_domain::Window;
use uuid::Uuid;

async fn database() -> DatabaseConnection {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let schema = Schema::new(DbBackend::Sqlite);
    for table in [
        schema.create_table_from_entity(budget_counter::Entity),
        schema.create_table_from_entity(budget_override::Entity),
        schema.create_table_from_entity(config_version::Entity),
    ] {
        db.execute(&table).await.unwrap();
    }
    config_version::ActiveModel { id: Set(1), version: Set(7) }.insert(&db).await.unwrap();
    db
}

fn window(start: &str) -> Window {
    let start: DateTime<Utc> = start.parse().unwrap();
    Window { start, end: start + Duration::days(1) }
}

/// The counters' lock statement, with the configuration version read after them.
fn lock(pairs: &[(Uuid, Window)], now: DateTime<Utc>) -> sea_orm::Statement {
    let version = Query::select().column(config_version::Column::Version).from(config_version::Entity).to_owned();
    let extra = vec![Expr::SubQuery(None, Box::new(version.into())), Expr::val(1i64)];
    lock_statement_with_overrides(DbBackend::Sqlite, pairs, now, extra).unwrap()
}

#[tokio::test]
async fn counters_written_directly_read_back_through_sqlx_and_the_other_way() {
    let db = database().await;
    let (budget, day) = (Uuid::now_v7(), window("2026-12-04T00:00:00Z"));
    let now = day.start + Duration::hours(13);
    budget_override::ActiveModel {
        id: Set(Uuid::now_v7()),
        budget_id: Set(budget),
        cost: Set(5),
        tokens: Set(0),
        operations: Set(2),
        starts_at: Set(day.start),
        expires_at: Set(day.end),
        reason: Set("launch week".into()),
        approved_by: Set(None),
        created_at: Set(day.start),
    }
    .insert(&db)
    .await
    .unwrap();
    let mut own = open_own_connection(&db).await.unwrap();
    let direct = DirectConnection::lend(&mut own).await.unwrap();

    let txn = direct.begin(&db).await.unwrap();
    let read = txn.read_verified(&lock(&[(budget, day)], now)).unwrap().expect("the counter, created");
    assert_eq!((read.version, read.live_keys), (Some(7), 1));
    let (counter, overrides) = &read.locked[&(budget, day.start)];
    assert_eq!((counter.window_end, counter.cost_spent, counter.hard_crossed_at), (day.end, 0, None));
    assert_eq!((overrides.cost.to_string(), overrides.operations.to_string()), ("0.000000005".into(), "2".into()));
    let mut changes = CounterChanges::default();
    changes.add(budget, day.start, [30, 4, 1], [0, 0, 0]).unwrap();
    changes.mark_hard_crossed(budget, day.start, now);
    let mut writes = Writes::default();
    changes.add_to(&mut writes, &txn);
    txn.commit_with(writes).unwrap();

    let stored = budget_counter::Entity::find_by_id((budget, day.start)).one(&db).await.unwrap().unwrap();
    assert_eq!((stored.cost_spent, stored.tokens_spent, stored.hard_crossed_at), (30, 4, Some(now)));
    let again = direct.begin(&db).await.unwrap().read_verified(&lock(&[(budget, day)], now)).unwrap().unwrap();
    assert_eq!(again.locked[&(budget, day.start)].0, stored);
}

#[tokio::test]
async fn a_batch_dropped_unfinished_leaves_nothing_and_the_connection_usable() {
    let db = database().await;
    let mut own = open_own_connection(&db).await.unwrap();
    let direct = DirectConnection::lend(&mut own).await.unwrap();
    let pairs = [(Uuid::now_v7(), window("2026-12-04T00:00:00Z"))];
    let now = pairs[0].1.start;

    let txn = direct.begin(&db).await.unwrap();
    assert!(txn.read_verified(&lock(&pairs, now)).unwrap().is_some());
    drop(txn);
    assert_eq!(budget_counter::Entity::find().all(&db).await.unwrap(), vec![]);

    let txn = direct.begin(&db).await.unwrap();
    txn.read_verified(&lock(&pairs, now)).unwrap();
    txn.commit_with(Writes::default()).unwrap();
    assert_eq!(budget_counter::Entity::find().all(&db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_read_it_cannot_type_sends_the_batch_the_full_route() {
    let db = database().await;
    let mut own = open_own_connection(&db).await.unwrap();
    let direct = DirectConnection::lend(&mut own).await.unwrap();
    let txn = direct.begin(&db).await.unwrap();
    assert!(!txn.went_beyond());
    assert!(config_version::Entity::find().one(&txn).await.is_err());
    assert!(txn.went_beyond(), "a read SeaORM would need sqlx's rows for");
}
