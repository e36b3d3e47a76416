//! Group commit for check-and-reserve: the checks that arrive while one batch is being written wait
//! in a queue and are decided together in the next transaction, one lock and one commit for all.
//!
//! Checks are prepared from the process's configuration cache; the batch transaction reads the
//! configuration version and prepares again, inside itself, any check whose lookups are older.
//! Every caller is answered only after the transaction holding its decision committed, so an
//! answered reservation survives a crash. On PostgreSQL every batch, of this instance's writers or
//! of other instances, locks the counters it touches, so batches sharing counters serialize.

use crate::backend::engine::decide::{counters_read, Decided};
use crate::backend::engine::keys::{live_keys, Authenticated};
use crate::backend::engine::prepare::config_cache::ConfigCache;
use crate::backend::engine::prepare::reserve::{
    prepare_cached_check, prepare_check, CheckInput, CheckOutcome, PreparedCheck,
};
use crate::backend::engine::writer::full::{decide_on, Answer, Queued};
use crate::backend::engine::writer::lock_and_verify::LockAndVerify;
use crate::backend::engine::writer::postgres::memory::{CounterMemory, OptimisticCounts};
use crate::backend::engine::writer::postgres::routes::PgWriter;
use crate::backend::engine::writer::sqlite::direct::{open_own_connection, DirectConnection};
use crate::backend::engine::writer::sqlite::KeptConnection;
use crate::backend::engine::writer::stopped;
use crate::backend::engine::EngineError;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbBackend};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Checks decided in one transaction at most; more wait for the next.
const MAX_BATCH: usize = 128;

/// PostgreSQL check writers per instance. A second writer overlapped one batch's trips with the
/// other's, but batches of one budget chain only queue at its counters' row locks, and one writer
/// makes larger batches: on two cores it used a third less PostgreSQL CPU per check for the same
/// throughput, the Optimistic route or not (README, "Benchmarks").
const POSTGRES_WRITERS: usize = 1;

type Reply = oneshot::Sender<Answer>;
type Receiver = mpsc::UnboundedReceiver<(Queued, Reply)>;

/// The queue in front of the engine's check writer; cheap to clone.
#[derive(Clone)]
pub struct CheckCombiner {
    db: DatabaseConnection,
    cache: Arc<ConfigCache>,
    queue: mpsc::UnboundedSender<(Queued, Reply)>,
    memory: Arc<CounterMemory>,
}

impl CheckCombiner {
    /// Starts the writer tasks; checks are prepared from `cache` (and `db` where it misses), batches
    /// are decided on `writer` (on SQLite a connection of their own, which keeps its page cache
    /// warm; else the same pool as `db`).
    ///
    /// PostgreSQL gets `POSTGRES_WRITERS` writers on the current Tokio runtime, sharing the counters
    /// they remember, on which batches are decided the Optimistic route (`writer/postgres/optimistic`). SQLite's writers would
    /// only queue at its single write lock, so it gets one, on a thread of its own
    /// (`run_on_own_thread`), which decides the batches that can go the LockAndVerify route itself, through
    /// rusqlite on one more connection, opened with `writer`'s options (`DirectConnection`).
    pub fn start(db: DatabaseConnection, writer: DatabaseConnection, cache: Arc<ConfigCache>) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let memory = Arc::new(CounterMemory::default());
        if db.get_database_backend() == DbBackend::Postgres {
            for _ in 0..POSTGRES_WRITERS {
                let kept = Kept { postgres: PgWriter::new(memory.clone()), ..Kept::default() };
                tokio::spawn(write_batches(writer.clone(), cache.clone(), receiver.clone(), None, kept));
            }
        } else {
            run_on_own_thread(write_sqlite_batches(writer, cache.clone(), receiver));
        }
        CheckCombiner { db, cache, queue, memory }
    }

    /// How many batches went the Optimistic route on PostgreSQL, and how many of those attempts failed.
    pub fn optimistic(&self) -> OptimisticCounts {
        self.memory.counts()
    }

    /// Checks an operation and reserves its estimate for the client's key (which may come from the
    /// cache: it is verified again in the batch): prepared here from the cache, decided in the next
    /// batch, answered once that batch committed.
    pub async fn check(
        &self,
        client: &Authenticated,
        input: CheckInput,
        now: DateTime<Utc>,
    ) -> Result<CheckOutcome, EngineError> {
        let mut prepared =
            match prepare_cached_check(&self.cache, &self.db, &client.org, &input, client.project_id, now).await {
                Ok(prepared) => prepared,
                Err(error @ EngineError::Database(_)) => return Err(error),
                Err(refusal) => self.prepare_on_stored_key(client, &input, now, refusal).await?,
            };
        prepared.key_id = Some(client.key_id);
        let (reply, answer) = oneshot::channel();
        self.queue.send(((client.key_id, prepared), reply)).map_err(|_| stopped())?;
        Ok(answer.await.map_err(|_| stopped())??.answer())
    }

    /// A refusal may rest on a key cached before it was revoked or its organization changed: it
    /// stands only if the key as stored now is live and of the same organization.
    async fn prepare_on_stored_key(
        &self,
        client: &Authenticated,
        input: &CheckInput,
        now: DateTime<Utc>,
        refusal: EngineError,
    ) -> Result<PreparedCheck, EngineError> {
        let live = live_keys(&self.db, &[client.key_id], now).await?;
        match live.get(&client.key_id) {
            Some(org) if *org == client.org => Err(refusal),
            Some(org) => {
                self.cache.forget_key(client.key_id);
                prepare_check(&self.db, org, input, client.project_id, now).await
            }
            None => {
                self.cache.forget_key(client.key_id);
                Err(EngineError::KeyRevoked)
            }
        }
    }
}

/// Runs the SQLite check writer on a thread of its own. On the server's runtime its task, woken
/// after each statement, queued behind the HTTP tasks of the checks it had just answered, and the
/// batch it held waited with it; here the system schedules it as soon as it is woken. Its runtime
/// has timers (the pool's) and no I/O driver: SQLite's answers come from a thread, and with nothing
/// to poll the runtime sleeps on a condition variable, woken sooner than from `epoll`.
fn run_on_own_thread(writer: impl Future<Output = ()> + Send + 'static) {
    let spawned = std::thread::Builder::new().name("server-checks".into()).spawn(move || {
        match tokio::runtime::Builder::new_current_thread().enable_time().build() {
            Ok(runtime) => runtime.block_on(writer),
            Err(error) => tracing::error!(%error, "could not start the check writer's runtime"),
        }
    });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start the check writer's thread");
    }
}

/// The SQLite writer: batches go the Direct route on a connection of its own when they can
/// (`DirectConnection`), else the Full route on `db`'s.
async fn write_sqlite_batches(db: DatabaseConnection, cache: Arc<ConfigCache>, receiver: Arc<Mutex<Receiver>>) {
    let mut own = open_own_connection(&db).await;
    let direct = match own.as_mut() {
        Ok(own) => DirectConnection::lend(own).await,
        Err(error) => Err(error.clone()),
    };
    if let Err(error) = &direct {
        tracing::warn!(%error, "the check writer decides every batch the Full route");
    }
    write_batches(db, cache, receiver, direct.as_ref().ok(), Kept::default()).await;
    drop(direct);
    if let Ok(own) = own {
        let _ = sea_orm::sqlx::Connection::close(own).await;
    }
}

async fn write_batches(
    db: DatabaseConnection,
    cache: Arc<ConfigCache>,
    receiver: Arc<Mutex<Receiver>>,
    direct: Option<&DirectConnection<'_>>,
    mut kept: Kept,
) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while receiver.lock().await.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let mut writer = Writer { db: &db, kept: &mut kept, direct, cache: &cache };
        for (reply, answer) in decide_batch(waiting.drain(..), &mut writer).await {
            let _ = reply.send(answer);
        }
    }
}

/// Decides one batch of checks (`C`), each as a `D`, in one transaction.
trait DecideBatch<C, D> {
    fn decide(&mut self, checks: &[C])
        -> impl Future<Output = Result<Vec<Result<D, EngineError>>, EngineError>> + Send;
}

/// The check writer, for one batch.
struct Writer<'w, 'd> {
    db: &'w DatabaseConnection,
    kept: &'w mut Kept,
    direct: Option<&'w DirectConnection<'d>>,
    cache: &'w ConfigCache,
}

impl DecideBatch<Queued, Decided> for Writer<'_, '_> {
    async fn decide(&mut self, checks: &[Queued]) -> Result<Vec<Answer>, EngineError> {
        decide_and_commit(self.db, self.kept, self.direct, self.cache, checks).await
    }
}

/// Decides a batch of checks (`C`, each decided as `D`) with `decider`. If the batch fails, nothing
/// of it was written and each check is decided on its own, so that one check that cannot be
/// written fails alone; but a batch whose commit was not confirmed may have been written, and
/// deciding its checks again could reserve twice: they all fail.
async fn decide_batch<C, D>(
    batch: impl IntoIterator<Item = (C, oneshot::Sender<Result<D, EngineError>>)>,
    decider: &mut impl DecideBatch<C, D>,
) -> Vec<(oneshot::Sender<Result<D, EngineError>>, Result<D, EngineError>)> {
    let (checks, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    match decider.decide(&checks).await {
        Ok(answers) => replies.into_iter().zip(answers).collect(),
        Err(EngineError::Unconfirmed) => {
            replies.into_iter().map(|reply| (reply, Err(EngineError::Unconfirmed))).collect()
        }
        Err(error) if checks.len() > 1 => {
            tracing::warn!(%error, checks = checks.len(), "a batch of checks failed; deciding them one by one");
            let mut answers = Vec::with_capacity(checks.len());
            for (check, reply) in checks.iter().zip(replies) {
                let answer = decider.decide(std::slice::from_ref(check)).await.and_then(|mut one| one.remove(0));
                answers.push((reply, answer));
            }
            answers
        }
        Err(error) => replies.into_iter().next().map(|reply| (reply, Err(error))).into_iter().collect(),
    }
}

/// The writer's connection, kept from batch to batch (the pool would ping it on each return).
#[derive(Default)]
struct Kept {
    sqlite: KeptConnection,
    postgres: PgWriter,
}

/// Decides the checks in one transaction on the writer's kept connection; on SQLite one that sends
/// `BEGIN` and `COMMIT` with its first and last statements (`SqliteBatchTxn`); on PostgreSQL as
/// `PgWriter` chooses.
async fn decide_and_commit(
    db: &DatabaseConnection,
    kept: &mut Kept,
    direct: Option<&DirectConnection<'_>>,
    cache: &ConfigCache,
    checks: &[Queued],
) -> Result<Vec<Answer>, EngineError> {
    if db.get_database_backend() == DbBackend::Sqlite {
        if let Some((direct, short)) = direct.and_then(|d| Some((d, LockAndVerify::of(checks, DbBackend::Sqlite)?))) {
            if let Some(decided) = direct.decide(db, cache, short).await? {
                return Ok(decided.into_iter().map(Ok).collect());
            }
        }
        let txn = kept.sqlite.begin(db).await?;
        let all: Vec<&PreparedCheck> = checks.iter().map(|(_, check)| check).collect();
        if let Some(counters) = counters_read(DbBackend::Sqlite, &all) {
            txn.read_ahead(counters);
        }
        decide_on(txn, cache, checks).await
    } else {
        kept.postgres.decide(db, cache, checks).await
    }
}

#[cfg(test)]
mod tests;
