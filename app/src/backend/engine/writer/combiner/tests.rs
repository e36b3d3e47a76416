//! Tests of the check combiner: its writer's thread, and what a batch that fails does.

use super::{decide_batch, CheckCombiner, ConfigCache, DecideBatch};
use crate::backend::engine::{error_code, EngineError};
use sea_orm::Database;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Threads of this process named as the SQLite check writer's (Linux: `/proc`).
fn writer_threads() -> usize {
    let tasks = std::fs::read_dir("/proc/self/task").expect("Linux's /proc");
    tasks
        .flatten()
        .filter(|task| std::fs::read_to_string(task.path().join("comm")).is_ok_and(|n| n.trim() == "server-checks"))
        .count()
}

async fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "{what} did not happen within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_sqlite_writer_runs_on_a_thread_that_ends_with_its_queue() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let combiner = CheckCombiner::start(db.clone(), db, Arc::new(ConfigCache::default()));
    until("the writer's thread starting", || writer_threads() == 1).await;
    let copy = combiner.clone();
    drop(combiner);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(writer_threads(), 1, "a copy of the queue still feeds the writer");
    drop(copy);
    until("the writer's thread ending", || writer_threads() == 0).await;
}

/// Decides checks (numbers) as their tenfold, one at a time; a batch of many fails with `failure`,
/// and check 2 cannot be written on its own. Notes every batch it is given.
struct Stub {
    failure: fn() -> EngineError,
    calls: Vec<Vec<u32>>,
}

impl DecideBatch<u32, u32> for Stub {
    async fn decide(&mut self, checks: &[u32]) -> Result<Vec<Result<u32, EngineError>>, EngineError> {
        self.calls.push(checks.to_vec());
        match checks {
            [2] => Err(EngineError::InvalidInput("two cannot be written".into())),
            [one] => Ok(vec![Ok(one * 10)]),
            _ => Err((self.failure)()),
        }
    }
}

/// The answers to a batch of `checks`, as their callers receive them (errors by their code), and
/// every batch the stub was given.
async fn decided(checks: &[u32], failure: fn() -> EngineError) -> (Vec<Result<u32, String>>, Vec<Vec<u32>>) {
    let (queued, receivers): (Vec<_>, Vec<_>) = checks
        .iter()
        .map(|check| {
            let (reply, answer) = oneshot::channel();
            ((*check, reply), answer)
        })
        .unzip();
    let mut stub = Stub { failure, calls: Vec::new() };
    for (reply, answer) in decide_batch(queued, &mut stub).await {
        reply.send(answer).unwrap();
    }
    let mut received = Vec::new();
    for answer in receivers {
        received.push(answer.await.unwrap().map_err(|error| error_code(&error).to_owned()));
    }
    (received, stub.calls)
}

#[tokio::test]
async fn a_batch_of_one_is_answered_with_its_decision_or_its_error_once() {
    let (answers, calls) = decided(&[4], || EngineError::Unconfirmed).await;
    assert_eq!(answers, vec![Ok(40)]);
    assert_eq!(calls, vec![vec![4]]);
    let (answers, calls) = decided(&[2], || EngineError::Unconfirmed).await;
    assert_eq!(answers, vec![Err("invalid_input".into())]);
    assert_eq!(calls, vec![vec![2]], "a single check that failed is not tried again");
}

#[tokio::test]
async fn a_failed_batch_is_decided_again_one_check_at_a_time_and_only_the_bad_one_fails() {
    let (answers, calls) = decided(&[1, 2, 3], || EngineError::InvalidInput("a batch that failed".into())).await;
    assert_eq!(answers, vec![Ok(10), Err("invalid_input".into()), Ok(30)]);
    assert_eq!(calls, vec![vec![1, 2, 3], vec![1], vec![2], vec![3]]);
}

#[tokio::test]
async fn a_batch_whose_commit_was_not_confirmed_is_never_decided_again() {
    let (answers, calls) = decided(&[1, 3], || EngineError::Unconfirmed).await;
    assert_eq!(answers, vec![Err("unconfirmed".into()), Err("unconfirmed".into())]);
    assert_eq!(calls, vec![vec![1, 3]], "deciding them again could reserve twice");
}
