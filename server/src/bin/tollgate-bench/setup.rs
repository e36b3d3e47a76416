//! Bench fixtures: a throw-away database, a Tollgate server on it, an organization with budgets.

use anyhow::Context;
use app::backend::engine::keys;
use app::backend::services::budgets::BudgetInput;
use app::backend::services::directory::{self, Change, NewProject, NewUser};
use app::backend::services::{budgets, organizations};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use tollgate_domain::{Clock, EnforcementMode, Period, ScopeKind, SystemClock};
use tollgate_server::{config::Settings, mail::Mailer, startup::Application};
use uuid::Uuid;

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

/// A temporary SQLite file or PostgreSQL database, dropped by `cleanup`.
pub struct BenchDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
    postgres_name: Option<String>,
}

impl BenchDatabase {
    pub async fn create(kind: &str) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        if kind == "postgres" {
            let name = format!("tollgate_bench_{}", Uuid::new_v4().simple());
            let admin = Database::connect(format!("{POSTGRES}/postgres")).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
            return Ok(BenchDatabase { url: format!("{POSTGRES}/{name}"), dir, postgres_name: Some(name) });
        }
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        Ok(BenchDatabase { url, dir, postgres_name: None })
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres_name.is_some()
    }

    pub async fn cleanup(self) -> anyhow::Result<()> {
        if let Some(name) = self.postgres_name {
            let admin = Database::connect(format!("{POSTGRES}/postgres")).await?;
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
        }
        Ok(())
    }

    /// A server with the production defaults for its jobs (the alert dispatcher polls every 250 ms).
    pub async fn server(&self) -> anyhow::Result<Application> {
        Application::build(&self.settings()?, Arc::new(SystemClock), Mailer::recording()).await
    }

    fn settings(&self) -> anyhow::Result<Settings> {
        Ok(Settings {
            database_url: Some(self.url.clone()),
            data_dir: self.dir.path().to_path_buf(),
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
            // The alert-latency receiver listens on loopback.
            outbound_allow: vec!["127.0.0.1".into()],
        })
    }
}

/// The server side of a load run on its own Tokio runtime, as a separately started server would
/// have: its tasks do not wait in the load generator's run queues (both still share the 2 cores).
pub struct ServerRuntime(Option<tokio::runtime::Runtime>);

impl ServerRuntime {
    pub fn new() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread().thread_name("server").enable_all().build()?;
        Ok(ServerRuntime(Some(runtime)))
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("running until dropped").handle()
    }

    /// Builds Tollgate on this runtime (its pools, its check writer); `serve` starts it.
    pub async fn build(&self, database: &BenchDatabase) -> anyhow::Result<Application> {
        let settings = database.settings()?;
        let build = async move { Application::build(&settings, Arc::new(SystemClock), Mailer::recording()).await };
        self.handle().spawn(build).await?
    }

    pub fn serve(&self, app: Application) {
        self.handle().spawn(app.run_until_stopped());
    }

    /// A trivial axum handler on this runtime: the ceiling and the floor of what the machine serves.
    pub async fn trivial_server(&self) -> anyhow::Result<String> {
        self.handle().spawn(trivial_server()).await?
    }
}

impl Drop for ServerRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// The organization of a bench: one team, project `bench` and user `bench-user`, and an ingest key.
pub struct BenchOrg {
    pub org: app::backend::entities::organization::Model,
    pub team_id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub key: String,
}

pub async fn organization(app: &Application) -> anyhow::Result<BenchOrg> {
    let db = &app.state.db;
    let now = SystemClock.now();
    let change = Change { actor: "bench", now };
    let org = organizations::create_organization(db, "Bench", "UTC", "USD", now).await?;
    let team = directory::create_team(db, org.id, "Bench team", change).await?;
    let new_project = NewProject { slug: "bench".into(), name: "Bench".into(), team_id: team.id };
    let project = directory::create_project(db, org.id, new_project, change).await?;
    let user_id = user(app, org.id, "bench-user").await?;
    let key = keys::create(db, org.id, "bench", keys::Permission::Ingest, None, now).await?.1;
    Ok(BenchOrg { org, team_id: team.id, project_id: project.id, user_id, key })
}

pub async fn user(app: &Application, org_id: Uuid, handle: &str) -> anyhow::Result<Uuid> {
    let change = Change { actor: "bench", now: SystemClock.now() };
    let new_user = NewUser { handle: handle.into(), display_name: None, email: None };
    Ok(directory::create_user(&app.state.db, org_id, new_user, change).await?.id)
}

/// A monthly hard-stop cost budget on one scope.
pub async fn budget(
    app: &Application,
    org: &BenchOrg,
    scope: ScopeKind,
    scope_id: Option<Uuid>,
    hard: Decimal,
    thresholds: Vec<u32>,
) -> anyhow::Result<app::backend::entities::budget::Model> {
    let input = BudgetInput {
        name: format!("{scope} budget {}", scope_id.map(|id| id.simple().to_string()).unwrap_or_default()),
        scope,
        scope_id,
        category: None,
        period: Period::Monthly,
        currency: None,
        cost_soft: None,
        cost_hard: Some(hard),
        tokens_soft: None,
        tokens_hard: None,
        operations_soft: None,
        operations_hard: None,
        enforcement: EnforcementMode::HardStop,
        grace_minutes: 0,
        reserve_cost: Decimal::ZERO,
        reserve_tokens: 0,
        reserve_operations: 0,
        thresholds,
        two_approvers_above: None,
        escalate_after_minutes: None,
        escalate_from: None,
    };
    budgets::create(&app.state.db, &org.org, &input, "bench", SystemClock.now())
        .await
        .context("creating a bench budget")
}

/// Four budgets on one operation's chain (org, team, project, user), roomy enough that every
/// request is admitted and reserves on all four.
pub async fn four_budget_chain(app: &Application, org: &BenchOrg) -> anyhow::Result<()> {
    let roomy = Decimal::from(1_000_000_000);
    let scopes = [
        (ScopeKind::Organization, None),
        (ScopeKind::Team, Some(org.team_id)),
        (ScopeKind::Project, Some(org.project_id)),
        (ScopeKind::User, Some(org.user_id)),
    ];
    for (scope, scope_id) in scopes {
        budget(app, org, scope, scope_id, roomy, vec![50, 75, 90, 100]).await?;
    }
    Ok(())
}

async fn trivial_server() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let router = axum::Router::new().route("/", axum::routing::post(|| async { "{\"ok\":true}" }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}
