//! `seed-demo`: a realistic demo organization with teams, projects, people, budgets and daily usage.

mod plan;
mod usage;

use app::backend::services::{accounts, organizations};
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use std::fmt;
use uuid::Uuid;

pub struct DemoSummary {
    pub org_id: Uuid,
    pub teams: usize,
    pub projects: usize,
    pub users: usize,
    pub budgets: usize,
    pub events: usize,
    pub admin_email: String,
    pub admin_password: String,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Demo organization 'Acme Robotics' created: {} teams, {} projects, {} people, {} budgets, {} usage events.",
            self.teams, self.projects, self.users, self.budgets, self.events
        )?;
        write!(f, "Admin login: {} / {} (shown once)", self.admin_email, self.admin_password)
    }
}

/// Seeds an empty database in one transaction; refuses when an organization already exists.
pub async fn seed_demo(db: &DatabaseConnection, now: DateTime<Utc>, days: u32) -> anyhow::Result<DemoSummary> {
    if organizations::first_organization(db).await?.is_some() {
        anyhow::bail!("an organization already exists: seed-demo only fills an empty database");
    }
    let days = days.clamp(1, 730);
    let txn = app::backend::engine::begin_write(db).await?;
    let created_at = now - Duration::days(i64::from(days) + 1);
    let org = organizations::create_organization(&txn, "Acme Robotics", "Europe/Berlin", "USD", created_at).await?;
    let admin_password = plan::demo_password();
    let admin = accounts::NewAccount {
        org_id: org.id,
        email: "admin@acme.example",
        display_name: "Ada Admin",
        password: &admin_password,
        roles: &["admin", "approver"],
    };
    accounts::create_account(&txn, admin, created_at).await?;
    let people = plan::insert_people_and_structure(&txn, &org, created_at).await?;
    let events = usage::generate(&org, &people, now, days);
    let budgets = plan::insert_budgets(&txn, &org, &people, &events, now, created_at).await?;
    usage::insert(&txn, &org, &events, &budgets, now).await?;
    txn.commit().await?;
    Ok(DemoSummary {
        org_id: org.id,
        teams: people.teams.len(),
        projects: people.projects.len(),
        users: people.users.len() + 1,
        budgets: budgets.len(),
        events: events.len(),
        admin_email: "admin@acme.example".into(),
        admin_password,
    })
}
