//! `spawn_app()`: a real Tollgate on port 0 with its own fresh database, a test clock and recorded mail.

#![allow(dead_code)]

pub mod browser;
pub mod fixtures;
pub mod receivers;

use app::backend::engine::CheckCombiner;
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::sync::Arc;
use tollgate_domain::ManualClock;
use tollgate_server::{config::Settings, mail::Mailer, startup::Application};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub mailer: Mailer,
    pub db: DatabaseConnection,
    /// The instance's check writers, for what they report of how batches went.
    pub checks: CheckCombiner,
    _database: TestDatabase,
}

/// The instant every test starts at (a Wednesday).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap()
}

pub fn postgres_base_url() -> String {
    std::env::var("TOLLGATE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with_mailer(backend, Mailer::recording()).await
}

/// An app whose mail goes out through `mailer` (e.g. SMTP to a receiver on loopback).
pub async fn spawn_app_with_mailer(backend: Backend, mailer: Mailer) -> TestApp {
    spawn(backend, mailer, |_| {}).await
}

/// An app with its settings changed by `change` (e.g. no loopback allowance for outbound requests).
pub async fn spawn_app_with_settings(backend: Backend, change: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(backend, Mailer::recording(), change).await
}

async fn spawn(backend: Backend, mailer: Mailer, change: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::create(backend).await;
    let mut settings = settings(&database);
    change(&mut settings);
    let clock = Arc::new(ManualClock::new(start_time()));
    let app = Application::build(&settings, clock.clone(), mailer.clone()).await.expect("the app builds");
    let address = format!("http://{}", app.local_addr());
    let (db, checks) = (app.state.db.clone(), app.state.checks.clone());
    tokio::spawn(app.run_until_stopped());
    let client = test_client(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()));
    TestApp { address, client, clock, mailer, db, checks, _database: database }
}

/// A second server instance on the same database as `first` (its own clock, set to the same time).
pub async fn spawn_instance(first: &TestApp) -> TestApp {
    let database =
        TestDatabase { url: first._database.url.clone(), dir: tempfile::tempdir().unwrap(), postgres_name: None };
    let clock = Arc::new(ManualClock::new(first.clock_now()));
    let mailer = Mailer::recording();
    let app = Application::build(&settings(&database), clock.clone(), mailer.clone()).await.expect("the app builds");
    let address = format!("http://{}", app.local_addr());
    let (db, checks) = (app.state.db.clone(), app.state.checks.clone());
    tokio::spawn(app.run_until_stopped());
    let client = test_client(reqwest::Client::builder());
    TestApp { address, client, clock, mailer, db, checks, _database: database }
}

/// A request unanswered for a minute fails its test, naming the request, instead of stalling the suite.
fn test_client(builder: reqwest::ClientBuilder) -> reqwest::Client {
    builder.timeout(std::time::Duration::from_secs(60)).build().unwrap()
}

pub fn settings(database: &TestDatabase) -> Settings {
    Settings {
        database_url: Some(database.url.clone()),
        data_dir: database.dir.path().to_path_buf(),
        addr: "127.0.0.1:0".parse().unwrap(),
        site_root: None,
        smtp_url: None,
        mail_from: "Tollgate <tollgate@localhost>".into(),
        log_format: "text".into(),
        sweep_interval_ms: 50,
        insecure_cookies: false,
        trust_forwarded_for: false,
        dispatch_interval_ms: 20,
        forecast_interval_secs: 3600,
        public_url: Some("http://tollgate.test".into()),
        // The tests' webhook and Slack receivers listen on loopback.
        outbound_allow: vec!["127.0.0.1".into()],
    }
}

impl TestApp {
    pub fn clock_now(&self) -> DateTime<Utc> {
        use tollgate_domain::Clock;
        self.clock.now()
    }

    /// POSTs JSON with an API key and returns the status and the JSON body.
    pub async fn post_json(&self, key: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("request is sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// DELETEs with an API key and returns the status and the JSON body (null when empty).
    pub async fn delete(&self, key: &str, path: &str) -> (u16, serde_json::Value) {
        let response = self.client.delete(format!("{}{path}", self.address)).bearer_auth(key).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn get_json(&self, key: &str, path: &str) -> (u16, serde_json::Value) {
        let response = self.client.get(format!("{}{path}", self.address)).bearer_auth(key).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A connection of its own to the app's database, for changing the schema while the app runs.
    /// SQLite parses an `ALTER TABLE` against the schema its connection last read, so a pooled
    /// connection that has not yet seen a column dropped by another one reports it as a duplicate.
    pub async fn schema_connection(&self) -> DatabaseConnection {
        let options = sea_orm::ConnectOptions::new(self._database.url.clone()).max_connections(1).to_owned();
        Database::connect(options).await.expect("the test database accepts a connection")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("request is sent")
    }
}

/// A temporary SQLite file, or a uniquely named PostgreSQL database dropped when the test ends.
pub struct TestDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
    postgres_name: Option<String>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("tollgate.db").display());
                TestDatabase { url, dir, postgres_name: None }
            }
            Backend::Postgres => {
                let name = format!("tollgate_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(format!("{}/postgres", postgres_base_url()))
                    .await
                    .expect("PostgreSQL is running");
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
                admin.close().await.ok();
                TestDatabase { url: format!("{}/{name}", postgres_base_url()), dir, postgres_name: Some(name) }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else { return };
        // Drop runs inside the test's runtime; a separate thread with its own runtime can block on the drop.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(format!("{}/postgres", postgres_base_url())).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

/// Runs an async test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::common::Backend::Postgres).await
            }
        }
    };
}

/// Makes a person a member of a team (so they belong to its budgets).
pub async fn team_membership(app: &TestApp, team_id: uuid::Uuid, user_id: uuid::Uuid) {
    join_team(app, team_id, user_id, false).await
}

/// Makes `user_id` a lead of `team_id`.
#[allow(dead_code)]
pub async fn team_lead(app: &TestApp, team_id: uuid::Uuid, user_id: uuid::Uuid) {
    join_team(app, team_id, user_id, true).await
}

async fn join_team(app: &TestApp, team_id: uuid::Uuid, user_id: uuid::Uuid, is_lead: bool) {
    use sea_orm::{EntityTrait, Set};
    let row = app::backend::entities::team_member::ActiveModel {
        team_id: Set(team_id),
        user_id: Set(user_id),
        is_lead: Set(is_lead),
    };
    app::backend::entities::team_member::Entity::insert(row).exec_without_returning(&app.db).await.unwrap();
}

/// Rolls the schema back to just before the migration `name`, however many came after it.
pub async fn migrate_down_through(db: &DatabaseConnection, name: &str) {
    use migrations::{Migrator, MigratorTrait};
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let at = names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no migration {name}"));
    Migrator::down(db, Some((names.len() - at) as u32)).await.unwrap();
}
