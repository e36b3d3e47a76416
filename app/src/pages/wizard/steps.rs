//! The wizard's steps as form fields (each with its problem next to it) and the review that creates the budget.

use super::draft::{Draft, WizardContext, STEPS};
use super::CreateFromWizard;
use crate::components::outcome;
use leptos::form::ActionForm;
use leptos::prelude::*;
use tollgate_domain::Period;

type Errors<'a> = &'a [(&'static str, String)];

fn problem(errors: Errors, field: &str) -> Option<String> {
    let found: Vec<&str> = errors.iter().filter(|(f, _)| *f == field).map(|(_, m)| m.as_str()).collect();
    (!found.is_empty()).then(|| found.join("; "))
}

/// A labelled text input with its hint and, when it has one, its problem.
fn field(name: &'static str, label: &'static str, value: String, hint: &'static str, errors: Errors) -> impl IntoView {
    let problem = problem(errors, name);
    let invalid = problem.is_some();
    let described = format!("{name}-note");
    view! {
        <label class=if invalid { "invalid" } else { "" }>{label}
            <input name=name value=value aria-invalid=invalid.then_some("true") aria-describedby=described.clone()/>
            <span class="muted small" id=described>{hint}</span>
            {problem.map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
        </label>
    }
}

pub fn scope(draft: &Draft, ctx: &WizardContext, errors: Errors) -> impl IntoView {
    let target = draft.value("target", ctx);
    let category = draft.given("category").unwrap_or_default().to_owned();
    let target_problem = problem(errors, "target");
    let invalid = target_problem.is_some();
    view! {
        <label class=if invalid { "invalid" } else { "" }>"Scope"
            <select name="target" required>
                <option value="">"Choose who this budget is for"</option>
                {ctx.targets.iter().map(|(value, label)| view! {
                    <option value=value.clone() selected=*value == target>{label.clone()}</option>
                }).collect_view()}
            </select>
            {target_problem.map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
        </label>
        <label>"Category"
            <select name="category">
                <option value="">"All categories"</option>
                {ctx.categories.iter().map(|c| view! { <option value=c.clone() selected=*c == category>{c.clone()}</option> }).collect_view()}
            </select>
        </label>
        {field("name", "Name", draft.given("name").unwrap_or_default().to_owned(), "Optional: made from the scope and category when left empty.", errors)}
    }
}

pub fn template(draft: &Draft, ctx: &WizardContext) -> impl IntoView {
    let chosen = draft.value("template", ctx);
    view! {
        <fieldset class="choices">
            <legend>"Start from"</legend>
            <label class="choice">
                <input type="radio" name="template" value="custom" checked=chosen == "custom"/>
                <strong>"Custom"</strong>
                <span class="muted">"Enter the limits yourself; alerts and enforcement start from your preferences."</span>
            </label>
            {ctx.templates.iter().map(|t| view! {
                <label class="choice">
                    <input type="radio" name="template" value=t.id.clone() checked=chosen == t.id/>
                    <strong>{t.name.clone()}</strong>
                    <span class="muted">{if t.description.is_empty() { t.summary() } else { format!("{} ({})", t.description, t.summary()) }}</span>
                </label>
            }).collect_view()}
        </fieldset>
    }
}

pub fn limits(draft: &Draft, ctx: &WizardContext, errors: Errors) -> impl IntoView {
    let period = draft.value("period", ctx);
    let v = |f: &str| draft.value(f, ctx);
    let currency = ctx.defaults.currency.clone();
    view! {
        <label>"Period"
            <select name="period">
                {Period::ALL.into_iter().map(|p| view! { <option value=p.as_str() selected=p.as_str() == period>{p.as_str()}</option> }).collect_view()}
            </select>
        </label>
        <p class="muted">{format!("Amounts are in {currency}, the organization's currency. Leave a limit empty to not limit it; set at least one hard level.")}</p>
        <div class="inline-fields">
            {field("cost_soft", "Cost: soft (warning)", v("cost_soft"), "", errors)}
            {field("cost_hard", "Cost: hard (enforced)", v("cost_hard"), "", errors)}
            {field("tokens_soft", "Tokens: soft", v("tokens_soft"), "", errors)}
            {field("tokens_hard", "Tokens: hard", v("tokens_hard"), "", errors)}
            {field("operations_soft", "Operations: soft", v("operations_soft"), "", errors)}
            {field("operations_hard", "Operations: hard", v("operations_hard"), "", errors)}
        </div>
    }
}

pub fn alerts(draft: &Draft, ctx: &WizardContext, errors: Errors) -> impl IntoView {
    let notify = draft.value("notify", ctx);
    let ticked = |who: &str| notify.split(',').any(|n| n.trim() == who);
    let v = |f: &str| draft.value(f, ctx);
    view! {
        {field("thresholds", "Alert at (% of the hard level)", v("thresholds"), "Comma separated, e.g. 50, 75, 90.", errors)}
        <fieldset class="choices">
            <legend>"Notify in the inbox and by email"</legend>
            // An empty value keeps "nobody ticked" distinct from "not answered yet" (then the preference applies).
            <input type="hidden" name="notify" value=""/>
            <label class="check"><input type="checkbox" name="notify" value="me" checked=ticked("me")/> "Me"</label>
            <label class="check"><input type="checkbox" name="notify" value="leads" checked=ticked("leads")/> "The scope's team leads"</label>
            <label class="check"><input type="checkbox" name="notify" value="approvers" checked=ticked("approvers")/> "Approvers"</label>
            {problem(errors, "notify").map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
        </fieldset>
        {field("emails", "Other email addresses", v("emails"), "Comma separated.", errors)}
        {field("slack", "Slack incoming webhook URL", v("slack"), "Optional.", errors)}
        {field("webhook", "Webhook URL", v("webhook"), "Optional; deliveries are signed with a secret shown on the budget page.", errors)}
        <div class="inline-fields">
            {field("escalate_after", "Escalate after (minutes)", v("escalate_after"), "Unacknowledged alerts go to the approvers.", errors)}
            {field("escalate_from", "Escalate from (%)", v("escalate_from"), "Only alerts at or above this level.", errors)}
        </div>
    }
}

pub fn enforcement(draft: &Draft, ctx: &WizardContext, errors: Errors) -> impl IntoView {
    let mode = draft.value("enforcement", ctx);
    let v = |f: &str| draft.value(f, ctx);
    view! {
        <fieldset class="choices">
            <legend>"When the hard level is reached"</legend>
            <label class="choice">
                <input type="radio" name="enforcement" value="hard_stop" checked=mode == "hard_stop"/>
                <strong>"Hard stop"</strong> <span class="muted">"Deny further operations (after the grace period)."</span>
            </label>
            <label class="choice">
                <input type="radio" name="enforcement" value="soft_warning" checked=mode == "soft_warning"/>
                <strong>"Soft warning"</strong> <span class="muted">"Allow them and warn."</span>
            </label>
        </fieldset>
        <div class="inline-fields">
            {field("grace_minutes", "Grace minutes", v("grace_minutes"), "Still allowed, with a warning, after the hard level is first crossed.", errors)}
            {field("reserve_cost", "Emergency reserve (cost)", v("reserve_cost"), "Extra only critical operations may use.", errors)}
        </div>
    }
}

/// The last step: everything the budget will be, and the only button that saves.
#[component]
pub fn Review(draft: Draft, ctx: WizardContext, create: ServerAction<CreateFromWizard>) -> impl IntoView {
    let checked = draft.check(&ctx);
    let links = draft.clone();
    let edit = move |step: usize| links.step_href(step);
    let target_label = {
        let target = draft.value("target", &ctx);
        ctx.targets.iter().find(|(v, _)| *v == target).map(|(_, l)| l.clone()).unwrap_or_default()
    };
    let template_name = ctx
        .templates
        .iter()
        .find(|t| Some(t.id.as_str()) == draft.given("template"))
        .map_or("Custom".into(), |t| t.name.clone());
    let (input, alerts) = match checked {
        Ok(ok) => ok,
        Err(errors) => {
            return view! { <p class="notice error" role="alert">{errors.into_iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ")}</p> }.into_any();
        }
    };
    let level = |s: Option<String>, h: Option<String>| {
        h.map(|h| format!("{} soft / {h} hard", s.unwrap_or_else(|| "no".into())))
    };
    let rows: Vec<(&'static str, String, usize)> = vec![
        ("Name", input.name.clone(), 1),
        ("Scope", target_label, 1),
        ("Category", input.category.clone().unwrap_or_else(|| "all categories".into()), 1),
        ("Template", template_name, 2),
        ("Period", input.period.as_str().to_owned(), 3),
        (
            "Cost",
            level(
                input.cost_soft.map(|d| d.to_string()),
                input.cost_hard.map(|d| format!("{d} {}", ctx.defaults.currency)),
            )
            .unwrap_or_else(|| "not limited".into()),
            3,
        ),
        (
            "Tokens",
            level(input.tokens_soft.map(|d| d.to_string()), input.tokens_hard.map(|d| d.to_string()))
                .unwrap_or_else(|| "not limited".into()),
            3,
        ),
        (
            "Operations",
            level(input.operations_soft.map(|d| d.to_string()), input.operations_hard.map(|d| d.to_string()))
                .unwrap_or_else(|| "not limited".into()),
            3,
        ),
        ("Alert thresholds", input.thresholds.iter().map(|t| format!("{t}%")).collect::<Vec<_>>().join(", "), 4),
        (
            "Notify",
            [
                alerts.notify.join(", "),
                alerts.emails.join(", "),
                alerts.slack.clone().map(|_| "Slack".into()).unwrap_or_default(),
                alerts.webhook.clone().map(|_| "webhook".into()).unwrap_or_default(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
            4,
        ),
        (
            "Enforcement",
            format!(
                "{}, {} grace minutes, emergency reserve {}",
                input.enforcement.as_str().replace('_', " "),
                input.grace_minutes,
                input.reserve_cost
            ),
            5,
        ),
    ];
    view! {
        <section class="card wizard">
            <super::StepHeading title=STEPS[5]/>
            <p class="muted">"Nothing is saved until you create the budget."</p>
            <table class="review">
                <tbody>
                    {rows.into_iter().map(|(what, value, step)| view! {
                        <tr><th scope="row">{what}</th><td data-review=what>{value}</td><td><a href=edit(step)>"Change"</a></td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <ActionForm action=create>
                {draft.fields().iter().map(|(k, v)| view! { <input type="hidden" name=format!("draft[{k}]") value=v.clone()/> }).collect_view()}
                <div class="wizard-nav">
                    <a class="button" href=edit(5)>"Back"</a>
                    <button type="submit" class="primary">"Create budget"</button>
                </div>
            </ActionForm>
            {outcome(move || create.value().get(), |_| "Budget created.".to_owned())}
        </section>
    }
    .into_any()
}
