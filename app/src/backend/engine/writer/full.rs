//! The Full route: inside the batch's transaction read every key again, prepare again what changed
//! since the cache prepared it, lock and decide every check, then commit with their writes. The
//! route every batch can take; the others (`sqlite/direct`, `postgres/optimistic`,
//! `lock_and_verify`) are shortcuts that fall back to it.

use crate::backend::engine::alerts::reserve::record_reserve_uses;
use crate::backend::engine::counters::lock_counters_with_overrides;
use crate::backend::engine::decide::{decide_locked, latest, windows_and_pairs, Decided};
use crate::backend::engine::keys::live_keys_and_version;
use crate::backend::engine::prepare::config_cache::ConfigCache;
use crate::backend::engine::prepare::config_version::current_version;
use crate::backend::engine::prepare::reserve::{prepare_check, PreparedCheck};
use crate::backend::engine::prepare::resolve::register_new_user;
use crate::backend::engine::writer::batch_txn::BatchTxn;
use crate::backend::engine::writer::stopped;
use crate::backend::engine::{EngineError, Writes};
use sea_orm::ConnectionTrait;
use std::borrow::Cow;
use std::collections::HashMap;
use uuid::Uuid;

/// A check as its batch decided it; its answer is made by the caller (`Decided::answer`).
pub(in crate::backend::engine) type Answer = Result<Decided, EngineError>;
/// A check and the API key that asked for it.
pub(in crate::backend::engine) type Queued = (Uuid, PreparedCheck);

/// Decides the checks in `txn`, then commits with their writes or rolls back.
pub(in crate::backend::engine) async fn decide_on(
    txn: impl BatchTxn,
    cache: &ConfigCache,
    checks: &[Queued],
) -> Result<Vec<Answer>, EngineError> {
    match decide_in(&txn, cache, checks).await {
        Ok((answers, writes)) => {
            txn.commit_with(writes).await?;
            Ok(answers)
        }
        Err(error) => {
            txn.rollback().await;
            Err(error)
        }
    }
}

/// Decides the checks inside `txn`. Their keys are read again: a revoked key's check is refused. A
/// check whose configuration or organization changed since it was prepared is prepared again inside
/// the transaction, and fails alone if it no longer passes.
async fn decide_in(
    txn: &impl ConnectionTrait,
    cache: &ConfigCache,
    checks: &[Queued],
) -> Result<(Vec<Answer>, Writes), EngineError> {
    let mut key_ids: Vec<Uuid> = checks.iter().map(|(key, _)| *key).collect();
    key_ids.sort_unstable();
    key_ids.dedup();
    let latest = checks.iter().map(|(_, check)| check.now).max().unwrap_or_default();
    let (live, version) = live_keys_and_version(txn, &key_ids, latest).await?;
    let version = match version {
        Some(version) => version,
        None => current_version(txn).await?,
    };
    cache.observe(version);

    let mut ready: Vec<Result<Cow<PreparedCheck>, EngineError>> = Vec::with_capacity(checks.len());
    for (key, check) in checks {
        ready.push(match live.get(key) {
            None => {
                cache.forget_key(*key);
                Err(EngineError::KeyRevoked)
            }
            Some(org) if check.config_version == Some(version) && *org == check.org => Ok(Cow::Borrowed(check)),
            Some(org) => prepare_check(txn, org, &check.input, check.allowed_project, check.now)
                .await
                .map(|fresh| Cow::Owned(PreparedCheck { key_id: check.key_id, ..fresh })),
        });
    }
    let current: Vec<&PreparedCheck> = ready.iter().filter_map(|check| check.as_deref().ok()).collect();
    let (decided, writes) = decide_checks(txn, &current).await?;
    let mut decided = decided.into_iter();
    let answers = ready.into_iter().map(|check| check.and_then(|_| decided.next().ok_or_else(stopped))).collect();
    Ok((answers, writes))
}

/// Decides the checks; returns their outcomes and the writes that record them, for the caller to
/// send before (or with) its commit.
pub async fn decide_checks(
    txn: &impl ConnectionTrait,
    checks: &[&PreparedCheck],
) -> Result<(Vec<Decided>, Writes), EngineError> {
    let (windows, pairs) = windows_and_pairs(checks);
    // People seen for the first time are registered before any counter is locked: registering
    // bumps the configuration version (a row lock on PostgreSQL), which configuration changes take
    // before counters too; the same order everywhere means no deadlock.
    let mut users: HashMap<(Uuid, String), Uuid> = HashMap::new();
    for check in checks {
        if let Some(handle) = &check.new_user {
            if let std::collections::hash_map::Entry::Vacant(entry) = users.entry((check.org.id, handle.clone())) {
                entry.insert(register_new_user(txn, check.chain, Some(handle), check.now).await?.user);
            }
        }
    }
    let locked = lock_counters_with_overrides(txn, &pairs, latest(checks)).await?;
    let batch = decide_locked(txn.get_database_backend(), checks, &windows, &users, locked)?;
    record_reserve_uses(txn, &batch.reserve_uses).await?;
    let (decided, writes, _) = batch.into_writes(txn);
    Ok((decided, writes))
}
