//! The cost forecast of a budget's current window, which threshold and forecast alerts quote.

use crate::backend::engine::prepare::budgets::to_domain;
use crate::backend::entities::{budget, budget_counter};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use tollgate_domain::forecast::{daily_pattern, forecast, Forecast, HISTORY_DAYS};
use tollgate_domain::money::from_storage;
use tollgate_domain::LimitKind;

/// The cost forecast of a budget's current window: spend so far, pattern of the last weeks.
pub async fn cost_forecast(
    db: &impl ConnectionTrait,
    model: &budget::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<(Decimal, Decimal, Forecast, tollgate_domain::Window)>, DbErr> {
    let Ok(budget) = to_domain(model.clone()) else { return Ok(None) };
    let Some(limit) = budget.rules.limits.iter().find(|l| l.kind == LimitKind::Cost) else { return Ok(None) };
    let window = budget.period.window_at(now, tz);
    let spent = budget_counter::Entity::find_by_id((model.id, window.start))
        .one(db)
        .await?
        .map_or(Decimal::ZERO, |c| from_storage(c.cost_spent));
    let today = now.with_timezone(&tz).date_naive();
    let history =
        crate::backend::queries::budget::daily(db, model, LimitKind::Cost, today - Duration::days(HISTORY_DAYS), today)
            .await?;
    let pattern = daily_pattern(&history, today);
    // What may be spent this window: the hard level plus the overrides active now.
    let overrides = crate::backend::engine::counters::active_overrides(db, &[model.id], now).await?;
    let allowance = limit.hard + overrides.get(&model.id).map_or(Decimal::ZERO, |o| o.get(LimitKind::Cost));
    Ok(Some((spent, allowance, forecast(spent, Some(allowance), now, window.end, tz, &pattern), window)))
}
