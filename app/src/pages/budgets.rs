//! Budgets the viewer may see, with their state; leads and admins change the ones they manage.

use crate::components::{outcome, refused};
use crate::errors::AppError;
use crate::models::{BudgetInput, BudgetView, LimitUsage};
use crate::pages::budget_filters::{BudgetFilters, FilterBar};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRow {
    pub budget: BudgetView,
    pub may_manage: bool,
    /// within_budget, approaching_limit or over_budget, in the current window
    pub status: String,
    pub usage: Vec<LimitUsage>,
    pub window_start: chrono::DateTime<chrono::Utc>,
    pub window_end: chrono::DateTime<chrono::Utc>,
}

#[server(prefix = "/rpc", endpoint = "budgets")]
pub async fn budgets() -> Result<Vec<BudgetRow>, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let org = crate::backend::services::organizations::organization(&state.db, me.org_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let listed =
            crate::backend::services::budget_list::visible_budgets(&state.db, &me, &org, state.clock.now()).await?;
        Ok(listed.into_iter().map(|l| row_of(l.view, l.report, l.may_manage)).collect())
    })
    .await
}

/// A budget with its state in the current window, as lists and the budget page show it.
#[cfg(feature = "ssr")]
pub async fn budget_row(
    db: &sea_orm::DatabaseConnection,
    me: &crate::auth::Account,
    org: &crate::backend::entities::organization::Model,
    row: crate::backend::entities::budget::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<BudgetRow, AppError> {
    use crate::backend::services::{access, budgets};
    let may_manage = access::may_manage(db, me, &row).await?;
    let report = crate::backend::engine::current_report(db, row.clone(), &org.timezone, now).await?;
    Ok(row_of(budgets::view(db, row).await?, report, may_manage))
}

#[cfg(feature = "ssr")]
fn row_of(budget: BudgetView, report: crate::backend::engine::BudgetReport, may_manage: bool) -> BudgetRow {
    let usage = report
        .limits
        .iter()
        .map(|l| LimitUsage {
            limit_type: l.limit_type.to_string(),
            spent: l.spent,
            reserved: l.reserved,
            allowance: l.hard + l.overrides,
            percent_used: l.percent_used,
            status: l.status.as_str().to_owned(),
        })
        .collect();
    BudgetRow {
        budget,
        may_manage,
        status: report.status.as_str().to_owned(),
        usage,
        window_start: report.window_start,
        window_end: report.window_end,
    }
}

/// The budget with this id, if the current account may manage it (its current and its new scope).
#[cfg(feature = "ssr")]
pub async fn managed_budget(
    db: &impl sea_orm::ConnectionTrait,
    budget_id: Uuid,
) -> Result<(crate::auth::Account, crate::backend::entities::budget::Model), AppError> {
    let me = crate::auth::current_account()?;
    let found = crate::backend::services::budgets::find(db, me.org_id, budget_id)
        .await?
        .ok_or_else(|| AppError::NotFound("that budget".into()))?;
    let kind = found.scope_kind.parse().map_err(AppError::internal)?;
    crate::backend::services::access::ensure_may_manage(db, &me, kind, found.scope_id).await?;
    Ok((me, found))
}

#[server(prefix = "/rpc", endpoint = "update_budget", input = Json)]
pub async fn update_budget(budget_id: Uuid, input: BudgetInput) -> Result<BudgetView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::engine::begin_write;
        use crate::backend::services::{access, budgets, organizations};
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let txn = begin_write(&state.db).await?;
        let (me, current) = managed_budget(&txn, budget_id).await?;
        let target_scope = match input.scope {
            tollgate_domain::ScopeKind::Organization => me.org_id,
            _ => input.scope_id.ok_or_else(|| AppError::Invalid("scope_id is required for this scope".into()))?,
        };
        access::ensure_may_manage(&txn, &me, input.scope, target_scope).await?;
        let org = organizations::organization(&txn, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        let updated = budgets::update(&txn, &org, current, &input, &me.email, state.clock.now()).await?;
        let view = budgets::view(&txn, updated).await?;
        txn.commit().await?;
        Ok(view)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_budget_state")]
pub async fn set_budget_state(budget_id: Uuid, state: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::engine::begin_write;
        use crate::backend::services::budgets;
        let app = crate::state::app_state().map_err(AppError::internal)?;
        let txn = begin_write(&app.db).await?;
        let (me, current) = managed_budget(&txn, budget_id).await?;
        budgets::set_state(&txn, me.org_id, current, &state, &me.email, app.clock.now()).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Deletes a budget without history, or archives one with history (its figures stay for reports).
#[server(prefix = "/rpc", endpoint = "delete_budget")]
pub async fn delete_budget(budget_id: Uuid) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::engine::begin_write;
        use crate::backend::services::budgets::{self, Removal};
        let app = crate::state::app_state().map_err(AppError::internal)?;
        let txn = begin_write(&app.db).await?;
        let (me, current) = managed_budget(&txn, budget_id).await?;
        let name = current.name.clone();
        let removal = budgets::delete_or_archive(&txn, me.org_id, current, &me.email, app.clock.now()).await?;
        txn.commit().await?;
        Ok(match removal {
            Removal::Deleted => format!("{name} is deleted."),
            Removal::Archived => {
                format!("{name} has history, so it is archived instead: it no longer applies, and its figures stay.")
            }
        })
    })
    .await
}

#[component]
pub fn BudgetsPage() -> impl IntoView {
    let set_state = ServerAction::<SetBudgetState>::new();
    let ask = ServerAction::<crate::pages::approvals::RequestBudget>::new();
    let query = leptos_router::hooks::use_query_map();
    let list = Resource::new(move || (set_state.version().get(), query.get()), |_| budgets());
    view! {
        <Title text="Budgets · Tollgate"/>
        <div class="section-head">
            <h1>"Budgets"</h1>
            <a class="button primary" href="/budgets/new">"New budget"</a>
        </div>
        {outcome(move || set_state.value().get(), |_| "Budget saved.".to_owned())}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(rows) if rows.is_empty() => Either::Right(Either::Left(view! {
                        <section class="card"><p>"No budgets you can see yet."</p></section>
                    })),
                    Ok(rows) => Either::Right(Either::Right({
                        let filters = BudgetFilters::from_query(&query.read_untracked());
                        let mut categories: Vec<String> =
                            rows.iter().map(|r| r.budget.input.category.clone().unwrap_or_else(|| "all".into())).collect();
                        categories.sort();
                        categories.dedup();
                        let shown = filters.apply(rows.clone());
                        view! {
                        <section class="card">
                            <FilterBar filters categories/>
                            <p class="muted" data-testid="budget-count">{format!("{} of {} budgets", shown.len(), rows.len())}</p>
                            <table>
                                <thead><tr><th>"Budget"</th><th>"Scope"</th><th>"Period"</th><th>"This window"</th><th>"State"</th><th></th></tr></thead>
                                <tbody>{shown.into_iter().map(|row| view! { <BudgetLine row set_state/> }).collect_view()}</tbody>
                            </table>
                        </section>
                        <AskForMore rows ask/>
                        }
                    })),
                }
            })}
        </Transition>
    }
}

#[component]
fn BudgetLine(row: BudgetRow, set_state: ServerAction<SetBudgetState>) -> impl IntoView {
    let b = row.budget;
    let next = if b.state == "enabled" { "disabled" } else { "enabled" };
    let label = if b.state == "enabled" { "Disable" } else { "Enable" };
    view! {
        <tr data-budget=b.input.name.clone()>
            <td><a href=format!("/budgets/{}", b.id)>{b.input.name.clone()}</a></td>
            <td>{b.input.scope.to_string()} {b.input.category.clone().map(|c| format!(" · {c}"))}</td>
            <td>{b.input.period.as_str()}</td>
            <td class="usage">
                <span class=format!("badge {}", row.status)>{row.status.replace('_', " ")}</span>
                {row.usage.iter().map(|u| {
                    let figure = |d: rust_decimal::Decimal| if u.limit_type == "cost" {
                        crate::pages::overview::money(d)
                    } else {
                        crate::pages::overview::thousands(i64::try_from(d.trunc()).unwrap_or(i64::MAX))
                    };
                    view! {
                        <div data-limit=u.limit_type.clone()>
                            {format!("{}: {} of {} ({}%)", u.limit_type, figure(u.spent + u.reserved), figure(u.allowance), u.percent_used)}
                        </div>
                    }
                }).collect_view()}
            </td>
            <td><span class=format!("badge {}", b.state)>{b.state.clone()}</span></td>
            <td>
                {row.may_manage.then(|| view! {
                    <ActionForm action=set_state attr:class="inline">
                        <input type="hidden" name="budget_id" value=b.id.to_string()/>
                        <input type="hidden" name="state" value=next/>
                        <button type="submit">{label}</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

/// Asks an approver for a temporary override or a permanent increase of one of these budgets.
#[component]
fn AskForMore(rows: Vec<BudgetRow>, ask: ServerAction<crate::pages::approvals::RequestBudget>) -> impl IntoView {
    view! {
        <section class="card narrow">
            <h2>"Ask for more"</h2>
            <p class="muted">"An approver decides; you see the answer under " <a href="/requests">"Requests"</a> "."</p>
            <ActionForm action=ask>
                <label>"Budget"
                    <select name="budget_id">
                        {rows.into_iter().map(|r| view! { <option value=r.budget.id.to_string()>{r.budget.input.name}</option> }).collect_view()}
                    </select>
                </label>
                <label>"What"
                    <select name="kind">
                        <option value="override">"a temporary override"</option>
                        <option value="increase">"a permanent increase of the hard level"</option>
                        <option value="increase_next">"a permanent increase from the next window"</option>
                    </select>
                </label>
                <div class="inline-fields">
                    <label>"Cost" <input name="cost" inputmode="decimal"/></label>
                    <label>"Tokens" <input name="tokens" inputmode="numeric"/></label>
                    <label>"Operations" <input name="operations" inputmode="numeric"/></label>
                    <label>"For how many days (override)" <input name="days" inputmode="numeric" value="7"/></label>
                </div>
                <label>"Reason" <input name="reason" required/></label>
                <button type="submit" class="primary">"Send request"</button>
            </ActionForm>
            {outcome(move || ask.value().get(), |_| "Request sent to the approvers.".to_owned())}
        </section>
    }
}
