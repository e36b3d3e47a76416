//! Importing a price list on the Prices page: paste a JSON price map or Tollgate's CSV, see what
//! it changes, then apply it.

use crate::components::time::instant;
use crate::errors::AppError;
use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use tollgate_domain::pricing::Price;

/// How many left-out entries the page names; the count covers them all.
#[cfg(feature = "ssr")]
const SKIPPED_SHOWN: usize = 20;

/// One price of an import as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedRow {
    pub provider: String,
    pub model: String,
    pub price: String,
    /// The price in force before, for a changed one.
    pub before: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub format: String,
    pub applied: bool,
    pub effective_from: DateTime<Utc>,
    pub new: Vec<ImportedRow>,
    pub changed: Vec<ImportedRow>,
    pub unchanged: usize,
    pub skipped: usize,
    pub skipped_shown: Vec<String>,
}

#[cfg(feature = "ssr")]
fn shown(price: &Price) -> String {
    let mut parts = vec![format!(
        "{} / {} {}",
        price.input_per_mtok.normalize(),
        price.output_per_mtok.normalize(),
        price.currency
    )];
    parts.extend(price.billed_apart());
    parts.join(", ")
}

/// Reads a price list and reports what it changes; with `apply` set, changes the catalog too.
#[server(prefix = "/rpc", endpoint = "import_price_list")]
pub async fn import_price_list(
    text: String,
    #[server(default)] providers: String,
    #[server(default)] effective_from: String,
    // The button pressed: "apply" applies, anything else previews.
    #[server(default)] apply: String,
) -> Result<ImportOutcome, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::directory;
        let me = crate::auth::require(crate::auth::Role::Admin)?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let import = directory::PriceImport {
            text: &text,
            providers: &providers,
            effective_from: crate::components::day_start(&effective_from)?,
            apply: apply == "apply",
        };
        let change = directory::Change { actor: &me.email, now: state.clock.now() };
        let summary = directory::import_prices(&state.db, me.org_id, import, change).await?;
        let row = |listed: &tollgate_domain::price_import::ListedPrice, before: Option<&Price>| ImportedRow {
            provider: listed.provider.clone(),
            model: listed.model.clone(),
            price: shown(&listed.price),
            before: before.map(shown),
        };
        Ok(ImportOutcome {
            format: summary.format.label().to_owned(),
            applied: summary.applied,
            effective_from: summary.effective_from,
            new: summary.plan.new.iter().map(|p| row(p, None)).collect(),
            changed: summary.plan.changed.iter().map(|r| row(&r.listed, Some(&r.before))).collect(),
            unchanged: summary.plan.unchanged,
            skipped: summary.skipped.len(),
            skipped_shown: summary
                .skipped
                .iter()
                .take(SKIPPED_SHOWN)
                .map(|s| format!("{}: {}", s.entry, s.reason))
                .collect(),
        })
    })
    .await
}

#[component]
pub fn PriceImport(import: ServerAction<ImportPriceList>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="import-title">
            <h2 id="import-title">"Import a price list"</h2>
            <p class="muted">"Paste a JSON price map (model name → input_cost_per_token, output_cost_per_token, cache and reasoning costs, litellm_provider, mode; as published by open-source gateways) or a CSV with the columns provider, model, currency, input_per_mtok, output_per_mtok and optionally cached_input_per_mtok, cache_write_per_mtok, reasoning_per_mtok, request_fee. Preview first: nothing changes until you apply. Usage already recorded keeps its prices. For large files use "<code>"tollgate prices import FILE"</code>"."</p>
            <ActionForm action=import>
                <label>"Price list" <textarea name="text" rows="8" required spellcheck="false" data-testid="price-list"></textarea></label>
                <div class="inline-fields">
                    <label>"Providers (comma-separated, empty for all)" <input name="providers" placeholder="openai, anthropic, gemini"/></label>
                    <label>"From (YYYY-MM-DD, empty for now)" <input name="effective_from" type="date"/></label>
                </div>
                <button type="submit" name="apply" value="preview">"Preview changes"</button>
                {move || {
                    let pending = import
                        .value()
                        .get()
                        .is_some_and(|r| r.is_ok_and(|o| !o.applied && o.new.len() + o.changed.len() > 0));
                    pending.then(|| view! { <button type="submit" class="primary" name="apply" value="apply">"Apply these changes"</button> })
                }}
            </ActionForm>
            {move || import.value().get().map(|result| match result {
                Err(error) => Either::Left(view! { <p class="notice error" role="alert">{error.to_string()}</p> }),
                Ok(outcome) => Either::Right(view! { <ImportReport outcome/> }),
            })}
        </section>
    }
}

#[component]
fn ImportReport(outcome: ImportOutcome) -> impl IntoView {
    let changes = outcome.new.len() + outcome.changed.len();
    let headline = match (outcome.applied, changes) {
        (_, 0) => "Nothing to change: the catalog already holds these prices.".to_owned(),
        (true, n) => format!(
            "Applied: {n} price(s) in force from {}. Earlier usage keeps its prices.",
            instant(outcome.effective_from)
        ),
        (false, n) => format!(
            "Preview: {n} price(s) would be in force from {}. Nothing has changed yet.",
            instant(outcome.effective_from)
        ),
    };
    let counts = format!(
        "{}: {} new, {} changed, {} unchanged, {} left out.",
        outcome.format,
        outcome.new.len(),
        outcome.changed.len(),
        outcome.unchanged,
        outcome.skipped
    );
    let rows = outcome
        .new
        .into_iter()
        .map(|r| ("new", r))
        .chain(outcome.changed.into_iter().map(|r| ("changed", r)))
        .map(|(kind, r)| {
            let model = r.model.clone();
            view! {
                <tr data-model=model class=kind>
                    <td><span class=format!("badge {kind}")>{kind}</span></td>
                    <td>{r.provider}</td><td>{r.model}</td><td>{r.price}</td>
                    <td class="muted">{r.before.unwrap_or_else(|| "—".to_owned())}</td>
                </tr>
            }
        })
        .collect_view();
    let skipped = outcome.skipped_shown;
    view! {
        <div data-testid="import-report">
            <p class=if outcome.applied { "notice ok" } else { "notice" } role="status">{headline}</p>
            <p class="muted small">{counts}</p>
            {(changes > 0).then(|| view! {
                <table class="compact">
                    <thead><tr><th scope="col">"Change"</th><th scope="col">"Provider"</th><th scope="col">"Model"</th>
                        <th scope="col">"Price per M tokens (input / output, billed apart)"</th><th scope="col">"Before"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            })}
            {(!skipped.is_empty()).then(|| view! {
                <details><summary>"Left out"</summary>
                    <ul class="small">{skipped.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                </details>
            })}
        </div>
    }
}
