//! The whole cycle of a call as a gateway runs it: check-and-reserve, then settle the reservation
//! with the actual tokens; pairs per second and the pair's latency, beside check alone, in one run.

use crate::load::{self, Measured};
use crate::setup::{self, BenchDatabase, ServerRuntime};
use std::time::Duration;

pub struct Cycle {
    pub checks: Measured,
    pub paced_pairs: Measured,
    pub pairs: Measured,
}

pub async fn measure(
    database: &BenchDatabase,
    clients: usize,
    length: Duration,
    rate: u32,
    warmup: Duration,
) -> anyhow::Result<Cycle> {
    let server = ServerRuntime::new()?;
    let app = server.build(database).await?;
    let org = setup::organization(&app).await?;
    setup::four_budget_chain(&app, &org).await?;
    let base = format!("http://{}", app.local_addr());
    server.serve(app);
    let on_postgres = database.is_postgres();

    let body = serde_json::json!({ "user": "bench-user", "project": "bench", "category": "llm", "model": "gpt-4o-mini",
                                   "estimated_input_tokens": 1000, "max_output_tokens": 200, "ttl_seconds": 3600,
                                   "include_budgets": false });
    let key = org.key.clone();
    let check_url = format!("{base}/api/v1/check");
    let check = {
        let (key, body, url) = (key.clone(), body.clone(), check_url.clone());
        move |client: &reqwest::Client| client.post(&url).bearer_auth(&key).json(&body)
    };
    let pair = move |client: reqwest::Client| {
        let (key, body, url, base) = (key.clone(), body.clone(), check_url.clone(), base.clone());
        async move {
            let Ok(answer) = client.post(&url).bearer_auth(&key).json(&body).send().await else { return false };
            let Ok(answer) = answer.json::<serde_json::Value>().await else { return false };
            let Some(id) = answer["reservation_id"].as_str() else { return false };
            let actual = serde_json::json!({ "input_tokens": 950, "output_tokens": 180 });
            let settle = client.post(format!("{base}/api/v1/reservations/{id}/settle")).bearer_auth(&key).json(&actual);
            matches!(settle.send().await, Ok(r) if r.status().is_success())
        }
    };
    load::run_operations(&pair, clients, warmup, Some(rate), on_postgres).await;
    let paced_pairs = load::run_operations(&pair, clients, length, Some(rate), on_postgres).await;
    let pairs = load::run_operations(&pair, clients, length, None, on_postgres).await;
    let checks = load::run(&check, clients, length, None, on_postgres).await;
    Ok(Cycle { checks, paced_pairs, pairs })
}
