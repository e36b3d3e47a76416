//! Ingestion: usage events per second through the batch API (an answered batch is committed), and the
//! peak resident memory of the process, which hosts the server and the load clients alike.

use crate::load::{self, Measured};
use crate::setup::{self, BenchDatabase};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct Ingested {
    pub batches: Measured,
    pub batch_size: usize,
}

impl Ingested {
    pub fn events_per_second(&self) -> f64 {
        self.batches.rate() * self.batch_size as f64
    }
}

pub async fn measure(
    database: &BenchDatabase,
    clients: usize,
    length: Duration,
    batch_size: usize,
) -> anyhow::Result<Ingested> {
    let server = setup::ServerRuntime::new()?;
    let app = server.build(database).await?;
    let org = setup::organization(&app).await?;
    setup::four_budget_chain(&app, &org).await?;
    let base = format!("http://{}", app.local_addr());
    server.serve(app);
    let next_id = Arc::new(AtomicU64::new(0));
    let key = org.key;
    let post = move |client: &reqwest::Client| {
        let first = next_id.fetch_add(batch_size as u64, Ordering::Relaxed);
        let now = chrono::Utc::now();
        let events: Vec<serde_json::Value> = (first..first + batch_size as u64)
            .map(|n| {
                serde_json::json!({ "event_id": format!("bench-{n}"), "occurred_at": now, "user": "bench-user",
                                    "project": "bench", "category": "llm", "model": "gpt-4o-mini",
                                    "input_tokens": 800, "output_tokens": 200 })
            })
            .collect();
        client.post(format!("{base}/api/v1/usage")).bearer_auth(&key).json(&serde_json::json!({ "events": events }))
    };
    let batches = load::run(&post, clients, length, None, false).await;
    Ok(Ingested { batches, batch_size })
}

/// The process's peak resident set size (VmHWM) in MiB, where /proc tells it.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
