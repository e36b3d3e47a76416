//! Teams, projects, users and catalog prices: create, list, rename, move and archive.

use crate::backend::engine::EngineError;
use crate::backend::entities::{category, price, project, team, user};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use tollgate_domain::money::{from_storage, to_storage};
use tollgate_domain::Currency;
use uuid::Uuid;

/// Who makes a change and when; every change is written to the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

async fn audit(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    kind: &str,
    subject: &impl Serialize,
    change: Change<'_>,
) -> Result<(), EngineError> {
    let detail = serde_json::to_value(subject).map_err(|e| invalid(e.to_string()))?;
    crate::backend::engine::events::record_by(db, org_id, None, kind, detail, change.actor, change.now).await
}

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(message.into())
}

fn check_name(name: &str, what: &str) -> Result<String, EngineError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 120 {
        return Err(invalid(format!("{what} must be 1 to 120 characters")));
    }
    crate::backend::engine::resolve::plain_text(name, what)?;
    Ok(name.to_owned())
}

/// A write's error, as "already exists" where it broke a uniqueness rule.
fn taken(error: sea_orm::DbErr, what: String) -> EngineError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => invalid(format!("{what} already exists")),
        _ => error.into(),
    }
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<team::Model> for TeamView {
    fn from(t: team::Model) -> Self {
        TeamView { id: t.id, name: t.name, archived_at: t.archived_at, created_at: t.created_at }
    }
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ProjectView {
    pub id: Uuid,
    pub team_id: Uuid,
    pub slug: String,
    pub name: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<project::Model> for ProjectView {
    fn from(p: project::Model) -> Self {
        ProjectView {
            id: p.id,
            team_id: p.team_id,
            slug: p.slug,
            name: p.name,
            archived_at: p.archived_at,
            created_at: p.created_at,
        }
    }
}

pub async fn teams(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<TeamView>, EngineError> {
    let rows =
        team::Entity::find().filter(team::Column::OrgId.eq(org_id)).order_by_asc(team::Column::Name).all(db).await?;
    Ok(rows.into_iter().map(TeamView::from).collect())
}

pub async fn create_team(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    change: Change<'_>,
) -> Result<TeamView, EngineError> {
    let now = change.now;
    let name = check_name(name, "a team name")?;
    let id = Uuid::now_v7();
    let row = team::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        name: Set(name.clone()),
        archived_at: Set(None),
        created_at: Set(now),
    };
    row.insert(db).await.map_err(|e| taken(e, format!("a team named '{name}'")))?;
    let view: TeamView = team::Entity::find_by_id(id).one(db).await?.ok_or(sea_orm::DbErr::RecordNotInserted)?.into();
    audit(db, org_id, "team_created", &view, change).await?;
    Ok(view)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub archived: Option<bool>,
}

pub async fn update_team(
    db: &impl ConnectionTrait,
    current: team::Model,
    patch: TeamPatch,
    change: Change<'_>,
) -> Result<TeamView, EngineError> {
    let now = change.now;
    let org_id = current.org_id;
    let mut row: team::ActiveModel = current.into();
    let name = patch.name.as_deref().map(|name| check_name(name, "a team name")).transpose()?;
    if let Some(name) = &name {
        row.name = Set(name.clone());
    }
    if let Some(archived) = patch.archived {
        row.archived_at = Set(archived.then_some(now));
    }
    let renamed = |e| taken(e, format!("a team named '{}'", name.unwrap_or_default()));
    let view: TeamView = row.update(db).await.map_err(renamed)?.into();
    audit(db, org_id, "team_changed", &view, change).await?;
    Ok(view)
}

pub async fn projects(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<ProjectView>, EngineError> {
    let rows = project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .order_by_asc(project::Column::Slug)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ProjectView::from).collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct NewProject {
    pub slug: String,
    pub name: String,
    pub team_id: Uuid,
}

pub async fn create_project(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    input: NewProject,
    change: Change<'_>,
) -> Result<ProjectView, EngineError> {
    let now = change.now;
    let slug = input.slug.trim().to_owned();
    if slug.is_empty()
        || slug.len() > 64
        || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(invalid("slug must be 1 to 64 lower-case letters, digits or '-'"));
    }
    team_of(db, org_id, input.team_id).await?;
    let id = Uuid::now_v7();
    let row = project::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        team_id: Set(input.team_id),
        slug: Set(slug.clone()),
        name: Set(check_name(&input.name, "a project name")?),
        archived_at: Set(None),
        created_at: Set(now),
    };
    row.insert(db).await.map_err(|e| taken(e, format!("a project with slug '{slug}'")))?;
    let view: ProjectView =
        project::Entity::find_by_id(id).one(db).await?.ok_or(sea_orm::DbErr::RecordNotInserted)?.into();
    audit(db, org_id, "project_created", &view, change).await?;
    Ok(view)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct ProjectPatch {
    pub name: Option<String>,
    /// Moves the project; its budgets follow it, its usage history stays where it happened.
    pub team_id: Option<Uuid>,
    pub archived: Option<bool>,
}

pub async fn update_project(
    db: &impl ConnectionTrait,
    current: project::Model,
    patch: ProjectPatch,
    change: Change<'_>,
) -> Result<ProjectView, EngineError> {
    let now = change.now;
    let org_id = current.org_id;
    let mut row: project::ActiveModel = current.into();
    if let Some(name) = patch.name {
        row.name = Set(check_name(&name, "a project name")?);
    }
    if let Some(team_id) = patch.team_id {
        team_of(db, org_id, team_id).await?;
        row.team_id = Set(team_id);
    }
    if let Some(archived) = patch.archived {
        row.archived_at = Set(archived.then_some(now));
    }
    let view: ProjectView = row.update(db).await?.into();
    audit(db, org_id, "project_changed", &view, change).await?;
    Ok(view)
}

async fn team_of(db: &impl ConnectionTrait, org_id: Uuid, team_id: Uuid) -> Result<team::Model, EngineError> {
    team::Entity::find_by_id(team_id)
        .filter(team::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| invalid("team_id does not name a team of this organization"))
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub handle: String,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserView {
    fn from(u: user::Model) -> Self {
        UserView {
            id: u.id,
            handle: u.handle,
            display_name: u.display_name,
            email: u.email,
            active: u.active,
            created_at: u.created_at,
        }
    }
}

pub async fn users(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<UserView>, EngineError> {
    let rows =
        user::Entity::find().filter(user::Column::OrgId.eq(org_id)).order_by_asc(user::Column::Handle).all(db).await?;
    Ok(rows.into_iter().map(UserView::from).collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct NewUser {
    pub handle: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

pub async fn create_user(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    input: NewUser,
    change: Change<'_>,
) -> Result<UserView, EngineError> {
    let now = change.now;
    let handle = check_name(&input.handle, "a user handle")?;
    let email =
        input.email.map(|e| super::accounts::normalize_email(&e)).transpose().map_err(|e| invalid(e.to_string()))?;
    if let Some(email) = &email {
        if super::accounts::email_in_use(db, email).await? {
            return Err(invalid(format!("an account with the email '{email}' already exists")));
        }
    }
    let id = Uuid::now_v7();
    let row = user::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        display_name: Set(input
            .display_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| handle.clone())),
        handle: Set(handle.clone()),
        email: Set(email),
        password_hash: Set(None),
        active: Set(true),
        created_at: Set(now),
        alert_digest: Set("immediate".into()),
    };
    row.insert(db).await.map_err(|e| taken(e, format!("a user '{handle}'")))?;
    let view: UserView = user::Entity::find_by_id(id).one(db).await?.ok_or(sea_orm::DbErr::RecordNotInserted)?.into();
    audit(db, org_id, "user_created", &view, change).await?;
    Ok(view)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct UserPatch {
    pub display_name: Option<String>,
    /// A deactivated user cannot log in; their usage history stays.
    pub active: Option<bool>,
}

pub async fn update_user(
    db: &impl ConnectionTrait,
    current: user::Model,
    patch: UserPatch,
    change: Change<'_>,
) -> Result<UserView, EngineError> {
    let org_id = current.org_id;
    let mut row: user::ActiveModel = current.into();
    if let Some(name) = patch.display_name {
        row.display_name = Set(check_name(&name, "a display name")?);
    }
    if let Some(active) = patch.active {
        row.active = Set(active);
    }
    let view: UserView = row.update(db).await?.into();
    if !view.active {
        crate::auth::store::end_sessions(db, view.id, None).await?;
    }
    audit(db, org_id, "user_changed", &view, change).await?;
    Ok(view)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct PriceInput {
    pub provider: String,
    pub model: String,
    pub input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
    pub currency: String,
    #[serde(default)]
    pub effective_from: Option<DateTime<Utc>>,
}

pub async fn prices(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<PriceInput>, EngineError> {
    let rows = price::Entity::find()
        .filter(price::Column::OrgId.eq(org_id))
        .order_by_asc(price::Column::Provider)
        .order_by_asc(price::Column::Model)
        .order_by_asc(price::Column::EffectiveFrom)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| PriceInput {
            provider: p.provider,
            model: p.model,
            input_per_mtok: from_storage(p.input_per_mtok),
            output_per_mtok: from_storage(p.output_per_mtok),
            currency: p.currency,
            effective_from: Some(p.effective_from),
        })
        .collect())
}

/// Adds a price from a date on; earlier usage keeps the price that was in force then.
pub async fn add_price(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    org_currency: &str,
    input: PriceInput,
    change: Change<'_>,
) -> Result<(), EngineError> {
    let now = change.now;
    let currency = Currency::parse(&input.currency)?;
    if currency.as_str() != org_currency {
        return Err(EngineError::CurrencyMismatch { expected: org_currency.to_owned(), given: input.currency });
    }
    let row = price::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        provider: Set(check_name(&input.provider, "provider")?),
        model: Set(check_name(&input.model, "model")?),
        input_per_mtok: Set(to_storage(input.input_per_mtok)?),
        output_per_mtok: Set(to_storage(input.output_per_mtok)?),
        currency: Set(currency.to_string()),
        effective_from: Set(input.effective_from.unwrap_or(now)),
    };
    row.insert(db).await.map_err(|e| taken(e, format!("a price for {} from that date", input.model)))?;
    audit(db, org_id, "price_added", &input, change).await
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: Uuid,
    pub name: String,
}

pub async fn categories(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<CategoryView>, EngineError> {
    let rows = category::Entity::find()
        .filter(category::Column::OrgId.eq(org_id))
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| CategoryView { id: c.id, name: c.name }).collect())
}

/// Adds a category (names such as `llm`, `ml`, `code_quality`: lower case, digits, `_` or `-`).
pub async fn create_category(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    change: Change<'_>,
) -> Result<CategoryView, EngineError> {
    let name = name.trim();
    let well_formed = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if name.is_empty() || name.len() > 40 || !well_formed {
        return Err(invalid("a category name is 1 to 40 lower-case letters, digits, '_' or '-'"));
    }
    let id = Uuid::now_v7();
    let row = category::ActiveModel { id: Set(id), org_id: Set(org_id), name: Set(name.to_owned()) };
    row.insert(db).await.map_err(|e| taken(e, format!("a category '{name}'")))?;
    let view = CategoryView { id, name: name.to_owned() };
    audit(db, org_id, "category_created", &view, change).await?;
    Ok(view)
}
