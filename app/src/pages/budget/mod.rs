//! One budget's page: this window per limit, the forecast, alert settings, moving allowance and its history.

mod alerts;
mod edit;
mod history;
mod reallocate;
mod window;

use crate::components::refused;
use crate::errors::AppError;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

pub use alerts::{AddRecipient, RemoveRecipient, SetAlertRules};
pub use edit::EditBudget;
pub use reallocate::{ReallocateAllowance, SetReallocationRule};
pub use window::ForecastView;

pub use crate::models::{BudgetDetailView, InheritedPreference};

#[server(prefix = "/rpc", endpoint = "budget_detail")]
pub async fn budget_detail(budget_id: Uuid) -> Result<BudgetDetailView, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        Ok(crate::backend::services::budget_page::detail(&state, &me, budget_id).await?)
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
    let as_template = ServerAction::<crate::pages::templates::SaveBudgetAsTemplate>::new();
    let ask = ServerAction::<crate::pages::approvals::RequestBudget>::new();
    let live_window = window::follow_live(id);
    // A reload after a change brings newer figures than the last live ones.
    Effect::new(move |_| {
        moved.version().track();
        edit.version().track();
        rule.version().track();
        live_window.set(None);
    });
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
                        <p class="actions">
                            <a class="button" href="#ask" rel="external">"Ask for more"</a>
                            <a class="button" href=format!("/reports/what-if?budget={}", d.row.budget.id)>"What if… (replay the last window)"</a>
                        </p>
                        <window::WindowSection initial=d.window.clone() live=live_window/>
                        <crate::pages::ask_more::AskForMore budgets=vec![(d.row.budget.id, d.row.budget.input.name.clone())] ask/>
                        <alerts::AlertsSection budget_id=d.row.budget.id settings=d.alerts.clone() add remove rules/>
                        <reallocate::ReallocateSection budget_id=d.row.budget.id options=d.reallocation.clone() moved rule/>
                        <history::HistorySection entries=d.history.clone()/>
                        <Inherited entries=d.inherited.clone()/>
                        {d.row.may_manage.then(|| view! { <edit::EditSection budget=d.row.budget.clone() edit/> })}
                        {d.row.may_manage.then(|| view! { <SaveAsTemplate budget_id=d.row.budget.id as_template/> })}
                        {d.row.may_manage.then(|| view! { <RemoveBudget budget_id=d.row.budget.id removed/> })}
                    }),
                }
            })}
        </Transition>
    }
}

/// Which preferences the budget's scope resolves to, and from which level.
#[component]
fn Inherited(entries: Vec<InheritedPreference>) -> impl IntoView {
    view! {
        <section class="card" id="inherited">
            <h2>"Inherited preferences"</h2>
            <p class="muted">"What new budgets for this scope start from; change them under " <a href="/preferences">"Preferences"</a> "."</p>
            <table class="compact">
                <tbody>
                    {entries.into_iter().map(|p| view! {
                        <tr><th scope="row">{p.label}</th><td>{p.value}</td><td><span class="badge source">{p.source}</span></td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn SaveAsTemplate(
    budget_id: Uuid,
    as_template: ServerAction<crate::pages::templates::SaveBudgetAsTemplate>,
) -> impl IntoView {
    view! {
        <section class="card narrow" id="save-template">
            <h2>"Save as template"</h2>
            <p class="muted">"Keeps this budget's period, limits, enforcement and thresholds to apply to other scopes."</p>
            <leptos::form::ActionForm action=as_template>
                <input type="hidden" name="budget_id" value=budget_id.to_string()/>
                <label>"Template name" <input name="name" required/></label>
                <label>"Description" <input name="description"/></label>
                <button type="submit">"Save template"</button>
            </leptos::form::ActionForm>
            {crate::components::outcome(move || as_template.value().get(), |said: &String| said.clone())}
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
