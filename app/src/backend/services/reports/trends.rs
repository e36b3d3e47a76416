//! Trends: the organization's spend, tokens and operations per day or ISO week, with a moving
//! average and a comparison with the period of the same length before.

use super::{day_range, options, Context};
use crate::backend::entities::daily_model_usage;
use crate::backend::queries::sum_i64;
use crate::backend::services::ServiceError;
use crate::reports::ColumnKind::*;
use crate::reports::{ReportChart, ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeMap;
use tollgate_domain::figures::{exact, priced, thousands};
use tollgate_domain::money::from_storage;
use tollgate_domain::reports::{moving_average, Change};

/// Cost, tokens and operations of one day or week.
#[derive(Debug, Clone, Copy, Default)]
struct Point {
    cost: Decimal,
    tokens: i64,
    operations: i64,
}

async fn per_day(
    db: &DatabaseConnection,
    ctx: &Context,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, Point>, ServiceError> {
    let rows: Vec<(NaiveDate, i64, i64, i64, i64)> = daily_model_usage::Entity::find()
        .select_only()
        .column(daily_model_usage::Column::Day)
        .column_as(sum_i64(daily_model_usage::Column::Cost), "cost")
        .column_as(sum_i64(daily_model_usage::Column::InputTokens), "input")
        .column_as(sum_i64(daily_model_usage::Column::OutputTokens), "output")
        .column_as(sum_i64(daily_model_usage::Column::Operations), "operations")
        .filter(daily_model_usage::Column::OrgId.eq(ctx.org.id))
        .filter(daily_model_usage::Column::Day.gte(from))
        .filter(daily_model_usage::Column::Day.lte(to))
        .group_by(daily_model_usage::Column::Day)
        .into_tuple()
        .all(db)
        .await?;
    let mut days: BTreeMap<NaiveDate, Point> =
        from.iter_days().take_while(|d| *d <= to).map(|d| (d, Point::default())).collect();
    for (day, cost, input, output, operations) in rows {
        days.insert(day, Point { cost: from_storage(cost), tokens: input + output, operations });
    }
    Ok(days)
}

pub(super) async fn run(
    db: &DatabaseConnection,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    let (from, to) = day_range(&mut query, ctx.today)?;
    let step = query.get("step").unwrap_or("day").to_owned();
    if step != "day" && step != "week" {
        return Err(ServiceError::Invalid(format!("'step' must be day or week, not '{step}'")));
    }
    query.0.insert("step".into(), step.clone());
    let days = per_day(db, ctx, from, to).await?;
    let length = (to - from).num_days() + 1;
    let before = per_day(db, ctx, from - Duration::days(length), from - Duration::days(1)).await?;

    let buckets: Vec<(NaiveDate, Point)> = if step == "week" {
        let mut weeks: BTreeMap<NaiveDate, Point> = BTreeMap::new();
        for (day, p) in &days {
            let monday = *day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
            let w = weeks.entry(monday).or_default();
            (w.cost, w.tokens, w.operations) = (w.cost + p.cost, w.tokens + p.tokens, w.operations + p.operations);
        }
        weeks.into_iter().collect()
    } else {
        days.iter().map(|(d, p)| (*d, *p)).collect()
    };
    let width = if step == "week" { 4 } else { 7 };
    let costs: Vec<Decimal> = buckets.iter().map(|(_, p)| p.cost).collect();
    let averages = moving_average(&costs, width);
    let total = |points: &BTreeMap<NaiveDate, Point>| {
        points.values().fold(Point::default(), |a, p| Point {
            cost: a.cost + p.cost,
            tokens: a.tokens + p.tokens,
            operations: a.operations + p.operations,
        })
    };
    let (now, then) = (total(&days), total(&before));
    let change = |previous: Decimal, current: Decimal| {
        let c = Change::between(previous, current);
        match c.percent {
            Some(p) => format!("{p:+.1}% vs the previous {length} days"),
            None => format!("nothing in the previous {length} days"),
        }
    };
    let currency = ctx.org.currency.clone();
    let rows = buckets
        .iter()
        .zip(&averages)
        .map(|((day, p), average)| {
            TableRow::new(vec![
                day.to_string(),
                exact(p.cost),
                average.map(|a| exact(a.round_dp(2))).unwrap_or_default(),
                p.tokens.to_string(),
                p.operations.to_string(),
            ])
        })
        .collect();
    let unit = if step == "week" { "Week from" } else { "Day" };
    let average_label = if step == "week" { "4-week average" } else { "7-day average" };
    Ok(ReportView {
        kind: ReportKind::Trends,
        headline: vec![
            ("Spend".into(), format!("{} ({})", priced(&currency, now.cost), change(then.cost, now.cost))),
            ("Tokens".into(), format!("{} ({})", thousands(now.tokens), change(Decimal::from(then.tokens), Decimal::from(now.tokens)))),
            ("Operations".into(), format!("{} ({})", thousands(now.operations), change(Decimal::from(then.operations), Decimal::from(now.operations)))),
            ("Previous period spend".into(), priced(&currency, then.cost)),
        ],
        chart: Some(ReportChart {
            title: format!("Spend per {}", if step == "week" { "week" } else { "day" }),
            option: crate::charts::spend_trend(&buckets.iter().map(|(d, p)| (*d, p.cost)).collect::<Vec<_>>(), &averages, average_label, &currency),
        }),
        table: Table::new(
            [
                (unit.to_owned(), Text),
                (format!("Cost ({currency})"), Money),
                (format!("{average_label} ({currency})"), Money),
                ("Tokens".into(), Count),
                ("Operations".into(), Count),
            ],
            rows,
        ),
        notes: vec![
            format!("The {average_label} is trailing: each point averages it and the points before it; it starts once enough points exist."),
            format!("The comparison is with the {length} days before {from}. Weeks start on Monday; partial weeks at the edges count only the days in range."),
        ],
        choices: [("step".to_owned(), options(&[("day", "Day"), ("week", "Week")]))].into(),
        inputs: Vec::new(),
        query,
    })
}
