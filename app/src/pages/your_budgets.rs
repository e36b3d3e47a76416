//! The dashboard's "Your budgets": every budget the viewer can see, with a bar per limit and its status,
//! refreshed by itself as usage arrives.

use crate::pages::budgets::{budgets, BudgetRow};
use crate::pages::overview::{money, thousands};
use leptos::either::Either;
use leptos::prelude::*;
use rust_decimal::Decimal;

#[component]
pub fn YourBudgets() -> impl IntoView {
    let changes = crate::live::live_updates();
    let rows = Resource::new(move || changes.get(), |_| budgets());
    view! {
        <section class="card" id="your-budgets">
            <h2>"Your budgets"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Err(e) => Either::Left(view! { <p class="notice error">{e.to_string()}</p> }),
                        Ok(rows) => {
                            let enabled: Vec<BudgetRow> = rows.into_iter().filter(|r| r.budget.state == "enabled").collect();
                            Either::Right(if enabled.is_empty() {
                                Either::Left(view! { <p class="muted">"No budgets you can see yet."</p> })
                            } else {
                                Either::Right(view! {
                                    <div class="budget-tiles">
                                        {enabled.into_iter().map(|row| view! { <BudgetTile row/> }).collect_view()}
                                    </div>
                                })
                            })
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BudgetTile(row: BudgetRow) -> impl IntoView {
    let b = row.budget;
    view! {
        <article class="budget-tile" data-budget=b.input.name.clone()>
            <div class="limit-head">
                <a href=format!("/budgets/{}", b.id)><strong>{b.input.name.clone()}</strong></a>
                <span class=format!("badge {}", row.status)>{row.status.replace('_', " ")}</span>
            </div>
            <p class="muted">{format!("{} · {} · until {}", b.input.scope, b.input.period.as_str(), row.window_end.format("%Y-%m-%d"))}</p>
            {row.usage.into_iter().map(|u| {
                let figure = |d: Decimal| if u.limit_type == "cost" {
                    money(d)
                } else {
                    thousands(i64::try_from(d.trunc()).unwrap_or(i64::MAX))
                };
                let pct = u.percent_used.min(Decimal::ONE_HUNDRED);
                view! {
                    <div class="limit" data-limit=u.limit_type.clone()>
                        <span>{format!("{}: {} of {} ({}%)", u.limit_type, figure(u.spent + u.reserved), figure(u.allowance), u.percent_used)}</span>
                        <div class=format!("bar {}", u.status) role="progressbar" aria-valuemin="0" aria-valuemax="100"
                            aria-valuenow=pct.to_string() aria-label=format!("{} used", u.limit_type)>
                            <span style=format!("width:{pct}%")></span>
                        </div>
                    </div>
                }
            }).collect_view()}
        </article>
    }
}
