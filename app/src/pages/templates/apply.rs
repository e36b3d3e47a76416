//! Applying a template to many scopes: choose them, preview the budgets, then create them all at once.

use crate::components::{outcome, refused};
use crate::errors::AppError;
use crate::models::{PlannedBudget, TemplateView};
use crate::pages::wizard::draft::WizardContext;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::params::ParamsMap;
use serde::{Deserialize, Serialize};

/// The scopes of a comma-separated list of targets ("organization", "team:<id>", …).
#[cfg(feature = "ssr")]
fn scopes(me: &crate::auth::Account, targets: &str) -> Result<Vec<(tollgate_domain::ScopeKind, uuid::Uuid)>, AppError> {
    use crate::pages::wizard::draft::parse_target;
    targets
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|target| {
            let (kind, id) =
                parse_target(target).ok_or_else(|| AppError::Invalid(format!("'{target}' is not a scope")))?;
            Ok((kind, id.unwrap_or(me.org_id)))
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn chosen_category(category: &str) -> Option<String> {
    Some(category.trim().to_owned()).filter(|c| !c.is_empty())
}

/// The budgets applying the template would create; nothing is written.
#[server(prefix = "/rpc", endpoint = "plan_template")]
pub async fn plan_template(
    template: String,
    targets: String,
    category: String,
) -> Result<Vec<PlannedBudget>, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let scopes = scopes(&me, &targets)?;
        Ok(crate::backend::services::templates::preview(&state.db, &me, &template, &scopes, chosen_category(&category))
            .await?)
    })
    .await
}

/// How many budgets applying a template made, or found made by an earlier press of the same form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub count: usize,
    pub repeated: bool,
}

/// Creates every previewed budget in one transaction: all of them or none, once per preview
/// (`request`, its one-time key).
#[server(prefix = "/rpc", endpoint = "apply_template")]
pub async fn apply_template(
    template: String,
    targets: String,
    category: String,
    request: Option<String>,
) -> Result<Applied, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::budget_creation::{create_from_template, RequestKey};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let scopes = scopes(&me, &targets)?;
        let once = request.as_deref().filter(|r| !r.is_empty()).map(RequestKey::parse).transpose()?;
        let category = chosen_category(&category);
        let created = create_from_template(&state, &me, &template, &scopes, category, once.as_ref()).await?;
        Ok(Applied { count: created.budgets.len(), repeated: created.repeated })
    })
    .await
}

pub type PreviewResource = Resource<Result<Vec<PlannedBudget>, AppError>>;

/// The preview of `?apply=<template>&scope=…&category=…`: nothing until a template and a scope are
/// chosen. Created with the page's other resources, never below an async boundary (see `OverviewPage`).
pub fn preview(query: Memo<ParamsMap>) -> PreviewResource {
    Resource::new(
        move || {
            let q = query.read();
            (q.get("apply"), q.get_all("scope").unwrap_or_default().join(","), q.get("category").unwrap_or_default())
        },
        |(template, targets, category)| async move {
            match template {
                Some(template) if !targets.is_empty() => plan_template(template, targets, category).await,
                _ => Ok(Vec::new()),
            }
        },
    )
}

#[component]
pub fn ApplySection(
    template: TemplateView,
    ctx: WizardContext,
    chosen: Vec<String>,
    category: String,
    request: String,
    preview: PreviewResource,
    applied: ServerAction<ApplyTemplate>,
) -> impl IntoView {
    let targets = chosen.join(",");
    let title = format!("Apply “{}”", template.name);
    let apply_id = template.id.clone();
    let current_category = category.clone();
    let for_preview = (template.id.clone(), targets.clone(), category.clone(), request.clone());
    view! {
        <section class="card" id="apply">
            <h2>{title}</h2>
            <Form method="GET" action="/templates">
                <input type="hidden" name="apply" value=apply_id/>
                <input type="hidden" name="request" value=request/>
                <fieldset class="choices">
                    <legend>"To these scopes"</legend>
                    {ctx.targets.iter().map(|(value, label)| view! {
                        <label class="check">
                            <input type="checkbox" name="scope" value=value.clone() checked=chosen.contains(value)/>
                            {label.clone()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label>"Category"
                    <select name="category">
                        <option value="">"All categories"</option>
                        {ctx.categories.iter().map(|c| view! { <option value=c.clone() selected=*c == current_category>{c.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Preview"</button>
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let (template, targets, category, request) = for_preview.clone();
                    Suspend::new(async move {
                        match preview.await {
                            Err(e) => Either::Left(refused(e)),
                            Ok(plan) if plan.is_empty() => Either::Right(Either::Left(view! { <p class="muted">"Choose scopes and preview the budgets before creating them."</p> })),
                            Ok(plan) => Either::Right(Either::Right(view! { <Preview plan template targets category request applied/> })),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn Preview(
    plan: Vec<PlannedBudget>,
    template: String,
    targets: String,
    category: String,
    request: String,
    applied: ServerAction<ApplyTemplate>,
) -> impl IntoView {
    let count = plan.len();
    let done = move || matches!(applied.value().get(), Some(Ok(_)));
    view! {
        <h3>"Preview"</h3>
        <table data-testid="template-preview">
            <thead><tr><th>"Budget"</th><th>"Period"</th><th>"Cost (soft / hard)"</th><th>"Enforcement"</th><th>"Thresholds"</th><th>"Notifies"</th></tr></thead>
            <tbody>
                {plan.into_iter().map(|p| {
                    let b = p.input;
                    view! {
                        <tr>
                            <td>{b.name.clone()}</td>
                            <td>{b.period.as_str()}</td>
                            <td>{format!("{} / {}", b.cost_soft.map(|d| d.to_string()).unwrap_or_else(|| "–".into()), b.cost_hard.map(|d| d.to_string()).unwrap_or_else(|| "–".into()))}</td>
                            <td>{format!("{} · {} min grace", b.enforcement.as_str().replace('_', " "), b.grace_minutes)}</td>
                            <td>{b.thresholds.iter().map(|t| format!("{t}%")).collect::<Vec<_>>().join(", ")}</td>
                            <td>{p.recipients.join(", ")}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <ActionForm action=applied>
            <input type="hidden" name="template" value=template/>
            <input type="hidden" name="targets" value=targets/>
            <input type="hidden" name="category" value=category/>
            <input type="hidden" name="request" value=request/>
            <button type="submit" class="primary" disabled=done>{format!("Create {}", budgets(count))}</button>
        </ActionForm>
        {outcome(move || applied.value().get(), |applied: &Applied| if applied.repeated {
            format!("This preview created {} already; nothing new was created. They are on the Budgets page.", budgets(applied.count))
        } else {
            format!("Created {}. They are on the Budgets page.", budgets(applied.count))
        })}
    }
}

fn budgets(count: usize) -> String {
    if count == 1 {
        "1 budget".to_owned()
    } else {
        format!("{count} budgets")
    }
}
