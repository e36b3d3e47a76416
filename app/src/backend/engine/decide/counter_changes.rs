//! Changes to budget window counters, summed per row and written together in one statement.

use crate::backend::engine::counters::{counter_row, Columns, CounterKey, Locked};
use crate::backend::engine::{EngineError, Writes};
use crate::backend::entities::budget_counter;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, InsertStatement, IntoIden, OnConflict, Query, TableRef, ValueTuple,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, Iterable, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use std::collections::BTreeMap;
use tollgate_domain::Window;
use uuid::Uuid;

/// Counter rows per multi-row update: nine bound values each, well under both databases' limits.
const CHUNK: usize = 200;

/// A counter row's amounts, in the order `Columns` holds them: spent, then reserved.
pub const AMOUNTS: [budget_counter::Column; 6] = [
    budget_counter::Column::CostSpent,
    budget_counter::Column::TokensSpent,
    budget_counter::Column::OperationsSpent,
    budget_counter::Column::CostReserved,
    budget_counter::Column::TokensReserved,
    budget_counter::Column::OperationsReserved,
];

/// Changes to counter rows, summed per row and written together in one statement.
#[derive(Default)]
pub struct CounterChanges(BTreeMap<(Uuid, DateTime<Utc>), CounterChange>);

#[derive(Default)]
struct CounterChange {
    spent: Columns,
    reserved: Columns,
    hard_crossed_at: Option<DateTime<Utc>>,
}

impl CounterChanges {
    /// Adds (or with negative amounts, removes) spent and reserved amounts of one counter row;
    /// refuses a change whose sum leaves the counters' range (`CounterLimit`) and keeps none of it.
    pub fn add(
        &mut self,
        budget_id: Uuid,
        window_start: DateTime<Utc>,
        spent: Columns,
        reserved: Columns,
    ) -> Result<(), EngineError> {
        let change = self.0.entry((budget_id, window_start)).or_default();
        let sum = |now: Columns, more: Columns| -> Option<Columns> {
            Some([now[0].checked_add(more[0])?, now[1].checked_add(more[1])?, now[2].checked_add(more[2])?])
        };
        match (sum(change.spent, spent), sum(change.reserved, reserved)) {
            (Some(spent), Some(reserved)) => {
                (change.spent, change.reserved) = (spent, reserved);
                Ok(())
            }
            _ => Err(EngineError::CounterLimit),
        }
    }

    /// Notes when the row's window first went over its hard level; a time already stored stays.
    pub fn mark_hard_crossed(&mut self, budget_id: Uuid, window_start: DateTime<Utc>, at: DateTime<Utc>) {
        self.0.entry((budget_id, window_start)).or_default().hard_crossed_at.get_or_insert(at);
    }

    /// Locks the changed rows in (budget, window start) order, then writes them: for callers that
    /// have not locked them with `lock_counters`. Only PostgreSQL needs the lock; SQLite's write
    /// transaction already holds the database's single write lock.
    pub async fn lock_and_write(self, txn: &impl ConnectionTrait) -> Result<(), EngineError> {
        use budget_counter::Column as C;
        if txn.get_database_backend() == DbBackend::Postgres && self.0.len() > 1 {
            budget_counter::Entity::find()
                .filter(these_windows(self.0.keys().copied()))
                .order_by_asc(C::BudgetId)
                .order_by_asc(C::WindowStart)
                .lock_exclusive()
                .all(txn)
                .await?;
        }
        self.write(txn).await
    }

    /// Writes every change with one `UPDATE … FROM (VALUES …)` per chunk of rows. On PostgreSQL the
    /// rows must already be locked (`lock_counters`): an update of several rows locks them in no
    /// fixed order.
    pub async fn write(self, txn: &impl ConnectionTrait) -> Result<(), EngineError> {
        let mut writes = Writes::default();
        self.add_to(&mut writes, txn);
        Ok(writes.execute(txn).await?)
    }

    /// `write`, as statements added to `writes` to be sent with others.
    pub fn add_to(self, writes: &mut Writes, txn: &impl ConnectionTrait) {
        use budget_counter::Column as C;
        // Both databases name the columns of a VALUES list column1, column2, …
        let changed = |n: usize| Expr::col((Alias::new("changes"), Alias::new(format!("column{n}"))));
        let stored = |column: C| Expr::col((budget_counter::Entity, column));
        let mut rows = self.0.into_iter().map(|((budget_id, start), c)| {
            let [cost, tokens, operations] = c.spent;
            let [cost_reserved, tokens_reserved, operations_reserved] = c.reserved;
            ValueTuple::Many(vec![
                budget_id.into(),
                start.into(),
                cost.into(),
                tokens.into(),
                operations.into(),
                cost_reserved.into(),
                tokens_reserved.into(),
                operations_reserved.into(),
                c.hard_crossed_at.into(),
            ])
        });
        loop {
            let chunk: Vec<ValueTuple> = rows.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                return;
            }
            let mut update = Query::update();
            update
                .table(budget_counter::Entity)
                .from(TableRef::ValuesList(chunk, Alias::new("changes").into_iden()))
                .and_where(stored(C::BudgetId).eq(changed(1)))
                .and_where(stored(C::WindowStart).eq(changed(2)));
            for (n, column) in AMOUNTS.into_iter().enumerate() {
                update.value(column, stored(column).add(changed(n + 3)));
            }
            update.value(C::HardCrossedAt, Expr::expr(Func::coalesce([stored(C::HardCrossedAt), changed(9)])));
            writes.push(txn, &update);
        }
    }

    /// One upsert that adds the changes to every counter of `counters` (those a batch read, none
    /// changed or not), locking them in (budget, window start) order as `lock_counters` does, and
    /// returns them as changed; a missing row is created holding its change alone.
    pub fn upsert_onto(&self, counters: &Locked) -> InsertStatement {
        use budget_counter::Column as C;
        let mut keys: Vec<&CounterKey> = counters.keys().collect();
        keys.sort_unstable();
        let unchanged = CounterChange::default();
        let rows = keys.into_iter().map(|key| {
            let change = self.0.get(key).unwrap_or(&unchanged);
            let window = Window { start: key.1, end: counters[key].0.window_end };
            let row = counter_row(key.0, &window, change.spent, change.reserved);
            budget_counter::ActiveModel { hard_crossed_at: Set(change.hard_crossed_at), ..row }
        });
        let stored = |column: C| Expr::col((budget_counter::Entity, column));
        let proposed = |column: C| Expr::col((Alias::new("excluded"), column));
        let mut on_conflict = OnConflict::columns([C::BudgetId, C::WindowStart]);
        for column in AMOUNTS {
            on_conflict.value(column, stored(column).add(proposed(column)));
        }
        on_conflict.value(C::HardCrossedAt, Func::coalesce([stored(C::HardCrossedAt), proposed(C::HardCrossedAt)]));
        let mut upsert = budget_counter::Entity::insert_many(rows).on_conflict(on_conflict.to_owned()).into_query();
        upsert.returning(Query::returning().exprs(C::iter().map(stored)));
        upsert
    }
}

fn these_windows(pairs: impl IntoIterator<Item = (Uuid, DateTime<Utc>)>) -> Condition {
    pairs.into_iter().fold(Condition::any(), |any, (budget_id, start)| {
        any.add(
            Condition::all()
                .add(budget_counter::Column::BudgetId.eq(budget_id))
                .add(budget_counter::Column::WindowStart.eq(start)),
        )
    })
}
