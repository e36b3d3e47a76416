//! Alert latency: from the usage request whose answer commits a threshold crossing to the signed
//! webhook arriving at a receiver on loopback, with the production dispatcher settings.

use crate::load::Measured;
use crate::setup::{budget, organization, user, BenchDatabase};
use app::backend::services::alerts::recipients;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tollgate_domain::alerting::RecipientKind;
use tollgate_domain::{Clock, ScopeKind, SystemClock};
use uuid::Uuid;

type Arrivals = Arc<Mutex<HashMap<Uuid, Instant>>>;

/// `crossings` budgets of $10 with one 50 % threshold; one $6 event each, `every` apart.
pub async fn measure(database: &BenchDatabase, crossings: usize, every: Duration) -> anyhow::Result<Measured> {
    let app = database.server().await?;
    let org = organization(&app).await?;
    let (receiver, arrivals) = receiver().await?;
    let mut budgets = Vec::with_capacity(crossings);
    for i in 0..crossings {
        let handle = format!("alert-user-{i}");
        let user_id = user(&app, org.org.id, &handle).await?;
        let model = budget(&app, &org, ScopeKind::User, Some(user_id), Decimal::from(10), vec![50]).await?;
        let new = recipients::NewRecipient { kind: RecipientKind::Webhook, target: &receiver, min_threshold: None };
        recipients::add(&app.state.db, &model, new, &app.state.outbound, SystemClock.now()).await?;
        budgets.push((handle, model.id));
    }
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::new();
    let mut crossed: HashMap<Uuid, Instant> = HashMap::new();
    let mut errors = 0;
    let start = Instant::now();
    let mut tick = tokio::time::interval(every);
    for (handle, budget_id) in &budgets {
        tick.tick().await;
        let body = serde_json::json!({ "event_id": format!("cross-{handle}"), "occurred_at": SystemClock.now(),
            "user": handle, "project": "bench", "category": "llm", "model": "gpt-4o-mini", "cost": "6" });
        let answer = client.post(format!("{base}/api/v1/usage")).bearer_auth(&org.key).json(&body).send().await;
        match answer {
            Ok(response) if response.status().is_success() => {
                crossed.insert(*budget_id, Instant::now());
            }
            _ => errors += 1,
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().unwrap().len() < crossed.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrived = arrivals.lock().unwrap().clone();
    let mut latencies: Vec<Duration> = crossed
        .iter()
        .filter_map(|(id, at)| arrived.get(id).map(|received| received.saturating_duration_since(*at)))
        .collect();
    latencies.sort_unstable();
    let missing = crossed.len() - latencies.len();
    Ok(Measured { latencies, errors: errors + missing, elapsed: start.elapsed(), server_cpu: None, postgres_cpu: None })
}

/// A webhook receiver on loopback that notes when each budget's first alert arrives.
async fn receiver() -> anyhow::Result<(String, Arrivals)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let arrivals: Arrivals = Arc::default();
    let seen = arrivals.clone();
    let handler = move |body: String| {
        let seen = seen.clone();
        async move {
            let received = Instant::now();
            let payload: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if let Some(id) = payload["budget_id"].as_str().and_then(|id| Uuid::parse_str(id).ok()) {
                seen.lock().unwrap().entry(id).or_insert(received);
            }
            "ok"
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((url, arrivals))
}
