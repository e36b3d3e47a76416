//! Budgets the viewer may see, with their state; leads and admins change the ones they manage.

use crate::auth::Role;
use crate::components::{outcome, refused};
use crate::errors::AppError;
use crate::models::BudgetRow;
use crate::models::{BudgetInput, BudgetView};
use crate::pages::ask_more::AskForMore;
use crate::pages::budget_filters::{BudgetFilters, FilterBar};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "budgets")]
pub async fn budgets() -> Result<Vec<BudgetRow>, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let org = crate::backend::services::organizations::organization(&state.db, me.org_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(crate::backend::services::budget_list::listed_rows(&state.db, &me, &org, state.clock.now()).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_budget", input = Json)]
pub async fn update_budget(budget_id: Uuid, input: BudgetInput) -> Result<BudgetView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::access::Acting;
        use crate::backend::services::budget_changes::{edit_budget, BudgetEdit, EditMode};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let edit = BudgetEdit::Whole(Box::new(input));
        Ok(edit_budget(&state, Acting::Person(&me), budget_id, edit, EditMode::Save).await?.after)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_budget_state")]
pub async fn set_budget_state(budget_id: Uuid, state: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{access::Acting, budget_changes};
        let me = crate::auth::current_account()?;
        let app = crate::state::app_state().map_err(AppError::internal)?;
        budget_changes::set_budget_state(&app, Acting::Person(&me), budget_id, &state).await?;
        Ok(())
    })
    .await
}

/// Deletes a budget without history, or archives one with history (its figures stay for reports).
#[server(prefix = "/rpc", endpoint = "delete_budget")]
pub async fn delete_budget(budget_id: Uuid) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{access::Acting, budget_changes::remove_budget, budgets::Removal};
        let me = crate::auth::current_account()?;
        let app = crate::state::app_state().map_err(AppError::internal)?;
        let (name, removal) = remove_budget(&app, Acting::Person(&me), budget_id).await?;
        // Back to the list, which confirms what happened (the budget page is gone or archived).
        leptos_axum::redirect(match removal {
            Removal::Deleted => "/budgets?removed=deleted",
            Removal::Archived => "/budgets?removed=archived",
        });
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
    let me = expect_context::<crate::components::AccountResource>();
    let removed = move || match query.read().get("removed").as_deref() {
        Some("deleted") => Some("The budget is deleted."),
        Some("archived") => {
            Some("The budget had history, so it is archived instead: it no longer applies, and its figures stay.")
        }
        _ => None,
    };
    view! {
        <Title text="Budgets · Tollgate"/>
        {move || removed().map(|said| view! { <p class="notice" role="status">{said}</p> })}
        {outcome(move || set_state.value().get(), |_| "Budget saved.".to_owned())}
        <Transition fallback=|| view! { <h1>"Budgets"</h1> <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                // Only people who can create a budget (leads and admins) are offered to.
                let may_create = me.await.ok().flatten().is_some_and(|a| a.has(Role::Admin) || a.has(Role::Lead));
                let head = view! {
                    <div class="section-head">
                        <h1>"Budgets"</h1>
                        {may_create.then(|| view! { <a class="button primary" href="/budgets/new">"New budget"</a> })}
                    </div>
                };
                let body = match list.await {
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
                            <table class="cards">
                                <thead><tr>
                                    <th scope="col">"Budget"</th><th scope="col">"This window"</th><th scope="col">"Scope"</th>
                                    <th scope="col">"Period"</th><th scope="col">"State"</th><th scope="col"><span class="visually-hidden">"Action"</span></th>
                                </tr></thead>
                                <tbody>{shown.into_iter().map(|row| view! { <BudgetLine row set_state/> }).collect_view()}</tbody>
                            </table>
                        </section>
                        <AskForMore budgets=rows.iter().map(|r| (r.budget.id, r.budget.input.name.clone())).collect() ask/>
                        }
                    })),
                };
                view! { {head} {body} }
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
            <th scope="row"><a href=format!("/budgets/{}", b.id)>{b.input.name.clone()}</a></th>
            <td class="usage" data-label="This window">
                <span class=format!("badge {}", row.status)>{row.status.replace('_', " ")}</span>
                {row.usage.iter().map(|u| {
                    let figure = |d: rust_decimal::Decimal| if u.limit_type == "cost" {
                        crate::components::money(d)
                    } else {
                        crate::components::thousands(i64::try_from(d.trunc()).unwrap_or(i64::MAX))
                    };
                    view! {
                        <div data-limit=u.limit_type.clone()>
                            {format!("{}: {} of {} ({}%)", u.limit_type, figure(u.spent + u.reserved), figure(u.allowance), crate::components::percent(u.percent_used))}
                        </div>
                    }
                }).collect_view()}
            </td>
            <td data-label="Scope">{b.input.scope.to_string()} {b.input.category.clone().map(|c| format!(" · {c}"))}</td>
            <td data-label="Period">{b.input.period.as_str()}</td>
            <td data-label="State"><span class=format!("badge {}", b.state)>{b.state.clone()}</span></td>
            <td class="action">
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
