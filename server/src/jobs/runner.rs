//! Runs one scheduled job on every instance: on each tick the instance that takes the job's lease
//! in the database does the run, so a scheduled run happens once however many instances share it.
//!
//! A job that can tell with a read that it has nothing to do (`pending`) takes no lease then, so an
//! idle server does not write several times a second (on SQLite every write queues the
//! check-and-reserve batches behind it); it is still run and recorded once a minute.
//!
//! Schedules and leases follow the wall clock (they are operations, not budget logic); the work
//! itself reads the application's clock.

use app::backend::services::jobs;
use app::state::AppState;
use chrono::Utc;
use sea_orm::DbErr;
use std::future::Future;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Lets a long run say how far it got (shown on the jobs page); it also keeps the lease alive.
pub struct Progress {
    state: AppState,
    name: &'static str,
    holder: String,
}

impl Progress {
    pub async fn report(&self, progress: &str) {
        if let Err(error) = jobs::report_progress(&self.state.db, self.name, &self.holder, progress, Utc::now()).await {
            tracing::warn!(job = self.name, %error, "could not record job progress");
        }
    }
}

const NOTHING: &str = "nothing to do";

/// A run's outcome: a short summary, or what went wrong.
pub type Outcome = Result<String, String>;

/// For a job that has no cheap way to tell whether it has work: it always runs when due.
pub async fn always(_: AppState) -> Result<bool, DbErr> {
    Ok(true)
}

/// Runs `work` on the job's schedule, on whichever instance takes the lease; when `pending` says
/// there is nothing to do, the run is skipped unless the job has not been recorded for a minute.
pub async fn every<P, PFut, F, Fut>(state: AppState, name: &'static str, every: Duration, pending: P, mut work: F)
where
    P: Fn(AppState) -> PFut,
    PFut: Future<Output = Result<bool, DbErr>>,
    F: FnMut(AppState, Progress) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let holder = format!("{}:{}", std::process::id(), Uuid::new_v4().simple());
    let period = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::seconds(1));
    // Poll often enough that a run an admin asks for starts within a second.
    let mut tick = tokio::time::interval(every.min(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut registered = false;
    loop {
        tick.tick().await;
        if !registered {
            match jobs::register(&state.db, name, period).await {
                Ok(()) => registered = true,
                Err(error) => {
                    tracing::warn!(job = name, %error, "could not register the job; will retry");
                    continue;
                }
            }
        }
        match acquire(&state, name, &holder, period, &pending).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(job = name, %error, "could not take the job's lease; will retry");
                continue;
            }
        }
        let started = Instant::now();
        let outcome = work(state.clone(), Progress { state: state.clone(), name, holder: holder.clone() }).await;
        match &outcome {
            Err(error) => tracing::warn!(job = name, %error, "job run failed; will retry"),
            Ok(summary) if summary != NOTHING => tracing::info!(job = name, %summary, "job run"),
            Ok(_) => {}
        }
        let took = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        if let Err(error) = jobs::finish(&state.db, name, &holder, outcome, took, Utc::now()).await {
            tracing::warn!(job = name, %error, "could not record the job's run");
        }
    }
}

/// Takes the lease when a run is due, free, and not skipped for having nothing to do.
async fn acquire<P, PFut>(
    state: &AppState,
    name: &str,
    holder: &str,
    period: chrono::Duration,
    pending: &P,
) -> Result<bool, DbErr>
where
    P: Fn(AppState) -> PFut,
    PFut: Future<Output = Result<bool, DbErr>>,
{
    let now = Utc::now();
    let Some(job) = jobs::due(&state.db, name, now).await? else { return Ok(false) };
    if jobs::may_skip_when_idle(&job, now) && !pending(state.clone()).await? {
        return Ok(false);
    }
    jobs::take_lease(&state.db, name, holder, period, now).await
}

/// The usual summary of a run that handled `count` things.
pub fn counted(count: usize, what: &str) -> Outcome {
    Ok(if count == 0 { NOTHING.to_owned() } else { format!("{count} {what}") })
}
