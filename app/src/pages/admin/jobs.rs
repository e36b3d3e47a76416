//! Scheduled jobs (admin): each job's schedule, last run, duration, outcome, progress and next run,
//! and a button to run one now (whichever instance is free takes it, once).

use crate::components::{outcome, refused};
use crate::errors::AppError;
use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    pub name: String,
    pub title: String,
    pub description: String,
    pub every_ms: i64,
    pub running: bool,
    pub progress: Option<String>,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_duration_ms: Option<i64>,
    pub last_ok: Option<bool>,
    pub last_outcome: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub requested: bool,
    pub runs: i64,
    pub checked_at: DateTime<Utc>,
}

#[server(prefix = "/rpc", endpoint = "scheduled_jobs")]
pub async fn scheduled_jobs() -> Result<Vec<JobRow>, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::jobs::{list, JOBS};
        let (_, state) = super::admin()?;
        let now = Utc::now();
        Ok(list(&state.db)
            .await?
            .into_iter()
            .map(|job| {
                let (title, description) = JOBS
                    .iter()
                    .find(|(name, ..)| *name == job.name)
                    .map_or((job.name.as_str(), ""), |(_, title, description)| (*title, *description));
                JobRow {
                    title: title.to_owned(),
                    description: description.to_owned(),
                    every_ms: job.every_ms,
                    running: job.lease_until.is_some_and(|t| t >= now),
                    progress: job.progress,
                    last_started_at: job.last_started_at,
                    last_duration_ms: job.last_duration_ms,
                    last_ok: job.last_ok,
                    last_outcome: job.last_outcome,
                    next_run_at: job.next_run_at,
                    requested: job.trigger_requested_at.is_some(),
                    runs: job.runs,
                    checked_at: now,
                    name: job.name,
                }
            })
            .collect())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "run_job_now")]
pub async fn run_job_now(name: String) -> Result<String, AppError> {
    crate::errors::respond(async move {
        let (me, state) = super::admin()?;
        if !crate::backend::services::jobs::request_run(&state.db, &name, &me.email, Utc::now()).await? {
            return Err(AppError::NotFound(format!("job '{name}'")));
        }
        tracing::info!(job = %name, by = %me.email, "job run requested");
        Ok(name)
    })
    .await
}

fn schedule(every_ms: i64) -> String {
    match every_ms {
        ms if ms % 3_600_000 == 0 => format!("every {} h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("every {} min", ms / 60_000),
        ms if ms % 1000 == 0 => format!("every {} s", ms / 1000),
        ms => format!("every {ms} ms"),
    }
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map(crate::components::time::instant).unwrap_or_else(|| "—".into())
}

/// A due run that has not started is waiting for work (see `jobs::may_skip_when_idle`).
fn next_run(job: &JobRow) -> String {
    match job.next_run_at {
        _ if job.requested => "requested".into(),
        Some(at) if at <= job.checked_at && !job.running => "when there is work".into(),
        at => when(at),
    }
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let run = ServerAction::<RunJobNow>::new();
    let jobs = Resource::new(move || run.version().get(), |_| scheduled_jobs());
    view! {
        <Title text="Jobs · Tollgate"/>
        <h1>"Scheduled jobs"</h1>
        <p class="muted">"Every instance runs the schedule; a lease in the database makes each run happen on one of them, once. A job that finds nothing to do is recorded once a minute."</p>
        {outcome(move || run.value().get(), |name| format!("Asked for a run of {name}; the next free instance starts it within a second."))}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(jobs) => Either::Right(view! {
                        <section class="card table-scroll">
                            <table class="report jobs cards">
                                <thead><tr>
                                    <th scope="col">"Job"</th><th scope="col">"Outcome"</th><th scope="col">"Last run"</th>
                                    <th scope="col">"Next run"</th><th scope="col">"Duration"</th><th scope="col">"Schedule"</th><th scope="col">"Runs"</th>
                                    <th scope="col"><span class="visually-hidden">"Action"</span></th>
                                </tr></thead>
                                <tbody>
                                    {jobs.into_iter().map(|job| {
                                        let state = match (job.running, job.last_ok) {
                                            (true, _) => format!("running{}", job.progress.as_ref().map(|p| format!(": {p}")).unwrap_or_default()),
                                            (false, Some(true)) => job.last_outcome.clone().unwrap_or_default(),
                                            (false, Some(false)) => format!("failed: {}", job.last_outcome.clone().unwrap_or_default()),
                                            (false, None) => "not run yet".into(),
                                        };
                                        let name = job.name.clone();
                                        let next = next_run(&job);
                                        let tone = if job.last_ok == Some(false) { "tone-over" } else { "" };
                                        view! {
                                            <tr class=tone data-job=name>
                                                <th scope="row">{job.title}<br/><span class="muted small">{job.description}</span></th>
                                                <td class="outcome verdict" data-label="Outcome">{state}</td>
                                                <td data-label="Last run">{when(job.last_started_at)}</td>
                                                <td data-label="Next run">{next}</td>
                                                <td data-label="Duration">{job.last_duration_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "—".into())}</td>
                                                <td data-label="Schedule">{schedule(job.every_ms)}</td>
                                                <td data-label="Runs">{job.runs}</td>
                                                <td class="action">
                                                    <ActionForm action=run attr:class="inline">
                                                        <input type="hidden" name="name" value=job.name/>
                                                        <button type="submit">"Run now"</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }),
                }
            })}
        </Transition>
    }
}
