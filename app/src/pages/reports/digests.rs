//! Email digests on the reports page: subscribe to a weekly or monthly digest of a scope you can
//! see, and unsubscribe.

use crate::components::{outcome, refused};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digests {
    pub subscriptions: Vec<(Uuid, String, String)>,
    pub scopes: Vec<(String, String)>,
    /// No mail server is configured, so no digest is sent.
    pub mail_off: bool,
}

#[server(prefix = "/rpc", endpoint = "my_digests")]
pub async fn my_digests() -> Result<Digests, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::digests::{list, scopes_for};
        let account = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let subscriptions =
            list(&state.db, &account).await?.into_iter().map(|d| (d.id, d.frequency, d.scope_name)).collect();
        Ok(Digests { subscriptions, scopes: scopes_for(&state.db, &account).await?, mail_off: state.mail_off })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "subscribe_digest")]
pub async fn subscribe_digest(frequency: String, scope: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let account = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        Ok(crate::backend::services::digests::subscribe(&state.db, &account, &frequency, &scope, state.clock.now())
            .await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "unsubscribe_digest")]
pub async fn unsubscribe_digest(id: Uuid) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let account = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        if crate::backend::services::digests::unsubscribe(&state.db, &account, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("that subscription".into()))
        }
    })
    .await
}

#[component]
pub fn DigestsSection() -> impl IntoView {
    let subscribe = ServerAction::<SubscribeDigest>::new();
    let unsubscribe = ServerAction::<UnsubscribeDigest>::new();
    let digests = Resource::new(move || (subscribe.version().get(), unsubscribe.version().get()), |_| my_digests());
    view! {
        <section class="card" aria-labelledby="digests-title">
            <h2 id="digests-title">"Email digests"</h2>
            <p class="muted">"A summary of spend, the top projects and models, and budgets, mailed when each week (Monday) or month (the 1st) has ended."</p>
            {outcome(move || subscribe.value().get(), |_| "Subscribed.".to_owned())}
            {outcome(move || unsubscribe.value().get(), |_| "Unsubscribed.".to_owned())}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match digests.await {
                        Err(e) => Either::Left(refused(e)),
                        Ok(Digests { subscriptions, scopes, mail_off }) => Either::Right(view! {
                            {mail_off.then(|| view! {
                                <p class="notice error" data-testid="mail-off">
                                    "Mail is off on this server (no SMTP server is configured), so digests are not sent. An administrator can set TOLLGATE_SMTP_URL."
                                </p>
                            })}
                            <ul class="digests">
                                {subscriptions.into_iter().map(|(id, frequency, scope)| view! {
                                    <li>
                                        {format!("{frequency} digest of {scope}")}
                                        <ActionForm action=unsubscribe attr:class="inline">
                                            <input type="hidden" name="id" value=id.to_string()/>
                                            <button type="submit">"Unsubscribe"</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <ActionForm action=subscribe attr:class="filters">
                                <label>"Frequency"
                                    <select name="frequency">
                                        <option value="weekly">"weekly"</option>
                                        <option value="monthly">"monthly"</option>
                                    </select>
                                </label>
                                <label>"Scope"
                                    <select name="scope">
                                        {scopes.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                                    </select>
                                </label>
                                <button type="submit">"Subscribe"</button>
                            </ActionForm>
                        }),
                    }
                })}
            </Transition>
        </section>
    }
}
