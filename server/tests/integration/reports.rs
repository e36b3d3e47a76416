//! Reports against hand-computed figures: allocation, trends with their previous-period comparison,
//! budget vs actual with a closed window and a late adjustment, forecasts; CSV and the API agree.

use crate::common;

use app::backend::engine::keys::{self, Permission};
use app::backend::entities::{budget, budget_event};
use app::backend::services::windows::close_due;
use chrono::{Duration, TimeZone, Utc};
use common::browser::signed_in;
use common::fixtures::{add_budget, add_project, add_team, organization, BudgetSpec, Fixture};
use common::{spawn_app, Backend, TestApp};
use rust_decimal_macros::dec;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

async fn usage(
    app: &TestApp,
    fixture: &Fixture,
    id: &str,
    at: chrono::DateTime<Utc>,
    project: &str,
    model: &str,
    cost: &str,
) {
    let body = json!({ "event_id": id, "occurred_at": at, "user": "rory", "project": project, "category": "llm",
                       "model": model, "provider": if model.starts_with("claude") { "anthropic" } else { "openai" },
                       "input_tokens": 1000, "output_tokens": 500, "cost": cost });
    let (status, answer) = app.post_json(&fixture.key, "/api/v1/usage", body).await;
    assert_eq!(status, 200, "{answer}");
}

async fn named(app: &TestApp, org_id: Uuid, spec: BudgetSpec, name: &str) -> Uuid {
    let id = add_budget(app, org_id, spec).await;
    budget::ActiveModel { id: Set(id), name: Set(name.into()), ..Default::default() }.update(&app.db).await.unwrap();
    id
}

/// The rows of a CSV export, header first, without the byte-order mark.
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.trim_start_matches('\u{feff}').lines().map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

async fn reports_match_hand_computed_figures(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    add_project(&app, fixture.org_id, fixture.team_id, "search").await;
    let data = add_team(&app, fixture.org_id, "Data").await;
    add_project(&app, fixture.org_id, data, "etl").await;
    let at = |m: u32, d: u32, h: u32| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
    named(&app, fixture.org_id, BudgetSpec::cost("team", fixture.team_id, dec!(35)), "Core monthly").await;
    let mut daily_spec = BudgetSpec::cost("project", fixture.project_id, dec!(25));
    daily_spec.period = "daily";
    let daily_id = named(&app, fixture.org_id, daily_spec, "Chatbot daily").await;
    // Now is Wednesday 2026-11-18 10:00 UTC; the default range is Oct 20 – Nov 18.
    usage(&app, &fixture, "chat-1", at(11, 18, 9), "chatbot", "gpt-4o", "30").await;
    usage(&app, &fixture, "search-1", at(11, 17, 9), "search", "gpt-4o-mini", "10").await;
    usage(&app, &fixture, "etl-1", at(11, 10, 9), "etl", "claude-sonnet-4", "60").await;
    usage(&app, &fixture, "old-1", at(10, 10, 9), "chatbot", "gpt-4o", "20").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;

    // Allocation by project: 60 / 30 / 10 of 100, highest first; the page and the CSV agree.
    let csv = admin.get("/reports/allocation/csv?by=project").await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let table = rows(&csv.text().await.unwrap());
    assert_eq!(table[0][..3], ["Project", "Cost (USD)", "Share of cost (%)"]);
    assert_eq!(
        table[1..].iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str())).collect::<Vec<_>>(),
        vec![("etl", "60.00", "60.0"), ("chatbot", "30.00", "30.0"), ("search", "10.00", "10.0")]
    );
    assert_eq!(
        table[1][3..],
        ["1000", "500", "1", "1", "0.00"],
        "tokens, operations, events and no shared cost for etl"
    );
    let page = admin.get("/reports/allocation?by=provider").await.text().await.unwrap();
    assert!(page.contains("USD 100.00") && page.contains("anthropic") && page.contains("Download CSV"), "{page}");
    let by_model =
        rows(&admin.get("/reports/allocation/csv?by=model&from=2026-11-17&to=2026-11-18").await.text().await.unwrap());
    assert_eq!(
        by_model[1..].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        vec![("gpt-4o", "30.00"), ("gpt-4o-mini", "10.00")]
    );

    // Trends: 100 in the 30 days against 20 in the 30 before (+400 %); the 7-day average on
    // Nov 18 is (10 + 30) / 7.
    let trends = admin.get("/reports/trends").await.text().await.unwrap();
    assert!(trends.contains("USD 100.00 (+400.0% vs the previous 30 days)"), "{trends}");
    let daily = rows(&admin.get("/reports/trends/csv").await.text().await.unwrap());
    assert_eq!(daily.len(), 31, "a header and one row per day");
    assert_eq!(daily[30], ["2026-11-18", "30.00", "5.71", "1500", "1"]);
    let weekly =
        rows(&admin.get("/reports/trends/csv?step=week&from=2026-11-09&to=2026-11-22").await.text().await.unwrap());
    assert_eq!(
        weekly[1..].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        vec![("2026-11-09", "60.00"), ("2026-11-16", "40.00")]
    );

    // Budget vs actual: the daily chatbot budget's Nov 18 closes at 30 against 25, then a late
    // event for that day shows as an adjustment.
    app.clock.set(at(11, 19, 1));
    // The window-closing job runs on wall time too and may get there first; either way it closes
    // once (the late-adjustment flag below shows it closed).
    close_due(&app.db, app.clock_now()).await.unwrap();
    usage(&app, &fixture, "chat-late", at(11, 18, 23), "chatbot", "gpt-4o", "5").await;
    let flagged = budget_event::Entity::find()
        .filter(budget_event::Column::BudgetId.eq(daily_id))
        .filter(budget_event::Column::Kind.eq("late_adjustment"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(flagged.len(), 1, "the late event is flagged on the closed window's budget");

    // Sessions last 12 hours: sign in again after the night.
    let (admin, _) = signed_in(&app, fixture.org_id, "bea@example.com", &["admin"]).await;
    let bva = rows(&admin.get("/reports/budget-vs-actual/csv?windows=2").await.text().await.unwrap());
    assert_eq!(
        bva[0],
        [
            "Budget",
            "Window",
            "Limit",
            "Actual",
            "Variance",
            "Variance (%)",
            "Overrides",
            "Late adjustments",
            "Shared cost attributed",
            "State",
            "Scope",
            "Unit"
        ]
    );
    let find = |name: &str, state: &str| {
        bva.iter()
            .find(|r| r[0] == name && r[9] == state)
            .cloned()
            .unwrap_or_else(|| panic!("{name} {state} in {bva:?}"))
    };
    // The Core team's November: 30 + 10 + 5 = 45 against 35; October predates the budget.
    assert_eq!(find("Core monthly", "current")[2..9], ["35.00", "45.00", "10.00", "28.6", "0.00", "0.00", ""]);
    assert_eq!(bva.iter().filter(|r| r[0] == "Core monthly").count(), 1);
    // Closed Nov 18: 30 at close, 5 late, variance 30 + 5 − 25 = 10 (40 %). Nov 19 has nothing yet.
    assert_eq!(
        find("Chatbot daily", "closed")[1..],
        ["2026-11-18 – 2026-11-18", "25.00", "30.00", "10.00", "40.0", "0.00", "5.00", "", "closed", "project", "USD"]
    );
    assert_eq!(find("Chatbot daily", "current")[3..8], ["0.00", "-25.00", "-100.0", "0.00", "0.00"]);
    let page = admin.get("/reports/budget-vs-actual?windows=2").await.text().await.unwrap();
    assert!(
        page.contains(r#"class="tone-over""#) && page.contains(r#"class="tone-under""#),
        "over and under are highlighted"
    );
    // Drill-down from the team budget: its projects only.
    let drill = format!("/reports/budget-vs-actual?level=project&amp;windows=2&amp;within={}", fixture.team_id);
    assert!(page.contains(&drill), "the team budget links one level down");
    let projects = rows(
        &admin
            .get(&format!("/reports/budget-vs-actual/csv?level=project&within={}", fixture.team_id))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(projects[1..].iter().all(|r| r[10] == "project") && projects.len() > 1, "{projects:?}");

    // The audit log shows the late adjustment on its budget, and filters by budget and scope level.
    let late = rows(
        &admin.get(&format!("/reports/audit/csv?type=late_adjustment&budget={daily_id}")).await.text().await.unwrap(),
    );
    assert_eq!(
        (late.len(), late[1][1].as_str(), late[1][2].as_str(), late[1][3].as_str(), late[1][4].as_str()),
        (2, "late_adjustment", "Chatbot daily", "project", "Tollgate")
    );
    let teams = rows(&admin.get("/reports/audit/csv?level=team&type=late_adjustment").await.text().await.unwrap());
    assert_eq!(teams.len(), 1, "the late event was for a day the team's monthly budget had not closed");

    // The API answers the same figures for an admin key and refuses an ingest key.
    let (_, admin_key) =
        keys::create(&app.db, fixture.org_id, "reports", Permission::Admin, None, app.clock_now()).await.unwrap();
    let (status, body) =
        app.get_json(&admin_key, "/api/v1/reports/allocation?by=project&from=2026-10-20&to=2026-11-18").await;
    assert_eq!(status, 200, "{body}");
    let cells = &body["table"]["rows"][1]["cells"];
    assert_eq!((&cells[0], &cells[1]), (&json!("chatbot"), &json!("35.00")), "{body}");
    assert_eq!(app.get_json(&fixture.key, "/api/v1/reports/allocation").await.0, 403);
    let (status, body) = app.get_json(&admin_key, "/api/v1/reports/trends?from=2026-11-30&to=2026-11-01").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_input")), "{body}");
    assert_eq!(app.get_json(&admin_key, "/api/v1/reports/nonsense").await.0, 404);
}
on_both_databases!(figures, reports_match_hand_computed_figures);

async fn forecasts_show_a_band_and_people_see_only_their_budgets(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    named(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(400)), "Chatbot monthly").await;
    // Every day of the last four weeks cost 10; one Friday cost 30.
    for back in 1..=28 {
        let day = app.clock_now() - Duration::days(back);
        let cost = if back == 5 { "30" } else { "10" };
        usage(&app, &fixture, &format!("day-{back}"), day, "chatbot", "gpt-4o", cost).await;
    }
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let table = rows(&admin.get("/reports/forecasts/csv").await.text().await.unwrap());
    let row = table.iter().find(|r| r[0] == "Chatbot monthly").expect("the budget is forecast");
    // Nov 1–17 spent 170 + 20 (the Friday); today is 14/24 gone; 12 more days after today.
    assert_eq!(table[0][..3], ["Budget", "Outlook", "Expected to reach the hard level"], "deciding columns first");
    assert_eq!(
        (&row[4], &row[5], &row[8], &row[9]),
        (&"400.00".into(), &"190.00".into(), &"2026-11-30".into(), &"USD".into())
    );
    let (low, mid, high): (f64, f64, f64) = (row[6].parse().unwrap(), row[3].parse().unwrap(), row[7].parse().unwrap());
    assert!(low < mid && mid < high, "a band around the projection: {row:?}");
    assert_eq!(row[6], format!("{:.2}", 190.0 + 10.0 * (12.0 + 14.0 / 24.0)), "the low end repeats the quietest days");
    let page = admin.get("/reports/forecasts").await.text().await.unwrap();
    assert!(page.contains("weekday-aware average") && page.contains("Uncertainty band"), "the method is documented");

    // A member of another team sees no budget of Core in the report, and nobody's but theirs by person.
    let other = add_team(&app, fixture.org_id, "Other").await;
    let (member, member_id) = signed_in(&app, fixture.org_id, "mo@example.com", &["member"]).await;
    common::team_membership(&app, other, member_id).await;
    let theirs = rows(&member.get("/reports/forecasts/csv").await.text().await.unwrap());
    assert_eq!(theirs.len(), 1, "only the header: {theirs:?}");
    let people = rows(&member.get("/reports/allocation/csv?by=user").await.text().await.unwrap());
    assert_eq!(people[1][0], "Others (not visible to you)");
    assert_eq!(member.get("/reports/allocation/csv?by=colour").await.status(), 422);
}
on_both_databases!(forecasts_and_access, forecasts_show_a_band_and_people_see_only_their_budgets);

/// Exports keep every digit the ledger holds; pages round to cents and group thousands.
async fn exports_are_exact_and_pages_round(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let now = app.clock_now();
    usage(&app, &fixture, "odd", now - Duration::hours(1), "chatbot", "gpt-4o", "1023.2293958").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let csv = rows(&admin.get("/reports/allocation/csv?by=project").await.text().await.unwrap());
    assert_eq!(csv[1][..4], ["chatbot", "1023.2293958", "100.0", "1000"], "{csv:?}");
    let page = admin.get("/reports/allocation?by=project").await.text().await.unwrap();
    assert!(page.contains(">1,023.23<") && page.contains(">1,000<"), "{page}");
    // (The exact figure travels in the page's hydration data, not in what it shows.)
    assert!(!page.contains(">1023.2293958<") && page.contains("USD 1,023.23"), "the headline rounds too");
}
on_both_databases!(exact_exports, exports_are_exact_and_pages_round);

/// One forecast: the overview's month-end figure, the organization budget's forecast and the last
/// point of that budget's trend chart are the same number, whatever range the overview shows.
async fn the_month_end_forecast_is_one_figure(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let id = add_budget(&app, fixture.org_id, BudgetSpec::cost("organization", fixture.org_id, dec!(5000))).await;
    let now = app.clock_now();
    for back in 0..=30 {
        let cost = format!("{}.{}", 10 + back % 7 * 3, back % 10);
        usage(&app, &fixture, &format!("d-{back}"), now - Duration::days(back), "chatbot", "gpt-4o", &cost).await;
    }
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let window: serde_json::Value =
        admin.call("budget_window", &[("budget_id", &id.to_string())]).await.json().await.unwrap();
    let headline = window["forecast"]["projected"].as_str().unwrap().to_owned();
    let last_point = window["trend_forecast"].as_array().unwrap().last().unwrap()[1].as_str().unwrap().to_owned();
    assert_eq!(last_point, headline, "the trend chart ends at the forecast headline");
    for days in ["7", "30", "90"] {
        let overview: serde_json::Value = admin.call("overview", &[("days", days)]).await.json().await.unwrap();
        let month_end = overview["organization"]["month_forecast"].as_str().unwrap();
        assert_eq!(month_end, headline, "the overview over {days} days and the organization budget agree");
    }
}
on_both_databases!(one_forecast, the_month_end_forecast_is_one_figure);
