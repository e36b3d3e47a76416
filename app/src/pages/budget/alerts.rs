//! A budget's alert settings on its page: thresholds, escalation, recipients, and its recent alerts.

use crate::components::outcome;
use crate::components::time::instant;
use crate::errors::AppError;
pub use crate::models::AlertSettings;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
fn optional_number(field: &str, text: Option<String>) -> Result<Option<u32>, AppError> {
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .trim_end_matches('%')
            .parse()
            .map(Some)
            .map_err(|_| AppError::Invalid(format!("{field}: '{t}' is not a whole number"))),
    }
}

#[server(prefix = "/rpc", endpoint = "add_recipient")]
pub async fn add_recipient(
    budget_id: Uuid,
    kind: String,
    target: String,
    min_threshold: Option<String>,
) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{access::Acting, alerts::recipients::NewRecipient, budget_changes};
        let kind = kind.parse().map_err(AppError::Invalid)?;
        let min_threshold = optional_number("mute below", min_threshold)?;
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let new = NewRecipient { kind, target: &target, min_threshold };
        Ok(budget_changes::add_recipient(&state, Acting::Person(&me), budget_id, new).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "remove_recipient")]
pub async fn remove_recipient(budget_id: Uuid, recipient_id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{access::Acting, budget_changes};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        Ok(budget_changes::remove_recipient(&state, Acting::Person(&me), budget_id, recipient_id).await?)
    })
    .await
}

/// Thresholds ("50, 75, 90, 100") and escalation (after N minutes, from a threshold); audited as a budget change.
#[server(prefix = "/rpc", endpoint = "set_alert_rules")]
pub async fn set_alert_rules(
    budget_id: Uuid,
    thresholds: String,
    escalate_after_minutes: Option<String>,
    escalate_from: Option<String>,
) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::access::Acting;
        use crate::backend::services::budget_changes::{edit_budget, BudgetEdit, EditMode};
        let parsed = tollgate_domain::thresholds::parse_thresholds(&thresholds).map_err(AppError::Invalid)?;
        if parsed.is_empty() {
            return Err(AppError::Invalid("give at least one threshold, e.g. 50, 75, 90, 100".into()));
        }
        let after = optional_number("escalate after", escalate_after_minutes)?;
        if after.is_some_and(|m| !(1..=10_080).contains(&m)) {
            return Err(AppError::Invalid("escalate after 1 minute to 7 days (10080 minutes)".into()));
        }
        let from = optional_number("escalate from", escalate_from)?;
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let edit = BudgetEdit::Adjust(Box::new(move |input| {
            input.thresholds = parsed;
            input.escalate_after_minutes = after;
            input.escalate_from = from.or(after.map(|_| 90));
        }));
        edit_budget(&state, Acting::Person(&me), budget_id, edit, EditMode::Save).await?;
        Ok(())
    })
    .await
}

#[component]
pub fn AlertsSection(
    budget_id: Uuid,
    settings: AlertSettings,
    add: ServerAction<AddRecipient>,
    remove: ServerAction<RemoveRecipient>,
    rules: ServerAction<SetAlertRules>,
) -> impl IntoView {
    let manage = settings.may_manage;
    let id = budget_id.to_string();
    view! {
        <section class="card" id="alerts">
            <h2>"Alerts"</h2>
            <p>{format!("Thresholds: {} % of each hard level, once per window.", settings.thresholds)}</p>
            <p class="muted">{match settings.escalate_after_minutes {
                Some(m) => format!("Alerts from {} % that nobody acknowledges within {m} minutes go to the team's leads, then to the admins.", settings.escalate_from.unwrap_or(90)),
                None => "No escalation.".to_owned(),
            }}</p>
            <h3>"Recipients"</h3>
            {if settings.recipients.is_empty() {
                Either::Left(view! { <p class="muted">"None chosen: alerts go to the leads of the budget's team (the admins for the organization's budgets)."</p> })
            } else {
                Either::Right(view! {
                    <ul class="recipients">
                        {settings.recipients.iter().cloned().map(|r| {
                            let id = id.clone();
                            view! {
                                <li data-recipient=r.kind.clone()>
                                    <span class="badge">{r.kind.clone()}</span> " " {r.target.clone()}
                                    {r.min_threshold.map(|t| format!(" · from {t} %"))}
                                    {r.secret.map(|s| view! { <div class="muted">"Signing secret: " <code>{s}</code></div> })}
                                    {manage.then(|| view! {
                                        <ActionForm action=remove attr:class="inline">
                                            <input type="hidden" name="budget_id" value=id/>
                                            <input type="hidden" name="recipient_id" value=r.id.to_string()/>
                                            <button type="submit">"Remove"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            {manage.then(|| view! { <ManageAlerts id=budget_id settings=settings.clone() add rules/> })}
            <h3>"Recent alerts"</h3>
            {if settings.recent.is_empty() {
                Either::Left(view! { <p class="muted">"None yet."</p> })
            } else {
                Either::Right(view! {
                    <table>
                        <thead><tr><th>"When"</th><th>"Alert"</th><th>"Delivery"</th></tr></thead>
                        <tbody>
                            {settings.recent.into_iter().map(|a| view! {
                                <tr>
                                    <td>{instant(a.created_at)}</td>
                                    <td><span class=format!("badge {}", a.severity)>{a.severity.clone()}</span> " " {a.title}
                                        {a.acknowledged.then_some(" · acknowledged")}
                                        {(a.escalation_level > 0).then(|| format!(" · escalated ×{}", a.escalation_level))}</td>
                                    <td>{a.deliveries.into_iter().map(|d| view! {
                                        <div class=format!("delivery {}", d.state)>
                                            {delivery_line(&d.channel, &d.target, &d.state, d.attempts)}
                                            {d.last_error.map(|e| format!(" — {e}"))}
                                        </div>
                                    }).collect_view()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </section>
    }
}

#[component]
fn ManageAlerts(
    id: Uuid,
    settings: AlertSettings,
    add: ServerAction<AddRecipient>,
    rules: ServerAction<SetAlertRules>,
) -> impl IntoView {
    let new_recipient = crate::components::resets_after_success(move || matches!(add.value().get(), Some(Ok(_))));
    view! {
        <div class="two-columns">
            <ActionForm action=add node_ref=new_recipient>
                <h3>"Add a recipient"</h3>
                <input type="hidden" name="budget_id" value=id.to_string()/>
                <label>"Channel"
                    <select name="kind">
                        <option value="user">"a person (inbox and email)"</option>
                        <option value="role">"a role: leads, approvers or admins"</option>
                        <option value="email">"an email address"</option>
                        <option value="slack">"a Slack incoming webhook"</option>
                        <option value="webhook">"a webhook (signed JSON)"</option>
                    </select>
                </label>
                <label>"Who or where" <input name="target" required placeholder="lena@example.com, leads, https://…"/></label>
                <label>"Only from this threshold (optional, %)" <input name="min_threshold" inputmode="numeric" placeholder="90"/></label>
                <button type="submit" class="primary">"Add"</button>
                {outcome(move || add.value().get(), |_| "Recipient added.".to_owned())}
            </ActionForm>
            <ActionForm action=rules>
                <h3>"Thresholds and escalation"</h3>
                <input type="hidden" name="budget_id" value=id.to_string()/>
                <label>"Thresholds (% of the hard level)" <input name="thresholds" required value=settings.thresholds/></label>
                <label>"Escalate after (minutes, empty for never)"
                    <input name="escalate_after_minutes" inputmode="numeric" value=settings.escalate_after_minutes.map(|m| m.to_string())/>
                </label>
                <label>"Escalate alerts from (%)"
                    <input name="escalate_from" inputmode="numeric" value=settings.escalate_from.map(|p| p.to_string())/>
                </label>
                <button type="submit">"Save"</button>
                {outcome(move || rules.value().get(), |_| "Alert rules saved.".to_owned())}
            </ActionForm>
        </div>
    }
}

/// "email lena@acme.example: delivered after 1 attempt", in words for each state.
fn delivery_line(channel: &str, target: &str, state: &str, attempts: i32) -> String {
    let attempts = if attempts == 1 { "1 attempt".to_owned() } else { format!("{attempts} attempts") };
    match state {
        "delivered" => format!("{channel} {target}: delivered after {attempts}"),
        "pending" => format!("{channel} {target}: waiting to be sent ({attempts} so far)"),
        "dead" => format!("{channel} {target}: given up after {attempts}"),
        "not_sent" => format!("{channel} {target}: not sent"),
        other => format!("{channel} {target}: {other}"),
    }
}
