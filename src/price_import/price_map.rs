//! The JSON price map many gateways share: model name → costs per token in USD, provider and mode.

use super::{amount, name, ImportError, ListedPrice, ProviderFilter, Skipped};
use crate::money::{round_for_storage, Currency};
use crate::pricing::Price;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The result of reading a file, before the provider filter.
pub(super) struct Listed {
    pub prices: Vec<ListedPrice>,
    pub skipped: Vec<Skipped>,
}

/// Modes priced by the token; images, audio, rerank and the like are priced otherwise.
const TOKEN_MODES: [&str; 4] = ["chat", "completion", "responses", "embedding"];

/// The fields Tollgate reads; the format has many more (context sizes, capabilities), left alone.
/// Costs are read from their JSON text, never through a binary float.
#[derive(Deserialize)]
struct Entry<'a> {
    litellm_provider: Option<String>,
    mode: Option<String>,
    #[serde(borrow, default)]
    input_cost_per_token: Option<&'a RawValue>,
    #[serde(borrow, default)]
    output_cost_per_token: Option<&'a RawValue>,
    #[serde(borrow, default)]
    cache_read_input_token_cost: Option<&'a RawValue>,
    #[serde(borrow, default)]
    cache_creation_input_token_cost: Option<&'a RawValue>,
    #[serde(borrow, default)]
    output_cost_per_reasoning_token: Option<&'a RawValue>,
}

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

pub(super) fn read(text: &str, providers: &ProviderFilter) -> Result<Listed, ImportError> {
    let entries: BTreeMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| ImportError::Json(e.to_string()))?;
    let mut listed = Listed { prices: Vec::new(), skipped: Vec::new() };
    for (key, raw) in entries {
        // The format's own documentation entry.
        if key == "sample_spec" {
            continue;
        }
        let problem = |problem: String| ImportError::Entry { entry: key.clone(), problem };
        let skip = |reason: String| Skipped { entry: key.clone(), reason };
        // Maps carry a few keys about themselves (`last_updated`, rules): not models.
        if !raw.get().starts_with('{') {
            listed.skipped.push(skip("not a model entry".into()));
            continue;
        }
        let entry: Entry = serde_json::from_str(raw.get()).map_err(|e| problem(format!("not a price entry: {e}")))?;
        let Some(provider) = entry.litellm_provider.as_deref() else {
            listed.skipped.push(skip("no litellm_provider: not a model entry".into()));
            continue;
        };
        let provider = name(provider, "provider").map_err(problem)?.to_lowercase();
        // Other providers' entries are not read further: a large map holds many this import skips.
        if !providers.takes(&provider) {
            continue;
        }
        let mode = entry.mode.as_deref().unwrap_or("chat");
        if !TOKEN_MODES.contains(&mode) {
            listed.skipped.push(skip(format!("mode {mode} is not priced by the token")));
            continue;
        }
        let per_mtok = |field: &str, raw: Option<&RawValue>| -> Result<Option<Decimal>, ImportError> {
            match raw.map(RawValue::get) {
                None | Some("null") => Ok(None),
                Some(text) if text.starts_with('"') => Err(problem(format!("{field} {text} is not a number"))),
                // Maps are written from binary floats (2.9999900000000002e-06 for 2.99999e-06): to
                // the catalog's billionths per million tokens, which is what was meant.
                Some(text) => amount(text)
                    .map(|per_token| Some(round_for_storage(per_token * MILLION)))
                    .map_err(|e| problem(format!("{field}: {e}"))),
            }
        };
        let Some(input) = per_mtok("input_cost_per_token", entry.input_cost_per_token)? else {
            listed.skipped.push(skip("no input_cost_per_token: not priced by the token".into()));
            continue;
        };
        let output = per_mtok("output_cost_per_token", entry.output_cost_per_token)?.unwrap_or(Decimal::ZERO);
        // Keys such as `gemini/gemini-2.5-pro` repeat the provider; the catalog names the model alone.
        let model = key.strip_prefix(&format!("{provider}/")).unwrap_or(&key);
        let price = Price {
            cached_input_per_mtok: per_mtok("cache_read_input_token_cost", entry.cache_read_input_token_cost)?,
            cache_write_per_mtok: per_mtok("cache_creation_input_token_cost", entry.cache_creation_input_token_cost)?,
            reasoning_per_mtok: per_mtok("output_cost_per_reasoning_token", entry.output_cost_per_reasoning_token)?,
            ..Price::new(input, output, Currency::USD)
        };
        listed.prices.push(ListedPrice { provider, model: name(model, "model").map_err(problem)?, price });
    }
    Ok(listed)
}
