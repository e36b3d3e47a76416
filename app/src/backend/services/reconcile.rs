//! Reconciliation: recompute budget counters, daily aggregates and their roll-ups from the ledger
//! and open reservations, report every stored figure that differs, and on request repair them.
//!
//! Sums past the counters' range (which the engine refuses, but an older version could store) are
//! expected at the range's end: a repaired window reads as full, never as wrapped or unreadable.

use crate::backend::engine::counters::aggregates::DailySums;
use crate::backend::engine::counters::counter_row;
use crate::backend::engine::counters::counting_start::counts_window;
use crate::backend::engine::prepare::budgets::{to_domain, ApplicableBudget};
use crate::backend::engine::{begin_write, decide::holds, EngineError};
use crate::backend::entities::{
    budget, budget_counter, daily_model_usage, daily_project_usage, daily_usage, organization, reservation, usage_event,
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use std::collections::BTreeMap;
use tollgate_domain::{OperationChain, Window};
use uuid::Uuid;

/// One figure that the stored tables and the ledger disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub table: &'static str,
    pub key: String,
    pub stored: [i64; 6],
    pub expected: [i64; 6],
}

type CounterKey = (Uuid, DateTime<Utc>);
type DayKey = (Uuid, NaiveDate, Uuid, Uuid, Uuid, Uuid, String, String);

/// Each counting table and its amount columns.
const COUNTING: [(&str, &[&str]); 4] = [
    (
        "budget_counters",
        &["cost_spent", "tokens_spent", "operations_spent", "cost_reserved", "tokens_reserved", "operations_reserved"],
    ),
    ("daily_usage", &["cost", "input_tokens", "output_tokens", "operations", "events"]),
    ("daily_project_usage", &["cost", "input_tokens", "output_tokens", "operations", "events"]),
    ("daily_model_usage", &["cost", "input_tokens", "output_tokens", "operations", "events"]),
];

/// Checks every organization. Budgets that are not enabled now are skipped: while disabled they
/// legitimately stopped counting, so the ledger cannot say what their counters should hold.
pub async fn reconcile(db: &impl ConnectionTrait) -> Result<Vec<Difference>, EngineError> {
    let unreadable = not_whole(db).await?;
    if !unreadable.is_empty() {
        // Such rows cannot be read as counters at all; `repair` first brings them back in range.
        return Ok(unreadable);
    }
    let mut differences = Vec::new();
    for org in organization::Entity::find().all(db).await? {
        differences.extend(reconcile_org(db, &org, false).await?);
    }
    Ok(differences)
}

/// `reconcile`, then every differing counter and aggregate set to what the ledger says, in one
/// write transaction that other writers wait for. Returns what was found (and so repaired).
pub async fn repair(db: &DatabaseConnection) -> Result<Vec<Difference>, EngineError> {
    let txn = begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        let tables: Vec<&str> = COUNTING.iter().map(|(table, _)| *table).collect();
        txn.execute_unprepared(&format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", tables.join(", "))).await?;
    }
    let mut differences = not_whole(&txn).await?;
    for (table, columns) in COUNTING.iter().filter(|_| !differences.is_empty()) {
        let clamp: Vec<String> = columns
            .iter()
            .map(|c| {
                format!("{c} = CASE WHEN typeof({c}) = 'integer' THEN {c} WHEN {c} > 0 THEN {} ELSE 0 END", i64::MAX)
            })
            .collect();
        txn.execute_unprepared(&format!("UPDATE {table} SET {}", clamp.join(", "))).await?;
    }
    for org in organization::Entity::find().all(&txn).await? {
        differences.extend(reconcile_org(&txn, &org, true).await?);
    }
    txn.commit().await?;
    Ok(differences)
}

/// SQLite rows whose amounts are no longer integers (sums an older version let overflow).
async fn not_whole(db: &impl ConnectionTrait) -> Result<Vec<Difference>, EngineError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (table, columns) in COUNTING {
        let test: Vec<String> = columns.iter().map(|c| format!("typeof({c}) <> 'integer'")).collect();
        let sql = format!("SELECT count(*) AS n FROM {table} WHERE {}", test.join(" OR "));
        let row = db.query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, sql)).await?;
        let rows: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if rows > 0 {
            let key = format!("{rows} row(s) hold amounts past the counters' range; run `tollgate reconcile --repair`");
            found.push(Difference { table, key, stored: [0; 6], expected: [0; 6] });
        }
    }
    Ok(found)
}

async fn reconcile_org(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    repair: bool,
) -> Result<Vec<Difference>, EngineError> {
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let budgets: Vec<ApplicableBudget> = budget::Entity::find()
        .filter(budget::Column::OrgId.eq(org.id))
        .filter(budget::Column::State.eq("enabled"))
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect::<Result<_, _>>()?;
    // [cost spent, tokens spent, operations spent, cost reserved, tokens reserved, operations reserved]
    let mut counters: BTreeMap<CounterKey, [i64; 6]> = BTreeMap::new();
    let mut days: BTreeMap<DayKey, [i64; 6]> = BTreeMap::new();
    let mut pages = usage_event::Entity::find()
        .filter(usage_event::Column::OrgId.eq(org.id))
        .order_by_asc(usage_event::Column::Id)
        .paginate(db, 5_000);
    while let Some(events) = pages.fetch_and_next().await? {
        for e in events {
            let chain = OperationChain {
                organization: org.id,
                team: e.team_id,
                project: e.project_id,
                user: e.user_id,
                category: e.category_id,
            };
            for b in budgets.iter().filter(|b| b.scope.applies_to(&chain)) {
                let window = b.period.window_at(e.occurred_at, tz);
                if !counts_window(&b.model, &window) {
                    continue;
                }
                let sums = counters.entry((b.model.id, window.start)).or_default();
                add(&mut sums[..3], &[e.cost, e.input_tokens.saturating_add(e.output_tokens), e.operations]);
            }
            let day = e.occurred_at.with_timezone(&tz).date_naive();
            let key = (org.id, day, e.team_id, e.project_id, e.user_id, e.category_id, e.provider, e.model);
            add(days.entry(key).or_default(), &[e.cost, e.input_tokens, e.output_tokens, e.operations, 1]);
        }
    }
    let open = reservation::Entity::find()
        .filter(reservation::Column::OrgId.eq(org.id))
        .filter(reservation::Column::State.eq("active"))
        .all(db)
        .await?;
    for r in open {
        for hold in holds::from_column(&r.holds)? {
            let sums = counters.entry((hold.budget_id, hold.window_start)).or_default();
            add(&mut sums[3..], &[r.cost, r.tokens, r.operations]);
        }
    }

    let mut differences = Vec::new();
    let ids: Vec<Uuid> = budgets.iter().map(|b| b.model.id).collect();
    let counting_since: BTreeMap<Uuid, DateTime<Utc>> =
        budgets.iter().map(|b| (b.model.id, b.model.counting_since())).collect();
    let counters_of = budget_counter::Entity::find().filter(budget_counter::Column::BudgetId.is_in(ids));
    for c in counters_of.all(db).await? {
        if c.window_end <= counting_since[&c.budget_id] {
            continue; // a window that ended before the budget began counting is not its to count
        }
        let stored = [
            c.cost_spent,
            c.tokens_spent,
            c.operations_spent,
            c.cost_reserved,
            c.tokens_reserved,
            c.operations_reserved,
        ];
        let expected = counters.remove(&(c.budget_id, c.window_start)).unwrap_or_default();
        if stored != expected {
            let key = format!("budget {} window {}", c.budget_id, c.window_start.to_rfc3339());
            differences.push(Difference { table: "budget_counters", key, stored, expected });
            if repair {
                let window = Window { start: c.window_start, end: c.window_end };
                set_counter(db, c.budget_id, window, expected).await?;
            }
        }
    }
    for ((budget_id, start), expected) in counters.into_iter().filter(|(_, sums)| *sums != [0; 6]) {
        let key = format!("budget {budget_id} window {} (no counter row)", start.to_rfc3339());
        differences.push(Difference { table: "budget_counters", key, stored: [0; 6], expected });
        if let Some(budget) = budgets.iter().find(|b| b.model.id == budget_id).filter(|_| repair) {
            set_counter(db, budget_id, budget.period.window_at(start, tz), expected).await?;
        }
    }
    let counted = differences.len();
    let expected_days = if repair { days.clone() } else { BTreeMap::new() };
    differences.extend(compare_rollups(db, org.id, &days).await?);
    for d in daily_usage::Entity::find().filter(daily_usage::Column::OrgId.eq(org.id)).all(db).await? {
        let stored = [d.cost, d.input_tokens, d.output_tokens, d.operations, d.events, 0];
        let key = (d.org_id, d.day, d.team_id, d.project_id, d.user_id, d.category_id, d.provider, d.model);
        let expected = days.remove(&key).unwrap_or_default();
        if stored != expected {
            differences.push(Difference { table: "daily_usage", key: describe(&key), stored, expected });
        }
    }
    for (key, expected) in &days {
        differences.push(Difference {
            table: "daily_usage",
            key: format!("{} (no row)", describe(key)),
            stored: [0; 6],
            expected: *expected,
        });
    }
    if repair && differences.len() > counted {
        rebuild_daily(db, org.id, expected_days).await?;
    }
    Ok(differences)
}

/// Adds `more` to `sums`, stopping at the counters' range instead of wrapping.
fn add(sums: &mut [i64], more: &[i64]) {
    for (slot, value) in sums.iter_mut().zip(more) {
        *slot = slot.saturating_add(*value);
    }
}

/// Stores a counter row as the ledger says it should be.
async fn set_counter(
    db: &impl ConnectionTrait,
    budget_id: Uuid,
    window: Window,
    [cost, tokens, operations, cost_reserved, tokens_reserved, operations_reserved]: [i64; 6],
) -> Result<(), EngineError> {
    use budget_counter::Column as C;
    let row = counter_row(
        budget_id,
        &window,
        [cost, tokens, operations],
        [cost_reserved, tokens_reserved, operations_reserved],
    );
    let amounts = [C::CostSpent, C::TokensSpent, C::OperationsSpent, C::CostReserved, C::TokensReserved];
    let on_conflict = OnConflict::columns([C::BudgetId, C::WindowStart])
        .update_columns(amounts)
        .update_column(C::OperationsReserved)
        .to_owned();
    budget_counter::Entity::insert(row).on_conflict(on_conflict).exec_without_returning(db).await?;
    Ok(())
}

/// Writes an organization's daily aggregates and roll-ups anew from the ledger's sums.
async fn rebuild_daily(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    days: BTreeMap<DayKey, [i64; 6]>,
) -> Result<(), EngineError> {
    daily_usage::Entity::delete_many().filter(daily_usage::Column::OrgId.eq(org_id)).exec(db).await?;
    daily_project_usage::Entity::delete_many().filter(daily_project_usage::Column::OrgId.eq(org_id)).exec(db).await?;
    daily_model_usage::Entity::delete_many().filter(daily_model_usage::Column::OrgId.eq(org_id)).exec(db).await?;
    let mut sums = DailySums::saturating();
    for ((_, day, team, project, user, category, provider, model), s) in days {
        sums.add((day, team, project, user, category, provider, model), [s[0], s[1], s[2], s[3], s[4]]);
    }
    Ok(sums.write(db, org_id).await?)
}

fn describe(key: &DayKey) -> String {
    format!("{} project {} user {} model {}/{}", key.1, key.3, key.4, key.6, key.7)
}

/// Compares the roll-ups per day × project and per day × model with sums of the expected daily rows.
async fn compare_rollups(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    days: &BTreeMap<DayKey, [i64; 6]>,
) -> Result<Vec<Difference>, EngineError> {
    let mut expected: BTreeMap<(&'static str, String), [i64; 6]> = BTreeMap::new();
    for ((_, day, _, project, _, _, provider, model), sums) in days {
        for key in [
            ("daily_project_usage", format!("{day} project {project}")),
            ("daily_model_usage", format!("{day} model {provider}/{model}")),
        ] {
            add(expected.entry(key).or_default(), sums);
        }
    }
    let mut stored: Vec<((&'static str, String), [i64; 6])> = Vec::new();
    for r in daily_project_usage::Entity::find().filter(daily_project_usage::Column::OrgId.eq(org_id)).all(db).await? {
        let key = ("daily_project_usage", format!("{} project {}", r.day, r.project_id));
        stored.push((key, [r.cost, r.input_tokens, r.output_tokens, r.operations, r.events, 0]));
    }
    for r in daily_model_usage::Entity::find().filter(daily_model_usage::Column::OrgId.eq(org_id)).all(db).await? {
        let key = ("daily_model_usage", format!("{} model {}/{}", r.day, r.provider, r.model));
        stored.push((key, [r.cost, r.input_tokens, r.output_tokens, r.operations, r.events, 0]));
    }
    let mut differences = Vec::new();
    for ((table, key), stored) in stored {
        let expected = expected.remove(&(table, key.clone())).unwrap_or_default();
        if stored != expected {
            differences.push(Difference { table, key, stored, expected });
        }
    }
    for ((table, key), expected) in expected {
        differences.push(Difference { table, key: format!("{key} (no row)"), stored: [0; 6], expected });
    }
    Ok(differences)
}
