//! Reading price maps and CSV price lists, and planning their import.

use super::*;
use crate::money::Currency;
use proptest::prelude::*;
use rust_decimal_macros::dec;

const MAP: &str = r#"{
  "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of the providers", "mode": "one of: chat"},
  "gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06,
             "litellm_provider": "openai", "mode": "chat", "max_tokens": 16384, "supports_vision": true},
  "o3": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "output_cost_per_reasoning_token": 8e-06,
         "litellm_provider": "openai", "mode": "responses"},
  "claude-sonnet-4-5": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
         "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
         "litellm_provider": "anthropic", "mode": "chat"},
  "gemini/gemini-2.5-pro": {"input_cost_per_token": 0.00000125, "output_cost_per_token": 0.00001,
         "litellm_provider": "gemini", "mode": "chat"},
  "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
  "text-embedding-3-small": {"input_cost_per_token": 2e-08, "output_cost_per_token": 0.0,
         "litellm_provider": "openai", "mode": "embedding"}
}"#;

fn everything() -> ProviderFilter {
    ProviderFilter::default()
}

fn find<'a>(list: &'a PriceList, model: &str) -> &'a ListedPrice {
    list.prices.iter().find(|p| p.model == model).unwrap_or_else(|| panic!("{model} is listed"))
}

#[test]
fn a_price_map_gives_prices_per_million_tokens_exactly() {
    let list = read(MAP, &everything()).unwrap();
    assert_eq!(list.format, Format::PriceMap);
    let models: Vec<_> = list.prices.iter().map(|p| (p.provider.as_str(), p.model.as_str())).collect();
    assert_eq!(
        models,
        [
            ("anthropic", "claude-sonnet-4-5"),
            ("gemini", "gemini-2.5-pro"),
            ("openai", "gpt-4o"),
            ("openai", "o3"),
            ("openai", "text-embedding-3-small")
        ]
    );
    let gpt = find(&list, "gpt-4o").price;
    assert_eq!(
        (gpt.input_per_mtok, gpt.output_per_mtok, gpt.cached_input_per_mtok),
        (dec!(2.5), dec!(10), Some(dec!(1.25)))
    );
    assert_eq!(gpt.currency, Currency::USD);
    let claude = find(&list, "claude-sonnet-4-5").price;
    assert_eq!((claude.cached_input_per_mtok, claude.cache_write_per_mtok), (Some(dec!(0.3)), Some(dec!(3.75))));
    assert_eq!(find(&list, "o3").price.reasoning_per_mtok, Some(dec!(8)));
    assert_eq!(find(&list, "text-embedding-3-small").price.input_per_mtok, dec!(0.02));
    assert_eq!(
        list.skipped,
        [Skipped { entry: "dall-e-3".into(), reason: "mode image_generation is not priced by the token".into() }]
    );
}

#[test]
fn a_provider_filter_takes_only_those_providers() {
    let list = read(MAP, &ProviderFilter::parse("anthropic, Gemini")).unwrap();
    let models: Vec<_> = list.prices.iter().map(|p| p.model.as_str()).collect();
    assert_eq!(models, ["claude-sonnet-4-5", "gemini-2.5-pro"]);
}

#[test]
fn a_malformed_entry_is_named() {
    let bad = r#"{"gpt-4o": {"input_cost_per_token": 2.5e-06, "litellm_provider": "openai"},
                  "gpt-x": {"input_cost_per_token": "cheap", "litellm_provider": "openai"}}"#;
    let error = read(bad, &everything()).unwrap_err();
    assert_eq!(error.to_string(), "entry 'gpt-x': input_cost_per_token \"cheap\" is not a number");
    let negative = r#"{"gpt-y": {"input_cost_per_token": -1e-06, "litellm_provider": "openai"}}"#;
    assert_eq!(
        read(negative, &everything()).unwrap_err().to_string(),
        "entry 'gpt-y': input_cost_per_token: -1e-06 is negative"
    );
    let wrong_type = r#"{"gpt-z": {"input_cost_per_token": 1e-06, "litellm_provider": 7}}"#;
    assert!(read(wrong_type, &everything()).unwrap_err().to_string().starts_with("entry 'gpt-z': not a price entry"));
    // Keys about the map itself are no models, and are left out rather than refused.
    let about = r#"{"last_updated": "2026-07-24", "rules": {"rules": []}, "gpt-4o": {"input_cost_per_token": 2.5e-06, "litellm_provider": "openai"}}"#;
    let list = read(about, &everything()).unwrap();
    assert_eq!((list.prices.len(), list.skipped.len()), (1, 2));
    let broken = r#"{"gpt-4o": {"input_cost_per_token": 2.5e-06,"#;
    assert!(matches!(read(broken, &everything()), Err(ImportError::Json(_))));
    // Another provider's entries are not read, so a filtered import is not stopped by them.
    let other = r#"{"gpt-4o": {"input_cost_per_token": 2.5e-06, "litellm_provider": "openai"},
                    "odd": {"input_cost_per_token": "n/a", "litellm_provider": "elsewhere"}}"#;
    assert_eq!(read(other, &ProviderFilter::parse("openai")).unwrap().prices.len(), 1);
}

#[test]
fn float_artefacts_in_a_map_read_as_the_price_meant() {
    let map =
        r#"{"claude-3-7-sonnet": {"input_cost_per_token": 2.9999900000000002e-06, "litellm_provider": "databricks"}}"#;
    assert_eq!(read(map, &everything()).unwrap().prices[0].price.input_per_mtok, dec!(2.99999));
}

const CSV: &str = "provider,model,currency,input_per_mtok,output_per_mtok,cached_input_per_mtok,request_fee
openai,gpt-4o,USD,2.50,10,1.25,
mistral,mistral-large-latest,eur,0.5,1.5,,0.001
";

#[test]
fn a_csv_list_reads_its_columns_in_any_order_with_optional_ones_left_out() {
    let list = read(CSV, &everything()).unwrap();
    assert_eq!(list.format, Format::Csv);
    let mistral = find(&list, "mistral-large-latest").price;
    assert_eq!(mistral.currency, Currency::EUR);
    assert_eq!((mistral.request_fee, mistral.cached_input_per_mtok), (Some(dec!(0.001)), None));
    assert_eq!(find(&list, "gpt-4o").price.cached_input_per_mtok, Some(dec!(1.25)));
    let reordered = "model,output_per_mtok,input_per_mtok,currency,provider\ngpt-4o,10,2.5,USD,openai\n";
    assert_eq!(read(reordered, &everything()).unwrap().prices[0].price, Price::new(dec!(2.5), dec!(10), Currency::USD));
}

#[test]
fn a_malformed_csv_names_the_line_and_the_model() {
    let bad =
        "provider,model,currency,input_per_mtok,output_per_mtok\nopenai,gpt-4o,USD,2.5,10\nopenai,gpt-x,USD,abc,1\n";
    assert_eq!(
        read(bad, &everything()).unwrap_err().to_string(),
        "line 3: gpt-x: input_per_mtok: 'abc' is not a number"
    );
    let unknown = "provider,model,currency,input_per_mtok,output_per_mtok,discount\n";
    assert!(read(unknown, &everything()).unwrap_err().to_string().starts_with("line 1: unknown column 'discount'"));
    let missing = "provider,model,input_per_mtok,output_per_mtok\n";
    assert_eq!(read(missing, &everything()).unwrap_err().to_string(), "line 1: the column 'currency' is required");
    let short = "provider,model,currency,input_per_mtok,output_per_mtok\nopenai,gpt-4o,USD,2.5\n";
    assert!(read(short, &everything()).unwrap_err().to_string().starts_with("line 2: "));
    assert_eq!(read(" \n", &everything()), Err(ImportError::Empty));
}

#[test]
fn a_written_row_reads_back_as_the_same_price() {
    let price = Price {
        reasoning_per_mtok: Some(dec!(12.5)),
        request_fee: Some(dec!(0.01)),
        ..Price::new(dec!(1.10), dec!(4.4), Currency::USD)
    };
    let mut text = CSV_HEADER.join(",");
    text.push('\n');
    text.push_str(&csv_row("openai", "o4-mini", &price).join(","));
    assert_eq!(
        read(&text, &everything()).unwrap().prices,
        [ListedPrice { provider: "openai".into(), model: "o4-mini".into(), price }]
    );
}

#[test]
fn a_plan_tells_new_changed_and_unchanged_prices_apart() {
    let list = read(MAP, &everything()).unwrap();
    let in_force = vec![
        ("openai".to_owned(), "gpt-4o".to_owned(), find(&list, "gpt-4o").price),
        ("openai".to_owned(), "o3".to_owned(), Price::new(dec!(10), dec!(40), Currency::USD)),
    ];
    let plan = plan(&list, &in_force);
    assert_eq!(plan.unchanged, 1);
    assert_eq!(plan.changed.len(), 1);
    assert_eq!((plan.changed[0].listed.model.as_str(), plan.changed[0].before.input_per_mtok), ("o3", dec!(10)));
    let new: Vec<_> = plan.new.iter().map(|p| p.model.as_str()).collect();
    assert_eq!(new, ["claude-sonnet-4-5", "gemini-2.5-pro", "text-embedding-3-small"]);
    assert_eq!(plan.to_add().count(), 4);
}

proptest! {
    /// Whatever a list holds, once its prices are in force the same list plans no change.
    #[test]
    fn importing_a_list_again_changes_nothing(rows in proptest::collection::vec(("[a-c]", "[a-e]{1,3}", 0u64..5_000_000, 0u64..5_000_000, proptest::option::of(0u64..1_000_000)), 0..20)) {
        let mut text = "provider,model,currency,input_per_mtok,output_per_mtok,cached_input_per_mtok\n".to_owned();
        for (provider, model, input, output, cached) in &rows {
            let cached = cached.map(|c| Decimal::new(c as i64, 6).to_string()).unwrap_or_default();
            text.push_str(&format!("{provider},{model},USD,{},{},{cached}\n", Decimal::new(*input as i64, 6), Decimal::new(*output as i64, 6)));
        }
        let list = read(&text, &everything()).unwrap();
        let first = plan(&list, &[]);
        prop_assert_eq!(first.new.len(), list.prices.len());
        let in_force: Vec<_> = first.to_add().map(|p| (p.provider.clone(), p.model.clone(), p.price)).collect();
        let second = plan(&list, &in_force);
        prop_assert!(second.new.is_empty() && second.changed.is_empty());
        prop_assert_eq!(second.unchanged, list.prices.len());
    }
}
