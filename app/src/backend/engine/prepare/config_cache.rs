//! A per-process cache of what check-and-reserve and the status query look up (API key, project,
//! category, person, prices, applicable budgets), tagged with the configuration version it was read at.
//!
//! Database triggers bump the version on every change to those tables, whoever makes it. The batch
//! transaction of checks reads the version (`observe`); checks prepared at an older one are prepared
//! again inside it, so a decision never rests on configuration older than the transaction's. A
//! status query reads the version first and uses only entries read at that version. API keys are
//! not versioned: the batch transaction reads every key of its checks again (`keys::live_keys`),
//! so a revoked key's check is refused once the revocation has committed.

use crate::backend::engine::keys::{self, secret_hash, Authenticated};
use crate::backend::engine::prepare::budgets::{applicable, ApplicableBudget};
use crate::backend::engine::prepare::config_version::current_version;
use crate::backend::engine::prepare::resolve::{resolve, OperationInput, PriceList, Resolved};
use crate::backend::engine::prepare::status_budgets::{status_budgets, StatusQuery};
use crate::backend::engine::EngineError;
use crate::backend::entities::organization;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

/// Entries kept at most; the cache starts over when full (the working set of a gateway is small).
const CAPACITY: usize = 4_096;

/// Everything a check reads about its operation before it is decided.
#[derive(Clone)]
pub struct Lookup {
    pub resolved: Resolved,
    pub prices: PriceList,
    pub budgets: Arc<[ApplicableBudget]>,
}

impl Lookup {
    pub async fn load(
        db: &impl ConnectionTrait,
        org: &organization::Model,
        operation: &OperationInput,
        allowed_project: Option<Uuid>,
    ) -> Result<Self, EngineError> {
        let resolved = resolve(db, org, operation, allowed_project).await?;
        let prices = PriceList::load(db, &resolved, &operation.model).await?;
        let budgets = applicable(db, &resolved.chain).await?.into();
        Ok(Lookup { resolved, prices, budgets })
    }
}

/// Organization, operation, the key's project restriction.
type CheckKey = (Uuid, OperationInput, Option<Uuid>);
/// Organization, project slug, person's handle, category name.
type StatusKey = (Uuid, StatusQuery);

#[derive(Default)]
pub struct ConfigCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    version: Option<i64>,
    checks: HashMap<CheckKey, Arc<Lookup>>,
    statuses: HashMap<StatusKey, Arc<Vec<ApplicableBudget>>>,
    /// By the hash of the presented secret.
    keys: HashMap<String, Arc<Authenticated>>,
}

impl State {
    /// Moves to a newer version, forgetting everything read before it.
    fn advance(&mut self, version: i64) {
        if self.version.is_none_or(|known| known < version) {
            self.checks.clear();
            self.statuses.clear();
            self.keys.clear();
            self.version = Some(version);
        }
    }
}

fn remember<K: Hash + Eq, V>(entries: &mut HashMap<K, V>, key: K, value: V) {
    if entries.len() >= CAPACITY {
        entries.clear();
    }
    entries.insert(key, value);
}

impl ConfigCache {
    /// The lookups of an operation and the configuration version they are valid at. Failed lookups
    /// (an unknown project, say) are not cached.
    pub async fn lookup(
        &self,
        db: &impl ConnectionTrait,
        org: &organization::Model,
        operation: &OperationInput,
        allowed_project: Option<Uuid>,
    ) -> Result<(Arc<Lookup>, i64), EngineError> {
        let key = (org.id, operation.clone(), allowed_project);
        let known = {
            let state = self.state();
            // An entry read for the organization as it was (a key cached before a change) is no hit.
            if let (Some(version), Some(hit)) = (state.version, state.checks.get(&key)) {
                if hit.resolved.org == *org {
                    return Ok((hit.clone(), version));
                }
            }
            state.version
        };
        // The version is read before the configuration: what is read is at least that new.
        let version = match known {
            Some(version) => version,
            None => current_version(db).await?,
        };
        let lookup = Arc::new(Lookup::load(db, org, operation, allowed_project).await?);
        let mut state = self.state();
        state.advance(version);
        if state.version == Some(version) {
            remember(&mut state.checks, key, lookup.clone());
        }
        Ok((lookup, version))
    }

    /// The budgets a status query reports on, as fresh as a read made now: the version is read
    /// first, and cached budgets are used only if they were read at that very version.
    pub async fn status_budgets(
        &self,
        db: &impl ConnectionTrait,
        org: &organization::Model,
        query: &StatusQuery,
    ) -> Result<Arc<Vec<ApplicableBudget>>, EngineError> {
        let version = current_version(db).await?;
        let key = (org.id, query.clone());
        {
            let mut state = self.state();
            state.advance(version);
            if let Some(hit) = state.statuses.get(&key).filter(|_| state.version == Some(version)) {
                return Ok(hit.clone());
            }
        }
        let budgets = Arc::new(status_budgets(db, org, query).await?);
        let mut state = self.state();
        if state.version == Some(version) {
            remember(&mut state.statuses, key, budgets.clone());
        }
        Ok(budgets)
    }

    /// The key a presented secret authenticates, from the cache or read now (unknown and revoked
    /// keys are not cached). Only for check-and-reserve: its batch transaction verifies the key again.
    pub async fn authenticate(
        &self,
        db: &impl ConnectionTrait,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<Authenticated>>, DbErr> {
        let hash = secret_hash(presented);
        let known = {
            let state = self.state();
            if let Some(hit) = state.keys.get(&hash) {
                return Ok(Some(hit.clone()));
            }
            state.version
        };
        let Some(client) = keys::authenticate(db, presented, now).await? else { return Ok(None) };
        let client = Arc::new(client);
        let mut state = self.state();
        if state.version == known {
            remember(&mut state.keys, hash, client.clone());
        }
        Ok(Some(client))
    }

    /// Drops a key found revoked.
    pub fn forget_key(&self, key_id: Uuid) {
        self.state().keys.retain(|_, client| client.key_id != key_id);
    }

    /// Takes note of the version a write transaction read; a newer one empties the cache.
    pub fn observe(&self, version: i64) {
        self.state().advance(version);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
