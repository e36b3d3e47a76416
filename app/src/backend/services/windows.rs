//! Closing budget windows: once a window has ended, its final figures are written once and a
//! `window_closed` event tells integrations, whichever instance gets there first.

use crate::backend::engine::{begin_write, events};
use crate::backend::entities::{budget, budget_counter, budget_override, window_close};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use std::collections::HashSet;
use tollgate_domain::money::from_storage;
use tollgate_domain::period::Window;
use tollgate_domain::Period;
use uuid::Uuid;

/// How many ended windows of one budget are closed in one pass (after a long outage, older ones stay open).
const CATCH_UP: usize = 3;

/// Closes every ended window not closed yet; returns how many this call closed.
pub async fn close_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let mut closed = 0;
    for (model, window) in due_windows(db, now).await? {
        if close(db, &model, window, now).await? {
            closed += 1;
        }
    }
    Ok(closed)
}

/// The ended windows not closed yet, with their budgets (reads only).
pub async fn due_windows(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<(budget::Model, Window)>, DbErr> {
    let budgets = budget::Entity::find().filter(budget::Column::State.ne("archived")).all(db).await?;
    let zones = super::organizations::time_zones(db).await?;
    let mut due = Vec::new();
    for model in budgets {
        let (Some(&tz), Ok(period)) = (zones.get(&model.org_id), model.period.parse::<Period>()) else { continue };
        for window in ended_windows(period, tz, model.created_at, now) {
            due.push((model.clone(), window));
        }
    }
    let starts: HashSet<DateTime<Utc>> = due.iter().map(|(_, w)| w.start).collect();
    let done: HashSet<(Uuid, DateTime<Utc>)> = window_close::Entity::find()
        .filter(window_close::Column::WindowStart.is_in(starts))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.budget_id, c.window_start))
        .collect();
    Ok(due.into_iter().filter(|(model, window)| !done.contains(&(model.id, window.start))).collect())
}

/// The ended windows that began after the budget existed, oldest first.
fn ended_windows(period: Period, tz: Tz, created_at: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut window = period.previous(period.window_at(now, tz), tz);
    while window.end > created_at && windows.len() < CATCH_UP {
        windows.push(window);
        window = period.previous(window, tz);
    }
    windows.reverse();
    windows
}

/// Writes a window's final figures and its event in one transaction; false if another instance won.
async fn close(
    db: &DatabaseConnection,
    model: &budget::Model,
    window: Window,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let counter = budget_counter::Entity::find_by_id((model.id, window.start)).one(&txn).await?;
    let (cost, tokens, operations) =
        counter.map(|c| (c.cost_spent, c.tokens_spent, c.operations_spent)).unwrap_or_default();
    let override_cost: i64 = budget_override::Entity::find()
        .filter(budget_override::Column::BudgetId.eq(model.id))
        .filter(budget_override::Column::StartsAt.lt(window.end))
        .filter(budget_override::Column::ExpiresAt.gt(window.start))
        .all(&txn)
        .await?
        .iter()
        .map(|o| o.cost)
        .sum();
    let allowance = model.cost_hard.map(|hard| hard + override_cost);
    let detail = serde_json::json!({
        "budget_id": model.id, "budget_name": model.name, "period": model.period,
        "window_start": window.start, "window_end": window.end, "currency": model.currency,
        "cost_spent": from_storage(cost), "cost_hard": model.cost_hard.map(from_storage),
        "override_cost": from_storage(override_cost),
        "cost_variance": allowance.map(|a| from_storage(a - cost)),
        "over_budget": allowance.is_some_and(|a| cost > a),
        "tokens_spent": tokens, "tokens_hard": model.tokens_hard,
        "operations_spent": operations, "operations_hard": model.operations_hard,
        "link": format!("/budgets/{}", model.id),
    });
    let row = window_close::ActiveModel {
        id: Set(Uuid::now_v7()),
        budget_id: Set(model.id),
        window_start: Set(window.start),
        window_end: Set(window.end),
        cost_spent: Set(cost),
        tokens_spent: Set(tokens),
        operations_spent: Set(operations),
        cost_hard: Set(model.cost_hard),
        tokens_hard: Set(model.tokens_hard),
        operations_hard: Set(model.operations_hard),
        override_cost: Set(override_cost),
        detail: Set(detail.to_string()),
        closed_at: Set(now),
    };
    let inserted = window_close::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([window_close::Column::BudgetId, window_close::Column::WindowStart])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    events::record(&txn, model.org_id, Some(model.id), "window_closed", Some(window.start), detail, now)
        .await
        .map_err(|e| match e {
            crate::backend::engine::EngineError::Database(db) => db,
            other => DbErr::Custom(other.to_string()),
        })?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_ended_windows_after_creation_are_closed() {
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
        let windows = ended_windows(Period::Daily, Tz::UTC, at(9, 12), at(11, 8));
        assert_eq!(windows.iter().map(|w| w.start).collect::<Vec<_>>(), vec![at(9, 0), at(10, 0)]);
        assert!(ended_windows(Period::Daily, Tz::UTC, at(11, 1), at(11, 8)).is_empty());
        assert_eq!(ended_windows(Period::Daily, Tz::UTC, at(1, 0), at(11, 8)).len(), CATCH_UP);
    }
}
