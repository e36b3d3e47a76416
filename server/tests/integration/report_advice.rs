//! The advising reports against hand-computed answers: cheaper models and budgets that never fit
//! (suggestions), and a budget's last window replayed against proposed settings (what-if).

use crate::common;

use app::backend::services::windows::close_due;
use chrono::{TimeZone, Utc};
use common::browser::signed_in;
use common::fixtures::{add_budget, add_project, organization, BudgetSpec, Fixture};
use common::{spawn_app, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

async fn record(app: &TestApp, fixture: &Fixture, event: Value) {
    let (status, body) = app.post_json(&fixture.key, "/api/v1/usage", event).await;
    assert_eq!(status, 200, "{body}");
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.trim_start_matches('\u{feff}').lines().map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

async fn suggestions_and_what_if_match_hand_computed_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let search = add_project(&app, fixture.org_id, fixture.team_id, "search").await;
    let at = |m: u32, d: u32, h: u32, min: u32| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();

    // October: chatbot used gpt-4o for 2 M input and 0.5 M output tokens, priced by the catalog at
    // 2 × 2.50 + 0.5 × 10.00 = 10.00; the same tokens on the shipped list's cheapest OpenAI
    // generation model, gpt-5-nano ($0.05 / $0.40), cost 0.10 + 0.20 = 0.30.
    record(
        &app,
        &fixture,
        json!({ "event_id": "oct-4o", "occurred_at": at(10, 6, 9, 0), "user": "rory", "project": "chatbot",
        "category": "llm", "model": "gpt-4o", "input_tokens": 2_000_000, "output_tokens": 500_000 }),
    )
    .await;
    // Search ran ten operations of 15.00 each, ten minutes apart, on an in-house model.
    for i in 0..10 {
        record(&app, &fixture, json!({ "event_id": format!("oct-search-{i}"), "occurred_at": at(10, 5, 9, 0) + chrono::Duration::minutes(10 * i),
            "user": "sam", "project": "search", "category": "llm", "provider": "internal", "model": "house-model",
            "input_tokens": 100, "output_tokens": 10, "cost": "15" })).await;
    }
    let search_budget = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", search, dec!(1000))).await;

    // Two daily budgets on chatbot usage of 10, 20 and 30 on Nov 18–20: one far under (100), one always over (10).
    let mut roomy = BudgetSpec::cost("project", fixture.project_id, dec!(100));
    roomy.period = "daily";
    let roomy = add_budget(&app, fixture.org_id, roomy).await;
    let mut tight = BudgetSpec::cost("team", fixture.team_id, dec!(10));
    (tight.period, tight.enforcement) = ("daily", "soft_warning");
    add_budget(&app, fixture.org_id, tight).await;
    for (day, cost) in [(18, "10"), (19, "20"), (20, "30")] {
        app.clock.set(at(11, day, 12, 0));
        record(
            &app,
            &fixture,
            json!({ "event_id": format!("nov-{day}"), "occurred_at": at(11, day, 11, 0), "user": "rory",
            "project": "chatbot", "category": "llm", "model": "gpt-4o-mini", "cost": cost }),
        )
        .await;
    }
    app.clock.set(at(11, 21, 1, 0));
    // The reconciliation job closes windows as the clock moves; closing again finds nothing left.
    close_due(&app.db, app.clock_now()).await.unwrap();
    let closed = app::backend::entities::window_close::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(closed, 3 * 2, "three days of two daily budgets");
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;

    let advice = rows(&admin.get("/reports/suggestions/csv").await.text().await.unwrap());
    assert_eq!(advice[0], ["Suggestion", "Subject", "Now", "Suggested", "Saving (USD)", "Why"]);
    assert_eq!(advice[1][..5], ["Cheaper model", "gpt-4o (openai)", "USD 10.00", "gpt-5-nano at USD 0.30", "9.70"]);
    assert_eq!(
        advice.iter().filter(|r| r[0] == "Cheaper model").count(),
        1,
        "nothing cheaper for the in-house model or gpt-4o-mini"
    );
    let lower = advice.iter().find(|r| r[0] == "Lower the budget").expect("the roomy budget could be lowered");
    assert_eq!(lower[2..4], ["USD 100.00", "USD 37.50"], "the highest day (30) plus a quarter");
    assert!(advice.iter().any(|r| r[0] == "Always over" && r[2] == "USD 10.00"));
    let page = admin.get("/reports/suggestions").await.text().await.unwrap();
    assert!(page.contains("USD 9.70") && page.contains(&format!("/budgets/{roomy}")), "{page}");

    // What-if on search's October: at a hard level of 100 with a soft level of 80, six operations
    // fit (the sixth warns at 90), the seventh would have been denied at 10:00, and so on.
    let base = format!("/reports/what-if/csv?budget={search_budget}&cost_hard=100&cost_soft=80&thresholds=50,90&enforcement=hard_stop&grace_minutes=0");
    let replayed = rows(&admin.get(&base).await.text().await.unwrap());
    assert_eq!(
        replayed[1..].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        vec![
            ("2026-10-05 09:30 UTC", "alert"),
            ("2026-10-05 09:50 UTC", "alert"),
            ("2026-10-05 10:00 UTC", "first denial")
        ]
    );
    assert_eq!(replayed[1][2], "cost reached 50% of USD 100.00");
    let page = admin
        .get(&format!("/reports/what-if?budget={search_budget}&cost_hard=100&cost_soft=80&thresholds=50,90"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("5 / 1 / 4") && page.contains("USD 90.00 of USD 150.00 actual"), "{page}");
    let soft = admin
        .get(&format!("/reports/what-if?budget={search_budget}&cost_hard=100&cost_soft=80&enforcement=soft_warning"))
        .await
        .text()
        .await
        .unwrap();
    assert!(soft.contains("5 / 5 / 0") && soft.contains("USD 150.00 of USD 150.00 actual"), "{soft}");
    // The budget's own settings are replayed when nothing is proposed; nothing was saved.
    let own = admin.get(&format!("/reports/what-if?budget={search_budget}")).await.text().await.unwrap();
    assert!(own.contains("10 / 0 / 0"), "{own}");
    for bad in ["cost_hard=abc", "cost_hard=100&cost_soft=150", "enforcement=loose", "grace_minutes=-1"] {
        let response = admin.get(&format!("/reports/what-if/csv?budget={search_budget}&{bad}")).await;
        assert_eq!(response.status(), 422, "{bad}");
    }
}
on_both_databases!(answers, suggestions_and_what_if_match_hand_computed_answers);

async fn roi_relates_reported_value_to_cost(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let search = add_project(&app, fixture.org_id, fixture.team_id, "search").await;
    let at = |m: u32, d: u32| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
    for (id, when, project, cost) in
        [("a", at(10, 3), "chatbot", "200"), ("b", at(11, 4), "chatbot", "50"), ("c", at(11, 5), "search", "80")]
    {
        record(
            &app,
            &fixture,
            json!({ "event_id": id, "occurred_at": when, "user": "rory", "project": project,
            "category": "llm", "model": "gpt-4o", "cost": cost }),
        )
        .await;
    }
    // A lead records October's value in the browser; a service sends November's over the API.
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lea@example.com", &["lead"]).await;
    common::team_lead(&app, fixture.team_id, lead_id).await;
    let form = [("project", "chatbot"), ("month", "2026-10"), ("amount", "500"), ("note", "support tickets deflected")];
    assert_eq!(lead.call("record_project_value", &form).await.status(), 200);
    let (_, admin_key) = app::backend::engine::keys::create(
        &app.db,
        fixture.org_id,
        "values",
        app::backend::engine::keys::Permission::Admin,
        None,
        app.clock_now(),
    )
    .await
    .unwrap();
    let (status, body) = app
        .post_json(&admin_key, &format!("/api/v1/projects/{search}/value"), json!({ "month": "2026-11", "amount": 60 }))
        .await;
    assert_eq!(
        (status, body["amount"].as_str(), body["project"].as_str()),
        (200, Some("60"), Some("search")),
        "{body}"
    );
    // Bad input changes nothing.
    assert_eq!(
        app.post_json(&admin_key, "/api/v1/projects/chatbot/value", json!({ "month": "October", "amount": 1 })).await.0,
        422
    );
    assert_eq!(
        app.post_json(&admin_key, "/api/v1/projects/chatbot/value", json!({ "month": "2026-10", "amount": "-5" }))
            .await
            .0,
        422
    );
    assert_eq!(
        app.post_json(&admin_key, "/api/v1/projects/nope/value", json!({ "month": "2026-10", "amount": 5 })).await.0,
        404
    );
    assert_eq!(
        app.post_json(&fixture.key, "/api/v1/projects/chatbot/value", json!({ "month": "2026-10", "amount": 5 }))
            .await
            .0,
        403
    );
    let (member, _) = signed_in(&app, fixture.org_id, "mo@example.com", &["member"]).await;
    assert_eq!(member.call("record_project_value", &form).await.status(), 403);
    let offered = member.get("/reports/roi").await.text().await.unwrap();
    assert!(!offered.contains("Record a project"), "a member is not offered a form it cannot use");

    let table = rows(&lead.get("/reports/roi/csv").await.text().await.unwrap());
    assert_eq!(table[0], ["Project", "Month", "Cost (USD)", "Value (USD)", "Net (USD)", "ROI (%)"]);
    // chatbot October: (500 − 200) / 200 = 150 %; search November: (60 − 80) / 80 = −25 %.
    assert!(
        table.contains(&["chatbot", "2026-10", "200.00", "500.00", "300.00", "150.0"].map(String::from).to_vec()),
        "{table:?}"
    );
    assert!(
        table.contains(&["chatbot", "2026-11", "50.00", "not reported", "", ""].map(String::from).to_vec()),
        "{table:?}"
    );
    assert!(
        table.contains(&["search", "2026-11", "80.00", "60.00", "-20.00", "-25.0"].map(String::from).to_vec()),
        "{table:?}"
    );
    let page = lead.get("/reports/roi").await.text().await.unwrap();
    // Overall: (560 − 280) / 280 = 100 %, counting only months with a value.
    assert!(page.contains("USD 560.00") && page.contains("USD 280.00") && page.contains("100.0%"), "{page}");
    assert!(page.contains("Record a project") && page.contains(r#"class="tone-over""#), "{page}");
}
on_both_databases!(roi, roi_relates_reported_value_to_cost);

async fn shared_project_spend_is_attributed_to_its_consumers(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    add_project(&app, fixture.org_id, fixture.team_id, "search").await;
    let platform_team = common::fixtures::add_team(&app, fixture.org_id, "Platform").await;
    add_project(&app, fixture.org_id, platform_team, "platform").await;
    for (id, project, cost) in [("a", "platform", "100"), ("b", "chatbot", "30"), ("c", "search", "10")] {
        record(
            &app,
            &fixture,
            json!({ "event_id": id, "occurred_at": app.clock_now(), "user": "rory", "project": project,
            "category": "llm", "model": "gpt-4o", "cost": cost }),
        )
        .await;
    }
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let share = |method: &'static str, consumers: &'static str| {
        let admin = &admin;
        async move {
            admin
                .call("set_shared_project", &[("project", "platform"), ("method", method), ("consumers", consumers)])
                .await
                .status()
        }
    };
    let costs = |query: &'static str| {
        let admin = &admin;
        async move {
            let table = rows(&admin.get(&format!("/reports/allocation/csv?{query}")).await.text().await.unwrap());
            table[1..].iter().map(|r| (r[0].clone(), r[1].clone(), r[7].clone())).collect::<Vec<_>>()
        }
    };
    let own = |name: &str, cost: &str, moved: &str| (name.to_owned(), cost.to_owned(), moved.to_owned());
    assert_eq!(share("usage", "chatbot, nowhere").await, 422, "unknown consumers are refused");
    assert_eq!(share("fixed", "chatbot, search").await, 422, "a fixed split needs weights");
    // By usage: chatbot spent 30 and search 10, so they carry 75 and 25 of platform's 100.
    assert_eq!(share("usage", "chatbot, search").await, 200);
    assert_eq!(
        costs("by=project").await,
        vec![own("chatbot", "105.00", "75.00"), own("search", "35.00", "25.00"), own("platform", "0.00", "-100.00")]
    );
    assert_eq!(costs("by=team").await, vec![own("Core", "140.00", "100.00"), own("Platform", "0.00", "-100.00")]);
    assert_eq!(costs("by=project&shared=as_recorded").await[0], own("platform", "100.00", "0.00"));
    // A fixed split of 1 : 3.
    assert_eq!(share("fixed", "chatbot:1, search:3").await, 200);
    assert_eq!(costs("by=project").await[..2], [own("search", "85.00", "75.00"), own("chatbot", "55.00", "25.00")]);
    // Only admins decide; an empty list stops sharing.
    let (lead, _) = signed_in(&app, fixture.org_id, "lea@example.com", &["lead"]).await;
    let status = lead
        .call("set_shared_project", &[("project", "platform"), ("method", "usage"), ("consumers", "chatbot")])
        .await
        .status();
    assert_eq!(status, 403);
    assert_eq!(share("usage", "").await, 200);
    assert_eq!(costs("by=project").await[0], own("platform", "100.00", "0.00"));
}
on_both_databases!(shared_costs, shared_project_spend_is_attributed_to_its_consumers);
