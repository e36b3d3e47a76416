//! Forecast alerts: once per window, when a budget's cost is on course to pass its hard level.

use super::crossings::amount;
use super::raise::{raise, Audience, NewAlert};
use crate::backend::engine::begin_write;
use crate::backend::engine::prepare::budgets::to_domain;
use crate::backend::entities::{budget, budget_counter};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
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
    Ok(Some((spent, limit.hard, forecast(spent, Some(limit.hard), now, window.end, tz, &pattern), window)))
}

/// Checks every enabled budget with a cost limit; returns how many forecast alerts were raised.
pub async fn raise_forecast_alerts(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let budgets = budget::Entity::find()
        .filter(budget::Column::State.eq("enabled"))
        .filter(budget::Column::CostHard.is_not_null())
        .all(db)
        .await?;
    let zones = crate::backend::services::organizations::time_zones(db).await?;
    let mut raised = 0;
    for model in budgets {
        let Some(&tz) = zones.get(&model.org_id) else { continue };
        let Some((spent, hard, outlook, window)) = cost_forecast(db, &model, tz, now).await? else { continue };
        let Some(runs_out) = outlook.exhaustion.filter(|_| spent < hard && outlook.projected > hard) else {
            continue;
        };
        let when = runs_out.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z");
        let new = NewAlert {
            org_id: model.org_id,
            budget: Some(&model),
            kind: "forecast",
            limit_kind: Some("cost"),
            threshold: None,
            window_start: Some(window.start),
            dedup_key: format!("forecast:{}:{}", model.id, window.start.timestamp()),
            severity: "warning",
            title: format!("{}: on course to run out around {when}", model.name),
            body: format!(
                "At the recent daily pattern this {} window ends at {} against a hard level of {}; {} spent so far.",
                model.period,
                amount(LimitKind::Cost, outlook.projected, &model.currency),
                amount(LimitKind::Cost, hard, &model.currency),
                amount(LimitKind::Cost, spent, &model.currency),
            ),
            detail: serde_json::json!({
                "budget_id": model.id, "budget_name": model.name, "limit": "cost",
                "spent": spent, "hard": hard, "projected": outlook.projected, "exhaustion": runs_out,
                "currency": model.currency, "window_start": window.start, "window_end": window.end,
                "link": format!("/budgets/{}", model.id),
            }),
        };
        let txn = begin_write(db).await?;
        if raise(&txn, new, Audience::Budget, now).await?.is_some() {
            raised += 1;
        }
        txn.commit().await?;
    }
    Ok(raised)
}
