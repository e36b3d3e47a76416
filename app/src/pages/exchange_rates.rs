//! Exchange rates on the Prices page: which rate converts each foreign catalog currency into the
//! organization's, since when; admins add a rate from a date on.

use crate::components::outcome;
use crate::components::time::instant;
use crate::errors::AppError;
use chrono::{DateTime, Utc};
use leptos::form::ActionForm;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One rate as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateRow {
    pub from_currency: String,
    pub rate: Decimal,
    pub effective_from: DateTime<Utc>,
}

/// Adds a rate into the organization's currency from a date on (now when left empty).
#[server(prefix = "/rpc", endpoint = "add_exchange_rate")]
pub async fn add_exchange_rate(
    from_currency: String,
    rate: String,
    effective_from: String,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory, organizations};
        let me = crate::auth::require(crate::auth::Role::Admin)?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let rate: Decimal = rate
            .trim()
            .parse()
            .map_err(|_| AppError::Invalid(format!("'{}' is not a rate such as 0.92", rate.trim())))?;
        let from = crate::components::day_start(&effective_from)?;
        let org = organizations::organization(&state.db, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        let from_currency = from_currency.trim().to_uppercase();
        let input = directory::ExchangeRateInput { from_currency, rate, effective_from: from };
        let change = directory::Change { actor: &me.email, now: state.clock.now() };
        let added = directory::add_exchange_rate(&state.db, org.id, &org.currency, input, change).await?;
        Ok(format!(
            "1 {} = {} {} from {}.",
            added.from_currency,
            added.rate,
            added.to_currency,
            added.effective_from.date_naive()
        ))
    })
    .await
}

#[component]
pub fn ExchangeRates(
    rates: Vec<RateRow>,
    currency: String,
    may_edit: bool,
    add: ServerAction<AddExchangeRate>,
) -> impl IntoView {
    let form = crate::components::resets_after_success(move || matches!(add.value().get(), Some(Ok(_))));
    view! {
        <section class="card" aria-labelledby="rates-title">
            <h2 id="rates-title">"Exchange rates"</h2>
            <p class="muted">{format!(
                "A price in another currency than {currency} is converted at the rate in force when the usage happened; each usage event keeps the rate it used."
            )}</p>
            {(!rates.is_empty()).then(|| view! {
                <table class="compact" data-testid="exchange-rates">
                    <thead><tr><th scope="col">"From"</th><th scope="col">"Rate"</th><th scope="col">"Since"</th></tr></thead>
                    <tbody>
                        {rates.into_iter().map(|r| view! {
                            <tr data-currency=r.from_currency.clone()>
                                <td>{format!("1 {}", r.from_currency)}</td>
                                <td class="num">{format!("{} {currency}", r.rate.normalize())}</td>
                                <td>{instant(r.effective_from)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {may_edit.then(|| view! {
                <ActionForm action=add node_ref=form attr:class="filters">
                    <label>"From currency" <input name="from_currency" required maxlength="3" autocapitalize="characters"/></label>
                    <label>{format!("{currency} per unit")} <input name="rate" inputmode="decimal" placeholder="0.92" required/></label>
                    <label>"From (YYYY-MM-DD, empty for now)" <input name="effective_from" type="date"/></label>
                    <button type="submit" class="primary">"Add rate"</button>
                </ActionForm>
                {outcome(move || add.value().get(), |said: &String| said.clone())}
            })}
        </section>
    }
}
