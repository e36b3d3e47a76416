//! Group commit for check-and-reserve: the checks that arrive while one batch is being written wait
//! in a queue and are decided together in the next transaction, one lock and one commit for all.
//!
//! Every caller is answered only after the transaction holding its decision committed, so an
//! answered reservation survives a crash. Across instances sharing PostgreSQL each instance's batch
//! locks the counters it touches, so the batches of different instances still serialize.

use super::begin_write;
use super::decide::decide_checks;
use super::reserve::{CheckOutcome, PreparedCheck};
use super::EngineError;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{mpsc, oneshot};

/// Checks decided in one transaction at most; more wait for the next.
const MAX_BATCH: usize = 128;

type Reply = oneshot::Sender<Result<CheckOutcome, EngineError>>;

/// The queue in front of the engine's check writer; cheap to clone.
#[derive(Clone)]
pub struct CheckCombiner {
    queue: mpsc::UnboundedSender<(PreparedCheck, Reply)>,
}

impl CheckCombiner {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(db, receiver));
        CheckCombiner { queue }
    }

    /// Decides a prepared check in the next batch and answers once that batch committed.
    pub async fn check(&self, check: PreparedCheck) -> Result<CheckOutcome, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((check, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> EngineError {
    EngineError::Database(DbErr::Custom("the check writer has stopped".into()))
}

async fn write_batches(db: DatabaseConnection, mut receiver: mpsc::UnboundedReceiver<(PreparedCheck, Reply)>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (checks, replies): (Vec<_>, Vec<_>) = waiting.drain(..).unzip();
        let alone = (checks.len() > 1).then(|| checks.clone());
        match (decide_and_commit(&db, checks).await, alone) {
            (Ok(outcomes), _) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            // Nothing of the batch was written: decide each check on its own, so that one check
            // that cannot be written fails alone.
            (Err(error), Some(checks)) => {
                tracing::warn!(%error, checks = checks.len(), "a batch of checks failed; deciding them one by one");
                for (check, reply) in checks.into_iter().zip(replies) {
                    let _ = reply.send(decide_and_commit(&db, vec![check]).await.map(|mut one| one.remove(0)));
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

async fn decide_and_commit(
    db: &DatabaseConnection,
    checks: Vec<PreparedCheck>,
) -> Result<Vec<CheckOutcome>, EngineError> {
    let txn = begin_write(db).await?;
    let outcomes = decide_checks(&txn, checks).await?;
    txn.commit().await?;
    Ok(outcomes)
}
