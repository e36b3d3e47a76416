//! Scheduled jobs: the database lease lets one holder run a due job at a time, once per slot; an
//! expired lease can be taken over; admins see every job and can ask for a run, which happens once.

use crate::common;

use app::entities::job_run;
use app::services::jobs::{finish, register, request_run, try_acquire, LEASE};
use chrono::{Duration, Utc};
use common::browser::signed_in;
use common::fixtures::organization;
use common::{spawn_app, spawn_instance, Backend, TestApp};
use sea_orm::EntityTrait;

async fn job(app: &TestApp, name: &str) -> Option<job_run::Model> {
    job_run::Entity::find_by_id(name).one(&app.db).await.unwrap()
}

async fn a_lease_lets_one_holder_run_each_slot(backend: Backend) {
    let app = spawn_app(backend).await;
    let (db, every, now) = (&app.db, Duration::minutes(5), Utc::now());
    register(db, "test_job", every).await.unwrap();
    assert!(try_acquire(db, "test_job", "a", every, now).await.unwrap(), "a new job is due");
    assert!(!try_acquire(db, "test_job", "b", every, now).await.unwrap(), "the lease is held");
    finish(db, "test_job", "a", Ok("did it".into()), 12, now).await.unwrap();
    assert!(!try_acquire(db, "test_job", "b", every, now).await.unwrap(), "this slot has run");
    assert!(try_acquire(db, "test_job", "b", every, now + every).await.unwrap(), "the next slot is due");
    // b dies holding the lease: once the lease has run out, someone else takes over.
    let later = now + every + every;
    assert!(!try_acquire(db, "test_job", "c", every, later).await.unwrap());
    assert!(try_acquire(db, "test_job", "c", every, now + every + LEASE + Duration::seconds(1)).await.unwrap());
    // A finish from the dead holder changes nothing.
    finish(db, "test_job", "b", Err("late".into()), 1, later).await.unwrap();
    let row = job(&app, "test_job").await.unwrap();
    assert_eq!((row.lease_holder.as_deref(), row.runs, row.last_outcome.as_deref()), (Some("c"), 1, Some("did it")));
    // Asked for, a run is due at once, even mid-slot.
    finish(db, "test_job", "c", Ok("again".into()), 3, later).await.unwrap();
    assert!(request_run(db, "test_job", "ada@example.com", later).await.unwrap());
    assert!(try_acquire(db, "test_job", "d", every, later).await.unwrap());
    assert!(!request_run(db, "no_such_job", "ada@example.com", later).await.unwrap());
}
on_both_databases!(leases, a_lease_lets_one_holder_run_each_slot);

async fn admins_see_jobs_and_ask_for_a_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let second = spawn_instance(&app).await;
    let fixture = organization(&app, "UTC").await;
    // Both instances run the forecast refresh hourly (test settings): the first slot runs once.
    for _ in 0..200 {
        if job(&app, "forecast_refresh").await.is_some_and(|j| j.runs >= 1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(job(&app, "forecast_refresh").await.unwrap().runs, 1, "one run between two instances");
    let _ = second;

    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let page = admin.get("/admin/jobs").await.text().await.unwrap();
    for title in
        ["Period-end reconciliation", "Reservation sweeper", "Alert dispatcher", "Forecast refresh", "every 1 h"]
    {
        assert!(page.contains(title), "{title} on the jobs page");
    }
    assert_eq!(admin.call("run_job_now", &[("name", "forecast_refresh")]).await.status(), 200);
    for _ in 0..100 {
        if job(&app, "forecast_refresh").await.is_some_and(|j| j.runs >= 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let row = job(&app, "forecast_refresh").await.unwrap();
    assert_eq!(
        (row.runs, row.trigger_requested_at, row.last_ok),
        (2, None, Some(true)),
        "the asked-for run happened once"
    );
    assert_eq!(admin.call("run_job_now", &[("name", "nonsense")]).await.status(), 404);
    let (member, _) = signed_in(&app, fixture.org_id, "mo@example.com", &["member"]).await;
    assert_eq!(member.call("run_job_now", &[("name", "forecast_refresh")]).await.status(), 403);
    assert_eq!(member.get("/admin/jobs").await.status(), 403);
}
on_both_databases!(jobs_page, admins_see_jobs_and_ask_for_a_run);
