//! The daily aggregates kept beside the ledger: `daily_usage` per day and full key, and its
//! roll-ups per day × project and per day × model, added to in the transaction that records usage.
//!
//! Rows are written in key order, so two batches touching the same rows lock them in the same order
//! (no PostgreSQL deadlock).

use crate::entities::{daily_model_usage, daily_project_usage, daily_usage};
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
pub struct DailySums(BTreeMap<DailyKey, Sums>);

impl DailySums {
    pub fn add(&mut self, key: DailyKey, sums: Sums) {
        let total = self.0.entry(key).or_default();
        for (total, add) in total.iter_mut().zip(sums) {
            *total += add;
        }
    }

    /// Adds the sums to `daily_usage` and both roll-ups.
    pub async fn write(self, txn: &impl ConnectionTrait, org_id: Uuid) -> Result<(), DbErr> {
        let mut by_project: BTreeMap<(NaiveDate, Uuid), Sums> = BTreeMap::new();
        let mut by_model: BTreeMap<(NaiveDate, String, String), Sums> = BTreeMap::new();
        for ((day, _, project, _, _, provider, model), sums) in &self.0 {
            add_into(by_project.entry((*day, *project)).or_default(), sums);
            add_into(by_model.entry((*day, provider.clone(), model.clone())).or_default(), sums);
        }

        use daily_usage::Column as D;
        let full = self.0.into_iter().map(|((day, team, project, user, category, provider, model), s)| {
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

fn add_into(total: &mut Sums, sums: &Sums) {
    for (total, add) in total.iter_mut().zip(sums) {
        *total += add;
    }
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
