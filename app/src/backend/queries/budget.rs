//! A budget's usage over time from the daily aggregates: per day, per past window, and its trend this window.

use super::sum_i64;
use crate::backend::entities::{budget, daily_usage, window_close};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use tollgate_domain::forecast::{daily_pattern, HISTORY_DAYS};
use tollgate_domain::money::from_storage;
use tollgate_domain::{LimitKind, Period};

/// How many windows the budget-vs-actual chart shows, the current one included.
pub const WINDOWS_SHOWN: usize = 6;

/// The limit a budget's charts follow: cost when it has one, else tokens, else operations.
pub fn charted_limit(model: &budget::Model) -> (LimitKind, Option<Decimal>, Option<Decimal>) {
    if model.cost_hard.is_some() {
        (LimitKind::Cost, model.cost_soft.map(from_storage), model.cost_hard.map(from_storage))
    } else if model.tokens_hard.is_some() {
        (LimitKind::Tokens, model.tokens_soft.map(Decimal::from), model.tokens_hard.map(Decimal::from))
    } else {
        (LimitKind::Operations, model.operations_soft.map(Decimal::from), model.operations_hard.map(Decimal::from))
    }
}

/// Usage of the budget's scope and category per local day in [from, to), in the charted unit.
pub async fn daily(
    db: &impl ConnectionTrait,
    model: &budget::Model,
    kind: LimitKind,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, Decimal)>, DbErr> {
    let mut query = daily_usage::Entity::find()
        .select_only()
        .column(daily_usage::Column::Day)
        .column_as(sum_i64(daily_usage::Column::Cost), "cost")
        .column_as(sum_i64(daily_usage::Column::InputTokens), "input")
        .column_as(sum_i64(daily_usage::Column::OutputTokens), "output")
        .column_as(sum_i64(daily_usage::Column::Operations), "operations")
        .filter(daily_usage::Column::OrgId.eq(model.org_id))
        .filter(daily_usage::Column::Day.gte(from))
        .filter(daily_usage::Column::Day.lt(to));
    query = match model.scope_kind.as_str() {
        "team" => query.filter(daily_usage::Column::TeamId.eq(model.scope_id)),
        "project" => query.filter(daily_usage::Column::ProjectId.eq(model.scope_id)),
        "user" => query.filter(daily_usage::Column::UserId.eq(model.scope_id)),
        _ => query,
    };
    if let Some(category) = model.category_id {
        query = query.filter(daily_usage::Column::CategoryId.eq(category));
    }
    let rows: Vec<(NaiveDate, i64, i64, i64, i64)> =
        query.group_by(daily_usage::Column::Day).into_tuple().all(db).await?;
    let mut days: Vec<(NaiveDate, Decimal)> = rows
        .into_iter()
        .map(|(day, cost, input, output, ops)| {
            let amount = match kind {
                LimitKind::Cost => from_storage(cost),
                LimitKind::Tokens => Decimal::from(input + output),
                LimitKind::Operations => Decimal::from(ops),
            };
            (day, amount)
        })
        .collect();
    days.sort_by_key(|(d, _)| *d);
    Ok(days)
}

/// The current window and up to five before it, from the budget's first window on: each with its
/// label, hard level (as it was when a closed window was snapshotted) and actual usage.
pub async fn windows(
    db: &impl ConnectionTrait,
    model: &budget::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Option<Decimal>, Decimal)>, DbErr> {
    let (kind, _, hard_now) = charted_limit(model);
    let period: Period = model.period.parse().unwrap_or(Period::Monthly);
    let mut windows = vec![period.window_at(now, tz)];
    while windows.len() < WINDOWS_SHOWN {
        let earlier = period.previous(windows[windows.len() - 1], tz);
        // Windows that ended before the budget existed had no budget to compare with.
        if earlier.end <= model.created_at {
            break;
        }
        windows.push(earlier);
    }
    windows.reverse();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let days = daily(db, model, kind, local(windows[0].start), local(windows[windows.len() - 1].end)).await?;
    let closes = window_close::Entity::find().filter(window_close::Column::BudgetId.eq(model.id)).all(db).await?;
    Ok(windows
        .into_iter()
        .map(|w| {
            let (first, end) = (local(w.start), local(w.end));
            let actual = days.iter().filter(|(d, _)| *d >= first && *d < end).map(|(_, v)| *v).sum();
            let snapshot = closes.iter().find(|c| c.window_start == w.start).map(|c| match kind {
                LimitKind::Cost => c.cost_hard.map(from_storage),
                LimitKind::Tokens => c.tokens_hard.map(Decimal::from),
                LimitKind::Operations => c.operations_hard.map(Decimal::from),
            });
            let label = match period {
                Period::Monthly => first.format("%b %Y").to_string(),
                Period::Quarterly => first.format("Q from %b %Y").to_string(),
                _ => first.format("%b %d").to_string(),
            };
            (label, snapshot.unwrap_or(hard_now), actual)
        })
        .collect())
}

/// The current window day by day: cumulative usage up to today, then the forecast of each day
/// left (the weekday pattern of the last four weeks), cumulative too.
pub async fn trend(
    db: &impl ConnectionTrait,
    model: &budget::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(Vec<(NaiveDate, Decimal)>, Vec<(NaiveDate, Decimal)>), DbErr> {
    let (kind, ..) = charted_limit(model);
    let period: Period = model.period.parse().unwrap_or(Period::Monthly);
    let window = period.window_at(now, tz);
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let (first, end, today) = (local(window.start), local(window.end), local(now));
    let history_from = (today - Duration::days(HISTORY_DAYS)).min(first);
    let days = daily(db, model, kind, history_from, today + Duration::days(1)).await?;
    let pattern = daily_pattern(&days, today);
    let mut actual = Vec::new();
    let mut total = Decimal::ZERO;
    let mut day = first;
    while day <= today && day < end {
        total += days.iter().filter(|(d, _)| *d == day).map(|(_, v)| *v).sum::<Decimal>();
        actual.push((day, total));
        day += Duration::days(1);
    }
    // The days after today, from the same projection as the forecast headline (which adds the rest
    // of today), so the chart's last point is the headline's figure.
    let path = tollgate_domain::forecast::forecast(total, None, now, window.end, tz, &pattern).by_day;
    let forecast = path.into_iter().filter(|(d, _)| *d > today).map(|(d, v)| (d, v.round_dp(2))).collect();
    Ok((actual, forecast))
}
