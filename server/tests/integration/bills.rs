//! A month of calls priced by hand, the way a provider's bill reads, against what Tollgate records:
//! a EUR ledger over USD list prices with a rate change mid-month, cached and cache-written input,
//! reasoning billed apart, dated and prefixed model names and an alias of the organization's own.

use crate::common;

use app::backend::engine::keys::{self, Permission};
use app::backend::entities::usage_event;
use app::backend::services::organizations;
use chrono::{TimeZone, Utc};
use common::fixtures::{add_project, add_team};
use common::{spawn_app, Backend};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn a_hand_computed_bill_equals_the_recorded_cost(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = app.clock_now();
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    let org = organizations::create_organization(&app.db, "Acme Europe", "Europe/Berlin", "EUR", now).await.unwrap();
    let team = add_team(&app, org.id, "Core").await;
    add_project(&app, org.id, team, "chatbot").await;
    let (_, ingest) = keys::create(&app.db, org.id, "svc", Permission::Ingest, None, now).await.unwrap();
    let (_, admin) = keys::create(&app.db, org.id, "ops", Permission::Admin, None, now).await.unwrap();
    for (rate, from) in [("0.9", day(1, 0)), ("0.95", day(15, 0))] {
        let body = json!({ "from_currency": "USD", "rate": rate, "effective_from": from });
        assert_eq!(app.post_json(&admin, "/api/v1/exchange-rates", body).await.0, 201);
    }
    let price = json!({ "provider": "openai", "model": "gpt-7-mini", "input_per_mtok": "0.40", "output_per_mtok": "1.60",
                        "reasoning_per_mtok": "3.20", "currency": "USD", "effective_from": day(1, 0) });
    assert_eq!(app.post_json(&admin, "/api/v1/prices", price).await.0, 201);
    let alias = json!({ "alias": "house-chat", "model": "deepseek-chat" });
    assert_eq!(app.post_json(&admin, "/api/v1/model-aliases", alias).await.0, 201);

    // (id, when, model as sent, tokens, cost in EUR billionths as worked out by hand from the
    // shipped list prices per million tokens)
    let calls = [
        // claude-sonnet-4-5: 10,000 fresh × 3 + 80,000 cache reads × 0.30 + 30,000 cache writes
        // × 3.75 + 2,000 out × 15 = 0.1965 USD; at 0.9 = 0.17685 EUR.
        (
            "cached",
            day(5, 9),
            "claude-sonnet-4-5-20250929",
            json!({ "input_tokens": 120_000, "cached_input_tokens": 80_000, "cache_write_tokens": 30_000, "output_tokens": 2_000 }),
            176_850_000_i64,
        ),
        // gpt-4o (dated name): 30,000 fresh × 2.50 + 20,000 cached × 1.25 + 1,000 out × 10 = 0.11 USD; at 0.9 = 0.099.
        (
            "dated",
            day(5, 10),
            "gpt-4o-2025-06-01",
            json!({ "input_tokens": 50_000, "cached_input_tokens": 20_000, "output_tokens": 1_000 }),
            99_000_000,
        ),
        // gpt-7-mini (dated name): 10,000 in × 0.40 + 2,000 visible out × 1.60 + 6,000 reasoning
        // × 3.20 = 0.0264 USD; after the change, at 0.95 = 0.02508.
        (
            "reasoning",
            day(16, 8),
            "gpt-7-mini-2026-11-03",
            json!({ "input_tokens": 10_000, "output_tokens": 8_000, "reasoning_tokens": 6_000 }),
            25_080_000,
        ),
        // house-chat is deepseek-chat: 600,000 fresh × 0.28 + 400,000 cached × 0.028 + 200,000
        // out × 0.42 = 0.2632 USD; at 0.95 = 0.25004.
        (
            "aliased",
            day(17, 12),
            "house-chat",
            json!({ "input_tokens": 1_000_000, "cached_input_tokens": 400_000, "output_tokens": 200_000 }),
            250_040_000,
        ),
        // gemini-2.5-flash with its provider prefix, a tiny call: 7 × 0.30 + 3 × 2.50 = 0.0000096
        // USD; at 0.95 = 0.00000912 EUR, kept to the billionth.
        ("tiny", day(18, 9), "gemini/gemini-2.5-flash", json!({ "input_tokens": 7, "output_tokens": 3 }), 9_120),
    ];
    for (id, at, model, tokens, _) in &calls {
        let mut body = json!({ "event_id": id, "occurred_at": at, "user": "ada", "project": "chatbot",
                               "category": "llm", "model": model });
        body.as_object_mut().unwrap().extend(tokens.as_object().unwrap().clone());
        let (status, answer) = app.post_json(&ingest, "/api/v1/usage", body).await;
        assert_eq!(status, 200, "{id}: {answer}");
    }
    let rows = usage_event::Entity::find().filter(usage_event::Column::OrgId.eq(org.id)).all(&app.db).await.unwrap();
    for (id, _, model, _, cost) in &calls {
        let row = rows.iter().find(|r| r.event_id == *id).unwrap_or_else(|| panic!("{id} is recorded"));
        assert_eq!((row.model.as_str(), row.cost, row.currency.as_str()), (*model, *cost, "EUR"), "{id}");
    }
    // The month's bill: 0.17685 + 0.099 + 0.02508 + 0.25004 + 0.00000912 = 0.55097912 EUR.
    assert_eq!(rows.iter().map(|r| r.cost).sum::<i64>(), 550_979_120);

    // The same bill split by component, each part at its price and the event's rate, by hand:
    // fresh input (0.03 + 0.075) × 0.9 + (0.004 + 0.168 + 0.0000021) × 0.95 = 0.257901995;
    // cache reads (0.024 + 0.025) × 0.9 + 0.0112 × 0.95 = 0.05474; cache writes 0.1125 × 0.9;
    // output (0.03 + 0.01) × 0.9 + (0.0032 + 0.084 + 0.0000075) × 0.95 = 0.118847125;
    // reasoning 0.0192 × 0.95 = 0.01824. Together 0.55097912, the recorded total.
    let (status, report) = app.get_json(&admin, "/api/v1/reports/components?from=2026-11-01&to=2026-11-18").await;
    assert_eq!(status, 200, "{report}");
    let table: Vec<Vec<String>> = report["table"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cells"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect())
        .collect();
    let expected = [
        ["Input (fresh)", "650007", "0.257901995"],
        ["Cache reads", "500000", "0.05474"],
        ["Cache writes", "30000", "0.10125"],
        ["Output", "205003", "0.118847125"],
        ["Reasoning", "6000", "0.01824"],
        ["Request fees", "5", "0.00"],
    ];
    let got: Vec<[&str; 3]> = table.iter().map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str()]).collect();
    assert_eq!(got, expected, "{report}");
    assert_eq!(report["headline"][0][1], json!("EUR 0.55"), "{report}");
}
on_both_databases!(hand_computed_bill, a_hand_computed_bill_equals_the_recorded_cost);
