//! Status and dashboard queries over a large organization: 1,000 budgets on 20 teams, 200 projects
//! and 779 of 800 people, and millions of usage events over 90 days written straight to the ledger
//! with their daily aggregates and current counters, as ingestion would have left them.

use crate::load::Measured;
use crate::setup::{self, BenchDatabase};
use app::backend::engine::counters::aggregates::DailySums;
use app::backend::entities::{budget_counter, category, usage_event};
use app::backend::services::directory::{self, Change, NewProject, NewUser};
use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tollgate_domain::{Period, ScopeKind};
use uuid::Uuid;

const TEAMS: usize = 20;
const PROJECTS: usize = 200;
const PEOPLE: usize = 800;
const USER_BUDGETS: usize = 1000 - 1 - TEAMS - PROJECTS;
/// (provider, model, cost per event in billionths of a dollar), roughly 1,000 tokens at list price.
const MODELS: [(&str, &str, i64); 4] = [
    ("openai", "gpt-4o", 6_250_000),
    ("openai", "gpt-4o-mini", 375_000),
    ("anthropic", "claude-sonnet-4", 9_000_000),
    ("anthropic", "claude-haiku-3.5", 2_400_000),
];

struct Person {
    id: Uuid,
    handle: String,
    team: Uuid,
    project: Uuid,
    project_slug: String,
}

/// Prints each query's timings as soon as they are measured (the overview runs a tenth as often:
/// it aggregates a month of daily rows).
pub async fn measure(database: &BenchDatabase, label: &str, events: usize, samples: usize) -> anyhow::Result<()> {
    let app = database.server().await?;
    let org = setup::organization(&app).await?;
    let db = app.state.db.clone();
    let now = Utc::now();
    let started = Instant::now();
    let people = directory_of(&db, org.org.id, now).await?;
    let budgets = thousand_budgets(&app, &org, &people).await?;
    write_usage(&db, org.org.id, &people, &budgets, events, now).await?;
    eprintln!("populated {events} events and {} budgets in {:.0?}", budgets.len(), started.elapsed());

    let base = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let mut rng = StdRng::seed_from_u64(7);
    let target = Target { base: &base, state: &state, org: &org, people: &people, samples };
    run_queries(&target, &client, &mut rng, &format!("{label}, right after start-up")).await?;
    // The jobs' first runs (forecasts over every budget, among them) start with the server.
    tokio::time::sleep(STEADY_AFTER).await;
    run_queries(&target, &client, &mut rng, &format!("{label}, steady ({}s after start-up)", STEADY_AFTER.as_secs()))
        .await
}

/// How long the server runs before the second, steady-state measurement.
const STEADY_AFTER: Duration = Duration::from_secs(30);

struct Target<'a> {
    base: &'a str,
    state: &'a app::state::AppState,
    org: &'a setup::BenchOrg,
    people: &'a [Person],
    samples: usize,
}

async fn run_queries(t: &Target<'_>, client: &reqwest::Client, rng: &mut StdRng, label: &str) -> anyhow::Result<()> {
    let (base, state, org, people, samples) = (t.base, t.state, t.org, t.people, t.samples);
    let mut status = Vec::with_capacity(samples);
    for _ in 0..samples {
        let person = &people[rng.random_range(0..PEOPLE)];
        let sent = Instant::now();
        let response = client
            .get(format!("{base}/api/v1/status"))
            .query(&[("project", person.project_slug.as_str()), ("user", person.handle.as_str()), ("category", "llm")])
            .bearer_auth(&org.key)
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "status answered {}", response.status());
        response.bytes().await?;
        status.push(sent.elapsed());
    }
    println!("{label}: status of a person's budgets over HTTP: {}", measured(status).query_summary());
    // An admin's list holds all 1,000 budgets.
    let admin = app::auth::Account {
        id: org.user_id,
        org_id: org.org.id,
        email: "bench@localhost".into(),
        time_zone: "UTC".into(),
        display_name: "Bench".into(),
        roles: vec![app::auth::Role::Admin],
        leads: Vec::new(),
        teams: Vec::new(),
    };
    let mut budget_list = Vec::with_capacity(samples / 10);
    for _ in 0..(samples / 10).max(1) {
        let sent = Instant::now();
        app::backend::services::budget_list::visible_budgets(&state.db, &admin, &org.org, Utc::now()).await?;
        budget_list.push(sent.elapsed());
    }
    println!("{label}: budget list of an admin (1,000 budgets): {}", measured(budget_list).query_summary());
    let mut overview = Vec::with_capacity(samples / 10);
    for _ in 0..(samples / 10).max(1) {
        let sent = Instant::now();
        app::backend::queries::overview::load(&state.db, org.org.id, Utc::now(), 30).await?;
        overview.push(sent.elapsed());
    }
    println!("{label}: organization overview (30 days): {}", measured(overview).query_summary());
    Ok(())
}

fn measured(mut latencies: Vec<Duration>) -> Measured {
    latencies.sort_unstable();
    let elapsed = latencies.iter().sum();
    Measured { latencies, errors: 0, elapsed, server_cpu: None, postgres_cpu: None }
}

async fn directory_of(db: &DatabaseConnection, org_id: Uuid, now: DateTime<Utc>) -> anyhow::Result<Vec<Person>> {
    let change = Change { actor: "bench", now };
    let mut teams = Vec::new();
    for t in 0..TEAMS {
        teams.push(directory::create_team(db, org_id, &format!("Team {t}"), change).await?.id);
    }
    let mut projects = Vec::new();
    for p in 0..PROJECTS {
        let slug = format!("project-{p}");
        let new = NewProject { slug: slug.clone(), name: slug.clone(), team_id: teams[p % TEAMS] };
        projects.push((directory::create_project(db, org_id, new, change).await?.id, teams[p % TEAMS], slug));
    }
    let mut people = Vec::new();
    for u in 0..PEOPLE {
        let handle = format!("person-{u}");
        let new = NewUser { handle: handle.clone(), display_name: None, email: None };
        let id = directory::create_user(db, org_id, new, change).await?.id;
        let (project, team, project_slug) = projects[u % PROJECTS].clone();
        people.push(Person { id, handle, team, project, project_slug });
    }
    Ok(people)
}

/// One organization budget, one per team, one per project and one for each of the first people.
async fn thousand_budgets(
    app: &tollgate_server::startup::Application,
    org: &setup::BenchOrg,
    people: &[Person],
) -> anyhow::Result<HashMap<(ScopeKind, Uuid), Uuid>> {
    let mut scopes: Vec<(ScopeKind, Uuid)> = vec![(ScopeKind::Organization, org.org.id)];
    let mut seen = std::collections::HashSet::new();
    for person in people {
        if seen.insert(person.team) {
            scopes.push((ScopeKind::Team, person.team));
        }
    }
    for person in people.iter().take(PROJECTS) {
        scopes.push((ScopeKind::Project, person.project));
    }
    scopes.extend(people.iter().take(USER_BUDGETS).map(|p| (ScopeKind::User, p.id)));
    let mut budgets = HashMap::new();
    for (kind, id) in scopes {
        let scope_id = (kind != ScopeKind::Organization).then_some(id);
        let created = setup::budget(app, org, kind, scope_id, Decimal::from(1_000_000), vec![50, 75, 90]).await?;
        budgets.insert((kind, id), created.id);
    }
    Ok(budgets)
}

/// Events spread over the last 90 days, each person on their own project, the model and category
/// drawn at random; the daily aggregates and this month's counters summed from the same events.
async fn write_usage(
    db: &DatabaseConnection,
    org_id: Uuid,
    people: &[Person],
    budgets: &HashMap<(ScopeKind, Uuid), Uuid>,
    events: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let categories: Vec<Uuid> = category::Entity::find()
        .filter(category::Column::OrgId.eq(org_id))
        .all(db)
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    let month = Period::Monthly.window_at(now, chrono_tz::UTC);
    let mut rng = StdRng::seed_from_u64(42);
    let mut daily: BTreeMap<(NaiveDate, usize, usize, &str), [i64; 5]> = BTreeMap::new();
    let mut counters: HashMap<Uuid, [i64; 3]> = HashMap::new();
    const CHUNK: usize = 1000;
    for first in (0..events).step_by(CHUNK * 50) {
        let txn = db.begin().await?;
        for chunk_start in (first..(first + CHUNK * 50).min(events)).step_by(CHUNK) {
            let mut rows = Vec::with_capacity(CHUNK);
            for n in chunk_start..(chunk_start + CHUNK).min(events) {
                let (who, category) = (rng.random_range(0..PEOPLE), rng.random_range(0..categories.len()));
                let (provider, model, cost) = MODELS[rng.random_range(0..MODELS.len())];
                let at = now - Days::seconds(rng.random_range(0..90 * 86_400));
                let person = &people[who];
                rows.push(usage_event::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    org_id: Set(org_id),
                    event_id: Set(format!("bench-{n}")),
                    occurred_at: Set(at),
                    user_id: Set(person.id),
                    team_id: Set(person.team),
                    project_id: Set(person.project),
                    category_id: Set(categories[category]),
                    provider: Set(provider.into()),
                    model: Set(model.into()),
                    input_tokens: Set(800),
                    output_tokens: Set(200),
                    cost: Set(cost),
                    currency: Set("USD".into()),
                    operations: Set(1),
                    pricing: Set("catalog".into()),
                    priced_model: Set(Some(model.into())),
                    exchange_rate: Set(None),
                    cached_input_tokens: Set(0),
                    cache_write_tokens: Set(0),
                    reasoning_tokens: Set(0),
                    reservation_id: Set(None),
                    recorded_at: Set(at),
                });
                let sums = daily.entry((at.date_naive(), who, category, model)).or_default();
                for (sum, add) in sums.iter_mut().zip([cost, 800, 200, 1, 1]) {
                    *sum += add;
                }
                if at >= month.start {
                    let scopes = [
                        (ScopeKind::Organization, org_id),
                        (ScopeKind::Team, person.team),
                        (ScopeKind::Project, person.project),
                        (ScopeKind::User, person.id),
                    ];
                    for budget in scopes.iter().filter_map(|s| budgets.get(s)) {
                        let counter = counters.entry(*budget).or_default();
                        for (sum, add) in counter.iter_mut().zip([cost, 1000, 1]) {
                            *sum += add;
                        }
                    }
                }
            }
            usage_event::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
    }
    let txn = db.begin().await?;
    let mut aggregates = DailySums::default();
    for ((day, who, category, model), sums) in daily {
        let person = &people[who];
        let provider = MODELS.iter().find(|m| m.1 == model).map_or("", |m| m.0);
        let key = (day, person.team, person.project, person.id, categories[category], provider.into(), model.into());
        aggregates.add(key, sums);
    }
    aggregates.write(&txn, org_id).await?;
    let rows: Vec<_> = counters
        .into_iter()
        .map(|(budget_id, [cost, tokens, operations])| budget_counter::ActiveModel {
            budget_id: Set(budget_id),
            window_start: Set(month.start),
            window_end: Set(month.end),
            cost_spent: Set(cost),
            cost_reserved: Set(0),
            tokens_spent: Set(tokens),
            tokens_reserved: Set(0),
            operations_spent: Set(operations),
            operations_reserved: Set(0),
            hard_crossed_at: Set(None),
        })
        .collect();
    budget_counter::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    txn.commit().await?;
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}
