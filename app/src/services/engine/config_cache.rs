//! A per-process cache of what check-and-reserve looks up before deciding (project, category, user,
//! prices, applicable budgets), tagged with the configuration version it was read at.
//!
//! Database triggers bump the version on every change to those tables, whoever makes it. The batch
//! transaction reads the version (`observe`); checks prepared at an older one are prepared again
//! inside it, so a decision never rests on configuration older than the transaction's.

use super::budgets::{applicable, ApplicableBudget};
use super::resolve::{resolve, OperationInput, PriceList, Resolved};
use super::EngineError;
use crate::entities::{config_version, organization};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

/// Entries kept at most; the cache starts over when full (the working set of a gateway is small).
const CAPACITY: usize = 4_096;

/// Everything a check reads about its operation before it is decided.
#[derive(Clone)]
pub struct Lookup {
    pub resolved: Resolved,
    pub prices: PriceList,
    pub budgets: Vec<ApplicableBudget>,
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
        let budgets = applicable(db, &resolved.chain).await?;
        Ok(Lookup { resolved, prices, budgets })
    }
}

type Key = (Uuid, OperationInput, Option<Uuid>);

#[derive(Default)]
pub struct ConfigCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    version: Option<i64>,
    entries: HashMap<Key, Arc<Lookup>>,
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
            if let (Some(version), Some(hit)) = (state.version, state.entries.get(&key)) {
                return Ok((hit.clone(), version));
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
        state.version.get_or_insert(version);
        if state.version == Some(version) {
            if state.entries.len() >= CAPACITY {
                state.entries.clear();
            }
            state.entries.insert(key, lookup.clone());
        }
        Ok((lookup, version))
    }

    /// Takes note of the version a write transaction read; a different one empties the cache.
    pub fn observe(&self, version: i64) {
        let mut state = self.state();
        if state.version != Some(version) {
            state.entries.clear();
            state.version = Some(version);
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The configuration version as of now (inside a transaction: as that transaction sees it).
pub async fn current_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = config_version::Entity::find_by_id(1).one(db).await?;
    Ok(row.map_or(0, |r| r.version))
}
