//! Forecast alerts: once per window, when a budget's cost is on course to pass its hard level.

use crate::backend::engine::alerts::crossings::amount;
use crate::backend::engine::alerts::forecast::cost_forecast;
use crate::backend::engine::alerts::{raise, Audience, NewAlert};
use crate::backend::engine::begin_write;
use crate::backend::entities::budget;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use tollgate_domain::LimitKind;

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
        let when = tollgate_domain::time_face::instant_in(tz, runs_out);
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
