//! `tollgate-bench`: check-and-reserve over HTTP (4 applicable budgets) at a fixed rate and at full
//! speed, side by side with a trivial axum handler on the same machine as the ceiling; and alert
//! latency from a threshold crossing to webhook receipt; and ingestion through the batch API.
//!
//! `cargo run --release -p server --bin tollgate-bench -- --database sqlite --rate 1000 --seconds 10`
//! `cargo run --release -p server --bin tollgate-bench -- --scenario cycle --database postgres --rate 1000`
//! `cargo run --release -p server --bin tollgate-bench -- --scenario alerts --database postgres`
//! `cargo run --release -p server --bin tollgate-bench -- --scenario ingest --database sqlite --clients 4`
//! `cargo run --release -p server --bin tollgate-bench -- --scenario queries --database sqlite --events 10000000`

mod alert_latency;
mod cycle;
mod ingest;
mod load;
mod queries;
mod setup;

use clap::Parser;
use std::time::Duration;

#[derive(Parser)]
struct Args {
    /// `check` (check-and-reserve throughput and latency), `cycle` (check then settle, as pairs,
    /// beside check alone), `alerts` (crossing to webhook latency),
    /// `ingest` (events per second through the batch API, and peak memory) or `queries` (status and
    /// dashboard queries with 1,000 budgets and `--events` usage events).
    #[arg(long, default_value = "check")]
    scenario: String,
    /// `sqlite` (a temporary file) or `postgres` (a temporary database on 127.0.0.1:5432).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Requests per second for the latency run.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of the fixed-rate load run right after the server starts, reported apart from the
    /// measured runs (connections being opened, the jobs' first runs).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Checks ask for the decision and reservation only (`include_budgets: false`), as a gateway
    /// that shows no budget figures would; by default every answer lists the four budgets.
    #[arg(long)]
    brief: bool,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Threshold crossings in the alerts scenario, one every 25 ms.
    #[arg(long, default_value_t = 200)]
    crossings: usize,
    /// Events per batch in the ingest scenario (the API takes up to 1,000).
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Usage events written before the queries scenario measures.
    #[arg(long, default_value_t = 10_000_000)]
    events: usize,
    /// Timed runs of each query in the queries scenario (the budget list and overview a tenth as often).
    #[arg(long, default_value_t = 1000)]
    samples: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let database = setup::BenchDatabase::create(&args.database).await?;
    match args.scenario.as_str() {
        "alerts" => {
            let measured = alert_latency::measure(&database, args.crossings, Duration::from_millis(25)).await?;
            println!("{}: threshold crossing to webhook receipt: {}", args.database, measured.latency_summary());
        }
        "ingest" => {
            let length = Duration::from_secs(args.seconds);
            let ingested = ingest::measure(&database, args.clients, length, args.batch).await?;
            println!(
                "{}: ingestion, {} clients, batches of {}: {:.0} events/s ({})",
                args.database,
                args.clients,
                args.batch,
                ingested.events_per_second(),
                ingested.batches.summary()
            );
            if let Some(peak) = ingest::peak_rss_mib() {
                println!("peak RSS of the process (server and load clients): {peak:.0} MiB");
            }
        }
        "queries" => queries::measure(&database, &args.database, args.events, args.samples).await?,
        "cycle" => {
            let (length, warmup) = (Duration::from_secs(args.seconds), Duration::from_secs(args.warmup));
            let measured = cycle::measure(&database, args.clients, length, args.rate, warmup).await?;
            let name = &args.database;
            println!("{name}: check+settle pairs at {} pairs/s target: {}", args.rate, measured.paced_pairs.summary());
            println!(
                "{name}: check+settle pairs at full speed, {} clients: {}",
                args.clients,
                measured.pairs.summary()
            );
            println!("{name}: check only at full speed, {} clients: {}", args.clients, measured.checks.summary());
            println!("pair rate / check rate: {:.1} %", 100.0 * measured.pairs.rate() / measured.checks.rate());
        }
        _ => check_and_reserve(&args, &database).await?,
    }
    database.cleanup().await
}

async fn check_and_reserve(args: &Args, database: &setup::BenchDatabase) -> anyhow::Result<()> {
    let server = setup::ServerRuntime::new()?;
    let app = server.build(database).await?;
    let org = setup::organization(&app).await?;
    setup::four_budget_chain(&app, &org).await?;
    let base = format!("http://{}", app.local_addr());
    let writers = app.state.checks.clone();
    server.serve(app);
    let trivial = server.trivial_server().await?;

    let body = serde_json::json!({ "user": "bench-user", "project": "bench", "category": "llm", "model": "gpt-4o-mini",
                                   "estimated_input_tokens": 1000, "max_output_tokens": 200, "ttl_seconds": 3600,
                                   "include_budgets": !args.brief });
    let database_name = if args.brief { format!("{} (brief answers)", args.database) } else { args.database.clone() };
    let key = org.key;
    let on_postgres = args.database == "postgres";
    let check =
        move |client: &reqwest::Client| client.post(format!("{base}/api/v1/check")).bearer_auth(&key).json(&body);
    let warmup = load::run(&check, args.clients, Duration::from_secs(args.warmup), Some(args.rate), on_postgres).await;
    println!(
        "{}: check-and-reserve at {} req/s, first {} s after start-up: {}",
        database_name,
        args.rate,
        args.warmup,
        warmup.summary()
    );
    let length = Duration::from_secs(args.seconds);
    let paced = load::run(&check, args.clients, length, Some(args.rate), on_postgres).await;
    println!("{}: check-and-reserve at {} req/s target: {}", database_name, args.rate, paced.summary());
    let full = load::run(&check, args.clients, length, None, on_postgres).await;
    println!("{}: check-and-reserve at full speed, {} clients: {}", database_name, args.clients, full.summary());
    let ceiling_request = move |client: &reqwest::Client| client.post(format!("{trivial}/")).body("{}");
    let floor = load::run(&ceiling_request, args.clients, length, Some(args.rate), false).await;
    println!("trivial axum handler at {} req/s target (the measuring floor): {}", args.rate, floor.summary());
    let ceiling = load::run(&ceiling_request, args.clients, length, None, false).await;
    println!("trivial axum handler at full speed, {} clients: {}", args.clients, ceiling.summary());
    println!("throughput ratio check/trivial: {:.1} %", 100.0 * full.rate() / ceiling.rate());
    if on_postgres {
        let fast = writers.optimistic();
        println!(
            "batches of checks the Optimistic route: {} committed, {} found the counters changed, {} failed",
            fast.committed, fast.found_changed, fast.failed
        );
    }
    Ok(())
}
