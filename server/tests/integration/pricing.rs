//! Model names as calls send them: dated, prefixed and versioned names are priced by their base
//! model's catalog entry, at the same price to the billionth; the ledger keeps the name as sent and
//! the entry that priced it; a name no entry matches stays unpriced (refused), never $0.

use crate::common;

use app::backend::entities::usage_event;
use common::fixtures::{add_budget, organization, BudgetSpec};
use common::{spawn_app, Backend};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn names_as_sent_are_priced_by_their_catalog_entry(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(1000))).await;
    // The shipped price list: gpt-4o at $2.50 in / $10 out per million tokens, claude-sonnet-4-5 at $3 / $15.
    // A million tokens in and 100,000 out: 2.50 + 1.00 = 3.50 and 3.00 + 1.50 = 4.50.
    let calls = [
        ("a", "gpt-4o", "gpt-4o", "openai", 3_500_000_000),
        ("b", "gpt-4o-2025-06-01", "gpt-4o", "openai", 3_500_000_000),
        ("c", "openai/gpt-4o", "gpt-4o", "openai", 3_500_000_000),
        ("d", "openai/gpt-4o-2025-02-14", "gpt-4o", "openai", 3_500_000_000),
        ("e", "claude-sonnet-4-5-20260101", "claude-sonnet-4-5", "anthropic", 4_500_000_000),
        ("f", "claude-sonnet-4-5-latest", "claude-sonnet-4-5", "anthropic", 4_500_000_000),
        ("g", "claude-sonnet-4-5@20250929", "claude-sonnet-4-5", "anthropic", 4_500_000_000),
    ];
    for (id, model, ..) in calls {
        let body = json!({ "event_id": id, "occurred_at": app.clock_now(), "user": "ada", "project": "chatbot",
                           "category": "llm", "model": model, "input_tokens": 1_000_000, "output_tokens": 100_000 });
        let (status, answer) = app.post_json(&fx.key, "/api/v1/usage", body).await;
        assert_eq!(status, 200, "{model}: {answer}");
    }
    for (id, sent, entry, provider, cost) in calls {
        let row = usage_event::Entity::find()
            .filter(usage_event::Column::EventId.eq(id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{sent} was recorded"));
        assert_eq!(
            (row.model.as_str(), row.priced_model.as_deref(), row.provider.as_str(), row.cost),
            (sent, Some(entry), provider, cost),
            "the ledger keeps the name as sent and the entry that priced it"
        );
    }

    // A name no entry matches is refused, whatever it looks like; nothing is recorded.
    for model in ["gpt-9-2031-08-07", "gpt-4o-turbo-preview", "mistral/gpt-4o"] {
        let body = json!({ "event_id": format!("x-{model}"), "occurred_at": app.clock_now(), "user": "ada",
                           "project": "chatbot", "category": "llm", "model": model, "input_tokens": 10, "output_tokens": 10 });
        let (status, answer) = app.post_json(&fx.key, "/api/v1/usage", body).await;
        assert_eq!(status, 422, "{model}: {answer}");
        assert!(answer.to_string().contains("unpriced"), "{model}: {answer}");
    }
    let unpriced = usage_event::Entity::find().filter(usage_event::Column::EventId.starts_with("x-")).all(&app.db);
    assert!(unpriced.await.unwrap().is_empty());

    // Check and settle price a dated name the same way.
    let check = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o-2025-06-01",
                        "estimated_input_tokens": 1_000_000, "max_output_tokens": 1_000_000 });
    let (status, reserved) = app.post_json(&fx.key, "/api/v1/check", check).await;
    assert_eq!((status, &reserved["estimate"]["cost"]), (200, &json!("12.5")), "{reserved}");
    let id = reserved["reservation_id"].as_str().unwrap();
    let settle = json!({ "input_tokens": 200_000, "output_tokens": 50_000 });
    let (status, settled) = app.post_json(&fx.key, &format!("/api/v1/reservations/{id}/settle"), settle).await;
    assert_eq!((status, &settled["cost"]), (200, &json!("1")), "{settled}");
    let row = usage_event::Entity::find()
        .filter(usage_event::Column::ReservationId.eq(id.parse::<uuid::Uuid>().unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.model.as_str(), row.priced_model.as_deref()), ("gpt-4o-2025-06-01", Some("gpt-4o")));
}
on_both_databases!(model_names, names_as_sent_are_priced_by_their_catalog_entry);

/// A EUR organization with USD catalog prices: usage is refused until an exchange rate exists and
/// the error names it; then each event is converted at the rate in force when it happened, to the
/// billionth, and the ledger keeps the rate it used.
async fn a_eur_ledger_prices_usd_entries_at_the_rate_in_force(backend: Backend) {
    use app::backend::engine::keys::{self, Permission};
    use app::backend::services::organizations;
    use chrono::Duration;
    use common::fixtures::{add_project, add_team};
    let app = spawn_app(backend).await;
    let now = app.clock_now();
    let org = organizations::create_organization(&app.db, "Acme Europe", "UTC", "EUR", now).await.unwrap();
    let team = add_team(&app, org.id, "Core").await;
    add_project(&app, org.id, team, "chatbot").await;
    let (_, ingest) = keys::create(&app.db, org.id, "svc", Permission::Ingest, None, now).await.unwrap();
    let (_, admin) = keys::create(&app.db, org.id, "ops", Permission::Admin, None, now).await.unwrap();
    let price = json!({ "provider": "openai", "model": "gpt-4o", "input_per_mtok": "2.50", "output_per_mtok": "10",
                        "currency": "USD", "effective_from": now - Duration::days(60) });
    let (status, body) = app.post_json(&admin, "/api/v1/prices", price).await;
    assert_eq!(status, 201, "a price in the provider's currency is accepted: {body}");

    let usage = |id: &str, at: chrono::DateTime<chrono::Utc>| {
        json!({ "event_id": id, "occurred_at": at, "user": "ada", "project": "chatbot", "category": "llm",
                "model": "gpt-4o-2024-08-06", "input_tokens": 1_000_000, "output_tokens": 100_000 })
    };
    let (status, refused) = app.post_json(&ingest, "/api/v1/usage", usage("early", now - Duration::days(10))).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("exchange_rate_missing")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("from USD to EUR"), "{refused}");

    // 0.9 from 20 days ago, 0.9523 from 3 days ago (a change mid-month).
    for (rate, back) in [("0.9", 20), ("0.9523", 3)] {
        let body = json!({ "from_currency": "USD", "rate": rate, "effective_from": now - Duration::days(back) });
        let (status, added) = app.post_json(&admin, "/api/v1/exchange-rates", body).await;
        assert_eq!((status, &added["to_currency"]), (201, &json!("EUR")), "{added}");
    }
    let same = json!({ "from_currency": "EUR", "rate": "1" });
    assert_eq!(app.post_json(&admin, "/api/v1/exchange-rates", same).await.0, 422, "no rate into itself");
    assert_eq!(
        app.post_json(&ingest, "/api/v1/exchange-rates", json!({ "from_currency": "USD", "rate": "1" })).await.0,
        403
    );

    for (id, back) in [("early", 10), ("late", 1)] {
        let (status, body) = app.post_json(&ingest, "/api/v1/usage", usage(id, now - Duration::days(back))).await;
        assert_eq!(status, 200, "{body}");
    }
    // 3.50 USD each: at 0.9 = 3.15 EUR, at 0.9523 = 3.33305 EUR.
    for (id, cost, rate) in [("early", 3_150_000_000_i64, 900_000_000_i64), ("late", 3_333_050_000, 952_300_000)] {
        let row = usage_event::Entity::find().filter(usage_event::Column::EventId.eq(id)).one(&app.db).await.unwrap();
        let row = row.unwrap();
        assert_eq!((row.cost, row.currency.as_str(), row.exchange_rate), (cost, "EUR", Some(rate)), "{id}");
    }
    // A check now is estimated at today's rate: 12.50 USD = 11.90375 EUR.
    let check = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                        "estimated_input_tokens": 1_000_000, "max_output_tokens": 1_000_000 });
    let (status, reserved) = app.post_json(&ingest, "/api/v1/check", check).await;
    assert_eq!((status, &reserved["estimate"]["cost"]), (200, &json!("11.90375")), "{reserved}");
    let (_, rates) = app.get_json(&admin, "/api/v1/exchange-rates").await;
    assert_eq!(rates.as_array().unwrap().len(), 2, "{rates}");
}
on_both_databases!(exchange_rates, a_eur_ledger_prices_usd_entries_at_the_rate_in_force);

/// An admin's alias prices a name of the organization's own as a catalog entry, at once on every
/// path (the configuration cache learns of it), and stops when removed.
async fn aliases_price_names_of_your_own(backend: Backend) {
    use app::backend::engine::keys::{self, Permission};
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let (_, admin) = keys::create(&app.db, fx.org_id, "ops", Permission::Admin, None, app.clock_now()).await.unwrap();
    let check = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "chat-default",
                        "estimated_input_tokens": 1_000_000, "max_output_tokens": 0 });
    let (status, refused) = app.post_json(&fx.key, "/api/v1/check", check.clone()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("unpriced_model")), "{refused}");

    let (status, added) =
        app.post_json(&admin, "/api/v1/model-aliases", json!({ "alias": "chat-default", "model": "gpt-4o" })).await;
    assert_eq!(status, 201, "{added}");
    for (body, why) in [
        (json!({ "alias": "chat-default", "model": "gpt-4o-mini" }), "an alias names one entry"),
        (json!({ "alias": "mine", "model": "gpt-9" }), "the catalog must list the model"),
        (json!({ "alias": "gpt-4o", "model": "gpt-4o" }), "an alias differs from the name"),
        (json!({ "alias": "x", "model": "gpt-4o", "provider": "openai" }), "unknown fields are refused"),
    ] {
        assert_eq!(app.post_json(&admin, "/api/v1/model-aliases", body).await.0, 422, "{why}");
    }
    let forbidden = app.post_json(&fx.key, "/api/v1/model-aliases", json!({ "alias": "y", "model": "gpt-4o" })).await;
    assert_eq!(forbidden.0, 403);

    let (status, reserved) = app.post_json(&fx.key, "/api/v1/check", check.clone()).await;
    assert_eq!((status, &reserved["estimate"]["cost"]), (200, &json!("2.5")), "priced as gpt-4o: {reserved}");
    let body = json!({ "event_id": "aliased", "occurred_at": app.clock_now(), "user": "ada", "project": "chatbot",
                       "category": "llm", "model": "chat-default", "input_tokens": 1_000_000, "output_tokens": 100_000 });
    assert_eq!(app.post_json(&fx.key, "/api/v1/usage", body).await.0, 200);
    let row = usage_event::Entity::find().filter(usage_event::Column::EventId.eq("aliased")).one(&app.db).await;
    let row = row.unwrap().unwrap();
    assert_eq!(
        (row.model.as_str(), row.priced_model.as_deref(), row.cost),
        ("chat-default", Some("gpt-4o"), 3_500_000_000)
    );

    let id = added["id"].as_str().unwrap();
    let (status, _) = app.delete(&admin, &format!("/api/v1/model-aliases/{id}")).await;
    assert_eq!(status, 204);
    assert_eq!(app.delete(&admin, &format!("/api/v1/model-aliases/{id}")).await.0, 404);
    let (status, refused) = app.post_json(&fx.key, "/api/v1/check", check).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("unpriced_model")), "removed: {refused}");
}
on_both_databases!(aliases, aliases_price_names_of_your_own);

/// Cache reads and writes, reasoning and a per-request fee are each billed at their own price, to
/// the billionth, on usage and settle alike; the ledger keeps each part; a part larger than its
/// whole is refused.
async fn each_price_component_is_billed_at_its_own_price(backend: Backend) {
    use app::backend::engine::keys::{self, Permission};
    use chrono::Duration;
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let now = app.clock_now();
    let (_, admin) = keys::create(&app.db, fx.org_id, "ops", Permission::Admin, None, now).await.unwrap();
    for price in [
        json!({ "provider": "anthropic", "model": "claude-sonnet-4-5", "input_per_mtok": "3", "output_per_mtok": "15",
                "cached_input_per_mtok": "0.30", "cache_write_per_mtok": "3.75", "currency": "USD",
                "effective_from": now - Duration::days(1) }),
        json!({ "provider": "openai", "model": "o3", "input_per_mtok": "2", "output_per_mtok": "8", "currency": "USD",
                "effective_from": now - Duration::days(1) }),
        json!({ "provider": "perplexity", "model": "sonar", "input_per_mtok": "1", "output_per_mtok": "1",
                "request_fee": "0.005", "currency": "USD", "effective_from": now - Duration::days(1) }),
    ] {
        let (status, body) = app.post_json(&admin, "/api/v1/prices", price).await;
        assert_eq!(status, 201, "{body}");
    }
    let event = |id: &str, model: &str, parts: serde_json::Value| {
        let mut body = json!({ "event_id": id, "occurred_at": now, "user": "ada", "project": "chatbot",
                               "category": "llm", "model": model });
        body.as_object_mut().unwrap().extend(parts.as_object().unwrap().clone());
        body
    };
    let bills = [
        // 10,000 fresh × 3 + 80,000 × 0.30 + 30,000 × 3.75 + 2,000 × 15, per million = 0.1965.
        (
            "cached",
            "claude-sonnet-4-5-20250929",
            json!({ "input_tokens": 120_000, "cached_input_tokens": 80_000, "cache_write_tokens": 30_000, "output_tokens": 2_000 }),
            196_500_000_i64,
        ),
        // Reasoning billed as output (no reasoning price listed): 1,000 × 2 + 5,000 × 8 = 0.042.
        (
            "thinking",
            "o3",
            json!({ "input_tokens": 1_000, "output_tokens": 5_000, "reasoning_tokens": 4_000 }),
            42_000_000,
        ),
        // Three requests: 2,000 tokens × 1 per million + 3 × 0.005 = 0.017.
        ("fees", "sonar", json!({ "input_tokens": 1_000, "output_tokens": 1_000, "operations": 3 }), 17_000_000),
    ];
    for (id, model, parts, cost) in &bills {
        let (status, body) = app.post_json(&fx.key, "/api/v1/usage", event(id, model, parts.clone())).await;
        assert_eq!(status, 200, "{id}: {body}");
        let row = usage_event::Entity::find().filter(usage_event::Column::EventId.eq(*id)).one(&app.db).await;
        let row = row.unwrap().unwrap();
        assert_eq!(row.cost, *cost, "{id}");
        let recorded = (row.cached_input_tokens, row.cache_write_tokens, row.reasoning_tokens);
        let sent = |k: &str| parts[k].as_i64().unwrap_or(0);
        assert_eq!(
            recorded,
            (sent("cached_input_tokens"), sent("cache_write_tokens"), sent("reasoning_tokens")),
            "{id}"
        );
    }
    for (parts, why) in [
        (
            json!({ "input_tokens": 10, "cached_input_tokens": 8, "cache_write_tokens": 3 }),
            "cache parts exceed the input",
        ),
        (json!({ "output_tokens": 1, "reasoning_tokens": 2 }), "reasoning exceeds the output"),
        (json!({ "input_tokens": 10, "cached_input_tokens": -1 }), "a negative part"),
    ] {
        let (status, body) = app.post_json(&fx.key, "/api/v1/usage", event("bad", "o3", parts)).await;
        assert_eq!(status, 422, "{why}: {body}");
    }
    let bad = usage_event::Entity::find().filter(usage_event::Column::EventId.eq("bad")).one(&app.db).await;
    assert!(bad.unwrap().is_none(), "nothing recorded");

    // A settle reports the same parts and is billed the same way.
    let check = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "claude-sonnet-4-5",
                        "estimated_input_tokens": 120_000, "max_output_tokens": 2_000 });
    let (status, reserved) = app.post_json(&fx.key, "/api/v1/check", check).await;
    assert_eq!(status, 200, "{reserved}");
    let id = reserved["reservation_id"].as_str().unwrap();
    let actual = json!({ "input_tokens": 120_000, "cached_input_tokens": 80_000, "cache_write_tokens": 30_000,
                         "output_tokens": 2_000 });
    let (status, settled) = app.post_json(&fx.key, &format!("/api/v1/reservations/{id}/settle"), actual).await;
    assert_eq!((status, &settled["cost"]), (200, &json!("0.1965")), "{settled}");
}
on_both_databases!(components, each_price_component_is_billed_at_its_own_price);
