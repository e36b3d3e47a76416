//! First run: create the organization and its first admin, once.

use crate::components::outcome;
use crate::errors::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/rpc", endpoint = "first_run")]
pub async fn first_run(
    org_name: String,
    timezone: String,
    currency: String,
    // Left out or empty: no rate yet (the Prices page asks for one while it is missing).
    #[server(default)] usd_rate: String,
    admin_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::setup::{self, FirstRun};
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let now = state.clock.now();
        let usd_rate = match usd_rate.trim() {
            "" => None,
            given => Some(
                given
                    .parse::<rust_decimal::Decimal>()
                    .map_err(|_| AppError::Invalid(format!("'{given}' is not an exchange rate such as 0.92")))?,
            ),
        };
        let input = FirstRun {
            usd_rate,
            org_name: &org_name,
            timezone: &timezone,
            currency: &currency,
            admin_name: &admin_name,
            email: &email,
            password: &password,
        };
        let admin = setup::first_run(&state.db, input, now).await?;
        crate::auth::begin_session(&crate::auth::request_session().await?, admin.id, now).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// IANA time zone names, offered while typing the organization's time zone.
#[server(prefix = "/rpc", endpoint = "time_zones")]
pub async fn time_zones() -> Result<Vec<String>, AppError> {
    Ok(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name().to_owned()).collect())
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<FirstRun>::new();
    let zones = Resource::new(|| (), |_| time_zones());
    view! {
        <Title text="Set up · Tollgate"/>
        <section class="card narrow">
            <h1>"Set up Tollgate"</h1>
            <p class="muted">"Name your organization and create the first administrator. This page is shown once."</p>
            <ActionForm action=setup>
                <fieldset>
                    <legend>"Organization"</legend>
                    <label>"Name" <input name="org_name" required maxlength="120"/></label>
                    <label>"Time zone (days, weeks and months follow it)"
                        <input name="timezone" value="UTC" required list="time-zone-names" autocomplete="off"/>
                    </label>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let names = zones.await.unwrap_or_default();
                            view! {
                                <datalist id="time-zone-names">
                                    {names.into_iter().map(|name| view! { <option value=name></option> }).collect_view()}
                                </datalist>
                            }
                        })}
                    </Transition>
                    <label>"Currency (ISO 4217)" <input name="currency" value="USD" required maxlength="3" aria-describedby="currency-help"/></label>
                    <p class="muted small" id="currency-help">"Budgets and recorded usage are kept in this currency, and it cannot change later. Tollgate starts with the providers' list prices, which are in USD: in another currency they are converted at the exchange rate below, which you can change on the Prices page."</p>
                    <label>"Exchange rate: 1 USD in your currency (not needed for USD)" <input name="usd_rate" inputmode="decimal" placeholder="0.92" aria-describedby="currency-help"/></label>
                </fieldset>
                <fieldset>
                    <legend>"First administrator"</legend>
                    <label>"Name" <input name="admin_name" required autocomplete="name"/></label>
                    <label>"Email" <input type="email" name="email" required autocomplete="username"/></label>
                    <label>"Password (at least 12 characters)"
                        <input type="password" name="password" required minlength="12" autocomplete="new-password"/>
                    </label>
                </fieldset>
                <button type="submit" class="primary">"Create organization"</button>
            </ActionForm>
            {outcome(move || setup.value().get(), |_| "Created.".to_owned())}
        </section>
    }
}
