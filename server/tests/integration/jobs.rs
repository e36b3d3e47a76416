//! Scheduled jobs: the database lease lets one holder run a due job at a time, once per slot; an
//! expired lease can be taken over; admins see every job and can ask for a run, which happens once.

use crate::common;

use app::backend::entities::job_run;
use app::backend::entities::reservation;
use app::backend::services::jobs::{finish, register, request_run, try_acquire, IDLE_RECORD, LEASE};
use chrono::{Duration, Utc};
use common::browser::signed_in;
use common::fixtures::{add_budget, organization, BudgetSpec};
use common::{spawn_app, spawn_instance, Backend, TestApp};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;

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

async fn runs(app: &TestApp, name: &str) -> i64 {
    job(app, name).await.map_or(0, |j| j.runs)
}

/// Waits (up to 10 s) until `ready` resolves true; panics with `what` otherwise.
async fn until<F: std::future::Future<Output = bool>>(what: &str, mut ready: impl FnMut() -> F) {
    for _ in 0..200 {
        if ready().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn idle_jobs_take_no_lease_until_there_is_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    let idle = [
        "alert_dispatcher",
        "alert_escalation",
        "digests",
        "event_push",
        "request_expiry",
        "reservation_sweeper",
        "window_close",
    ];
    for name in idle {
        until(&format!("{name} recorded its first run"), || async { runs(&app, name).await >= 1 }).await;
    }
    let before: Vec<i64> = futures_util::future::join_all(idle.map(|name| runs(&app, name))).await;
    // Test settings poll every 20-50 ms: a run per tick would be dozens by now.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let after: Vec<i64> = futures_util::future::join_all(idle.map(|name| runs(&app, name))).await;
    assert_eq!(after, before, "jobs with nothing to do were not run again");

    // Work arrives: an expired reservation. The sweeper runs (once) and releases it.
    let check = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o", "estimated_cost": "1", "ttl_seconds": 60 });
    let (_, held) = app.post_json(&fx.key, "/api/v1/check", check).await;
    let id: Uuid = held["reservation_id"].as_str().unwrap().parse().unwrap();
    app.clock.advance(Duration::seconds(61));
    until("the sweeper released the expired reservation", || async {
        reservation::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().state == "expired"
    })
    .await;
    // The run is recorded after its work commits, so the release can be seen first.
    until("the sweeper recorded its run", || async {
        job(&app, "reservation_sweeper").await.is_some_and(|sweeper| sweeper.runs > before[5])
    })
    .await;
    let sweeper = job(&app, "reservation_sweeper").await.unwrap();
    assert_eq!(sweeper.runs, before[5] + 1);
    assert_eq!(sweeper.last_outcome.as_deref(), Some("1 expired reservations released"));

    // A job not recorded for a minute is run, and recorded, even with nothing to do.
    let long_ago = Utc::now() - IDLE_RECORD - Duration::seconds(1);
    let mut row: job_run::ActiveModel = job(&app, "window_close").await.unwrap().into();
    row.last_finished_at = Set(Some(long_ago));
    row.update(&app.db).await.unwrap();
    until("window_close recorded an idle run", || async { runs(&app, "window_close").await == before[6] + 1 }).await;
    assert_eq!(job(&app, "window_close").await.unwrap().last_outcome.as_deref(), Some("nothing to do"));
}
on_both_databases!(idle_jobs, idle_jobs_take_no_lease_until_there_is_work);

/// Housekeeping removes create-once keys after 30 days, expired sessions and sign-in attempts after
/// 90 days, and nothing younger.
async fn housekeeping_removes_only_what_has_served_its_purpose(backend: Backend) {
    use app::backend::entities::{creation_request, login_attempt, session};
    use app::backend::services::housekeeping::{any_due, remove_old, Removed};
    use sea_orm::PaginatorTrait;
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    // The job's first run happens at start-up; the next is an hour away, so it cannot race this test.
    until("housekeeping recorded its first run", || async { runs(&app, "housekeeping").await >= 1 }).await;
    let (now, wall) = (app.clock_now(), Utc::now());
    assert!(!any_due(&app.db, now, wall).await.unwrap(), "a new organization has nothing old");
    for (key, age) in [("old", 31), ("recent", 29)] {
        let row = creation_request::ActiveModel {
            org_id: Set(fx.org_id),
            request_key: Set(key.into()),
            budget_ids: Set("[]".into()),
            created_at: Set(now - Duration::days(age)),
        };
        row.insert(&app.db).await.unwrap();
    }
    for (id, expires) in [("expired", wall - Duration::minutes(1)), ("valid", wall + Duration::hours(1))] {
        let row = session::ActiveModel {
            id: Set(id.into()),
            account_id: Set(None),
            data: Set("{}".into()),
            expires_at: Set(expires),
        };
        row.insert(&app.db).await.unwrap();
    }
    for age in [91, 89] {
        let row = login_attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set("kim@example.com".into()),
            address: Set("192.0.2.1".into()),
            succeeded: Set(false),
            attempted_at: Set(now - Duration::days(age)),
        };
        row.insert(&app.db).await.unwrap();
    }
    assert!(any_due(&app.db, now, wall).await.unwrap());
    let removed = remove_old(&app.db, now, wall).await.unwrap();
    assert_eq!(removed, Removed { creation_keys: 1, sessions: 1, sign_in_attempts: 1 });
    assert!(!any_due(&app.db, now, wall).await.unwrap(), "nothing left to remove");
    let key = creation_request::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(key.request_key, "recent");
    assert_eq!(session::Entity::find().one(&app.db).await.unwrap().unwrap().id, "valid");
    assert_eq!(login_attempt::Entity::find().count(&app.db).await.unwrap(), 1);
}
on_both_databases!(housekeeping, housekeeping_removes_only_what_has_served_its_purpose);
