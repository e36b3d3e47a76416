//! Threshold alerts: raised inside the write that moves a budget window's spend past a threshold.

use super::forecast::cost_forecast;
use super::raise::{raise, Audience, NewAlert};
use crate::backend::engine::prepare::budgets::ApplicableBudget;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr};
use tollgate_domain::alerting::severity;
use tollgate_domain::figures::{money, whole};
use tollgate_domain::forecast::Forecast;
use tollgate_domain::thresholds::{alert_levels, crossed, parse_thresholds, DEFAULT_THRESHOLDS};
use tollgate_domain::time_face::{instant_in, window_in};
use tollgate_domain::{LimitKind, Usage, Window};

/// Raises one alert per level that spend crossed going from `before` to `after` in `window`: the
/// budget's thresholds, and always its hard and soft levels (`alert_levels`). The dedup key names
/// budget, window, limit and level, so each fires once per window.
pub async fn raise_crossings(
    txn: &impl ConnectionTrait,
    budget: &ApplicableBudget,
    window: Window,
    tz: Tz,
    before: Usage,
    after: Usage,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let thresholds = parse_thresholds(&budget.model.thresholds).unwrap_or_else(|_| DEFAULT_THRESHOLDS.to_vec());
    let mut raised = 0;
    for limit in &budget.rules.limits {
        let levels = alert_levels(&thresholds, limit.soft, limit.hard);
        for pct in crossed(before.get(limit.kind), after.get(limit.kind), limit.hard, &levels) {
            let used = after.get(limit.kind);
            let (mut title, mut body) = describe(budget, window, tz, limit.kind, pct, used, limit.hard);
            if pct < 100 && !thresholds.contains(&pct) {
                title = format!("{}: soft {} level reached ({pct}% of the limit)", budget.model.name, limit.kind);
            }
            let outlook = match limit.kind {
                LimitKind::Cost if window.contains(now) && pct < 100 => {
                    cost_forecast(txn, &budget.model, tz, now).await?.map(|(_, _, outlook, _)| outlook)
                }
                _ => None,
            };
            if let Some(outlook) = &outlook {
                body.push_str(&foresee(outlook, limit.hard, &budget.model.currency, tz));
            }
            let new = NewAlert {
                org_id: budget.model.org_id,
                budget: Some(&budget.model),
                kind: "threshold",
                limit_kind: Some(limit.kind.as_str()),
                threshold: Some(pct),
                window_start: Some(window.start),
                dedup_key: format!(
                    "threshold:{}:{}:{}:{pct}",
                    budget.model.id,
                    window.start.timestamp(),
                    limit.kind.as_str()
                ),
                severity: severity(pct),
                title,
                body,
                detail: serde_json::json!({
                    "budget_id": budget.model.id,
                    "budget_name": budget.model.name,
                    "limit": limit.kind.as_str(),
                    "threshold": pct,
                    "used": used,
                    "hard": limit.hard,
                    "currency": budget.model.currency,
                    "window_start": window.start,
                    "window_end": window.end,
                    "projected": outlook.as_ref().map(|o| o.projected),
                    "exhaustion": outlook.as_ref().and_then(|o| o.exhaustion),
                    "link": format!("/budgets/{}", budget.model.id),
                }),
            };
            if raise(txn, new, Audience::Budget, now).await?.is_some() {
                raised += 1;
            }
        }
    }
    Ok(raised)
}

/// " At the recent daily pattern …": where spend is heading by the window's end, and when it runs out.
fn foresee(outlook: &Forecast, hard: Decimal, currency: &str, tz: Tz) -> String {
    let projected = amount(LimitKind::Cost, outlook.projected, currency);
    match outlook.exhaustion.filter(|_| outlook.projected > hard) {
        Some(at) => format!(
            " At the recent daily pattern the window ends around {projected}; the limit runs out around {}.",
            instant_in(tz, at)
        ),
        None => format!(" At the recent daily pattern the window ends around {projected}, within the limit."),
    }
}

/// An amount of a limit in words: "USD 12.50", "120,000 tokens", "40 operations".
pub fn amount(kind: LimitKind, value: Decimal, currency: &str) -> String {
    match kind {
        LimitKind::Cost => format!("{currency} {}", money(value)),
        LimitKind::Tokens => format!("{} tokens", whole(value)),
        LimitKind::Operations => format!("{} operations", whole(value)),
    }
}

fn describe(
    budget: &ApplicableBudget,
    window: Window,
    tz: Tz,
    kind: LimitKind,
    pct: u32,
    used: Decimal,
    hard: Decimal,
) -> (String, String) {
    let name = &budget.model.name;
    let currency = &budget.model.currency;
    let title = if pct >= 100 {
        format!("{name}: {} limit reached ({pct}%)", kind.as_str())
    } else {
        format!("{name}: {pct}% of the {} limit used", kind.as_str())
    };
    let days = window_in(tz, window.start, window.end);
    let enforcement = if pct >= 100 && budget.model.enforcement == "hard_stop" {
        " Further calls are denied unless they are critical and a reserve is left, or an override is approved."
    } else {
        ""
    };
    let more = if pct >= 90 { " Need more? Ask for an override or an increase on the budget's page." } else { "" };
    let body = format!(
        "{} of {} used in the {} window {days}.{enforcement}{more}",
        amount(kind, used, currency),
        amount(kind, hard, currency),
        budget.model.period,
    );
    (title, body)
}
