//! The check writer's fast way on PostgreSQL: a batch decided on the counters as this instance last
//! left them, then written, verified and committed by one statement.
//!
//! The short way (`verified_lock`) holds a batch's counter locks for three round trips (lock and
//! read, write, commit), and every batch sharing a counter waits as long. When this instance
//! remembers every counter of a short-way batch (`CounterMemory`, filled by the batches its writers
//! committed), the batch is decided on the remembered counters before anything is sent. One
//! statement then locks the counters in the usual order while adding the batch's changes, inserts
//! its reservations and denials, and compares what it found (each counter as changed, its budget's
//! active overrides, the configuration version, the live keys) with what the decision assumed. Any
//! difference fails the statement, which undoes all of it, and the batch goes the short way. Sent
//! outside a transaction block, the statement is committed by PostgreSQL as it ends: the locks are
//! held for no round trip. Correctness rests on that comparison alone, never on the memory.

use super::counters::{active_override_sum, to_columns, CounterKey, Locked, WithOverrides};
use super::decide::{decide_counted, Decided, DecidedBatch};
use super::verified_lock::ShortWay;
use super::write_txn::{combine, common_table_name, POSTGRES_MAX_VALUES};
use crate::entities::{budget_counter, budget_override};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, ValueTuple};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Counters remembered at most; beyond, those of ended windows are forgotten, then all.
const REMEMBERED: usize = 4096;
/// Batches that go the short way, at most, after the fast way failed several times running.
const LONGEST_PAUSE: u32 = 64;

/// The counters as this instance's check writers last committed them, each with its budget's active
/// overrides; shared by the writers, so one can decide its batch while the other's is being written.
#[derive(Default)]
pub struct CounterMemory {
    counters: tokio::sync::Mutex<HashMap<CounterKey, WithOverrides>>,
    pause: Mutex<Pause>,
    committed: AtomicU64,
    found_changed: AtomicU64,
    failed: AtomicU64,
}

/// How the batches that tried the fast way went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastWayCounts {
    pub committed: u64,
    /// Found something other than the decision assumed, and went the short way.
    pub found_changed: u64,
    /// Failed otherwise (and went the short way), or were not answered (and their checks failed).
    pub failed: u64,
}

/// After a failure the fast way rests for a number of batches that doubles with each failure in a
/// row: where another instance keeps changing the same counters, few statements are wasted.
#[derive(Default)]
struct Pause {
    /// The last rest's length; zero once the fast way held again.
    length: u32,
    /// Batches still to go the short way.
    left: u32,
}

/// A batch decided on remembered counters, and the statement that writes, verifies and commits it.
pub struct Presumed {
    pub decided: Vec<Decided>,
    pub statement: Statement,
    /// The counters the statement changes.
    pub counters: Vec<CounterKey>,
}

impl CounterMemory {
    /// Whether this batch may try the fast way (not while it rests after failures).
    pub fn take_turn(&self) -> bool {
        let mut pause = self.pause.lock().unwrap_or_else(PoisonError::into_inner);
        let resting = pause.left > 0;
        pause.left = pause.left.saturating_sub(1);
        !resting
    }

    /// Whether the fast way rests for the next batch too.
    pub fn resting(&self) -> bool {
        self.pause.lock().unwrap_or_else(PoisonError::into_inner).left > 0
    }

    /// Notes the counters a batch committed the short way, as it left them.
    pub async fn remember(&self, committed: Locked, now: DateTime<Utc>) {
        let mut counters = self.counters.lock().await;
        counters.extend(committed);
        if counters.len() > REMEMBERED {
            counters.retain(|_, (counter, _)| counter.window_end > now);
            if counters.len() > REMEMBERED {
                counters.clear();
            }
        }
    }

    /// Decides `short`'s batch on the remembered counters, if all of them are remembered and the
    /// decision needs nothing from the database. The memory then holds the counters as the batch
    /// leaves them: the next batch is decided on them while this one is being written.
    pub async fn presume(&self, short: &ShortWay<'_>) -> Option<Presumed> {
        let mut counters = self.counters.lock().await;
        let assumed = short
            .pairs()
            .iter()
            .map(|(budget_id, window)| {
                let key = (*budget_id, window.start);
                counters.get(&key).map(|counter| (key, counter.clone()))
            })
            .collect::<Option<Locked>>()?;
        let batch = decide_counted(&NothingToRead, short.checks(), short.windows(), &HashMap::new(), assumed).await;
        let DecidedBatch { decided, inserts, changes, counters: left } = batch.ok()?;
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
        let keys = left.keys().copied().collect();
        counters.extend(left);
        Some(Presumed { decided, statement, counters: keys })
    }

    /// The fast way's statement was committed.
    pub fn held(&self) {
        self.pause.lock().unwrap_or_else(PoisonError::into_inner).length = 0;
        self.committed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> FastWayCounts {
        FastWayCounts {
            committed: self.committed.load(Ordering::Relaxed),
            found_changed: self.found_changed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// The fast way's statement found something other than its decision assumed.
    pub async fn found_changed(&self, forgotten: &[CounterKey]) {
        self.found_changed.fetch_add(1, Ordering::Relaxed);
        self.rest_and_forget(forgotten).await;
    }

    /// The fast way's statement failed otherwise, or its outcome is unknown.
    pub async fn failed(&self, forgotten: &[CounterKey]) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.rest_and_forget(forgotten).await;
    }

    /// After a failure the counters of the batch are forgotten, and the fast way rests.
    async fn rest_and_forget(&self, forgotten: &[CounterKey]) {
        {
            let mut pause = self.pause.lock().unwrap_or_else(PoisonError::into_inner);
            pause.length = (pause.length * 2).clamp(1, LONGEST_PAUSE);
            pause.left = pause.length;
        }
        let mut counters = self.counters.lock().await;
        for key in forgotten {
            counters.remove(key);
        }
    }
}

/// The statement's last part: a division by zero unless every counter, as the statement changed
/// it, equals the decision's, with the same active overrides, and the configuration version and
/// the batch's live keys are still those it was prepared with. Plain SQL has no other way to fail
/// a statement on purpose. The changed counters are the rows the first part returns.
fn verification(short: &ShortWay<'_>, left: &Locked) -> Option<SelectStatement> {
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
    let amounts =
        [C::CostSpent, C::TokensSpent, C::OperationsSpent, C::CostReserved, C::TokensReserved, C::OperationsReserved];
    for (n, column) in amounts.into_iter().enumerate() {
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

/// Whether PostgreSQL refused the fast way's statement because something differed from what its
/// decision assumed (its division by zero), not for another reason.
pub fn was_not_as_assumed(error: &DbErr) -> bool {
    let sqlx = match error {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(error)) => error,
        _ => return false,
    };
    sqlx.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "22012")
}

/// What a decision on remembered counters is given to run statements on: nothing. A decision that
/// needs the database (a critical call admitted from the emergency reserve is audited and alerted
/// at once) fails on it, and its batch goes the short way.
struct NothingToRead;

fn nothing_to_read() -> DbErr {
    DbErr::Custom("a decision on remembered counters reads and writes nothing".into())
}

#[async_trait::async_trait]
impl ConnectionTrait for NothingToRead {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, _: Statement) -> Result<ExecResult, DbErr> {
        Err(nothing_to_read())
    }

    async fn execute_unprepared(&self, _: &str) -> Result<ExecResult, DbErr> {
        Err(nothing_to_read())
    }

    async fn query_one_raw(&self, _: Statement) -> Result<Option<QueryResult>, DbErr> {
        Err(nothing_to_read())
    }

    async fn query_all_raw(&self, _: Statement) -> Result<Vec<QueryResult>, DbErr> {
        Err(nothing_to_read())
    }
}

#[cfg(test)]
mod tests {
    use super::{CounterMemory, FastWayCounts, LONGEST_PAUSE};

    fn turns(memory: &CounterMemory, batches: usize) -> Vec<bool> {
        (0..batches).map(|_| memory.take_turn()).collect()
    }

    #[tokio::test]
    async fn after_failures_in_a_row_the_fast_way_rests_twice_as_long_each_time_up_to_a_limit() {
        let memory = CounterMemory::default();
        assert_eq!(turns(&memory, 2), [true, true]);
        memory.found_changed(&[]).await;
        assert!(memory.resting(), "the next batch goes the short way");
        assert_eq!(turns(&memory, 2), [false, true]);
        memory.failed(&[]).await;
        assert_eq!(turns(&memory, 3), [false, false, true]);
        memory.failed(&[]).await;
        assert_eq!(turns(&memory, 5), [false, false, false, false, true]);
        for _ in 0..10 {
            memory.failed(&[]).await;
        }
        let longest = usize::try_from(LONGEST_PAUSE).unwrap();
        let rest = turns(&memory, longest + 1);
        assert!(rest[..longest].iter().all(|turn| !turn) && rest[longest], "{rest:?}");

        memory.held();
        memory.failed(&[]).await;
        assert_eq!(turns(&memory, 2), [false, true], "a success ends the doubling");
        assert_eq!(memory.counts(), FastWayCounts { committed: 1, found_changed: 1, failed: 13 });
    }
}
