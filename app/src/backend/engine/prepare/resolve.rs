//! Resolves an operation's names (user, project, category, model) to its chain, currency and price.

use crate::backend::engine::EngineError;
use crate::backend::entities::{
    category, config_version, exchange_rate, model_alias, organization, price, project, user,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use tollgate_domain::money::from_storage;
use tollgate_domain::pricing::Price;
use tollgate_domain::{Currency, OperationChain};
use uuid::Uuid;

/// Who does what: the identifying fields every check and usage event carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OperationInput {
    pub user: String,
    pub project: String,
    pub category: String,
    pub model: String,
    #[serde(default)]
    pub provider: Option<String>,
}

/// Refuses names with control characters (a NUL, which PostgreSQL cannot store, or a newline):
/// no project, person, model or event id has them, and both databases then treat input alike.
pub fn plain_text(value: &str, what: &str) -> Result<(), EngineError> {
    match value.chars().any(char::is_control) {
        true => Err(EngineError::InvalidInput(format!("{what} must not contain control characters"))),
        false => Ok(()),
    }
}

#[derive(Clone)]
pub struct Resolved {
    pub org: organization::Model,
    /// `chain.user` is nil while `new_user` is set: the user is registered when the write commits.
    pub chain: OperationChain,
    pub new_user: Option<String>,
    pub currency: Currency,
    pub provider: String,
    /// The catalog entry the model as sent is priced by (`model_names`), when the catalog has one.
    pub catalog_model: Option<String>,
}

impl Resolved {
    /// The catalog entry that priced an event priced as `pricing` ("catalog", "fallback", "explicit").
    pub fn priced_by(&self, pricing: &str) -> Option<String> {
        (pricing == "catalog").then(|| self.catalog_model.clone()).flatten()
    }
}

/// Looks the operation up without writing. Unknown projects and categories are errors; an unknown
/// user is noted for registration by the write that accepts the operation (`register_new_user`).
/// `allowed_project` restricts keys bound to one project.
pub async fn resolve(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    input: &OperationInput,
    allowed_project: Option<Uuid>,
) -> Result<Resolved, EngineError> {
    let user_handle = input.user.trim();
    if user_handle.is_empty() || user_handle.len() > 200 {
        return Err(EngineError::InvalidInput("user must be 1 to 200 characters".into()));
    }
    for (value, what) in [(&input.user, "user"), (&input.project, "project"), (&input.category, "category")] {
        plain_text(value, what)?;
    }
    plain_text(&input.model, "model")?;
    plain_text(input.provider.as_deref().unwrap_or_default(), "provider")?;
    if input.model.trim().is_empty() {
        return Err(EngineError::InvalidInput("model must not be empty".into()));
    }
    let project = project::Entity::find()
        .filter(project::Column::OrgId.eq(org.id))
        .filter(project::Column::Slug.eq(input.project.trim()))
        .filter(project::Column::ArchivedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| EngineError::UnknownProject(input.project.clone()))?;
    if allowed_project.is_some_and(|p| p != project.id) {
        return Err(EngineError::ProjectNotAllowed(input.project.clone()));
    }
    let category_id = category_id(db, org.id, &input.category).await?;
    let existing = user::Entity::find()
        .filter(user::Column::OrgId.eq(org.id))
        .filter(user::Column::Handle.eq(user_handle))
        .one(db)
        .await?;
    let given = input.provider.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let (catalog_model, provider) = catalog_entry(db, org.id, given, &input.model).await?;
    Ok(Resolved {
        chain: OperationChain {
            organization: org.id,
            team: project.team_id,
            project: project.id,
            user: existing.as_ref().map_or(Uuid::nil(), |u| u.id),
            category: category_id,
        },
        new_user: existing.is_none().then(|| user_handle.to_owned()),
        currency: Currency::parse(&org.currency)?,
        org: org.clone(),
        provider,
        catalog_model,
    })
}

/// Registers the operation's user if it was unknown, inside the caller's write transaction,
/// and returns the chain with the user's id.
pub async fn register_new_user(
    txn: &impl ConnectionTrait,
    chain: OperationChain,
    new_user: Option<&str>,
    now: DateTime<Utc>,
) -> Result<OperationChain, EngineError> {
    match new_user {
        Some(handle) => Ok(OperationChain { user: ensure_user(txn, chain.organization, handle, now).await?, ..chain }),
        None => Ok(chain),
    }
}

async fn ensure_user(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    handle: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, EngineError> {
    let find = || user::Entity::find().filter(user::Column::OrgId.eq(org_id)).filter(user::Column::Handle.eq(handle));
    if let Some(found) = find().one(db).await? {
        return Ok(found.id);
    }
    // Registering bumps the configuration version (a trigger, after the row is in the index). Its
    // row lock is taken first, so a transaction waiting for it never holds another new person's
    // index entry: two batches registering the same people in different orders cannot deadlock.
    config_version::Entity::find_by_id(1).lock_exclusive().one(db).await?;
    // Two first sightings at once: the unique (org, handle) index keeps one, both read it back.
    let new_user = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        handle: Set(handle.to_owned()),
        display_name: Set(handle.to_owned()),
        email: Set(None),
        password_hash: Set(None),
        active: Set(true),
        created_at: Set(now),
        alert_digest: Set("immediate".into()),
    };
    user::Entity::insert(new_user)
        .on_conflict(OnConflict::columns([user::Column::OrgId, user::Column::Handle]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(find().one(db).await?.map(|u| u.id).ok_or(sea_orm::DbErr::RecordNotInserted)?)
}

/// The catalog entry `sent` is priced by and its provider: the first of the name's candidates
/// (`model_names::candidates`: as sent, without a provider prefix, its base model) the catalog
/// holds for the provider given, or the prefix's provider, or any; an admin's alias of the name
/// as sent (or of it without its prefix) comes right after the name itself. Without an entry the
/// model is unpriced; its provider is then the one given or prefixed (for the error and fallback).
async fn catalog_entry(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    given_provider: Option<&str>,
    sent: &str,
) -> Result<(Option<String>, String), EngineError> {
    use tollgate_domain::model_names::{candidates, Derivation};
    let mut candidates = candidates(sent);
    let names: Vec<String> = candidates.iter().map(|c| c.model.clone()).collect();
    let aliases = model_alias::Entity::find()
        .filter(model_alias::Column::OrgId.eq(org_id))
        .filter(model_alias::Column::Alias.is_in(names.iter().map(String::as_str)))
        .all(db)
        .await?;
    // An alias of a name derived by guessing (a base model) is no stronger than the guess.
    let aliased: Vec<_> = candidates
        .iter()
        .filter(|c| c.derivation != Derivation::BaseModel)
        .filter_map(|c| aliases.iter().find(|a| a.alias == c.model).map(|a| (c.provider.clone(), a.model.clone())))
        .collect();
    for (at, (provider, model)) in aliased.into_iter().enumerate() {
        let derivation = Derivation::Alias;
        candidates.insert(1 + at, tollgate_domain::model_names::Candidate { model, provider, derivation });
    }
    let names: Vec<&str> = candidates.iter().map(|c| c.model.as_str()).collect();
    let rows: Vec<(String, String)> = price::Entity::find()
        .select_only()
        .column(price::Column::Model)
        .column(price::Column::Provider)
        .filter(price::Column::OrgId.eq(org_id))
        .filter(price::Column::Model.is_in(names))
        .order_by_asc(price::Column::Provider)
        .into_tuple()
        .all(db)
        .await?;
    for candidate in &candidates {
        let wanted = given_provider.or(candidate.provider.as_deref());
        let found =
            rows.iter().find(|(model, provider)| *model == candidate.model && wanted.is_none_or(|w| w == provider));
        if let Some((model, provider)) = found {
            return Ok((Some(model.clone()), provider.clone()));
        }
    }
    let provider = given_provider.map(str::to_owned).or_else(|| candidates.iter().find_map(|c| c.provider.clone()));
    Ok((None, provider.unwrap_or_default()))
}

/// How an operation is priced: the price in the ledger's currency, where it came from ("catalog"
/// or "fallback"), and the exchange rate that converted the catalog entry's price, if one did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced {
    pub price: Price,
    pub pricing: &'static str,
    pub rate: Option<rust_decimal::Decimal>,
}

/// The catalog price in force at `at` (converted at the exchange rate in force then when the entry
/// is priced in another currency); for a model without one, the project's declared fallback price
/// (the event is flagged), or an error naming the model: never zero.
pub async fn price_at(
    db: &impl ConnectionTrait,
    resolved: &Resolved,
    model: &str,
    at: DateTime<Utc>,
) -> Result<Priced, EngineError> {
    let row = prices(resolved, model).filter(price::Column::EffectiveFrom.lte(at)).one(db).await?;
    match row {
        Some(row) => {
            let rates = match row.currency == resolved.currency.as_str() {
                true => Vec::new(),
                false => rates_to(db, resolved).await?,
            };
            catalog_price(resolved, &row, &rates, at)
        }
        None => {
            let policy =
                crate::backend::queries::preferences::unpriced_policy(db, &resolved.org, resolved.chain.project)
                    .await?;
            unpriced(resolved, model, policy)
        }
    }
}

/// Every catalog price of a model, newest first, the exchange rates to the ledger's currency, and
/// the project's policy for when none is in force: what `price_at` reads, loaded once for a cache.
#[derive(Debug, Clone)]
pub struct PriceList {
    rows: Vec<price::Model>,
    rates: Vec<exchange_rate::Model>,
    policy: tollgate_domain::preferences::UnpricedPolicy,
}

impl PriceList {
    pub async fn load(db: &impl ConnectionTrait, resolved: &Resolved, model: &str) -> Result<Self, EngineError> {
        let rows = prices(resolved, model).all(db).await?;
        let foreign = rows.iter().any(|row| row.currency != resolved.currency.as_str());
        let rates = if foreign { rates_to(db, resolved).await? } else { Vec::new() };
        let policy =
            crate::backend::queries::preferences::unpriced_policy(db, &resolved.org, resolved.chain.project).await?;
        Ok(PriceList { rows, rates, policy })
    }

    /// The same answer as `price_at` at `at`.
    pub fn at(&self, resolved: &Resolved, model: &str, at: DateTime<Utc>) -> Result<Priced, EngineError> {
        match self.rows.iter().find(|row| row.effective_from <= at) {
            Some(row) => catalog_price(resolved, row, &self.rates, at),
            None => unpriced(resolved, model, self.policy),
        }
    }
}

/// The prices of the catalog entry `model` resolved to (none when it resolved to no entry).
fn prices(resolved: &Resolved, model: &str) -> sea_orm::Select<price::Entity> {
    let entry = resolved.catalog_model.as_deref().unwrap_or(model);
    price::Entity::find()
        .filter(price::Column::OrgId.eq(resolved.org.id))
        .filter(price::Column::Model.eq(entry))
        .filter(price::Column::Provider.eq(resolved.provider.as_str()))
        .order_by_desc(price::Column::EffectiveFrom)
}

/// The organization's exchange rates into its ledger's currency, newest first.
async fn rates_to(db: &impl ConnectionTrait, resolved: &Resolved) -> Result<Vec<exchange_rate::Model>, EngineError> {
    Ok(exchange_rate::Entity::find()
        .filter(exchange_rate::Column::OrgId.eq(resolved.org.id))
        .filter(exchange_rate::Column::ToCurrency.eq(resolved.currency.as_str()))
        .order_by_desc(exchange_rate::Column::EffectiveFrom)
        .all(db)
        .await?)
}

fn catalog_price(
    resolved: &Resolved,
    row: &price::Model,
    rates: &[exchange_rate::Model],
    at: DateTime<Utc>,
) -> Result<Priced, EngineError> {
    let price = row.price()?;
    let currency = price.currency;
    if currency == resolved.currency {
        return Ok(Priced { price, pricing: "catalog", rate: None });
    }
    let rate = rates
        .iter()
        .find(|r| r.from_currency == row.currency && r.effective_from <= at)
        .map(|r| from_storage(r.rate))
        .ok_or_else(|| EngineError::ExchangeRateMissing {
            from: row.currency.clone(),
            to: resolved.currency.to_string(),
            at,
        })?;
    Ok(Priced { price: price.converted(rate, resolved.currency), pricing: "catalog", rate: Some(rate) })
}

fn unpriced(
    resolved: &Resolved,
    model: &str,
    policy: tollgate_domain::preferences::UnpricedPolicy,
) -> Result<Priced, EngineError> {
    use tollgate_domain::preferences::UnpricedPolicy;
    match policy {
        UnpricedPolicy::Fallback(per_mtok) => {
            let price = Price::new(per_mtok, per_mtok, resolved.currency);
            Ok(Priced { price, pricing: "fallback", rate: None })
        }
        UnpricedPolicy::Reject => {
            Err(EngineError::UnpricedModel { model: model.to_owned(), provider: resolved.provider.clone() })
        }
    }
}

/// The chain of an existing reservation (its names were resolved when it was made).
pub async fn resolve_reservation(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    reservation: &crate::backend::entities::reservation::Model,
) -> Result<Resolved, EngineError> {
    let project = project::Entity::find_by_id(reservation.project_id)
        .one(db)
        .await?
        .ok_or(sea_orm::DbErr::RecordNotFound("reservation project".into()))?;
    let (catalog_model, provider) = catalog_entry(db, org.id, None, &reservation.model).await?;
    Ok(Resolved {
        chain: OperationChain {
            organization: org.id,
            team: project.team_id,
            project: project.id,
            user: reservation.user_id,
            category: reservation.category_id,
        },
        new_user: None,
        currency: Currency::parse(&org.currency)?,
        org: org.clone(),
        provider,
        catalog_model,
    })
}

/// Refuses amounts declared in another currency than the organization's.
pub fn check_currency(resolved: &Resolved, given: Option<&str>) -> Result<(), EngineError> {
    match given {
        Some(given) if Currency::parse(given)? != resolved.currency => {
            Err(EngineError::CurrencyMismatch { expected: resolved.currency.to_string(), given: given.to_owned() })
        }
        _ => Ok(()),
    }
}

/// The cost of usage, how it was priced and the exchange rate used: the explicit amount when
/// given, otherwise the tokens at the catalog price in force at `at` (an unpriced model is an
/// error, never zero).
pub async fn cost_of(
    db: &impl ConnectionTrait,
    resolved: &Resolved,
    model: &str,
    explicit: Option<rust_decimal::Decimal>,
    tokens: &tollgate_domain::pricing::Tokens,
    requests: u64,
    at: DateTime<Utc>,
) -> Result<(rust_decimal::Decimal, &'static str, Option<rust_decimal::Decimal>), EngineError> {
    match explicit {
        Some(cost) => Ok((tollgate_domain::money::round_for_storage(cost), "explicit", None)),
        None => {
            let priced = price_at(db, resolved, model, at).await?;
            Ok((priced.price.cost_of(tokens, requests), priced.pricing, priced.rate))
        }
    }
}

/// The id of the organization's category with this name; the error lists the known ones.
pub async fn category_id(db: &impl ConnectionTrait, org_id: Uuid, name: &str) -> Result<Uuid, EngineError> {
    let categories = category::Entity::find().filter(category::Column::OrgId.eq(org_id)).all(db).await?;
    let name = name.trim();
    categories.iter().find(|c| c.name == name).map(|c| c.id).ok_or_else(|| {
        let known: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
        EngineError::UnknownCategory(name.to_owned(), known.join(", "))
    })
}
