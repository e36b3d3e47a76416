//! Importing a price list from the Prices page: a preview changes nothing, applying adds the new
//! and changed prices from a date, importing again changes nothing, a malformed file is refused
//! with the entry named, and usage before the date keeps the price it had.

use crate::common;

use app::backend::entities::{price, usage_event};
use chrono::Duration;
use common::browser::signed_in;
use common::fixtures::organization;
use common::{spawn_app, Backend};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

/// A price map in the format open-source gateways publish: gpt-4o as shipped, o3 dearer than
/// shipped, one new model, one image model (left out) and one entry of another provider.
const MAP: &str = r#"{
  "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of the providers", "mode": "chat"},
  "gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06,
             "litellm_provider": "openai", "mode": "chat"},
  "o3": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05, "cache_read_input_token_cost": 7.5e-07,
         "litellm_provider": "openai", "mode": "responses"},
  "gpt-7-mini": {"input_cost_per_token": 4e-07, "output_cost_per_token": 1.6e-06, "output_cost_per_reasoning_token": 3.2e-06,
                 "litellm_provider": "openai", "mode": "chat"},
  "gpt-image-1": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
  "bedrock/some-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06, "litellm_provider": "bedrock"}
}"#;

async fn import(
    browser: &common::browser::Browser,
    text: &str,
    providers: &str,
    from: &str,
    apply: bool,
) -> (u16, Value) {
    let button = if apply { "apply" } else { "preview" };
    let form = [("text", text), ("providers", providers), ("effective_from", from), ("apply", button)];
    let response = browser.call("import_price_list", &form).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn a_price_list_is_previewed_then_applied_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fx.org_id, "ada@example.com", &["admin"]).await;
    let rows =
        || async { price::Entity::find().filter(price::Column::OrgId.eq(fx.org_id)).count(&app.db).await.unwrap() };
    let shipped = rows().await;
    assert!(shipped > 200, "a new organization starts with the shipped price list: {shipped}");
    let today = app.clock_now().date_naive();
    let from = today.format("%Y-%m-%d").to_string();

    let (status, preview) = import(&admin, MAP, "openai", &from, false).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["applied"], json!(false));
    let models = |list: &Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|r| r["model"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(models(&preview["new"]), ["gpt-7-mini"]);
    assert_eq!(models(&preview["changed"]), ["o3"]);
    assert_eq!(preview["changed"][0]["before"], json!("2 / 8 USD, cache reads 0.5 / M"));
    assert_eq!(preview["changed"][0]["price"], json!("3 / 12 USD, cache reads 0.75 / M"));
    assert_eq!(preview["new"][0]["price"], json!("0.4 / 1.6 USD, reasoning 3.2 / M"));
    assert_eq!((preview["unchanged"].as_u64(), preview["skipped"].as_u64()), (Some(1), Some(1)));
    assert_eq!(rows().await, shipped, "a preview changes nothing");

    // A malformed file names the entry and changes nothing, even when applied.
    let broken = MAP.replace("\"input_cost_per_token\": 4e-07", "\"input_cost_per_token\": \"cheap\"");
    let (status, refused) = import(&admin, &broken, "openai", &from, true).await;
    assert_eq!(status, 422, "{refused}");
    let said = refused["Invalid"].as_str().unwrap_or_default();
    assert_eq!(
        said,
        "this price list cannot be imported: entry 'gpt-7-mini': input_cost_per_token \"cheap\" is not a number"
    );
    assert_eq!(rows().await, shipped);

    let (status, applied) = import(&admin, MAP, "openai", &from, true).await;
    assert_eq!((status, &applied["applied"]), (200, &json!(true)), "{applied}");
    assert_eq!(rows().await, shipped + 2, "o3 gets a price from today, gpt-7-mini its first");
    let (status, again) = import(&admin, MAP, "openai", &from, true).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!((again["new"].as_array().unwrap().len(), again["changed"].as_array().unwrap().len()), (0, 0));
    assert_eq!(rows().await, shipped + 2, "importing twice changes nothing the second time");

    // Usage before the import's date keeps the shipped price; from it on, the imported one.
    for (id, at) in [("before", app.clock_now() - Duration::days(2)), ("after", app.clock_now())] {
        let body = json!({ "event_id": id, "occurred_at": at, "user": "ada", "project": "chatbot", "category": "llm",
                           "model": "o3", "input_tokens": 1_000_000, "output_tokens": 100_000 });
        let (status, answer) = app.post_json(&fx.key, "/api/v1/usage", body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let db = &app.db;
    let cost = |id: &'static str| async move {
        usage_event::Entity::find().filter(usage_event::Column::EventId.eq(id)).one(db).await.unwrap().unwrap().cost
    };
    // 2 + 0.8 = 2.8 before; 3 + 1.2 = 4.2 after.
    assert_eq!((cost("before").await, cost("after").await), (2_800_000_000, 4_200_000_000));

    // A CSV price list in Tollgate's columns, in another currency, and only admins import.
    let csv =
        "provider,model,currency,input_per_mtok,output_per_mtok,request_fee\nmistral,mistral-house,EUR,0.5,1.5,0.001\n";
    let (status, preview) = import(&admin, csv, "", "", false).await;
    assert_eq!((status, preview["format"].as_str()), (200, Some("CSV price list")), "{preview}");
    assert_eq!(preview["new"][0]["price"], json!("0.5 / 1.5 EUR, 0.001 per request"));
    let (lead, _) = signed_in(&app, fx.org_id, "lee@example.com", &["lead"]).await;
    assert_eq!(import(&lead, csv, "", "", true).await.0, 403);
    assert_eq!(rows().await, shipped + 2);
}
on_both_databases!(import_from_the_page, a_price_list_is_previewed_then_applied_once);
