//! A budget's live figures: this window per limit, the forecast, budget vs actual over past windows and
//! the daily trend, refreshed by themselves as usage arrives.

use crate::components::time::{instant, window};
use crate::components::Chart;
use crate::components::{money, thousands};
use crate::errors::AppError;
use crate::models::BudgetRow;
pub use crate::models::{ForecastView, WindowView};
use leptos::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "budget_window")]
pub async fn budget_window(budget_id: Uuid) -> Result<WindowView, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        Ok(crate::backend::services::budget_page::window(&state, &me, budget_id).await?)
    })
    .await
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
    let window = window(row.window_start, row.window_end);
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
                                figure(&u.limit_type, u.allowance), crate::components::percent(u.percent_used))}</span>
                        </div>
                        <div class=format!("bar {}", u.status) role="progressbar" aria-valuemin="0" aria-valuemax="100"
                            aria-valuenow=pct.to_string() aria-label=format!("{} limit used", u.limit_type)>
                            <span style=format!("width:{pct}%")></span>
                        </div>
                    </div>
                }
            }).collect_view()}
            {forecast.map(|f| view! {
                <p data-testid="forecast">
                    {format!("Forecast for the window end: {} of {}", money(f.projected), money(f.hard))}
                    {match f.exhaustion {
                        Some(at) if f.spent < f.hard => format!(" — expected to run out around {}.", instant(at)),
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
