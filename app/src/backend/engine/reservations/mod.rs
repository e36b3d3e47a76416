//! Ending a reservation: settle it with actual usage, release it, or let the sweeper expire it.

use crate::backend::engine::counters::{negate, ZERO};
use crate::backend::engine::decide::counter_changes::CounterChanges;
use crate::backend::engine::decide::holds::{self, Hold};
use crate::backend::engine::keys::{Authenticated, Permission};
use crate::backend::engine::prepare::budgets::applicable;
use crate::backend::engine::prepare::resolve::{check_currency, cost_of, resolve_reservation};
use crate::backend::engine::usage::{apply, checked_event_id, PreparedEvent, SETTLE_EVENT_PREFIX};
use crate::backend::engine::{events, EngineError};
use crate::backend::entities::{reservation, usage_event};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleInput {
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
    /// Of `input_tokens`, those read from the prompt cache.
    #[serde(default)]
    pub cached_input_tokens: i64,
    /// Of `input_tokens`, those written to the prompt cache.
    #[serde(default)]
    pub cache_write_tokens: i64,
    /// Of `output_tokens`, the reasoning ones.
    #[serde(default)]
    pub reasoning_tokens: i64,
    #[serde(default)]
    pub cost: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SettleOutcome {
    pub reservation_id: Uuid,
    pub event_id: String,
    pub cost: Decimal,
    /// The event id was already in the ledger: the reservation is closed, the usage counted once.
    pub duplicate: bool,
}

pub async fn settle(
    db: &DatabaseConnection,
    client: &Authenticated,
    id: Uuid,
    input: SettleInput,
    now: DateTime<Utc>,
) -> Result<SettleOutcome, EngineError> {
    let org = &client.org;
    tollgate_domain::limits::check_quantities(input.input_tokens, input.output_tokens, 1)
        .map_err(EngineError::InvalidInput)?;
    let tokens = tollgate_domain::pricing::Tokens::reported(
        input.input_tokens,
        input.output_tokens,
        input.cached_input_tokens,
        input.cache_write_tokens,
        input.reasoning_tokens,
    )
    .map_err(EngineError::InvalidInput)?;
    // An empty event id means the default one.
    if let Some(event_id) = input.event_id.as_deref().filter(|id| !id.trim().is_empty()) {
        checked_event_id(event_id)?;
    }
    if input.cost.is_some_and(|c| c.is_sign_negative()) {
        return Err(EngineError::InvalidInput("actual usage must not be negative".into()));
    }
    let held = find_open(db, client, id, now).await?;
    let resolved = resolve_reservation(db, org, &held).await?;
    check_currency(&resolved, input.currency.as_deref())?;
    let (cost, pricing, exchange_rate) = cost_of(db, &resolved, &held.model, input.cost, &tokens, 1, now).await?;
    let event = PreparedEvent {
        event_id: input
            .event_id
            .clone()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| format!("{SETTLE_EVENT_PREFIX}{id}")),
        occurred_at: now,
        chain: resolved.chain,
        new_user: None,
        provider: resolved.provider.clone(),
        model: held.model.clone(),
        input_tokens: input.input_tokens,
        output_tokens: input.output_tokens,
        cached_input_tokens: input.cached_input_tokens,
        cache_write_tokens: input.cache_write_tokens,
        reasoning_tokens: input.reasoning_tokens,
        cost,
        currency: resolved.currency,
        operations: 1,
        pricing,
        priced_model: resolved.priced_by(pricing),
        exchange_rate,
        reservation_id: Some(id),
    };
    let budgets = applicable(db, &resolved.chain).await?;
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);

    let txn = crate::backend::engine::begin_write(db).await?;
    close(&txn, org.id, id, "settled", Some(now)).await?;
    release_holds(&txn, &held).await?;
    let inserted = apply(&txn, org.id, tz, &event, &budgets, now).await?;
    if !inserted && !recorded_for(&txn, org.id, &event.event_id, &held).await? {
        // Dropping the transaction rolls it back: the reservation stays open, nothing is counted.
        return Err(EngineError::EventIdTaken(event.event_id));
    }
    txn.commit().await?;
    Ok(SettleOutcome { reservation_id: id, event_id: event.event_id, cost, duplicate: !inserted })
}

/// Whether the ledger's event with this id records the reserved call itself (the caller recorded
/// its usage and now closes the reservation with the same id): same project, person, category and
/// model, and no other reservation.
async fn recorded_for(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    event_id: &str,
    held: &reservation::Model,
) -> Result<bool, EngineError> {
    let existing = usage_event::Entity::find()
        .filter(usage_event::Column::OrgId.eq(org_id))
        .filter(usage_event::Column::EventId.eq(event_id))
        .one(txn)
        .await?;
    Ok(existing.is_some_and(|e| {
        (e.project_id, e.user_id, e.category_id) == (held.project_id, held.user_id, held.category_id)
            && e.model == held.model
            && e.reservation_id.is_none_or(|r| r == held.id)
    }))
}

/// Drops a reservation without usage (the call was not made).
pub async fn release(db: &DatabaseConnection, client: &Authenticated, id: Uuid) -> Result<(), EngineError> {
    let held = find_own(db, client, id).await?;
    let txn = crate::backend::engine::begin_write(db).await?;
    close(&txn, client.org.id, id, "released", None).await?;
    release_holds(&txn, &held).await?;
    txn.commit().await?;
    Ok(())
}

/// Releases every reservation past its expiry, each in its own transaction, with an audit event.
/// Returns how many were released. Safe to run on several instances at once.
/// Whether any active reservation has expired (a read: the sweeper's check before its lease).
pub async fn any_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(expired(now).one(db).await?.is_some())
}

fn expired(now: DateTime<Utc>) -> sea_orm::Select<reservation::Entity> {
    reservation::Entity::find()
        .filter(reservation::Column::State.eq("active"))
        .filter(reservation::Column::ExpiresAt.lte(now))
}

pub async fn sweep_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, EngineError> {
    let due = expired(now).order_by_asc(reservation::Column::ExpiresAt).limit(1000).all(db).await?;
    let mut released = 0;
    for held in due {
        let txn = crate::backend::engine::begin_write(db).await?;
        match close(&txn, held.org_id, held.id, "expired", None).await {
            Ok(()) => {}
            // Settled, released or swept elsewhere in the meantime.
            Err(EngineError::ReservationClosed(..) | EngineError::ReservationNotFound(_)) => continue,
            Err(e) => return Err(e),
        }
        for hold in release_holds(&txn, &held).await? {
            let detail =
                serde_json::json!({ "reservation_id": held.id, "expired_at": held.expires_at, "cost": held.cost });
            events::record(
                &txn,
                held.org_id,
                Some(hold.budget_id),
                "reservation_expired",
                Some(hold.window_start),
                detail,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        released += 1;
    }
    Ok(released)
}

/// The reservation, if this key may end it: the key that made it or an admin key, and in either
/// case one allowed the reservation's project. Any other reads as not found, as if of another
/// organization, so a key learns nothing of reservations that are not its own.
async fn find_own(
    db: &impl ConnectionTrait,
    client: &Authenticated,
    id: Uuid,
) -> Result<reservation::Model, EngineError> {
    let held = reservation::Entity::find_by_id(id)
        .filter(reservation::Column::OrgId.eq(client.org.id))
        .one(db)
        .await?
        .ok_or(EngineError::ReservationNotFound(id))?;
    let other_project = client.project_id.is_some_and(|project| project != held.project_id);
    let other_key = client.permission != Permission::Admin && held.api_key_id.is_some_and(|key| key != client.key_id);
    if other_project || other_key {
        return Err(EngineError::ReservationNotFound(id));
    }
    Ok(held)
}

async fn find_open(
    db: &impl ConnectionTrait,
    client: &Authenticated,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<reservation::Model, EngineError> {
    let held = find_own(db, client, id).await?;
    // Expired (whether or not the sweeper released it yet) reads the same to the caller: 410, check again.
    if held.state == "expired" || (held.state == "active" && held.expires_at <= now) {
        return Err(EngineError::ReservationExpired(id, held.expires_at));
    }
    if held.state != "active" {
        return Err(EngineError::ReservationClosed(id, held.state));
    }
    if held.expires_at <= now {
        return Err(EngineError::ReservationExpired(id, held.expires_at));
    }
    Ok(held)
}

/// Moves an active reservation to `state`: the first write of its transaction, and the claim that
/// makes a concurrent settle, release or sweep of the same reservation lose cleanly.
async fn close(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
    state: &str,
    unexpired_at: Option<DateTime<Utc>>,
) -> Result<(), EngineError> {
    let mut claim = reservation::Entity::update_many()
        .col_expr(reservation::Column::State, Expr::value(state))
        .filter(reservation::Column::Id.eq(id))
        .filter(reservation::Column::OrgId.eq(org_id))
        .filter(reservation::Column::State.eq("active"));
    if let Some(now) = unexpired_at {
        claim = claim.filter(reservation::Column::ExpiresAt.gt(now));
    }
    if claim.exec(txn).await?.rows_affected == 1 {
        return Ok(());
    }
    let current = reservation::Entity::find_by_id(id).one(txn).await?.ok_or(EngineError::ReservationNotFound(id))?;
    match (current.state.as_str(), unexpired_at) {
        ("active", Some(_)) | ("expired", _) => Err(EngineError::ReservationExpired(id, current.expires_at)),
        (other, _) => Err(EngineError::ReservationClosed(id, other.to_owned())),
    }
}

/// Takes the reservation's estimate off every window it holds; returns those windows.
async fn release_holds(txn: &impl ConnectionTrait, held: &reservation::Model) -> Result<Vec<Hold>, EngineError> {
    let holds = holds::from_column(&held.holds)?;
    let amounts = negate([held.cost, held.tokens, held.operations]);
    let mut changes = CounterChanges::default();
    for hold in &holds {
        changes.add(hold.budget_id, hold.window_start, ZERO, amounts)?;
    }
    changes.lock_and_write(txn).await?;
    Ok(holds)
}
