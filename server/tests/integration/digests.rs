//! Email digests: people subscribe to scopes they can see; once the week has ended each digest is
//! composed and mailed once, even with two instances running the job; its figures are the week's.

use crate::common;

use app::backend::entities::digest_send;
use app::backend::services::digests::compose::compose_due;
use chrono::{TimeZone, Utc};
use common::browser::{signed_in, Browser, PASSWORD};
use common::fixtures::{add_team, organization};
use common::{spawn_app, spawn_instance, Backend};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

async fn each_digest_is_sent_once_with_the_weeks_figures(backend: Backend) {
    let app = spawn_app(backend).await;
    let second = spawn_instance(&app).await;
    let fixture = organization(&app, "UTC").await;
    let (ada, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["member"]).await;
    let team = format!("team:{}", fixture.team_id);
    // A member of no team may not subscribe to a team's digest; the organization's is fine.
    let refused = ada.call("subscribe_digest", &[("frequency", "weekly"), ("scope", team.as_str())]).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(ada.call("subscribe_digest", &[("frequency", "daily"), ("scope", "organization")]).await.status(), 422);
    for _ in 0..2 {
        let ok = ada.call("subscribe_digest", &[("frequency", "weekly"), ("scope", "organization")]).await;
        assert_eq!(ok.status(), 200, "subscribing twice is harmless");
    }
    let digests: serde_json::Value = ada.call("my_digests", &[]).await.json().await.unwrap();
    assert_eq!(digests["subscriptions"].as_array().unwrap().len(), 1);
    let _ = add_team(&app, fixture.org_id, "Elsewhere").await;

    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    for (id, day, cost, model) in [("a", 17, "10", "gpt-4o-mini"), ("b", 18, "30", "gpt-4o"), ("c", 11, "60", "gpt-4o")]
    {
        let body = json!({ "event_id": id, "occurred_at": at(day, 9), "user": "rory", "project": "chatbot",
                           "category": "llm", "model": model, "cost": cost });
        assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", body).await.0, 200);
    }
    // Wednesday Nov 18: the last full week ended before the subscription; nothing is due.
    assert_eq!(compose_due(&app.db, app.clock_now(), "http://tollgate.test").await.unwrap(), 0);

    // Monday Nov 23: the week of Nov 16–22 has ended. Both instances run the digests job.
    let monday = at(23, 7);
    app.clock.set(monday);
    second.clock.set(monday);
    let mut mailers = [app.mailer.clone(), second.mailer.clone()];
    let mut delivered = 0;
    for _ in 0..100 {
        delivered = 0;
        for mailer in &mut mailers {
            delivered += mailer.recorded().await.len();
        }
        if delivered > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Let both instances run a few more times: still one digest, one mail.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(compose_due(&app.db, monday, "http://tollgate.test").await.unwrap(), 0, "already composed");
    let mut mails = Vec::new();
    for mailer in &mailers {
        mails.extend(mailer.recorded().await);
    }
    assert_eq!((delivered, mails.len()), (1, 1), "one digest mailed once");
    assert_eq!(digest_send::Entity::find().count(&app.db).await.unwrap(), 1);
    let (envelope, raw) = &mails[0];
    assert_eq!(envelope.to()[0].to_string(), "ada@example.com");
    let text = raw.replace("=\r\n", "").replace("\r\n", "\n").replace("=3D", "=");
    assert!(text.contains("Subject: Tollgate weekly digest: Acme, 2026-11-16 to 2026-11-22"), "{text}");
    assert!(text.contains("Spend       40.00 USD"), "{text}");
    assert!(text.contains("Previous    60.00 USD (-33.3% this week)"), "{text}");
    assert!(text.contains("gpt-4o ") && text.contains("30.00 USD"), "{text}");
    assert!(text.contains("http://tollgate.test/reports/allocation?from=2026-11-16&to=2026-11-22"), "{text}");
    let sent = digest_send::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 1));

    // Unsubscribing stops it (signed in again: sessions last 12 hours).
    let ada = Browser::new(&app);
    assert!(ada.sign_in("ada@example.com", PASSWORD).await.status().is_success());
    let id = digests["subscriptions"][0][0].as_str().unwrap().to_owned();
    assert_eq!(ada.call("unsubscribe_digest", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(ada.call("unsubscribe_digest", &[("id", id.as_str())]).await.status(), 404);
}
on_both_databases!(once, each_digest_is_sent_once_with_the_weeks_figures);
