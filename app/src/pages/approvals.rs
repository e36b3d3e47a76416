//! The approval queue: approvers decide open requests (never their own); everyone sees their own.

use crate::components::money;
use crate::components::time::instant;
use crate::components::{outcome, refused};
use crate::errors::AppError;
use crate::models::RequestView;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

/// Forms send empty fields as ""; those mean "not given".
#[cfg(feature = "ssr")]
fn number<T: std::str::FromStr>(field: &str, value: Option<String>) -> Result<Option<T>, AppError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => {
            text.parse().map(Some).map_err(|_| AppError::Invalid(format!("{field} must be a number, not '{text}'")))
        }
    }
}

#[cfg(feature = "ssr")]
fn until(
    days: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    Ok(number::<i64>("days", days)?.map(|d| now + chrono::Duration::days(d.clamp(0, 3650))))
}

#[server(prefix = "/rpc", endpoint = "requests")]
pub async fn requests() -> Result<Vec<RequestView>, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        Ok(crate::backend::services::requests::visible(&state.db, &me, state.clock.now()).await?)
    })
    .await
}

/// Asks for a temporary override (for `days`) or a permanent increase of a budget's hard levels.
#[server(prefix = "/rpc", endpoint = "request_budget")]
#[allow(clippy::too_many_arguments)]
pub async fn request_budget(
    budget_id: Uuid,
    kind: String,
    cost: Option<String>,
    tokens: Option<String>,
    operations: Option<String>,
    days: Option<String>,
    reason: String,
) -> Result<Uuid, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::requests::{self, NewRequest};
        use tollgate_domain::approval::RequestKind;
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let now = state.clock.now();
        // "increase_next" is the form's name for an increase from the next window.
        let from_next_window = kind == "increase_next";
        let kind = if from_next_window {
            RequestKind::Increase
        } else {
            RequestKind::parse(&kind).ok_or_else(|| AppError::Invalid("kind is override or increase".into()))?
        };
        let input = NewRequest {
            from_next_window,
            source_budget_id: None,
            kind,
            cost: number("cost", cost)?,
            tokens: number("tokens", tokens)?,
            operations: number("operations", operations)?,
            until: if kind == RequestKind::Override { until(days, now)? } else { None },
            reason,
        };
        Ok(requests::create(&state.db, requests::Requester::Person(&me), budget_id, input, now).await?)
    })
    .await
}

/// Approves (all of it, or less: smaller amounts, fewer days), rejects, or asks for information.
#[server(prefix = "/rpc", endpoint = "decide_request")]
#[allow(clippy::too_many_arguments)]
pub async fn decide_request(
    request_id: Uuid,
    decision: String,
    cost: Option<String>,
    tokens: Option<String>,
    operations: Option<String>,
    days: Option<String>,
    comment: Option<String>,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::requests::{self, Decision};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let now = state.clock.now();
        let decision = match decision.as_str() {
            "approve" => Decision::Approve {
                cost: number("cost", cost)?,
                tokens: number("tokens", tokens)?,
                operations: number("operations", operations)?,
                until: until(days, now)?,
            },
            "reject" => Decision::Reject,
            "ask_info" => Decision::AskForInformation,
            other => return Err(AppError::Invalid(format!("unknown decision '{other}'"))),
        };
        Ok(requests::decide(&state.db, &me, request_id, decision, comment.as_deref().unwrap_or(""), now).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "answer_request")]
pub async fn answer_request(request_id: Uuid, note: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        Ok(crate::backend::services::requests::answer(&state.db, &me, request_id, &note, state.clock.now()).await?)
    })
    .await
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let decide = ServerAction::<DecideRequest>::new();
    let answer = ServerAction::<AnswerRequest>::new();
    let list = Resource::new(move || (decide.version().get(), answer.version().get()), |_| requests());
    view! {
        <Title text="Requests · Tollgate"/>
        <h1>"Requests"</h1>
        {outcome(move || decide.value().get(), |status| format!("Recorded; the request is now {status}."))}
        {outcome(move || answer.value().get(), |_| "Answer sent; the request waits for a decision again.".to_owned())}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(rows) if rows.is_empty() => Either::Right(Either::Left(view! {
                        <section class="card"><p>"No open requests."</p></section>
                    })),
                    Ok(rows) => Either::Right(Either::Right(
                        rows.into_iter().map(|r| view! { <RequestCard request=r decide answer/> }).collect_view(),
                    )),
                }
            })}
        </Transition>
    }
}

/// "100.00 in cost until 2026-12-08 09:00 UTC, by Ada Approver: “100 for a day”".
fn granted_text(granted: &crate::models::Granted) -> String {
    let amounts = [
        granted.cost.map(|c| format!("{} in cost", money(c))),
        granted.tokens.map(|t| format!("{} tokens", crate::components::thousands(t))),
        granted.operations.map(|o| format!("{} operations", crate::components::thousands(o))),
    ];
    let mut text = amounts.into_iter().flatten().collect::<Vec<_>>().join(", ");
    if let Some(until) = granted.until {
        text.push_str(&format!(" until {}", instant(until)));
    }
    if !granted.by.is_empty() {
        text.push_str(&format!(", by {}", granted.by.join(" and ")));
    }
    for comment in &granted.comments {
        text.push_str(&format!(": “{comment}”"));
    }
    text
}

#[component]
fn RequestCard(
    request: RequestView,
    decide: ServerAction<DecideRequest>,
    answer: ServerAction<AnswerRequest>,
) -> impl IntoView {
    let id = request.id;
    let me = expect_context::<crate::components::AccountResource>();
    let asked = [
        request.cost.map(|c| format!("{} in cost", money(c))),
        request.tokens.map(|t| format!("{} tokens", crate::components::thousands(t))),
        request.operations.map(|o| format!("{} operations", crate::components::thousands(o))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let after = match (request.kind.as_str(), request.cost_hard, request.cost) {
        ("increase", Some(hard), Some(more)) => format!("hard cost level {} → {}", money(hard), money(hard + more)),
        ("override", Some(hard), Some(more)) => {
            format!("allowance {} + {} until the override ends", money(hard), money(more))
        }
        ("reallocation", Some(hard), Some(more)) => {
            format!("allowance {} + {} moved from a sibling budget until the window ends", money(hard), money(more))
        }
        _ => String::new(),
    };
    let is_open = matches!(request.status.as_str(), "pending" | "needs_info");
    let requested_by = request.requested_by;
    view! {
        <section class="card" data-request=id.to_string()>
            <div class="page-head">
                <h2>{format!("{} · {}", request.budget_name, request.kind)}</h2>
                <span class=format!("badge {}", request.status)>{request.status.clone()}</span>
            </div>
            <dl class="facts">
                <dt>"Asked by"</dt><dd>{request.requester.clone()}</dd>
                <dt>"Asks for"</dt><dd>{asked}</dd>
                {request.granted.as_ref().map(|granted| view! { <dt>"Granted"</dt><dd data-testid="granted">{granted_text(granted)}</dd> })}
                {request.until.map(|u| view! { <dt>"Until"</dt><dd>{instant(u)}</dd> })}
                {request.from_next_window.then(|| view! {
                    <dt>"Takes effect"</dt>
                    <dd>{request.applies_from.map(|at| format!("from {}", instant(at))).unwrap_or_else(|| "from the budget's next window".into())}</dd>
                })}
                <dt>"Spent this window"</dt>
                <dd>{format!("{}{}", money(request.cost_spent), request.cost_hard.map(|h| format!(" of {}", money(h))).unwrap_or_default())}</dd>
                {request.cost_projected.map(|projected| view! {
                    <dt>"Forecast"</dt>
                    <dd data-testid="request-forecast">{format!("{} at the window end{}", money(projected),
                        request.exhaustion.map(|at| format!(", runs out around {}", instant(at))).unwrap_or_default())}</dd>
                })}
                {(!after.is_empty()).then(|| view! { <dt>"After approval"</dt><dd>{after.clone()}</dd> })}
                <dt>"Approvals"</dt><dd>{format!("{} of {}", request.approvals, request.approvals_needed)}</dd>
                <dt>"Decide by"</dt><dd>{instant(request.decide_by)}</dd>
            </dl>
            <p class="reason">{request.reason.clone()}</p>
            <ul class="plain">
                {request.notes.iter().map(|(who, what, comment)| view! { <li>{format!("{who}: {what}")} " " <em>{comment.clone()}</em></li> }).collect_view()}
            </ul>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let mine = me.await.ok().flatten().is_some_and(|a| a.id == requested_by);
                    is_open.then(|| if mine {
                        Either::Left(view! {
                            <ActionForm action=answer attr:class="inline">
                                <input type="hidden" name="request_id" value=id.to_string()/>
                                <input name="note" required placeholder="More information for the approvers" aria-label="Answer"/>
                                <button type="submit">"Answer"</button>
                            </ActionForm>
                        })
                    } else {
                        Either::Right(view! {
                            <div class="decide">
                                <ActionForm action=decide>
                                    <input type="hidden" name="request_id" value=id.to_string()/>
                                    <input type="hidden" name="decision" value="approve"/>
                                    <div class="inline-fields">
                                        <label>"Cost (less to approve part)" <input name="cost" inputmode="decimal"/></label>
                                        <label>"Tokens" <input name="tokens" inputmode="numeric"/></label>
                                        <label>"Operations" <input name="operations" inputmode="numeric"/></label>
                                        <label>"Days (fewer to shorten)" <input name="days" inputmode="numeric"/></label>
                                    </div>
                                    <label>"Comment" <input name="comment"/></label>
                                    <button type="submit" class="primary">"Approve"</button>
                                </ActionForm>
                                <ActionForm action=decide attr:class="inline">
                                    <input type="hidden" name="request_id" value=id.to_string()/>
                                    <input type="hidden" name="decision" value="reject"/>
                                    <input name="comment" required placeholder="Why not" aria-label="Reason for rejecting"/>
                                    <button type="submit">"Reject"</button>
                                </ActionForm>
                                <ActionForm action=decide attr:class="inline">
                                    <input type="hidden" name="request_id" value=id.to_string()/>
                                    <input type="hidden" name="decision" value="ask_info"/>
                                    <input name="comment" required placeholder="What do you need to know?" aria-label="Question"/>
                                    <button type="submit">"Ask for more information"</button>
                                </ActionForm>
                            </div>
                        })
                    })
                })}
            </Transition>
        </section>
    }
}
