//! The roll-up migration on SQLite and PostgreSQL: a database that already holds daily aggregates
//! gets its per-project and per-model roll-ups filled from them when it is upgraded.

use crate::common::{Backend, TestDatabase};
use app::backend::entities::{daily_model_usage, daily_project_usage, daily_usage};
use chrono::NaiveDate;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{Database, EntityTrait, QueryOrder, Set};
use uuid::Uuid;

/// Migrations applied before the roll-ups existed.
const BEFORE_ROLLUPS: u32 = 13;

fn daily_row(org: Uuid, day: NaiveDate, project: Uuid, model: &str, cost: i64) -> daily_usage::ActiveModel {
    daily_usage::ActiveModel {
        org_id: Set(org),
        day: Set(day),
        team_id: Set(Uuid::nil()),
        project_id: Set(project),
        user_id: Set(Uuid::new_v4()),
        category_id: Set(Uuid::nil()),
        provider: Set("openai".into()),
        model: Set(model.into()),
        cost: Set(cost),
        input_tokens: Set(cost / 10),
        output_tokens: Set(1),
        operations: Set(2),
        events: Set(1),
    }
}

async fn existing_aggregates_are_rolled_up(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let db = Database::connect(&database.url).await.unwrap();
    Migrator::up(&db, Some(BEFORE_ROLLUPS)).await.unwrap();
    let (org, a, b) = (Uuid::new_v4(), Uuid::from_u128(1), Uuid::from_u128(2));
    let day = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
    let rows = [
        daily_row(org, day, a, "gpt-4o", 1_000),
        daily_row(org, day, a, "gpt-4o", 30),
        daily_row(org, day, a, "gpt-4o-mini", 200),
        daily_row(org, day, b, "gpt-4o", 7),
        daily_row(org, day.succ_opt().unwrap(), b, "gpt-4o", 5),
    ];
    daily_usage::Entity::insert_many(rows).exec(&db).await.unwrap();

    Migrator::up(&db, None).await.unwrap();

    let projects: Vec<(NaiveDate, Uuid, i64, i64, i64, i64)> = daily_project_usage::Entity::find()
        .order_by_asc(daily_project_usage::Column::Day)
        .order_by_asc(daily_project_usage::Column::ProjectId)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.day, r.project_id, r.cost, r.input_tokens, r.operations, r.events))
        .collect();
    let next = day.succ_opt().unwrap();
    assert_eq!(projects, [(day, a, 1_230, 123, 6, 3), (day, b, 7, 0, 2, 1), (next, b, 5, 0, 2, 1)]);
    let models: Vec<(NaiveDate, String, i64, i64)> = daily_model_usage::Entity::find()
        .order_by_asc(daily_model_usage::Column::Day)
        .order_by_asc(daily_model_usage::Column::Model)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.day, r.model, r.cost, r.events))
        .collect();
    let expected = [
        (day, "gpt-4o".to_owned(), 1_037, 3),
        (day, "gpt-4o-mini".to_owned(), 200, 1),
        (next, "gpt-4o".to_owned(), 5, 1),
    ];
    assert_eq!(models, expected);
    db.close().await.ok();
}
on_both_databases!(rollup_migration, existing_aggregates_are_rolled_up);
