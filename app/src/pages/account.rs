//! The signed-in person's own account: who they are, their roles and teams, and changing the password.

use crate::auth::Account;
use crate::components::{outcome, refused, AccountResource};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// The account of this request; `None` when signed out (the sign-in and setup pages).
#[server(prefix = "/rpc", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Account>, AppError> {
    Ok(crate::auth::current_account().ok())
}

#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let account = crate::auth::current_account()?;
        if new != repeat {
            return Err(AppError::Invalid("the two new passwords differ".into()));
        }
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let session = crate::auth::request_session().await?;
        let keep = session.id();
        let change = crate::backend::services::accounts::PasswordChange { current: &current, new: &new };
        crate::backend::services::accounts::change_own_password(
            &state.db,
            account.id,
            change,
            keep.as_ref(),
            state.clock.now(),
        )
        .await?;
        Ok(())
    })
    .await
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let account = expect_context::<AccountResource>();
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <Title text="Your account · Tollgate"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(me)) => Either::Left(view! {
                        <h1>{me.display_name.clone()}</h1>
                        <section class="card">
                            <dl class="facts">
                                <dt>"Email"</dt><dd>{me.email.clone()}</dd>
                                <dt>"Roles"</dt>
                                <dd>{me.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")}</dd>
                            </dl>
                        </section>
                    }),
                    Ok(None) => Either::Right(refused(AppError::Unauthorized)),
                    Err(e) => Either::Right(refused(e)),
                }
            })}
        </Transition>
        <section class="card narrow">
            <h2>"Change password"</h2>
            <p class="muted">"Your other sessions end when the password changes."</p>
            <ActionForm action=change>
                <label>"Current password"
                    <input type="password" name="current" required autocomplete="current-password"/>
                </label>
                <label>"New password (at least 12 characters)"
                    <input type="password" name="new" required minlength="12" autocomplete="new-password"/>
                </label>
                <label>"New password again"
                    <input type="password" name="repeat" required minlength="12" autocomplete="new-password"/>
                </label>
                <button type="submit" class="primary">"Change password"</button>
            </ActionForm>
            {outcome(move || change.value().get(), |_| "Password changed.".to_owned())}
        </section>
    }
}
