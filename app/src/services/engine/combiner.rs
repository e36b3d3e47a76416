//! Group commit for check-and-reserve: the checks that arrive while one batch is being written wait
//! in a queue and are decided together in the next transaction, one lock and one commit for all.
//!
//! Checks are prepared from the process's configuration cache; the batch transaction reads the
//! configuration version and prepares again, inside itself, any check whose lookups are older.
//! Every caller is answered only after the transaction holding its decision committed, so an
//! answered reservation survives a crash. Across instances sharing PostgreSQL each instance's batch
//! locks the counters it touches, so the batches of different instances still serialize.

use super::begin_write;
use super::config_cache::{current_version, ConfigCache};
use super::decide::decide_checks;
use super::reserve::{prepare_cached_check, prepare_check, CheckInput, CheckOutcome, PreparedCheck};
use super::EngineError;
use crate::entities::organization;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Checks decided in one transaction at most; more wait for the next.
const MAX_BATCH: usize = 128;

type Answer = Result<CheckOutcome, EngineError>;
type Reply = oneshot::Sender<Answer>;

/// The queue in front of the engine's check writer; cheap to clone.
#[derive(Clone)]
pub struct CheckCombiner {
    db: DatabaseConnection,
    cache: Arc<ConfigCache>,
    queue: mpsc::UnboundedSender<(PreparedCheck, Reply)>,
}

impl CheckCombiner {
    /// Starts the writer task on the current Tokio runtime; checks are prepared from `cache`.
    pub fn start(db: DatabaseConnection, cache: Arc<ConfigCache>) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(db.clone(), cache.clone(), receiver));
        CheckCombiner { db, cache, queue }
    }

    /// Checks an operation and reserves its estimate: prepared here from the cache, decided in the
    /// next batch, answered once that batch committed.
    pub async fn check(
        &self,
        org: &organization::Model,
        input: CheckInput,
        allowed_project: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Answer {
        let prepared = prepare_cached_check(&self.cache, &self.db, org, input, allowed_project, now).await?;
        let (reply, answer) = oneshot::channel();
        self.queue.send((prepared, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> EngineError {
    EngineError::Database(DbErr::Custom("the check writer has stopped".into()))
}

async fn write_batches(
    db: DatabaseConnection,
    cache: Arc<ConfigCache>,
    mut receiver: mpsc::UnboundedReceiver<(PreparedCheck, Reply)>,
) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (checks, replies): (Vec<_>, Vec<_>) = waiting.drain(..).unzip();
        let alone = (checks.len() > 1).then(|| checks.clone());
        match (decide_and_commit(&db, &cache, checks).await, alone) {
            (Ok(answers), _) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            // Nothing of the batch was written: decide each check on its own, so that one check
            // that cannot be written fails alone.
            (Err(error), Some(checks)) => {
                tracing::warn!(%error, checks = checks.len(), "a batch of checks failed; deciding them one by one");
                for (check, reply) in checks.into_iter().zip(replies) {
                    let answer = decide_and_commit(&db, &cache, vec![check]).await.and_then(|mut one| one.remove(0));
                    let _ = reply.send(answer);
                }
            }
            (Err(error), None) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(error));
                }
            }
        }
    }
}

/// Decides the checks in one transaction; a check whose configuration changed since it was
/// prepared is prepared again inside it, and fails alone if it no longer passes.
async fn decide_and_commit(
    db: &DatabaseConnection,
    cache: &ConfigCache,
    checks: Vec<PreparedCheck>,
) -> Result<Vec<Answer>, EngineError> {
    let txn = begin_write(db).await?;
    let version = current_version(&txn).await?;
    cache.observe(version);
    let mut answers: Vec<Option<Answer>> = Vec::with_capacity(checks.len());
    let mut current = Vec::with_capacity(checks.len());
    for check in checks {
        if check.config_version == Some(version) {
            current.push(check);
            answers.push(None);
            continue;
        }
        let PreparedCheck { org, input, allowed_project, now, .. } = check;
        match prepare_check(&txn, &org, input, allowed_project, now).await {
            Ok(fresh) => {
                current.push(fresh);
                answers.push(None);
            }
            Err(error) => answers.push(Some(Err(error))),
        }
    }
    let mut decided = decide_checks(&txn, current).await?.into_iter();
    txn.commit().await?;
    Ok(answers.into_iter().map(|answer| answer.unwrap_or_else(|| decided.next().ok_or_else(stopped))).collect())
}
