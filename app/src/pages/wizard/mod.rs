//! The budget setup wizard: six steps with back and next, defaults from the preferences, and a review before anything is saved.

pub mod create;
pub mod draft;
mod steps;

use crate::components::refused;
use crate::errors::AppError;
use draft::{step_of, Draft, STEPS};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

pub use create::CreateFromWizard;

/// The wizard's state lives in the URL, so every step is a plain GET form that works before
/// hydration, and back, reload and sharing a half-finished budget all work.
#[component]
pub fn NewBudgetPage() -> impl IntoView {
    let query = use_query_map();
    let context = Resource::new(move || query.read().get("target"), create::load_wizard);
    let create = ServerAction::<CreateFromWizard>::new();
    view! {
        <Title text="New budget · Tollgate"/>
        <p class="muted"><a href="/budgets">"Budgets"</a> " ›"</p>
        <h1>"New budget"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let ctx = match context.await {
                    Err(e) => return Either::Left(refused(e)),
                    Ok(ctx) => ctx,
                };
                if ctx.targets.is_empty() {
                    return Either::Left(refused(AppError::forbidden(
                        "creating budgets needs the lead role for a team, or the admin role",
                    )));
                }
                let params = query.get();
                let draft = Draft::from_pairs((&params).into_iter().map(|(k, v)| (k.as_ref(), v))).with_request(ctx.request);
                let asked: usize = query.read().get("step").and_then(|s| s.parse().ok()).unwrap_or(1).clamp(1, STEPS.len());
                // Earlier steps must be valid before a later one opens; the first one with a problem is shown again.
                let errors = draft.check(&ctx).err().unwrap_or_default();
                let blocking = errors.iter().map(|(f, _)| step_of(f)).filter(|s| *s < asked).min();
                let step = blocking.unwrap_or(asked);
                let shown: Vec<(&'static str, String)> =
                    if blocking.is_some() { errors.into_iter().filter(|(f, _)| step_of(f) == step).collect() } else { Vec::new() };
                Either::Right(view! {
                    <StepList current=step/>
                    {if step == STEPS.len() {
                        Either::Left(view! { <steps::Review draft=draft.clone() ctx=ctx.clone() create/> })
                    } else {
                        Either::Right(view! { <StepForm step draft=draft.clone() ctx=ctx.clone() errors=shown/> })
                    }}
                })
            })}
        </Transition>
    }
}

#[component]
fn StepList(current: usize) -> impl IntoView {
    view! {
        <ol class="steps" aria-label="Steps">
            {STEPS.iter().enumerate().map(|(i, title)| {
                let n = i + 1;
                let state = if n < current { "done" } else if n == current { "current" } else { "next" };
                view! {
                    <li class=state aria-current=(n == current).then_some("step")>{format!("{n}. {title}")}</li>
                }
            }).collect_view()}
        </ol>
    }
}

/// One step as a GET form: its own fields, the others carried along hidden, next and back.
#[component]
fn StepForm(
    step: usize,
    draft: Draft,
    ctx: draft::WizardContext,
    errors: Vec<(&'static str, String)>,
) -> impl IntoView {
    let hidden: Vec<(String, String)> =
        draft.fields().iter().filter(|(f, _)| step_of(f) != step).map(|(f, v)| (f.clone(), v.clone())).collect();
    let back = (step > 1).then(|| draft.step_href(step - 1));
    let body = match step {
        1 => steps::scope(&draft, &ctx, &errors).into_any(),
        2 => steps::template(&draft, &ctx).into_any(),
        3 => steps::limits(&draft, &ctx, &errors).into_any(),
        4 => steps::alerts(&draft, &ctx, &errors).into_any(),
        _ => steps::enforcement(&draft, &ctx, &errors).into_any(),
    };
    view! {
        <section class="card wizard">
            <StepHeading title=STEPS[step - 1]/>
            {(!errors.is_empty()).then(|| view! {
                <p class="notice error" role="alert">"Please correct the fields marked below."</p>
            })}
            <Form method="GET" action="/budgets/new">
                {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                <input type="hidden" name="step" value=(step + 1).to_string()/>
                {body}
                <div class="wizard-nav">
                    {back.map(|href| view! { <a class="button" href=href>"Back"</a> })}
                    <button type="submit" class="primary">"Next"</button>
                </div>
            </Form>
        </section>
    }
}

/// A step's heading. After moving to a step, focus lands here, so keyboard and screen-reader users
/// continue at the new step instead of the top of the page.
#[component]
fn StepHeading(title: &'static str) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H2>::new();
    let query = use_query_map();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            if query.read_untracked().get("step").is_some() {
                let _ = heading.focus();
            }
        }
    });
    view! { <h2 tabindex="-1" node_ref=heading>{title}</h2> }
}
