//! Job leases in the database: a scheduled run happens once across all instances sharing it, an
//! admin can ask for a run now, and each run leaves its duration, outcome and progress behind.
//!
//! Lease writes are write transactions (`begin_write`): on SQLite they queue behind the process's
//! other writers instead of meeting a held lock, which would make a check-and-reserve batch that
//! arrives meanwhile sleep in SQLite's busy handler.

use crate::backend::engine::begin_write;
use crate::backend::entities::job_run::{self, Column as C};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

/// Every scheduled job: its name, title and what it does, for the jobs page.
pub const JOBS: [(&str, &str, &str); 9] = [
    (
        "alert_dispatcher",
        "Alert dispatcher",
        "Sends due alert messages by email, Slack, webhook and inbox, with retries and backoff.",
    ),
    ("alert_escalation", "Alert escalation", "Escalates unacknowledged alerts to the next recipients."),
    (
        "digests",
        "Email digests",
        "Composes weekly and monthly digests for their subscribers and delivers them, with retries.",
    ),
    ("event_push", "Integration events", "Pushes budget events to registered webhooks."),
    (
        "forecast_refresh",
        "Forecast refresh",
        "Forecasts every budget's window and warns when one is on course to run out.",
    ),
    (
        "housekeeping",
        "Housekeeping",
        "Removes create-once keys after 30 days, expired sessions, and sign-in attempts after 90 days.",
    ),
    (
        "request_expiry",
        "Request expiry",
        "Expires approval requests nobody decided in time and applies scheduled increases.",
    ),
    (
        "reservation_sweeper",
        "Reservation sweeper",
        "Releases reservations not settled by their expiry, audited; no phantom spend.",
    ),
    ("window_close", "Period-end reconciliation", "Snapshots the final figures of every budget window that has ended."),
];

/// How long a run may go without finishing or reporting progress before another instance may take
/// the job over (the holder is presumed dead).
pub const LEASE: Duration = Duration::minutes(10);

/// Makes sure the job has its row, with the schedule this instance runs it on.
pub async fn register(db: &impl ConnectionTrait, name: &str, every: Duration) -> Result<(), DbErr> {
    let row = job_run::ActiveModel {
        name: Set(name.to_owned()),
        every_ms: Set(every.num_milliseconds()),
        runs: Set(0),
        ..Default::default()
    };
    job_run::Entity::insert(row)
        .on_conflict(OnConflict::column(C::Name).update_column(C::EveryMs).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A job with nothing to do is still run, and recorded, this often: the jobs page shows it alive.
pub const IDLE_RECORD: Duration = Duration::minutes(1);

/// The job's row when a run is due (its next run time has come, or an admin asked for one) and
/// nobody holds its lease; a read, so the many ticks that find nothing due take no write lock.
pub async fn due(db: &impl ConnectionTrait, name: &str, now: DateTime<Utc>) -> Result<Option<job_run::Model>, DbErr> {
    let Some(job) = job_run::Entity::find_by_id(name).one(db).await? else { return Ok(None) };
    let is_due = job.next_run_at.is_none_or(|t| t <= now) || job.trigger_requested_at.is_some();
    Ok((is_due && job.lease_until.is_none_or(|t| t < now)).then_some(job))
}

/// Whether a due run may be skipped when the job found it has nothing to do: not when an admin
/// asked for it, nor when the job has not been recorded for `IDLE_RECORD`.
pub fn may_skip_when_idle(job: &job_run::Model, now: DateTime<Utc>) -> bool {
    job.trigger_requested_at.is_none() && job.last_finished_at.is_some_and(|t| now - t < IDLE_RECORD)
}

/// Takes the job's lease when a run is due and nobody holds it; the next scheduled run moves one
/// interval on. True when this holder runs it.
pub async fn try_acquire(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    every: Duration,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    match due(db, name, now).await? {
        Some(_) => take_lease(db, name, holder, every, now).await,
        None => Ok(false),
    }
}

/// The write half of `try_acquire`, after `due` found the run due: whoever writes first wins.
pub async fn take_lease(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    every: Duration,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let due = || C::NextRunAt.is_null().or(C::NextRunAt.lte(now)).or(C::TriggerRequestedAt.is_not_null());
    let free = || C::LeaseUntil.is_null().or(C::LeaseUntil.lt(now));
    let txn = begin_write(db).await?;
    let taken = job_run::Entity::update_many()
        .col_expr(C::LeaseHolder, Expr::value(holder))
        .col_expr(C::LeaseUntil, Expr::value(now + LEASE))
        .col_expr(C::NextRunAt, Expr::value(now + every))
        .col_expr(C::LastStartedAt, Expr::value(now))
        .col_expr(C::Progress, Expr::value(Option::<String>::None))
        .filter(C::Name.eq(name))
        .filter(due())
        .filter(free())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(taken.rows_affected == 1)
}

/// What a running job tells the jobs page ("12 of 40 budgets"); it also extends the lease.
pub async fn report_progress(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    progress: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    job_run::Entity::update_many()
        .col_expr(C::Progress, Expr::value(progress))
        .col_expr(C::LeaseUntil, Expr::value(now + LEASE))
        .filter(C::Name.eq(name))
        .filter(C::LeaseHolder.eq(holder))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Records a finished run and gives the lease back.
pub async fn finish(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    outcome: Result<String, String>,
    duration_ms: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (ok, text) = match outcome {
        Ok(text) => (true, text),
        Err(text) => (false, text),
    };
    let txn = begin_write(db).await?;
    job_run::Entity::update_many()
        .col_expr(C::LeaseHolder, Expr::value(Option::<String>::None))
        .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::TriggerRequestedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::TriggeredBy, Expr::value(Option::<String>::None))
        .col_expr(C::LastFinishedAt, Expr::value(now))
        .col_expr(C::LastDurationMs, Expr::value(duration_ms))
        .col_expr(C::LastOk, Expr::value(ok))
        .col_expr(C::LastOutcome, Expr::value(text))
        .col_expr(C::Progress, Expr::value(Option::<String>::None))
        .col_expr(C::Runs, Expr::col(C::Runs).add(1))
        .filter(C::Name.eq(name))
        .filter(C::LeaseHolder.eq(holder))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Asks for a run as soon as an instance is free to take it; false for an unknown job.
pub async fn request_run(db: &impl ConnectionTrait, name: &str, by: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let asked = job_run::Entity::update_many()
        .col_expr(C::TriggerRequestedAt, Expr::value(now))
        .col_expr(C::TriggeredBy, Expr::value(by))
        .filter(C::Name.eq(name))
        .exec(db)
        .await?;
    Ok(asked.rows_affected == 1)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<job_run::Model>, DbErr> {
    job_run::Entity::find().order_by_asc(C::Name).all(db).await
}
