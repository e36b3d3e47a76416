//! A budget's live figures: this window per limit, the forecast, budget vs actual over past windows and
//! the daily trend, refreshed by themselves as usage arrives.

use crate::components::Chart;
use crate::errors::AppError;
use crate::pages::budgets::BudgetRow;
use crate::pages::overview::{money, thousands};
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastView {
    pub spent: Decimal,
    pub hard: Decimal,
    pub projected: Decimal,
    pub exhaustion: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowView {
    pub row: BudgetRow,
    pub forecast: Option<ForecastView>,
    /// The unit the charts are in: the currency, "tokens" or "operations".
    pub unit: String,
    /// (window, hard level, actual), oldest first.
    pub windows: Vec<(String, Option<Decimal>, Decimal)>,
    pub windows_chart: String,
    /// Cumulative usage per day of this window, then the forecast per remaining day.
    pub trend: Vec<(NaiveDate, Decimal)>,
    pub trend_forecast: Vec<(NaiveDate, Decimal)>,
    pub trend_chart: String,
}

#[server(prefix = "/rpc", endpoint = "budget_window")]
pub async fn budget_window(budget_id: Uuid) -> Result<WindowView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{access, budgets, organizations};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let not_found = || AppError::NotFound("that budget".into());
        let model = budgets::find(&state.db, me.org_id, budget_id).await?.ok_or_else(not_found)?;
        if !access::may_see(&state.db, &me, &model).await? {
            return Err(not_found());
        }
        let org = organizations::organization(&state.db, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        load(&state.db, &me, &org, model, state.clock.now()).await
    })
    .await
}

/// The window figures of a budget the caller has checked the account may see.
#[cfg(feature = "ssr")]
pub async fn load(
    db: &sea_orm::DatabaseConnection,
    me: &crate::auth::Account,
    org: &crate::backend::entities::organization::Model,
    model: crate::backend::entities::budget::Model,
    now: DateTime<Utc>,
) -> Result<WindowView, AppError> {
    use crate::backend::queries::budget::{charted_limit, trend, windows};
    use crate::backend::services::alerts::forecasts::cost_forecast;
    let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let forecast = cost_forecast(db, &model, tz, now).await?.map(|(spent, hard, f, _)| ForecastView {
        spent,
        hard,
        projected: f.projected.round_dp(2),
        exhaustion: f.exhaustion,
    });
    let (kind, soft, hard) = charted_limit(&model);
    let unit = if kind == tollgate_domain::LimitKind::Cost { org.currency.clone() } else { kind.as_str().to_owned() };
    let past = windows(db, &model, tz, now).await?;
    let (actual, projected) = trend(db, &model, tz, now).await?;
    Ok(WindowView {
        row: crate::pages::budgets::budget_row(db, me, org, model, now).await?,
        forecast,
        windows_chart: crate::charts::budget_vs_actual(&past, &unit),
        trend_chart: crate::charts::window_trend(&actual, &projected, soft, hard, &unit),
        unit,
        windows: past,
        trend: actual,
        trend_forecast: projected,
    })
}

/// Fresh window figures whenever `/live` reports a budget change, fetched in the browser only; until
/// the first one the page shows what it was rendered with (so hydration sees the same markup).
pub fn follow_live(id: impl Fn() -> Option<Uuid> + Send + Sync + 'static) -> RwSignal<Option<WindowView>> {
    let latest = RwSignal::new(None);
    let changes = crate::live::live_updates();
    Effect::new(move |seen: Option<u64>| {
        let now = changes.get();
        if seen.is_some_and(|s| s != now) {
            if let Some(id) = id() {
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = budget_window(id).await {
                        latest.set(Some(fresh));
                    }
                });
            }
        }
        now
    });
    latest
}

/// The window figures: the latest live ones, else those the page was loaded with.
#[component]
pub fn WindowSection(initial: WindowView, live: RwSignal<Option<WindowView>>) -> impl IntoView {
    move || {
        let w = live.get().filter(|l| l.row.budget.id == initial.row.budget.id).unwrap_or_else(|| initial.clone());
        view! {
            <ThisWindow row=w.row.clone() forecast=w.forecast.clone()/>
            <Charts view=w/>
        }
    }
}

fn figure(kind: &str, d: Decimal) -> String {
    if kind == "cost" {
        money(d)
    } else {
        thousands(i64::try_from(d.trunc()).unwrap_or(i64::MAX))
    }
}

#[component]
fn ThisWindow(row: BudgetRow, forecast: Option<ForecastView>) -> impl IntoView {
    let b = &row.budget.input;
    let window = format!("{} – {}", row.window_start.format("%Y-%m-%d"), row.window_end.format("%Y-%m-%d"));
    view! {
        <section class="card" id="this-window">
            <div class="section-head">
                <h2>"This window"</h2>
                <span class=format!("badge {}", row.status)>{row.status.replace('_', " ")}</span>
            </div>
            <p class="muted">
                {format!("{} {} · {} · {} · window {window}", b.scope, b.category.clone().map(|c| format!("({c})")).unwrap_or_default(),
                    b.period.as_str(), b.enforcement.as_str().replace('_', " "))}
            </p>
            {row.usage.iter().map(|u| {
                let pct = u.percent_used.min(Decimal::ONE_HUNDRED);
                view! {
                    <div class="limit" data-limit=u.limit_type.clone()>
                        <div class="limit-head">
                            <strong>{u.limit_type.clone()}</strong>
                            <span>{format!("{} spent · {} reserved · {} remaining of {} allowed · {}%",
                                figure(&u.limit_type, u.spent), figure(&u.limit_type, u.reserved),
                                figure(&u.limit_type, (u.allowance - u.spent - u.reserved).max(Decimal::ZERO)),
                                figure(&u.limit_type, u.allowance), u.percent_used)}</span>
                        </div>
                        <div class=format!("bar {}", u.status) role="progressbar" aria-valuemin="0" aria-valuemax="100"
                            aria-valuenow=pct.to_string()>
                            <span style=format!("width:{pct}%")></span>
                        </div>
                    </div>
                }
            }).collect_view()}
            {forecast.map(|f| view! {
                <p data-testid="forecast">
                    {format!("Forecast for the window end: {} of {}", money(f.projected), money(f.hard))}
                    {match f.exhaustion {
                        Some(at) if f.spent < f.hard => format!(" — expected to run out around {}.", at.format("%Y-%m-%d %H:%M UTC")),
                        Some(_) => " — the hard level is reached.".to_owned(),
                        None => " — not expected to run out in this window.".to_owned(),
                    }}
                </p>
                <p class="muted">"Method: what is spent so far plus, for each remaining day, the average spend of that weekday over the last 28 days."</p>
            })}
        </section>
    }
}

#[component]
fn Charts(view: WindowView) -> impl IntoView {
    let WindowView { unit, windows, windows_chart, trend, trend_forecast, trend_chart, .. } = view;
    let kind = if unit == "tokens" || unit == "operations" { unit.clone() } else { "cost".to_owned() };
    let k2 = kind.clone();
    view! {
        <div class="grid-2">
            <section class="card">
                <h2>"Budget vs actual"</h2>
                <Chart option=Signal::derive(move || windows_chart.clone()) label=format!("Budget vs actual per window, in {unit}")/>
                <table class="compact" data-testid="budget-vs-actual">
                    <thead><tr><th>"Window"</th><th class="num">"Hard level"</th><th class="num">"Actual"</th><th class="num">"Variance"</th></tr></thead>
                    <tbody>
                        {windows.into_iter().map(|(label, hard, actual)| {
                            let variance = hard.map(|h| actual - h);
                            let over = variance.is_some_and(|v| v > Decimal::ZERO);
                            view! {
                                <tr class=if over { "over" } else { "" }>
                                    <td>{label}</td>
                                    <td class="num">{hard.map(|h| figure(&kind, h)).unwrap_or_else(|| "–".into())}</td>
                                    <td class="num">{figure(&kind, actual)}</td>
                                    <td class="num">{variance.map(|v| format!("{}{}", if v > Decimal::ZERO { "+" } else { "" }, figure(&kind, v))).unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h2>"Daily trend"</h2>
                <Chart option=Signal::derive(move || trend_chart.clone()) label="Cumulative usage this window with forecast and limit lines".to_string()/>
                <details>
                    <summary>"The numbers behind the chart"</summary>
                    <table class="compact" data-testid="trend">
                        <thead><tr><th>"Day"</th><th class="num">"Cumulative"</th><th></th></tr></thead>
                        <tbody>
                            {trend.into_iter().map(|(d, v)| (d, v, "")).chain(trend_forecast.into_iter().map(|(d, v)| (d, v, "forecast"))).map(|(d, v, note)| view! {
                                <tr><td>{d.format("%Y-%m-%d").to_string()}</td><td class="num">{figure(&k2, v)}</td><td class="muted">{note}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </section>
        </div>
    }
}
