//! Demo usage: deterministic events over past days, written with their daily aggregates and window counters.

use super::plan::People;
use app::backend::engine::counters::aggregates::DailySums;
use app::backend::entities::{budget, budget_counter, organization, usage_event};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{EntityTrait, Set};
use std::collections::{BTreeMap, HashMap};
use tollgate_domain::money::{from_storage, to_storage};
use tollgate_domain::period::start_of_day;
use tollgate_domain::pricing::Price;
use tollgate_domain::{BudgetScope, OperationChain, Period, ScopeKind};
use uuid::Uuid;

pub struct DemoEvent {
    pub occurred_at: DateTime<Utc>,
    pub user_id: Uuid,
    pub team_id: Uuid,
    pub project_id: Uuid,
    pub category_id: Uuid,
    pub provider: &'static str,
    pub model: &'static str,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: Decimal,
}

/// Usage that grows over the range, dips at weekends and varies day to day, priced from the
/// shipped price list. The same seed always gives the same events for the same `now`.
pub fn generate(org: &organization::Model, people: &People, now: DateTime<Utc>, days: u32) -> Vec<DemoEvent> {
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let prices = snapshot_prices();
    let mut rng = StdRng::seed_from_u64(0x7011_6a7e);
    let today = now.with_timezone(&tz).date_naive();
    let mut events = Vec::new();
    for offset in (0..days).rev() {
        let day = today - Duration::days(i64::from(offset));
        let day_start = start_of_day(day, tz);
        let progress = 1.0 - f64::from(offset) / f64::from(days.max(1));
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        for project in &people.projects {
            let members: Vec<Uuid> =
                people.users.iter().filter(|u| u.team_id == project.team_id).map(|u| u.id).collect();
            let scale = (0.55 + 0.45 * progress) * if weekend { 0.3 } else { 1.0 } * rng.random_range(0.75..1.25);
            let count = (f64::from(project.events_per_day) * scale).round() as u32;
            let total_weight: u32 = project.models.iter().map(|m| m.2).sum();
            for _ in 0..count {
                let occurred_at = day_start + Duration::seconds(rng.random_range(0..86_400));
                if occurred_at > now {
                    continue;
                }
                let mut pick = rng.random_range(0..total_weight);
                let &(provider, model, _) = project
                    .models
                    .iter()
                    .find(|m| {
                        pick < m.2 || {
                            pick -= m.2;
                            false
                        }
                    })
                    .unwrap_or(&project.models[0]);
                let input_tokens = rng.random_range(4_000..48_000_i64);
                let output_tokens =
                    if model.starts_with("text-embedding") { 0 } else { rng.random_range(300..4_000_i64) };
                let cost = prices[model].cost(input_tokens as u64, output_tokens as u64);
                events.push(DemoEvent {
                    occurred_at,
                    user_id: members[rng.random_range(0..members.len())],
                    team_id: project.team_id,
                    project_id: project.id,
                    category_id: project.category_id,
                    provider,
                    model,
                    input_tokens,
                    output_tokens,
                    cost,
                });
            }
        }
    }
    events.sort_by_key(|e| e.occurred_at);
    events
}

/// The shipped price list by model, as new organizations (and so the demo) start with it.
fn snapshot_prices() -> HashMap<String, Price> {
    app::backend::services::organizations::price_snapshot().into_iter().map(|p| (p.model, p.price)).collect()
}

/// Running totals of one budget window: its end, [cost, tokens, operations] spent, first hard crossing.
#[derive(Default)]
struct WindowTotals {
    end: Option<DateTime<Utc>>,
    spent: [i64; 3],
    hard_crossed_at: Option<DateTime<Utc>>,
}

type DayKey = (NaiveDate, Uuid, Uuid, Uuid, Uuid, &'static str, &'static str);

/// Writes the ledger, the daily aggregates and each budget's window counters, all from the same events.
pub async fn insert(
    txn: &impl sea_orm::ConnectionTrait,
    org: &organization::Model,
    events: &[DemoEvent],
    budgets: &[budget::Model],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let mut days: BTreeMap<DayKey, [i64; 5]> = BTreeMap::new();
    let mut counters: BTreeMap<(Uuid, DateTime<Utc>), WindowTotals> = BTreeMap::new();
    let scoped: Vec<(&budget::Model, BudgetScope, Period)> = budgets
        .iter()
        .map(|b| {
            let kind: ScopeKind = b.scope_kind.parse().map_err(anyhow::Error::msg)?;
            let period: Period = b.period.parse()?;
            Ok((b, BudgetScope { kind, id: b.scope_id, category: b.category_id }, period))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut rows = Vec::with_capacity(events.len());
    for (n, e) in events.iter().enumerate() {
        let cost = to_storage(e.cost)?;
        let day = e.occurred_at.with_timezone(&tz).date_naive();
        let totals =
            days.entry((day, e.team_id, e.project_id, e.user_id, e.category_id, e.provider, e.model)).or_default();
        for (slot, value) in totals.iter_mut().zip([cost, e.input_tokens, e.output_tokens, 1, 1]) {
            *slot += value;
        }
        let chain = OperationChain {
            organization: org.id,
            team: e.team_id,
            project: e.project_id,
            user: e.user_id,
            category: e.category_id,
        };
        for (budget, _, period) in scoped.iter().filter(|(_, s, _)| s.applies_to(&chain)) {
            let window = period.window_at(e.occurred_at, tz);
            let entry = counters.entry((budget.id, window.start)).or_default();
            entry.end = Some(window.end);
            entry.spent[0] += cost;
            entry.spent[1] += e.input_tokens + e.output_tokens;
            entry.spent[2] += 1;
            let over = budget.cost_hard.is_some_and(|h| entry.spent[0] >= h)
                || budget.tokens_hard.is_some_and(|h| entry.spent[1] >= h);
            if over && entry.hard_crossed_at.is_none() {
                entry.hard_crossed_at = Some(e.occurred_at);
            }
        }
        rows.push(usage_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org.id),
            event_id: Set(format!("demo-{n:06}")),
            occurred_at: Set(e.occurred_at),
            user_id: Set(e.user_id),
            team_id: Set(e.team_id),
            project_id: Set(e.project_id),
            category_id: Set(e.category_id),
            provider: Set(e.provider.into()),
            model: Set(e.model.into()),
            input_tokens: Set(e.input_tokens),
            output_tokens: Set(e.output_tokens),
            cost: Set(cost),
            currency: Set(org.currency.clone()),
            operations: Set(1),
            pricing: Set("catalog".into()),
            priced_model: Set(Some(e.model.into())),
            exchange_rate: Set(None),
            cached_input_tokens: Set(0),
            cache_write_tokens: Set(0),
            reasoning_tokens: Set(0),
            reservation_id: Set(None),
            recorded_at: Set(e.occurred_at.min(now)),
        });
    }
    for chunk in rows.chunks(500) {
        usage_event::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    let mut daily = DailySums::default();
    for ((day, team, project, user, category, provider, model), sums) in days {
        daily.add((day, team, project, user, category, provider.into(), model.into()), sums);
    }
    daily.write(txn, org.id).await?;
    let counter_rows: Vec<budget_counter::ActiveModel> = counters
        .into_iter()
        .map(|((budget_id, start), totals)| budget_counter::ActiveModel {
            budget_id: Set(budget_id),
            window_start: Set(start),
            window_end: Set(totals.end.unwrap_or(start)),
            cost_spent: Set(totals.spent[0]),
            cost_reserved: Set(0),
            tokens_spent: Set(totals.spent[1]),
            tokens_reserved: Set(0),
            operations_spent: Set(totals.spent[2]),
            operations_reserved: Set(0),
            hard_crossed_at: Set(totals.hard_crossed_at),
        })
        .collect();
    for chunk in counter_rows.chunks(500) {
        budget_counter::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    tracing::debug!(total = %from_storage(rows.iter().map(|r| *r.cost.as_ref()).sum()), "demo usage written");
    Ok(())
}
