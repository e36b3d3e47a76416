//! The check writer's Optimistic route on PostgreSQL: a batch decided on the counters as this instance last
//! left them, then written, verified and committed by one statement.
//!
//! The LockAndVerify route (`writer/lock_and_verify`) holds a batch's counter locks for three round trips (lock and
//! read, write, commit), and every batch sharing a counter waits as long. When this instance
//! remembers every counter of a LockAndVerify route batch (`writer/postgres/memory`, filled by the batches its
//! writers committed), the batch is decided on them before anything is sent. One statement then
//! locks the counters in the usual order while adding the batch's changes, inserts its reservations
//! and denials, and compares what it found (each counter as changed, its budget's active
//! overrides, the configuration version, the live keys) with what the decision assumed. Any
//! difference fails the statement, which undoes all of it, and the batch goes the LockAndVerify route. Sent
//! outside a transaction block, the statement is committed by PostgreSQL as it ends: the locks are
//! held for no round trip. Correctness rests on that comparison alone, never on the memory.

use crate::backend::engine::counters::{active_override_sum, to_columns, CounterKey, Locked};
use crate::backend::engine::decide::counter_changes::AMOUNTS;
use crate::backend::engine::decide::{decide_locked, Decided, DecidedBatch};
use crate::backend::engine::writer::lock_and_verify::LockAndVerify;
use crate::backend::engine::writer::postgres::memory::CounterMemory;
use crate::backend::engine::writer::write_txn::{combine, common_table_name, POSTGRES_MAX_VALUES};
use crate::backend::entities::{budget_counter, budget_override};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, ValueTuple};
use sea_orm::{DbBackend, DbErr, Statement};
use std::collections::HashMap;

/// A batch decided on remembered counters, and the statement that writes, verifies and commits it.
pub struct Presumed {
    pub decided: Vec<Decided>,
    pub statement: Statement,
    /// The counters the statement changes.
    pub counters: Vec<CounterKey>,
}

/// Decides `short`'s batch on the counters `memory` remembers, if it remembers them all and the
/// decision needs nothing from the database; the memory then holds them as the batch leaves them.
pub async fn presume(memory: &CounterMemory, short: &LockAndVerify<'_>) -> Option<Presumed> {
    memory
        .decide_on(short.pairs(), |assumed| {
            let no_new_people = HashMap::new();
            let batch = decide_locked(DbBackend::Postgres, short.checks(), short.windows(), &no_new_people, assumed);
            let DecidedBatch { decided, inserts, changes, counters: left, reserve_uses } = batch.ok()?;
            // A use of the emergency reserve is audited and alerted at once, which needs the
            // database: such a batch goes the LockAndVerify route.
            if !reserve_uses.is_empty() {
                return None;
            }
            let upsert = DbBackend::Postgres.build(&changes.upsert_onto(&left));
            let check = DbBackend::Postgres.build(&verification(short, &left)?);
            let mut parts = vec![upsert];
            parts.extend(inserts.into_statements());
            parts.push(check);
            let values: usize = parts.iter().map(|part| part.values.as_ref().map_or(0, |values| values.0.len())).sum();
            if values > POSTGRES_MAX_VALUES {
                return None;
            }
            let statement = combine(DbBackend::Postgres, parts)?;
            let counters = left.keys().copied().collect();
            Some((Presumed { decided, statement, counters }, left))
        })
        .await
}

/// The statement's last part: a division by zero unless every counter, as the statement changed
/// it, equals the decision's, with the same active overrides, and the configuration version and
/// the batch's live keys are still those it was prepared with. Plain SQL has no other way to fail
/// a statement on purpose. The changed counters are the rows the first part returns.
fn verification(short: &LockAndVerify<'_>, left: &Locked) -> Option<SelectStatement> {
    use budget_counter::Column as C;
    use budget_override::Column as O;
    let changed = Alias::new(common_table_name(0));
    let found = |column: C| Expr::col((changed.clone(), column));
    // Both databases name the columns of a VALUES list column1, column2, …
    let assumed = |n: usize| Expr::col((Alias::new("assumed"), Alias::new(format!("column{n}"))));
    let mut rows = Vec::with_capacity(left.len());
    for ((budget_id, start), (counter, overrides)) in left {
        let [cost, tokens, operations] = to_columns(overrides).ok()?;
        rows.push(ValueTuple::Many(vec![
            (*budget_id).into(),
            (*start).into(),
            counter.cost_spent.into(),
            counter.tokens_spent.into(),
            counter.operations_spent.into(),
            counter.cost_reserved.into(),
            counter.tokens_reserved.into(),
            counter.operations_reserved.into(),
            counter.hard_crossed_at.into(),
            cost.into(),
            tokens.into(),
            operations.into(),
        ]));
    }
    let mut matching = Query::select();
    matching
        .expr(Expr::cust("COUNT(*)"))
        .from(changed.clone())
        .from_values(rows, Alias::new("assumed"))
        .and_where(found(C::BudgetId).eq(assumed(1)))
        .and_where(found(C::WindowStart).eq(assumed(2)));
    for (n, column) in AMOUNTS.into_iter().enumerate() {
        matching.and_where(found(column).eq(assumed(n + 3)));
    }
    matching.and_where(Expr::cust_with_exprs("$1 IS NOT DISTINCT FROM $2", [found(C::HardCrossedAt), assumed(9)]));
    for (n, column) in [O::Cost, O::Tokens, O::Operations].into_iter().enumerate() {
        let active = active_override_sum(column, short.now(), assumed(1));
        matching.and_where(Expr::SubQuery(None, Box::new(active.into())).eq(assumed(n + 10)));
    }
    let [version, live_keys] = short.verified();
    let all_as_assumed = Expr::SubQuery(None, Box::new(matching.into()))
        .eq(i64::try_from(left.len()).ok()?)
        .and(version.eq(short.version()))
        .and(live_keys.eq(i64::try_from(short.keys()).ok()?));
    let divisor = Expr::case(all_as_assumed, Expr::cust("1")).finally(Expr::cust("0"));
    Some(Query::select().expr(Expr::cust("1").div(divisor)).to_owned())
}

/// Whether PostgreSQL refused the Optimistic route's statement because something differed from what its
/// decision assumed (its division by zero), not for another reason.
pub fn was_not_as_assumed(error: &DbErr) -> bool {
    let sqlx = match error {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(error)) => error,
        _ => return false,
    };
    sqlx.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "22012")
}
