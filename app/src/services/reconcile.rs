//! Reconciliation: recompute budget counters, daily aggregates and their roll-ups from the ledger
//! and open reservations, and report every stored figure that differs.

use super::engine::budgets::{to_domain, ApplicableBudget};
use super::engine::{holds, EngineError};
use crate::entities::{
    budget, budget_counter, daily_model_usage, daily_project_usage, daily_usage, organization, reservation, usage_event,
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::BTreeMap;
use tollgate_domain::OperationChain;
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

/// Checks every organization. Budgets that are not enabled now are skipped: while disabled they
/// legitimately stopped counting, so the ledger cannot say what their counters should hold.
pub async fn reconcile(db: &impl ConnectionTrait) -> Result<Vec<Difference>, EngineError> {
    let mut differences = Vec::new();
    for org in organization::Entity::find().all(db).await? {
        differences.extend(reconcile_org(db, &org).await?);
    }
    Ok(differences)
}

async fn reconcile_org(db: &impl ConnectionTrait, org: &organization::Model) -> Result<Vec<Difference>, EngineError> {
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
                let sums = counters.entry((b.model.id, window.start)).or_default();
                sums[0] += e.cost;
                sums[1] += e.input_tokens + e.output_tokens;
                sums[2] += e.operations;
            }
            let day = e.occurred_at.with_timezone(&tz).date_naive();
            let key = (org.id, day, e.team_id, e.project_id, e.user_id, e.category_id, e.provider, e.model);
            let sums = days.entry(key).or_default();
            for (slot, value) in sums.iter_mut().zip([e.cost, e.input_tokens, e.output_tokens, e.operations, 1]) {
                *slot += value;
            }
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
            sums[3] += r.cost;
            sums[4] += r.tokens;
            sums[5] += r.operations;
        }
    }

    let mut differences = Vec::new();
    let ids: Vec<Uuid> = budgets.iter().map(|b| b.model.id).collect();
    for c in budget_counter::Entity::find().filter(budget_counter::Column::BudgetId.is_in(ids)).all(db).await? {
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
        }
    }
    for ((budget_id, start), expected) in counters.into_iter().filter(|(_, sums)| *sums != [0; 6]) {
        let key = format!("budget {budget_id} window {} (no counter row)", start.to_rfc3339());
        differences.push(Difference { table: "budget_counters", key, stored: [0; 6], expected });
    }
    differences.extend(compare_rollups(db, org.id, &days).await?);
    for d in daily_usage::Entity::find().filter(daily_usage::Column::OrgId.eq(org.id)).all(db).await? {
        let stored = [d.cost, d.input_tokens, d.output_tokens, d.operations, d.events, 0];
        let key = (d.org_id, d.day, d.team_id, d.project_id, d.user_id, d.category_id, d.provider, d.model);
        let expected = days.remove(&key).unwrap_or_default();
        if stored != expected {
            differences.push(Difference { table: "daily_usage", key: describe(&key), stored, expected });
        }
    }
    for (key, expected) in days {
        differences.push(Difference {
            table: "daily_usage",
            key: format!("{} (no row)", describe(&key)),
            stored: [0; 6],
            expected,
        });
    }
    Ok(differences)
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
            let total = expected.entry(key).or_default();
            for (total, add) in total.iter_mut().zip(sums) {
                *total += add;
            }
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
