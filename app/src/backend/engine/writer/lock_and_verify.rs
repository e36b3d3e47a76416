//! The check writer's LockAndVerify route: one statement locks a batch's counters and verifies the
//! configuration version and the keys the batch was prepared with. PostgreSQL's writers send it
//! through sqlx (`decide`); SQLite's reads it through rusqlite on its own thread (`writer/sqlite/direct`)
//! and hands the rows to `decide_on`.
//!
//! The Full route reads the keys and the version first, then locks the counters of the checks (some
//! prepared again when stale): two round trips before deciding. When every check of a batch was
//! prepared from the cache at one version and registers nobody, the counters to lock are known
//! before anything is read, so the lock statement also returns, read in its own snapshot, the
//! version and how many of the batch's keys are live in their organization and used within the
//! last minute (an older use is noted the Full route). The organizations' own settings are part of
//! the versioned configuration. If all match, the decisions are the Full route's. If not, the caller
//! rolls back, which releases the locks taken for stale checks (so every transaction still takes
//! its locks in one order), and decides the batch the Full route.

use crate::backend::engine::alerts::reserve::record_reserve_uses;
use crate::backend::engine::counters::{extra_at, lock_statement_with_overrides, locked_with_overrides, Locked};
use crate::backend::engine::decide::{decide_locked, latest, windows_and_pairs, DecidedBatch};
use crate::backend::engine::keys::last_use_due;
use crate::backend::engine::prepare::config_version::version_read;
use crate::backend::engine::prepare::reserve::PreparedCheck;
use crate::backend::engine::{ConfigCache, EngineError};
use crate::backend::entities::api_key;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, Statement};
use std::collections::{BTreeSet, HashMap};
use tollgate_domain::Window;
use uuid::Uuid;

/// A batch that can go the LockAndVerify route: its checks, their windows and counters, and what its
/// statement verifies.
pub struct LockAndVerify<'c> {
    checks: Vec<&'c PreparedCheck>,
    windows: Vec<Vec<Window>>,
    pairs: Vec<(Uuid, Window)>,
    now: DateTime<Utc>,
    version: i64,
    keys: BTreeSet<(Uuid, Uuid)>,
    backend: DbBackend,
}

impl<'c> LockAndVerify<'c> {
    /// The LockAndVerify route for these checks (each with the key that asked for it), unless they were
    /// prepared at different versions or uncached, one registers a person, or none has a budget.
    pub fn of(checks: &'c [(Uuid, PreparedCheck)], backend: DbBackend) -> Option<Self> {
        let version = shared_version(checks)?;
        let all: Vec<&PreparedCheck> = checks.iter().map(|(_, check)| check).collect();
        let (windows, pairs) = windows_and_pairs(&all);
        if pairs.is_empty() {
            return None;
        }
        let keys = checks.iter().map(|(key, check)| (*key, check.org.id)).collect();
        Some(LockAndVerify { now: latest(&all), checks: all, windows, pairs, version, keys, backend })
    }

    /// The statement that locks the counters and reads the version and the live keys.
    pub fn statement(&self) -> Statement {
        lock_statement_with_overrides(self.backend, &self.pairs, self.now, self.verified().into())
            .expect("a LockAndVerify route has counters")
    }

    /// What the statement verifies: the configuration version, and how many of the batch's keys
    /// are live in their organization and used within the last minute.
    pub fn verified(&self) -> [Expr; 2] {
        let recently_used = Condition::all().add(keys_of_orgs(&self.keys)).add(last_use_due(self.now).not());
        [
            Expr::SubQuery(None, Box::new(version_read().into())),
            Expr::SubQuery(None, Box::new(live_keys_count(recently_used).into())),
        ]
    }

    pub fn checks(&self) -> &[&'c PreparedCheck] {
        &self.checks
    }

    pub fn windows(&self) -> &[Vec<Window>] {
        &self.windows
    }

    /// Every check's (budget, window) pairs.
    pub fn pairs(&self) -> &[(Uuid, Window)] {
        &self.pairs
    }

    /// The latest of the checks' times, at which overrides count as active.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The configuration version every check was prepared at.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// How many distinct (key, organization) pairs asked.
    pub fn keys(&self) -> usize {
        self.keys.len()
    }

    /// Decides the checks in `txn` if the version is still theirs and their keys are live and used
    /// recently; `None` otherwise, and then the transaction must be rolled back.
    pub async fn decide(
        self,
        txn: &impl ConnectionTrait,
        cache: &ConfigCache,
    ) -> Result<Option<DecidedBatch>, EngineError> {
        let rows = txn.query_all_raw(self.statement()).await?;
        let read = match rows.first() {
            None => None,
            Some(first) => {
                let mut locked: Locked = HashMap::with_capacity(rows.len());
                for row in &rows {
                    let (key, value) = locked_with_overrides(row)?;
                    locked.insert(key, value);
                }
                let version = first.try_get_by_index::<Option<i64>>(extra_at())?;
                Some(VerifiedRead { locked, version, live_keys: first.try_get_by_index::<i64>(extra_at() + 1)? })
            }
        };
        self.decide_on(txn, cache, read).await
    }

    /// `decide`, with the rows of `statement` already read (`None` for none).
    pub async fn decide_on(
        self,
        txn: &impl ConnectionTrait,
        cache: &ConfigCache,
        read: Option<VerifiedRead>,
    ) -> Result<Option<DecidedBatch>, EngineError> {
        let Some(read) = read else { return Ok(None) };
        if let Some(version) = read.version {
            cache.observe(version);
        }
        if read.version != Some(self.version) || usize::try_from(read.live_keys).ok() != Some(self.keys.len()) {
            return Ok(None);
        }
        let batch =
            decide_locked(txn.get_database_backend(), &self.checks, &self.windows, &HashMap::new(), read.locked)?;
        record_reserve_uses(txn, &batch.reserve_uses).await?;
        Ok(Some(batch))
    }
}

/// What the LockAndVerify route's statement read: the counters, locked, and the version and number of live
/// keys it verifies.
pub struct VerifiedRead {
    pub locked: Locked,
    pub version: Option<i64>,
    pub live_keys: i64,
}

/// The version every check was prepared at, if they share one and none registers a person.
fn shared_version(checks: &[(Uuid, PreparedCheck)]) -> Option<i64> {
    let first = checks.first()?.1.config_version?;
    checks.iter().all(|(_, check)| check.config_version == Some(first) && check.new_user.is_none()).then_some(first)
}

/// How many keys match `condition` and are not revoked.
fn live_keys_count(condition: Condition) -> SelectStatement {
    Query::select()
        .expr(Func::count(Expr::col(api_key::Column::Id)))
        .from(api_key::Entity)
        .and_where(api_key::Column::RevokedAt.is_null())
        .cond_where(condition)
        .to_owned()
}

/// Each key of these (key, organization) pairs, if it belongs to that organization.
fn keys_of_orgs(keys: &BTreeSet<(Uuid, Uuid)>) -> Condition {
    keys.iter().fold(Condition::any(), |any, (key, org)| {
        any.add(Condition::all().add(api_key::Column::Id.eq(*key)).add(api_key::Column::OrgId.eq(*org)))
    })
}
