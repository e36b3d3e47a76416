//! How the PostgreSQL check writer decides each batch: the Optimistic route on remembered counters
//! (`writer/postgres/optimistic`), else the LockAndVerify route (`writer/lock_and_verify`), else the Full route
//! (`writer/full`).

use crate::backend::engine::writer::batch_txn::BatchTxn;
use crate::backend::engine::writer::full::{decide_on, Answer, Queued};
use crate::backend::engine::writer::lock_and_verify::LockAndVerify;
use crate::backend::engine::writer::postgres::memory::CounterMemory;
use crate::backend::engine::writer::postgres::optimistic::{presume, was_not_as_assumed, Presumed};
use crate::backend::engine::writer::postgres::{KeptPgConnection, Unfinished};
use crate::backend::engine::{ConfigCache, EngineError};
use sea_orm::{DatabaseConnection, DbBackend};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long after its last commit the writer's kept connection is still trusted with a statement
/// that commits on its own. Such a statement failing on a connection closed meanwhile could not be
/// told from a commit left unanswered (its checks would all fail); after a pause the batch goes the
/// LockAndVerify route instead, whose first statement runs again on a new connection if the kept one fails.
const FRESH: Duration = Duration::from_secs(1);

/// One PostgreSQL check writer: its kept connection, when it last committed on it, and the counters
/// it remembers, shared with the instance's other writers if it has more than one.
#[derive(Default)]
pub struct PgWriter {
    kept: KeptPgConnection,
    last_commit: Option<Instant>,
    memory: Arc<CounterMemory>,
}

impl PgWriter {
    pub fn new(memory: Arc<CounterMemory>) -> Self {
        PgWriter { memory, ..PgWriter::default() }
    }

    /// Decides the checks the Optimistic route when the batch goes the LockAndVerify route and its counters are
    /// remembered; else the LockAndVerify route when it allows; else the Full route. A batch whose LockAndVerify route
    /// found its configuration or keys not current is rolled back and decided the Full route in a new
    /// transaction.
    pub async fn decide(
        &mut self,
        db: &DatabaseConnection,
        cache: &ConfigCache,
        checks: &[Queued],
    ) -> Result<Vec<Answer>, EngineError> {
        let memory = &*self.memory;
        let Some(short) = LockAndVerify::of(checks, DbBackend::Postgres) else {
            let answers = decide_on(self.kept.begin(db).await?, cache, checks).await?;
            self.last_commit = Some(Instant::now());
            return Ok(answers);
        };
        let fresh = self.kept.is_idle() && self.last_commit.is_some_and(|at| at.elapsed() < FRESH);
        if memory.take_turn() && fresh {
            if let Some(Presumed { decided, statement, counters }) = presume(memory, &short).await {
                match self.kept.commit_alone(statement).await {
                    Ok(()) => {
                        memory.held();
                        self.last_commit = Some(Instant::now());
                        return Ok(decided.into_iter().map(Ok).collect());
                    }
                    Err(Unfinished::Refused(error)) if was_not_as_assumed(&error) => {
                        memory.found_changed(&counters);
                    }
                    Err(Unfinished::Refused(error)) => {
                        tracing::warn!(%error, "a batch's Optimistic route failed; it goes the LockAndVerify route");
                        memory.failed(&counters);
                    }
                    Err(Unfinished::Unconfirmed(error)) => {
                        tracing::error!(%error, "a batch of checks may or may not have been committed: its checks fail");
                        memory.failed(&counters);
                        return Err(EngineError::Unconfirmed);
                    }
                }
            }
        }
        self.kept.begin_after_commit(memory.resting());
        let claim = memory.claim(short.pairs());
        let txn = self.kept.begin(db).await?;
        let now = short.now();
        match short.decide(&txn, cache).await {
            Ok(Some(batch)) => {
                let (decided, writes, counters) = batch.into_writes(&txn);
                txn.commit_with(writes).await?;
                self.last_commit = Some(Instant::now());
                claim.remember(counters, now);
                Ok(decided.into_iter().map(Ok).collect())
            }
            Ok(None) => {
                txn.rollback().await;
                decide_on(self.kept.begin(db).await?, cache, checks).await
            }
            Err(error) => {
                txn.rollback().await;
                Err(error)
            }
        }
    }
}
