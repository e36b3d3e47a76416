//! Cost by price component: what input, cache reads and writes, output, reasoning and request fees
//! each cost over a date range, from the ledger and the catalog price that priced each event.

use super::{day_range, Context};
use crate::backend::entities::{price, usage_event};
use crate::backend::queries::sum_i64;
use crate::backend::services::ServiceError;
use crate::reports::ColumnKind::*;
use crate::reports::{ReportChart, ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;
use tollgate_domain::figures::{exact, percent, priced, thousands};
use tollgate_domain::money::from_storage;
use tollgate_domain::period::start_of_day;
use tollgate_domain::pricing::{Component, Tokens};

/// When the catalog price that priced an event took effect: the latest row of its entry not after it.
const PRICE_FROM: &str = "(SELECT MAX(p.effective_from) FROM prices p WHERE p.org_id = usage_events.org_id \
     AND p.provider = usage_events.provider AND p.model = usage_events.priced_model \
     AND p.effective_from <= usage_events.occurred_at)";

/// A grouped row as the database returns it: `Group`'s fields with the seven sums flat.
type GroupRow = (String, Option<String>, String, Option<i64>, Option<DateTime<Utc>>, i64, i64, i64, i64, i64, i64, i64);

/// Events priced alike: entry, how, rate, price in force; and their summed tokens, operations, cost.
type Group = (String, Option<String>, String, Option<i64>, Option<DateTime<Utc>>, [i64; 7]);

pub(super) async fn run(
    db: &DatabaseConnection,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    let (from, to) = day_range(&mut query, ctx.today)?;
    let (start, end) = (start_of_day(from, ctx.tz), start_of_day(to + Duration::days(1), ctx.tz));
    let model = query.get("model").map(str::to_owned);
    let mut select = usage_event::Entity::find()
        .select_only()
        .column(usage_event::Column::Provider)
        .column(usage_event::Column::PricedModel)
        .column(usage_event::Column::Pricing)
        .column(usage_event::Column::ExchangeRate)
        .column_as(Expr::cust(PRICE_FROM), "price_from");
    for (column, name) in [
        (usage_event::Column::InputTokens, "input"),
        (usage_event::Column::OutputTokens, "output"),
        (usage_event::Column::CachedInputTokens, "cached_input"),
        (usage_event::Column::CacheWriteTokens, "cache_write"),
        (usage_event::Column::ReasoningTokens, "reasoning"),
        (usage_event::Column::Operations, "operations"),
        (usage_event::Column::Cost, "cost"),
    ] {
        select = select.column_as(sum_i64(column), name);
    }
    if let Some(model) = &model {
        select = select.filter(usage_event::Column::PricedModel.eq(model.as_str()));
    }
    let rows: Vec<GroupRow> = select
        .filter(usage_event::Column::OrgId.eq(ctx.org.id))
        .filter(usage_event::Column::OccurredAt.gte(start))
        .filter(usage_event::Column::OccurredAt.lt(end))
        .group_by(usage_event::Column::Provider)
        .group_by(usage_event::Column::PricedModel)
        .group_by(usage_event::Column::Pricing)
        .group_by(usage_event::Column::ExchangeRate)
        .group_by(Expr::cust("price_from"))
        .into_tuple()
        .all(db)
        .await?;
    let groups: Vec<Group> = rows
        .into_iter()
        .map(|(p, m, how, rate, at, i, o, c, w, r, ops, cost)| (p, m, how, rate, at, [i, o, c, w, r, ops, cost]))
        .collect();
    let prices = price::Entity::find()
        .filter(price::Column::OrgId.eq(ctx.org.id))
        .order_by_asc(price::Column::EffectiveFrom)
        .all(db)
        .await?;
    let split = split(&groups, &prices)?;
    Ok(view(ctx, query, model, split, &groups))
}

/// Per component: units and exact cost; plus the cost of events not priced by the catalog and the
/// recorded total (which rounds each event once).
struct Split {
    parts: BTreeMap<usize, (u64, Decimal)>,
    not_by_catalog: Decimal,
    recorded: Decimal,
}

fn split(groups: &[Group], prices: &[price::Model]) -> Result<Split, ServiceError> {
    let mut out = Split { parts: BTreeMap::new(), not_by_catalog: Decimal::ZERO, recorded: Decimal::ZERO };
    for (provider, model, how, rate, price_from, sums) in groups {
        let [input, output, cached, written, reasoning, operations, _] = sums.map(|n| u64::try_from(n).unwrap_or(0));
        let cost = from_storage(sums[6]);
        out.recorded += cost;
        let row = prices.iter().find(|p| {
            Some(&p.model) == model.as_ref() && p.provider == *provider && Some(p.effective_from) == *price_from
        });
        let (Some(row), "catalog") = (row, how.as_str()) else {
            out.not_by_catalog += cost;
            continue;
        };
        let price = row.price()?;
        let rate = rate.map_or(Decimal::ONE, from_storage);
        let tokens = Tokens { input, output, cached_input: cached, cache_write: written, reasoning };
        for (at, part) in price.parts(&tokens, operations).iter().enumerate() {
            let entry = out.parts.entry(at).or_default();
            *entry = (entry.0 + part.units, entry.1 + part.cost * rate);
        }
    }
    Ok(out)
}

fn view(ctx: &Context, query: ReportQuery, model: Option<String>, split: Split, groups: &[Group]) -> ReportView {
    let currency = ctx.org.currency.clone();
    let total = split.recorded;
    let share =
        |cost: Decimal| if total.is_zero() { "0.0".to_owned() } else { percent(cost * Decimal::ONE_HUNDRED / total) };
    let mut rows: Vec<TableRow> = Component::ALL
        .iter()
        .enumerate()
        .map(|(at, component)| {
            let (units, cost) = split.parts.get(&at).copied().unwrap_or_default();
            TableRow::new(vec![component.label().to_owned(), units.to_string(), exact(cost.normalize()), share(cost)])
        })
        .collect();
    if !split.not_by_catalog.is_zero() {
        let cost = split.not_by_catalog;
        rows.push(TableRow::new(vec![
            "Priced by the caller or a fallback".into(),
            String::new(),
            exact(cost),
            share(cost),
        ]));
    }
    let bars: Vec<(String, Option<Decimal>, Decimal)> = Component::ALL
        .iter()
        .enumerate()
        .filter_map(|(at, c)| split.parts.get(&at).map(|(_, cost)| (c.label().to_owned(), None, cost.round_dp(2))))
        .filter(|(_, _, cost)| !cost.is_zero())
        .collect();
    let tokens: u64 = split.parts.iter().filter(|(at, _)| **at < 5).map(|(_, (units, _))| units).sum();
    let mut models: Vec<String> = groups.iter().filter_map(|g| g.1.clone()).collect();
    models.extend(model.iter().cloned());
    models.sort();
    models.dedup();
    ReportView {
        kind: ReportKind::Components,
        headline: vec![
            ("Spend".into(), priced(&currency, total)),
            ("Billed tokens".into(), thousands(i64::try_from(tokens).unwrap_or(i64::MAX))),
            ("Models".into(), models.len().to_string()),
        ],
        chart: (!bars.is_empty()).then(|| ReportChart {
            title: "Spend by price component".into(),
            option: crate::charts::ranked_bars(&bars, &currency),
        }),
        table: Table::new(
            [
                ("Component".to_owned(), Text),
                ("Tokens or requests".into(), Count),
                (format!("Cost ({currency})"), Money),
                ("Share of cost (%)".into(), Percent),
            ],
            rows,
        ),
        notes: vec![
            "Each event's tokens at the catalog price that priced it, converted at the exchange rate it used. Cache reads and writes are part of the input tokens, reasoning part of the output; 'Input (fresh)' and 'Output' count the rest.".into(),
            format!(
                "Components are exact; the spend adds up each event as recorded, rounded once to a billionth of a {currency}, so the two may differ in the last decimal places."
            ),
        ],
        choices: [("model".to_owned(), models.into_iter().map(|m| (m.clone(), m)).collect())].into(),
        inputs: Vec::new(),
        query,
    }
}
