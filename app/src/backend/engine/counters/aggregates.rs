//! The daily aggregates kept beside the ledger: `daily_usage` per day and full key, and its
//! roll-ups per day × project and per day × model, added to in the transaction that records usage.
//!
//! Rows are written in key order, so two batches touching the same rows lock them in the same order
//! (no PostgreSQL deadlock).

use crate::backend::entities::{daily_model_usage, daily_project_usage, daily_usage};
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Set};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Rows per multi-row statement (well under SQLite's limit of bound variables).
const CHUNK: usize = 200;

/// Cost (billionths), input tokens, output tokens, operations, events.
pub type Sums = [i64; 5];

/// Day, team, project, user, category, provider, model.
pub type DailyKey = (NaiveDate, Uuid, Uuid, Uuid, Uuid, String, String);

/// What one batch adds to the aggregates.
#[derive(Default)]
pub struct DailySums {
    rows: BTreeMap<DailyKey, Sums>,
    /// A sum left the integers: the batch must not be written (the database would refuse it too).
    overflowed: bool,
    /// Sums stop at the range's end instead (reconciliation's repair of sums stored that way).
    saturate: bool,
}

impl DailySums {
    /// Sums that stop at the counters' range: what `reconcile --repair` writes for a ledger whose
    /// totals no counter can hold.
    pub fn saturating() -> Self {
        DailySums { saturate: true, ..Default::default() }
    }

    pub fn add(&mut self, key: DailyKey, sums: Sums) {
        let fits = add_into(self.rows.entry(key).or_default(), &sums, self.saturate);
        self.overflowed |= !fits;
    }

    /// Adds the sums to `daily_usage` and both roll-ups; refuses sums past the counters' range
    /// with the same error the databases give (`COUNTER_LIMIT_MESSAGE`).
    pub async fn write(self, txn: &impl ConnectionTrait, org_id: Uuid) -> Result<(), DbErr> {
        let limit = || DbErr::Custom(crate::backend::engine::COUNTER_LIMIT_MESSAGE.into());
        if self.overflowed {
            return Err(limit());
        }
        let mut by_project: BTreeMap<(NaiveDate, Uuid), Sums> = BTreeMap::new();
        let mut by_model: BTreeMap<(NaiveDate, String, String), Sums> = BTreeMap::new();
        for ((day, _, project, _, _, provider, model), sums) in &self.rows {
            let fits = add_into(by_project.entry((*day, *project)).or_default(), sums, self.saturate)
                & add_into(by_model.entry((*day, provider.clone(), model.clone())).or_default(), sums, self.saturate);
            if !fits {
                return Err(limit());
            }
        }

        use daily_usage::Column as D;
        let full = self.rows.into_iter().map(|((day, team, project, user, category, provider, model), s)| {
            daily_usage::ActiveModel {
                org_id: Set(org_id),
                day: Set(day),
                team_id: Set(team),
                project_id: Set(project),
                user_id: Set(user),
                category_id: Set(category),
                provider: Set(provider),
                model: Set(model),
                cost: Set(s[0]),
                input_tokens: Set(s[1]),
                output_tokens: Set(s[2]),
                operations: Set(s[3]),
                events: Set(s[4]),
            }
        });
        let keys = [D::OrgId, D::Day, D::TeamId, D::ProjectId, D::UserId, D::CategoryId, D::Provider, D::Model];
        let sums = [D::Cost, D::InputTokens, D::OutputTokens, D::Operations, D::Events];
        upsert_adding(txn, full.collect(), &keys, sums).await?;

        use daily_project_usage::Column as P;
        let projects = by_project.into_iter().map(|((day, project), s)| daily_project_usage::ActiveModel {
            org_id: Set(org_id),
            day: Set(day),
            project_id: Set(project),
            cost: Set(s[0]),
            input_tokens: Set(s[1]),
            output_tokens: Set(s[2]),
            operations: Set(s[3]),
            events: Set(s[4]),
        });
        let sums = [P::Cost, P::InputTokens, P::OutputTokens, P::Operations, P::Events];
        upsert_adding(txn, projects.collect(), &[P::OrgId, P::Day, P::ProjectId], sums).await?;

        use daily_model_usage::Column as M;
        let models = by_model.into_iter().map(|((day, provider, model), s)| daily_model_usage::ActiveModel {
            org_id: Set(org_id),
            day: Set(day),
            provider: Set(provider),
            model: Set(model),
            cost: Set(s[0]),
            input_tokens: Set(s[1]),
            output_tokens: Set(s[2]),
            operations: Set(s[3]),
            events: Set(s[4]),
        });
        let sums = [M::Cost, M::InputTokens, M::OutputTokens, M::Operations, M::Events];
        upsert_adding(txn, models.collect(), &[M::OrgId, M::Day, M::Provider, M::Model], sums).await
    }
}

/// Adds `sums` to `total`; false (and `total` unchanged) if any sum would leave the integers,
/// unless `saturate` says to stop at the range's end.
fn add_into(total: &mut Sums, sums: &Sums, saturate: bool) -> bool {
    let mut added = *total;
    for (slot, add) in added.iter_mut().zip(sums) {
        match slot.checked_add(*add) {
            Some(sum) => *slot = sum,
            None if saturate => *slot = slot.saturating_add(*add),
            None => return false,
        }
    }
    *total = added;
    true
}

/// Inserts the rows; where a row with the same key exists, adds the sums to it.
async fn upsert_adding<E, A>(
    txn: &impl ConnectionTrait,
    rows: Vec<A>,
    keys: &[E::Column],
    sums: [E::Column; 5],
) -> Result<(), DbErr>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Clone,
{
    let adding = sums.map(|c| (c, Expr::col((E::default(), c)).add(Expr::cust(format!("excluded.{}", c.as_str())))));
    for chunk in rows.chunks(CHUNK) {
        E::insert_many(chunk.to_vec())
            .on_conflict(OnConflict::columns(keys.iter().copied()).values(adding.clone()).to_owned())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
