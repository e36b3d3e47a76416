//! What the PostgreSQL check writers remember of the counters their batches left, for the Optimistic route
//! (`writer/postgres/optimistic`): counters claimed by a batch going the LockAndVerify route until it tells what it left, and
//! a rest for the Optimistic route after it failed.

use crate::backend::engine::counters::{CounterKey, Locked, WithOverrides};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::Notify;
use tollgate_domain::Window;
use uuid::Uuid;

/// Counters remembered at most; beyond, those of ended windows are forgotten, then all.
const REMEMBERED: usize = 4096;
/// Batches that go the LockAndVerify route, at most, after the Optimistic route failed several times running.
pub(in crate::backend::engine) const LONGEST_PAUSE: u32 = 64;

/// The counters as this instance's check writers last committed them, each with its budget's active
/// overrides; shared by the writers, so one can decide its batch while another's is being written.
#[derive(Default)]
pub struct CounterMemory {
    counters: Mutex<Counters>,
    /// Told when a claim ends.
    released: Notify,
    pause: Mutex<Pause>,
    committed: AtomicU64,
    found_changed: AtomicU64,
    failed: AtomicU64,
}

#[derive(Default)]
struct Counters {
    by_key: HashMap<CounterKey, Remembered>,
    claims: u64,
}

enum Remembered {
    Known(WithOverrides),
    /// A batch going the LockAndVerify route is changing the counter: nothing is decided on it until that
    /// batch tells what it left, or fails.
    Claimed(u64),
}

/// The counters a batch going the LockAndVerify route claimed. Dropped without `remember` (the batch failed),
/// they are forgotten.
pub struct Claim<'m> {
    memory: &'m CounterMemory,
    number: u64,
    keys: Vec<CounterKey>,
}

/// After a failure the Optimistic route rests for a number of batches that doubles with each failure in a
/// row: where another instance keeps changing the same counters, few statements are wasted.
#[derive(Default)]
struct Pause {
    /// The last rest's length; zero once the Optimistic route held again.
    length: u32,
    /// Batches still to go the LockAndVerify route.
    left: u32,
}

/// How the batches that tried the Optimistic route went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptimisticCounts {
    pub committed: u64,
    /// Found something other than the decision assumed, and went the LockAndVerify route.
    pub found_changed: u64,
    /// Failed otherwise (and went the LockAndVerify route), or were not answered (and their checks failed).
    pub failed: u64,
}

impl CounterMemory {
    fn counters(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims the counters of a batch about to go the LockAndVerify route: nothing is decided on them until
    /// it is done.
    pub fn claim(&self, pairs: &[(Uuid, Window)]) -> Claim<'_> {
        let mut counters = self.counters();
        counters.claims += 1;
        let number = counters.claims;
        let keys: Vec<CounterKey> = pairs.iter().map(|(budget_id, window)| (*budget_id, window.start)).collect();
        for key in &keys {
            counters.by_key.insert(*key, Remembered::Claimed(number));
        }
        Claim { memory: self, number, keys }
    }

    /// Runs `decide` on the remembered counters of `pairs`, once none of them is claimed, and
    /// remembers the counters it leaves, so that the next batch is decided on them while this one
    /// is being written. `None` when one of them is not remembered, or `decide` gives up.
    pub async fn decide_on<T>(
        &self,
        pairs: &[(Uuid, Window)],
        decide: impl FnOnce(Locked) -> Option<(T, Locked)>,
    ) -> Option<T> {
        let mut decide = Some(decide);
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            match self.try_deciding_on(pairs, &mut decide) {
                Some(decided) => return decided,
                None => released.await,
            }
        }
    }

    /// `decide_on`'s one try: `None` while one of the counters is claimed.
    fn try_deciding_on<T>(
        &self,
        pairs: &[(Uuid, Window)],
        decide: &mut Option<impl FnOnce(Locked) -> Option<(T, Locked)>>,
    ) -> Option<Option<T>> {
        let mut counters = self.counters();
        let mut assumed = Locked::with_capacity(pairs.len());
        for (budget_id, window) in pairs {
            let key = (*budget_id, window.start);
            match counters.by_key.get(&key) {
                Some(Remembered::Known(counter)) => {
                    assumed.insert(key, counter.clone());
                }
                Some(Remembered::Claimed(_)) => return None,
                None => return Some(None),
            }
        }
        let Some((decided, left)) = decide.take().and_then(|decide| decide(assumed)) else { return Some(None) };
        counters.by_key.extend(left.into_iter().map(|(key, counter)| (key, Remembered::Known(counter))));
        Some(Some(decided))
    }

    /// Whether this batch may try the Optimistic route (not while it rests after failures).
    pub fn take_turn(&self) -> bool {
        let mut pause = self.pause.lock().unwrap_or_else(PoisonError::into_inner);
        let resting = pause.left > 0;
        pause.left = pause.left.saturating_sub(1);
        !resting
    }

    /// Whether the Optimistic route rests for the next batch too.
    pub fn resting(&self) -> bool {
        self.pause.lock().unwrap_or_else(PoisonError::into_inner).left > 0
    }

    /// An Optimistic statement was committed.
    pub fn held(&self) {
        self.pause.lock().unwrap_or_else(PoisonError::into_inner).length = 0;
        self.committed.fetch_add(1, Ordering::Relaxed);
    }

    /// An Optimistic statement that changed these counters found something other than its decision
    /// assumed.
    pub fn found_changed(&self, counters: &[CounterKey]) {
        self.found_changed.fetch_add(1, Ordering::Relaxed);
        self.forget_and_rest(counters);
    }

    /// An Optimistic statement that changed these counters failed otherwise, or its outcome is unknown.
    pub fn failed(&self, counters: &[CounterKey]) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.forget_and_rest(counters);
    }

    /// What the failed statement's counters hold is not known: they are forgotten, and the Optimistic route
    /// rests.
    fn forget_and_rest(&self, forgotten: &[CounterKey]) {
        let mut counters = self.counters();
        for key in forgotten {
            counters.by_key.remove(key);
        }
        drop(counters);
        let mut pause = self.pause.lock().unwrap_or_else(PoisonError::into_inner);
        pause.length = (pause.length * 2).clamp(1, LONGEST_PAUSE);
        pause.left = pause.length;
    }

    pub fn counts(&self) -> OptimisticCounts {
        OptimisticCounts {
            committed: self.committed.load(Ordering::Relaxed),
            found_changed: self.found_changed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

impl Claim<'_> {
    /// Remembers the counters as the committed batch left them, unless a later batch claimed them
    /// meanwhile.
    pub fn remember(mut self, committed: Locked, now: DateTime<Utc>) {
        let mut counters = self.memory.counters();
        for (key, counter) in committed {
            if let Some(entry) = counters.by_key.get_mut(&key) {
                if matches!(entry, Remembered::Claimed(by) if *by == self.number) {
                    *entry = Remembered::Known(counter);
                }
            }
        }
        if counters.by_key.len() > REMEMBERED {
            let ended =
                |entry: &Remembered| matches!(entry, Remembered::Known((counter, _)) if counter.window_end <= now);
            counters.by_key.retain(|_, entry| !ended(entry));
            if counters.by_key.len() > REMEMBERED {
                counters.by_key.clear();
            }
        }
        drop(counters);
        self.keys.clear();
        self.memory.released.notify_waiters();
    }
}

impl Drop for Claim<'_> {
    /// A batch that did not commit tells nothing: the counters it still claims are forgotten.
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let mut counters = self.memory.counters();
        for key in &self.keys {
            if matches!(counters.by_key.get(key), Some(Remembered::Claimed(by)) if *by == self.number) {
                counters.by_key.remove(key);
            }
        }
        drop(counters);
        self.memory.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests;
