//! `tollgate-bench`: check-and-reserve over HTTP (4 applicable budgets) at a fixed rate and at full
//! speed, side by side with a trivial axum handler on the same machine as the ceiling.
//!
//! `cargo run --release -p server --bin tollgate-bench -- --database sqlite --rate 1000 --seconds 10`

use anyhow::Context;
use app::services::budgets::BudgetInput;
use app::services::directory::{self, Change, NewProject, NewUser};
use app::services::{api_keys, budgets, organizations};
use clap::Parser;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tollgate_domain::{Clock, EnforcementMode, Period, ScopeKind, SystemClock};
use tollgate_server::{config::Settings, mail::Mailer, startup::Application};

#[derive(Parser)]
struct Args {
    /// `sqlite` (a temporary file) or `postgres` (a temporary database on 127.0.0.1:5432).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Requests per second for the latency run.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
}

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let (url, pg_name) = match args.database.as_str() {
        "postgres" => {
            let name = format!("tollgate_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(format!("{POSTGRES}/postgres")).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
            (format!("{POSTGRES}/{name}"), Some(name))
        }
        _ => (format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()), None),
    };
    let settings = Settings {
        database_url: Some(url),
        data_dir: dir.path().to_path_buf(),
        addr: "127.0.0.1:0".parse()?,
        site_root: None,
        smtp_url: None,
        mail_from: "bench@localhost".into(),
        log_format: "text".into(),
        sweep_interval_ms: 5000,
        insecure_cookies: false,
        trust_forwarded_for: false,
        dispatch_interval_ms: 250,
        forecast_interval_secs: 300,
        public_url: None,
    };
    let app = Application::build(&settings, Arc::new(SystemClock), Mailer::recording()).await?;
    let key = fixtures(&app).await?;
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let trivial = trivial_server().await?;

    let body = serde_json::json!({ "user": "bench-user", "project": "bench", "category": "llm", "model": "gpt-4o-mini",
                                   "estimated_input_tokens": 1000, "max_output_tokens": 200, "ttl_seconds": 3600 });
    let check =
        move |client: &reqwest::Client| client.post(format!("{base}/api/v1/check")).bearer_auth(&key).json(&body);
    let length = Duration::from_secs(args.seconds);
    let paced = run(&check, args.clients, length, Some(args.rate)).await;
    println!("{}: check-and-reserve at {} req/s target: {}", args.database, args.rate, paced.summary());
    let full = run(&check, args.clients, length, None).await;
    println!("{}: check-and-reserve at full speed, {} clients: {}", args.database, args.clients, full.summary());
    let ceiling_request = move |client: &reqwest::Client| client.post(format!("{trivial}/")).body("{}");
    let ceiling = run(&ceiling_request, args.clients, length, None).await;
    println!("trivial axum handler at full speed, {} clients: {}", args.clients, ceiling.summary());
    println!("throughput ratio check/trivial: {:.1} %", 100.0 * full.rate() / ceiling.rate());

    if let Some(name) = pg_name {
        let admin = Database::connect(format!("{POSTGRES}/postgres")).await?;
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
    }
    Ok(())
}

/// An organization with four budgets on one operation's chain (org, team, project, user), roomy
/// enough that every request is admitted and reserves on all four.
async fn fixtures(app: &Application) -> anyhow::Result<String> {
    let db = &app.state.db;
    let now = SystemClock.now();
    let change = Change { actor: "bench", now };
    let org = organizations::create_organization(db, "Bench", "UTC", "USD", now).await?;
    let team = directory::create_team(db, org.id, "Bench team", change).await?;
    let new_project = NewProject { slug: "bench".into(), name: "Bench".into(), team_id: team.id };
    let project = directory::create_project(db, org.id, new_project, change).await?;
    let new_user = NewUser { handle: "bench-user".into(), display_name: None, email: None };
    let user = directory::create_user(db, org.id, new_user, change).await?;
    let scopes = [
        (ScopeKind::Organization, None),
        (ScopeKind::Team, Some(team.id)),
        (ScopeKind::Project, Some(project.id)),
        (ScopeKind::User, Some(user.id)),
    ];
    for (scope, scope_id) in scopes {
        let input = BudgetInput {
            name: format!("{scope} budget"),
            scope,
            scope_id,
            category: None,
            period: Period::Monthly,
            currency: None,
            cost_soft: None,
            cost_hard: Some(Decimal::from(1_000_000_000)),
            tokens_soft: None,
            tokens_hard: None,
            operations_soft: None,
            operations_hard: None,
            enforcement: EnforcementMode::HardStop,
            grace_minutes: 0,
            reserve_cost: Decimal::ZERO,
            reserve_tokens: 0,
            reserve_operations: 0,
            thresholds: vec![50, 75, 90, 100],
            two_approvers_above: None,
            escalate_after_minutes: None,
            escalate_from: None,
        };
        budgets::create(db, &org, &input, "bench", now).await.context("creating a bench budget")?;
    }
    Ok(api_keys::create(db, org.id, "bench", api_keys::Permission::Ingest, None, now).await?.1)
}

async fn trivial_server() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let router = axum::Router::new().route("/", axum::routing::post(|| async { "{\"ok\":true}" }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

struct Measured {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }

    fn summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} requests, {} errors",
            self.rate(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            self.latencies.len(),
            self.errors
        )
    }
}

/// `clients` keep-alive workers for `length`; with a `rate`, requests start on a fixed schedule.
async fn run<F>(request: &F, clients: usize, length: Duration, rate: Option<u32>) -> Measured
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
{
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..clients {
        let request = request.clone();
        workers.spawn(async move {
            let client = reqwest::Client::new();
            let (mut latencies, mut errors) = (Vec::new(), 0);
            let period = rate.map(|r| Duration::from_secs_f64(clients as f64 / f64::from(r.max(1))));
            let mut next = start + period.map_or(Duration::ZERO, |p| p.mul_f64(worker as f64 / clients as f64));
            while start.elapsed() < length {
                if let Some(period) = period {
                    tokio::time::sleep_until(next.into()).await;
                    next += period;
                }
                let sent = Instant::now();
                match request(&client).send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut measured = Measured { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO };
    while let Some(Ok((latencies, errors))) = workers.join_next().await {
        measured.latencies.extend(latencies);
        measured.errors += errors;
    }
    measured.elapsed = start.elapsed();
    measured.latencies.sort_unstable();
    measured
}
