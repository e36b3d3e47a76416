//! The price catalog: everyone reads which price is in force per model and the exchange rates;
//! admins add prices and rates from a date on.

use crate::components::time::day;
use crate::components::{outcome, refused};
use crate::errors::AppError;
use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogPrice {
    pub provider: String,
    pub model: String,
    pub input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
    pub currency: String,
    pub effective_from: DateTime<Utc>,
    /// in_force, scheduled (from a later date) or superseded
    pub state: String,
    /// Components billed apart, as "cache reads 0.3" and the like (empty: none).
    pub apart: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogView {
    pub prices: Vec<CatalogPrice>,
    pub rates: Vec<super::exchange_rates::RateRow>,
    pub aliases: Vec<super::model_aliases::AliasRow>,
    pub currency: String,
    pub may_edit: bool,
}

#[server(prefix = "/rpc", endpoint = "price_catalog")]
pub async fn price_catalog() -> Result<CatalogView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory, organizations};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let org = organizations::organization(&state.db, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        let now = state.clock.now();
        let rows = directory::prices(&state.db, me.org_id).await?;
        let mut prices: Vec<CatalogPrice> = rows
            .iter()
            .map(|p| {
                let from = p.effective_from.unwrap_or(DateTime::UNIX_EPOCH);
                // Rows come ordered by provider, model and date: the last one not in the future is in force.
                let later_in_force = rows.iter().any(|o| {
                    o.provider == p.provider
                        && o.model == p.model
                        && o.effective_from.is_some_and(|f| f > from && f <= now)
                });
                let state = if from > now {
                    "scheduled"
                } else if later_in_force {
                    "superseded"
                } else {
                    "in_force"
                };
                CatalogPrice {
                    provider: p.provider.clone(),
                    model: p.model.clone(),
                    input_per_mtok: p.input_per_mtok,
                    output_per_mtok: p.output_per_mtok,
                    currency: p.currency.clone(),
                    effective_from: from,
                    state: state.to_owned(),
                    apart: p.price().map(|price| price.billed_apart()).unwrap_or_default(),
                }
            })
            .collect();
        prices
            .sort_by(|a, b| (&a.provider, &a.model, b.effective_from).cmp(&(&b.provider, &b.model, a.effective_from)));
        let rates = directory::exchange_rates(&state.db, me.org_id)
            .await?
            .into_iter()
            .map(|r| super::exchange_rates::RateRow {
                from_currency: r.from_currency,
                rate: r.rate,
                effective_from: r.effective_from,
            })
            .collect();
        let aliases = directory::model_aliases(&state.db, me.org_id)
            .await?
            .into_iter()
            .map(|a| super::model_aliases::AliasRow { id: a.id, alias: a.alias, model: a.model })
            .collect();
        let may_edit = me.has(crate::auth::Role::Admin);
        Ok(CatalogView { prices, rates, aliases, currency: org.currency, may_edit })
    })
    .await
}

/// Adds a price from a date on (today when left empty); usage before it keeps the earlier price.
// One argument per form field: the form posts flat fields, before and after hydration.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/rpc", endpoint = "add_catalog_price")]
pub async fn add_catalog_price(
    provider: String,
    model: String,
    input_per_mtok: String,
    output_per_mtok: String,
    // Empty or left out: the organization's currency.
    #[server(default)] currency: String,
    effective_from: String,
    // Components billed apart; empty or left out: billed as input or output, no fee.
    #[server(default)] cached_input_per_mtok: String,
    #[server(default)] cache_write_per_mtok: String,
    #[server(default)] reasoning_per_mtok: String,
    #[server(default)] request_fee: String,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory, organizations};
        let me = crate::auth::require(crate::auth::Role::Admin)?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let amount = |what: &str, text: &str| -> Result<Decimal, AppError> {
            match text.trim().parse::<Decimal>() {
                Ok(d) if d >= Decimal::ZERO => Ok(d),
                _ => Err(AppError::Invalid(format!("{what}: '{}' is not an amount per million tokens", text.trim()))),
            }
        };
        let optional = |what: &str, text: &str| match text.trim() {
            "" => Ok(None),
            given => amount(what, given).map(Some),
        };
        let from = crate::components::day_start(&effective_from)?;
        let org = organizations::organization(&state.db, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        let input = directory::PriceInput {
            provider: provider.clone(),
            model: model.clone(),
            input_per_mtok: amount("input price", &input_per_mtok)?,
            output_per_mtok: amount("output price", &output_per_mtok)?,
            currency: match currency.trim() {
                "" => org.currency.clone(),
                given => given.to_uppercase(),
            },
            effective_from: from,
            cached_input_per_mtok: optional("cache read price", &cached_input_per_mtok)?,
            cache_write_per_mtok: optional("cache write price", &cache_write_per_mtok)?,
            reasoning_per_mtok: optional("reasoning price", &reasoning_per_mtok)?,
            request_fee: optional("fee per request", &request_fee)?,
        };
        let change = directory::Change { actor: &me.email, now: state.clock.now() };
        directory::add_price(&state.db, org.id, input, change).await?;
        Ok(format!("Price for {} added.", model.trim()))
    })
    .await
}

#[component]
pub fn PricesPage() -> impl IntoView {
    let add = ServerAction::<AddCatalogPrice>::new();
    let add_rate = ServerAction::<super::exchange_rates::AddExchangeRate>::new();
    let add_alias = ServerAction::<super::model_aliases::AddModelAlias>::new();
    let remove_alias = ServerAction::<super::model_aliases::RemoveModelAlias>::new();
    let import = ServerAction::<super::price_import::ImportPriceList>::new();
    // Only an applied import changes the catalog; a preview must not redraw the form holding the list.
    let imported = Memo::new(move |last: Option<&usize>| {
        let applied = import.value().get().is_some_and(|r| r.is_ok_and(|o| o.applied));
        if applied {
            import.version().get()
        } else {
            last.copied().unwrap_or(0)
        }
    });
    let versions = move || {
        (
            add.version().get(),
            add_rate.version().get(),
            add_alias.version().get(),
            remove_alias.version().get(),
            imported.get(),
        )
    };
    let catalog = Resource::new(versions, |_| price_catalog());
    view! {
        <Title text="Prices · Tollgate"/>
        <h1>"Price catalog"</h1>
        <p class="muted">"Usage without an explicit cost is priced at the price in force when it happened. A model without a price is refused, unless a project's preferences declare a fallback price."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(c) => Either::Right(view! {
                        <CurrencyNotice catalog=c.clone()/>
                        <section class="card">
                            <table data-testid="prices">
                                <thead><tr><th>"Provider"</th><th>"Model"</th><th>"Input / M tokens"</th>
                                    <th>"Output / M tokens"</th><th>"Billed apart"</th><th>"From"</th><th>"State"</th></tr></thead>
                                <tbody>
                                    {c.prices.into_iter().map(|p| {
                                        let (row_model, row_state) = (p.model.clone(), p.state.clone());
                                        view! {
                                        <tr data-model=row_model class=row_state>
                                            <td>{p.provider}</td><td>{p.model}</td>
                                            <td class="num">{format!("{} {}", p.input_per_mtok.normalize(), p.currency)}</td>
                                            <td class="num">{format!("{} {}", p.output_per_mtok.normalize(), p.currency)}</td>
                                            <td class="small">{if p.apart.is_empty() { "—".to_owned() } else { p.apart.join(", ") }}</td>
                                            <td>{if p.effective_from == DateTime::UNIX_EPOCH { "always".to_owned() } else { day(p.effective_from) }}</td>
                                            <td><span class=format!("badge {}", p.state)>{p.state.replace('_', " ")}</span></td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        {c.may_edit.then(|| view! { <AddPrice add currency=c.currency.clone()/> })}
                        {c.may_edit.then(|| view! { <super::price_import::PriceImport import/> })}
                        <super::exchange_rates::ExchangeRates rates=c.rates.clone() currency=c.currency.clone() may_edit=c.may_edit add=add_rate/>
                        <super::model_aliases::ModelAliases aliases=c.aliases.clone() may_edit=c.may_edit add=add_alias remove=remove_alias/>
                    }),
                }
            })}
        </Transition>
    }
}

/// What the catalog's currency means: usage is recorded in the organization's currency, and a
/// price in another one is converted at an exchange rate, which must exist.
#[component]
fn CurrencyNotice(catalog: CatalogView) -> impl IntoView {
    let currency = catalog.currency.clone();
    let foreign: std::collections::BTreeSet<String> =
        catalog.prices.iter().filter(|p| p.currency != currency).map(|p| p.currency.clone()).collect();
    let (converted, missing): (Vec<String>, Vec<String>) =
        foreign.into_iter().partition(|c| catalog.rates.iter().any(|r| &r.from_currency == c));
    let empty = catalog.prices.is_empty().then(|| {
        view! {
            <p class="notice" data-testid="prices-empty">
                {format!(
                    "No prices yet. This organization keeps its budgets and usage in {currency}: add the models you use below, in {currency} or in the provider's currency with an exchange rate, or import a price list."
                )}
            </p>
        }
    });
    let converted = (!converted.is_empty()).then(|| {
        let listed = converted.join(", ");
        view! { <p class="notice" data-testid="prices-converted">{format!("Prices in {listed} are converted to {currency} at the exchange rates below.")}</p> }
    });
    let missing = (!missing.is_empty()).then(|| {
        let listed = missing.join(", ");
        view! {
            <p class="notice error" role="alert" data-testid="prices-missing-rate">
                {format!("Some prices are in {listed}, with no exchange rate to {currency} yet: usage they would price is refused until an admin adds a rate below.")}
            </p>
        }
    });
    view! { {empty} {converted} {missing} }
}

#[component]
fn AddPrice(add: ServerAction<AddCatalogPrice>, currency: String) -> impl IntoView {
    let new_price = crate::components::resets_after_success(move || matches!(add.value().get(), Some(Ok(_))));
    view! {
        <section class="card narrow">
            <h2>"Add a price"</h2>
            <ActionForm action=add node_ref=new_price>
                <div class="inline-fields">
                    <label>"Provider" <input name="provider" required/></label>
                    <label>"Model" <input name="model" required/></label>
                    <label>"Input per million tokens" <input name="input_per_mtok" inputmode="decimal" required/></label>
                    <label>"Output per million tokens" <input name="output_per_mtok" inputmode="decimal" required/></label>
                    <label>"Currency" <input name="currency" value=currency.clone() maxlength="3" required/></label>
                    <label>"From (YYYY-MM-DD, empty for now)" <input name="effective_from" type="date"/></label>
                </div>
                <details>
                    <summary>"Billed apart (optional)"</summary>
                    <div class="inline-fields">
                        <label>"Cache reads per million tokens" <input name="cached_input_per_mtok" inputmode="decimal"/></label>
                        <label>"Cache writes per million tokens" <input name="cache_write_per_mtok" inputmode="decimal"/></label>
                        <label>"Reasoning per million tokens" <input name="reasoning_per_mtok" inputmode="decimal"/></label>
                        <label>"Fee per request" <input name="request_fee" inputmode="decimal"/></label>
                    </div>
                </details>
                <button type="submit" class="primary">"Add price"</button>
            </ActionForm>
            {outcome(move || add.value().get(), |said: &String| said.clone())}
        </section>
    }
}
