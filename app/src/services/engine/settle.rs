//! Ending a reservation: settle it with actual usage, release it, or let the sweeper expire it.

use super::budgets::applicable;
use super::counter_changes::CounterChanges;
use super::counters::{negate, ZERO};
use super::holds::{self, Hold};
use super::record::{apply, PreparedEvent};
use super::resolve::{check_currency, cost_of, resolve_reservation};
use super::{events, EngineError};
use crate::entities::{organization, reservation};
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
pub struct SettleInput {
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
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
    org: &organization::Model,
    id: Uuid,
    input: SettleInput,
    now: DateTime<Utc>,
) -> Result<SettleOutcome, EngineError> {
    tollgate_domain::limits::check_quantities(input.input_tokens, input.output_tokens, 1)
        .map_err(EngineError::InvalidInput)?;
    if input.cost.is_some_and(|c| c.is_sign_negative()) {
        return Err(EngineError::InvalidInput("actual usage must not be negative".into()));
    }
    let held = find_open(db, org.id, id, now).await?;
    let resolved = resolve_reservation(db, org, &held).await?;
    check_currency(&resolved, input.currency.as_deref())?;
    let (cost, pricing) =
        cost_of(db, &resolved, &held.model, input.cost, input.input_tokens, input.output_tokens, now).await?;
    let event = PreparedEvent {
        event_id: input
            .event_id
            .clone()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| format!("reservation-{id}")),
        occurred_at: now,
        chain: resolved.chain,
        new_user: None,
        provider: resolved.provider.clone(),
        model: held.model.clone(),
        input_tokens: input.input_tokens,
        output_tokens: input.output_tokens,
        cost,
        currency: resolved.currency,
        operations: 1,
        pricing,
        reservation_id: Some(id),
    };
    let budgets = applicable(db, &resolved.chain).await?;
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);

    let txn = super::begin_write(db).await?;
    close(&txn, org.id, id, "settled", Some(now)).await?;
    release_holds(&txn, &held).await?;
    let inserted = apply(&txn, org.id, tz, &event, &budgets, now).await?;
    txn.commit().await?;
    Ok(SettleOutcome { reservation_id: id, event_id: event.event_id, cost, duplicate: !inserted })
}

/// Drops a reservation without usage (the call was not made).
pub async fn release(db: &DatabaseConnection, org: &organization::Model, id: Uuid) -> Result<(), EngineError> {
    let held = reservation::Entity::find_by_id(id)
        .filter(reservation::Column::OrgId.eq(org.id))
        .one(db)
        .await?
        .ok_or(EngineError::ReservationNotFound(id))?;
    let txn = super::begin_write(db).await?;
    close(&txn, org.id, id, "released", None).await?;
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
        let txn = super::begin_write(db).await?;
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

async fn find_open(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<reservation::Model, EngineError> {
    let held = reservation::Entity::find_by_id(id)
        .filter(reservation::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(EngineError::ReservationNotFound(id))?;
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
        changes.add(hold.budget_id, hold.window_start, ZERO, amounts);
    }
    changes.lock_and_write(txn).await?;
    Ok(holds)
}
