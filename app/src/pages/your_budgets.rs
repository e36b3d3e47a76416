//! The dashboard's "Your budgets": every budget the viewer can see, with a bar per limit, its status and
//! its cost forecast, refreshed by itself as usage arrives.

use crate::components::time::{day, last_day};
use crate::components::{money, thousands};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::prelude::*;
use rust_decimal::Decimal;

pub use crate::models::Tile;

/// The enabled budgets the viewer can see, each with its cost forecast to the window end.
#[server(prefix = "/rpc", endpoint = "dashboard_budgets")]
pub async fn dashboard_budgets() -> Result<Vec<Tile>, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let org = crate::backend::services::organizations::organization(&state.db, me.org_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(crate::backend::services::budget_list::tiles(&state.db, &me, &org, state.clock.now()).await?)
    })
    .await
}

pub type TilesResource = Resource<Result<Vec<Tile>, AppError>>;

/// The tiles, fetched again whenever `/live` reports a change. Created where the page's own
/// resources are (see `OverviewPage`), never below an async boundary.
pub fn tiles() -> TilesResource {
    let changes = crate::live::live_updates();
    Resource::new(move || changes.get(), |_| dashboard_budgets())
}

#[component]
pub fn YourBudgets(tiles: TilesResource) -> impl IntoView {
    view! {
        <section class="card" id="your-budgets">
            <h2>"Your budgets"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tiles.await {
                        Err(e) => Either::Left(view! { <p class="notice error">{e.to_string()}</p> }),
                        Ok(tiles) if tiles.is_empty() => {
                            Either::Right(Either::Left(view! { <p class="muted">"No budgets you can see yet."</p> }))
                        }
                        Ok(tiles) => Either::Right(Either::Right(view! {
                            <div class="budget-tiles">
                                {tiles.into_iter().map(|tile| view! { <BudgetTile tile/> }).collect_view()}
                            </div>
                        })),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BudgetTile(tile: Tile) -> impl IntoView {
    let Tile { row, forecast } = tile;
    let b = row.budget;
    view! {
        <article class="budget-tile" data-budget=b.input.name.clone()>
            <div class="limit-head">
                <a href=format!("/budgets/{}", b.id)><strong>{b.input.name.clone()}</strong></a>
                <span class=format!("badge {}", row.status)>{row.status.replace('_', " ")}</span>
            </div>
            <p class="muted">{format!("{} · {} · until {}", b.input.scope, b.input.period.as_str(), last_day(row.window_end))}</p>
            {row.usage.into_iter().map(|u| {
                let figure = |d: Decimal| if u.limit_type == "cost" {
                    money(d)
                } else {
                    thousands(i64::try_from(d.trunc()).unwrap_or(i64::MAX))
                };
                let pct = u.percent_used.min(Decimal::ONE_HUNDRED);
                view! {
                    <div class="limit" data-limit=u.limit_type.clone()>
                        <span>{format!("{}: {} of {} ({}%)", u.limit_type, figure(u.spent + u.reserved), figure(u.allowance), crate::components::percent(u.percent_used))}</span>
                        <div class=format!("bar {}", u.status) role="progressbar" aria-valuemin="0" aria-valuemax="100"
                            aria-valuenow=pct.to_string() aria-label=format!("{} limit used", u.limit_type)>
                            <span style=format!("width:{pct}%")></span>
                        </div>
                    </div>
                }
            }).collect_view()}
            {forecast.map(|f| view! {
                <p class="muted" data-testid="tile-forecast">
                    {format!("Forecast {} of {}", money(f.projected), money(f.hard))}
                    {match f.exhaustion {
                        Some(at) if f.spent < f.hard => format!(", runs out around {}", day(at)),
                        Some(_) => ", limit reached".to_owned(),
                        None => String::new(),
                    }}
                </p>
            })}
        </article>
    }
}
