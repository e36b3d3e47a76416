//! One budget's page: this window per limit, the forecast, alert settings, moving allowance and its history.

mod alerts;
mod edit;
mod history;
mod reallocate;

use crate::components::refused;
use crate::errors::AppError;
use crate::pages::budgets::BudgetRow;
use crate::pages::overview::{money, thousands};
use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use alerts::{AddRecipient, RemoveRecipient, SetAlertRules};
pub use edit::EditBudget;
pub use reallocate::{ReallocateAllowance, SetReallocationRule};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastView {
    pub spent: Decimal,
    pub hard: Decimal,
    pub projected: Decimal,
    pub exhaustion: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetDetailView {
    pub row: BudgetRow,
    pub forecast: Option<ForecastView>,
    pub alerts: alerts::AlertSettings,
    pub reallocation: reallocate::ReallocationOptions,
    pub history: Vec<history::HistoryEntry>,
}

#[server(prefix = "/rpc", endpoint = "budget_detail")]
pub async fn budget_detail(budget_id: Uuid) -> Result<BudgetDetailView, AppError> {
    crate::errors::respond(async move {
        use crate::services::{access, alerts::forecasts::cost_forecast, budgets, organizations};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let not_found = || AppError::NotFound("that budget".into());
        let model = budgets::find(&state.db, me.org_id, budget_id).await?.ok_or_else(not_found)?;
        if !access::may_see(&state.db, &me, &model).await? {
            return Err(not_found());
        }
        let org = organizations::organization(&state.db, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
        let now = state.clock.now();
        let forecast = cost_forecast(&state.db, &model, tz, now).await?.map(|(spent, hard, f, _)| ForecastView {
            spent,
            hard,
            projected: f.projected.round_dp(2),
            exhaustion: f.exhaustion,
        });
        let row = crate::pages::budgets::budget_row(&state.db, &me, &org, model.clone(), now).await?;
        let alerts = alerts::settings(&state.db, &model, row.may_manage).await?;
        let history = history::entries(&state.db, &model).await?;
        let reallocation = reallocate::options(&state.db, &me, &org, &model).await?;
        Ok(BudgetDetailView { row, forecast, alerts, reallocation, history })
    })
    .await
}

#[component]
pub fn BudgetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| Uuid::parse_str(&id).ok());
    let add = ServerAction::<AddRecipient>::new();
    let remove = ServerAction::<RemoveRecipient>::new();
    let rules = ServerAction::<SetAlertRules>::new();
    let moved = ServerAction::<ReallocateAllowance>::new();
    let rule = ServerAction::<SetReallocationRule>::new();
    let removed = ServerAction::<crate::pages::budgets::DeleteBudget>::new();
    let edit = ServerAction::<EditBudget>::new();
    let detail = Resource::new(
        move || {
            let versions = (add.version().get(), remove.version().get(), rules.version().get());
            // A review leaves the page (and the values typed into the form) as they are; a save reloads it.
            let saved =
                edit.value().get().and_then(Result::ok).filter(|o| o.saved).map(|_| edit.version().get_untracked());
            let more = (moved.version().get(), rule.version().get(), removed.version().get(), saved);
            (id(), versions, more)
        },
        |(id, ..)| async move {
            match id {
                Some(id) => budget_detail(id).await,
                None => Err(AppError::NotFound("that budget".into())),
            }
        },
    );
    view! {
        {crate::components::outcome(move || removed.value().get(), |said: &String| said.clone())}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(d) => Either::Right(view! {
                        <Title text=format!("{} · Tollgate", d.row.budget.input.name)/>
                        <p class="muted"><a href="/budgets">"Budgets"</a> " ›"</p>
                        <h1>{d.row.budget.input.name.clone()}</h1>
                        <ThisWindow row=d.row.clone() forecast=d.forecast.clone()/>
                        <alerts::AlertsSection budget_id=d.row.budget.id settings=d.alerts.clone() add remove rules/>
                        <reallocate::ReallocateSection budget_id=d.row.budget.id options=d.reallocation.clone() moved rule/>
                        <history::HistorySection entries=d.history.clone()/>
                        {d.row.may_manage.then(|| view! { <edit::EditSection budget=d.row.budget.clone() edit/> })}
                        {d.row.may_manage.then(|| view! { <RemoveBudget budget_id=d.row.budget.id removed/> })}
                    }),
                }
            })}
        </Transition>
    }
}

#[component]
fn ThisWindow(row: BudgetRow, forecast: Option<ForecastView>) -> impl IntoView {
    let b = &row.budget.input;
    let figure = |kind: &str, d: Decimal| {
        if kind == "cost" {
            money(d)
        } else {
            thousands(i64::try_from(d.trunc()).unwrap_or(i64::MAX))
        }
    };
    let window = format!("{} – {}", row.window_start.format("%Y-%m-%d"), row.window_end.format("%Y-%m-%d"));
    view! {
        <section class="card">
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
                            <span>{format!("{} spent · {} reserved · {} allowed · {}%",
                                figure(&u.limit_type, u.spent), figure(&u.limit_type, u.reserved),
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

/// Delete (no history) or archive (history is kept); a required checkbox is the confirmation.
#[component]
fn RemoveBudget(budget_id: Uuid, removed: ServerAction<crate::pages::budgets::DeleteBudget>) -> impl IntoView {
    view! {
        <section class="card danger" id="remove">
            <h2>"Delete this budget"</h2>
            <p class="muted">"A budget that never had usage, requests or alerts is deleted; one with history is archived: it stops applying and its figures stay for reports."</p>
            <leptos::form::ActionForm action=removed attr:class="inline">
                <input type="hidden" name="budget_id" value=budget_id.to_string()/>
                <label class="check"><input type="checkbox" required/> "I understand this cannot be undone"</label>
                <button type="submit">"Delete or archive"</button>
            </leptos::form::ActionForm>
        </section>
    }
}
