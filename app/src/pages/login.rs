//! Signing in and out.

use crate::components::outcome;
use crate::errors::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::auth::{begin_session, client_address, login, request_session};
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let now = state.clock.now();
        let account = login::sign_in(&state.db, &email, &password, &client_address(), now).await?;
        begin_session(&request_session().await?, account.id, now).await?;
        leptos_axum::redirect(&login::safe_next(next.as_deref().unwrap_or("/")));
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::errors::respond(async move {
        let state = crate::state::app_state().map_err(AppError::internal)?;
        if let Ok(account) = crate::auth::current_account() {
            let detail = serde_json::json!({ "email": account.email });
            crate::backend::engine::events::record_by(
                &state.db,
                account.org_id,
                None,
                "logout",
                detail,
                &account.email,
                state.clock.now(),
            )
            .await?;
        }
        crate::auth::request_session().await?.flush().await.map_err(AppError::internal)?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    view! {
        <Title text="Sign in · Tollgate"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=login>
                <input type="hidden" name="next" value=next/>
                <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                <button type="submit" class="primary">"Sign in"</button>
            </ActionForm>
            {outcome(move || login.value().get(), |_| "Signed in.".to_owned())}
        </section>
    }
}
