//! The setup wizard (defaults from preferences, field errors, nothing saved before the review), templates
//! applied to many scopes with a preview, saved from a budget and edited; the budget page's charts.

use crate::common;

use app::backend::entities::{alert_recipient, budget, budget_template};
use common::browser::{signed_in, Browser};
use common::fixtures::{add_budget, add_project, add_team, organization, BudgetSpec};
use common::{spawn_app, Backend};
use rust_decimal_macros::dec;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

async fn page(who: &Browser, path: &str) -> String {
    who.get(path).await.text().await.unwrap()
}

async fn the_wizard_creates_a_budget_from_preferences(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    common::team_lead(&app, fixture.team_id, lead_id).await;
    let project = fixture.project_id.to_string();
    for (key, value) in [("thresholds", "70"), ("enforcement", "soft_warning")] {
        let form = [("level", "project"), ("project", project.as_str()), ("key", key), ("value", value)];
        assert_eq!(lead.call("set_preference", &form).await.status(), 200);
    }
    let target = format!("project:{project}");
    let base = format!("/budgets/new?target={target}&category=llm&template=starter-team");

    let step1 = page(&lead, "/budgets/new").await;
    assert!(step1.contains("Scope and category") && step1.contains("Project: chatbot"), "{step1}");
    let step3 = page(&lead, &format!("{base}&step=3")).await;
    assert!(step3.contains(r#"name="cost_hard" value="500""#), "the template fills the limits: {step3}");
    let step4 = page(&lead, &format!("{base}&step=4&period=monthly&cost_soft=600&cost_hard=500")).await;
    assert!(
        step4.contains("Limits") && step4.contains("at most the hard level"),
        "step 3 again, with the problem: {step4}"
    );
    let step4 = page(&lead, &format!("{base}&step=4&period=monthly&cost_soft=400&cost_hard=500")).await;
    assert!(step4.contains(r#"name="thresholds" value="70""#), "alerts default to the project's thresholds: {step4}");
    let review = page(&lead, &format!("{base}&step=6&period=monthly&cost_soft=400&cost_hard=500")).await;
    assert!(
        review.contains("soft warning") && review.contains("70%") && review.contains("chatbot llm budget"),
        "{review}"
    );
    assert_eq!(
        budget::Entity::find().count(&app.db).await.unwrap(),
        0,
        "nothing is saved before the review is confirmed"
    );

    let draft = [
        ("draft[target]", target.as_str()),
        ("draft[category]", "llm"),
        ("draft[template]", "starter-team"),
        ("draft[cost_soft]", "400"),
        ("draft[cost_hard]", "500"),
        ("draft[emails]", "finance@example.com"),
    ];
    let (viewer, _) = signed_in(&app, fixture.org_id, "vic@example.com", &["viewer"]).await;
    assert_eq!(viewer.call("create_from_wizard", &draft).await.status(), 403);
    let bad = [("draft[target]", target.as_str()), ("draft[cost_hard]", "-5")];
    assert_eq!(lead.call("create_from_wizard", &bad).await.status(), 422);
    assert_eq!(budget::Entity::find().count(&app.db).await.unwrap(), 0);

    let created = lead.call("create_from_wizard", &draft).await;
    assert!(created.status().as_u16() < 400, "{}", created.status());
    let made = budget::Entity::find().one(&app.db).await.unwrap().expect("the budget exists");

    // The wizard's one-time key: the review page carries it, and pressing Create again (a reload,
    // a second click, the review URL opened again) opens the same budget and creates nothing.
    let key = "0193a1b2-0000-7000-8000-00000000beef";
    let review = page(&lead, &format!("{base}&step=6&cost_soft=400&cost_hard=500&request={key}")).await;
    assert!(review.contains(&format!(r#"name="draft[request]" value="{key}""#)), "{review}");
    let once: Vec<(&str, &str)> = draft.iter().copied().chain([("draft[request]", key)]).collect();
    let first = lead.call("create_from_wizard", &once).await.text().await.unwrap();
    let second = budget::Entity::find().filter(budget::Column::Id.ne(made.id)).one(&app.db).await.unwrap().unwrap();
    assert!(first.contains(&second.id.to_string()), "{first}");
    let again = lead.call("create_from_wizard", &once).await.text().await.unwrap();
    assert!(again.contains(&second.id.to_string()), "the repeat opens the budget the first press made: {again}");
    assert_eq!(budget::Entity::find().count(&app.db).await.unwrap(), 2, "one budget per key, not per press");
    let bad_key = [("draft[target]", target.as_str()), ("draft[cost_hard]", "5"), ("draft[request]", "a b")];
    assert_eq!(lead.call("create_from_wizard", &bad_key).await.status(), 422);
    assert_eq!(
        (made.name.as_str(), made.thresholds.as_str(), made.enforcement.as_str()),
        ("chatbot llm budget", "70", "soft_warning")
    );
    let stored = |units: Option<i64>| units.map(tollgate_domain::money::from_storage);
    assert_eq!((stored(made.cost_soft), stored(made.cost_hard)), (Some(dec!(400)), Some(dec!(500))));
    let recipients = alert_recipient::Entity::find()
        .filter(alert_recipient::Column::BudgetId.eq(made.id))
        .all(&app.db)
        .await
        .unwrap();
    let mut kinds: Vec<(String, String)> = recipients.into_iter().map(|r| (r.kind, r.target)).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("email".to_owned(), "finance@example.com".to_owned()),
            ("role".to_owned(), "leads".to_owned()),
            ("user".to_owned(), lead_id.to_string()),
        ]
    );
    let detail = page(&lead, &format!("/budgets/{}", made.id)).await;
    assert!(
        detail.contains("Inherited preferences")
            && detail.contains("Budget vs actual")
            && detail.contains("Daily trend"),
        "{detail}"
    );
}
on_both_databases!(wizard, the_wizard_creates_a_budget_from_preferences);

async fn templates_apply_to_many_scopes_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let search = add_project(&app, fixture.org_id, fixture.team_id, "search").await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    common::team_lead(&app, fixture.team_id, lead_id).await;
    let targets = format!("project:{},project:{search}", fixture.project_id);
    let form = [("template", "experimentation"), ("targets", targets.as_str()), ("category", "")];

    let plan: Value = lead.call("plan_template", &form).await.json().await.unwrap();
    let names: Vec<&str> = plan.as_array().unwrap().iter().map(|p| p["input"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Experimentation · chatbot", "Experimentation · search"]);
    assert_eq!(plan[0]["input"]["period"], "weekly");
    assert_eq!(budget::Entity::find().count(&app.db).await.unwrap(), 0, "a preview writes nothing");

    // All or nothing: one scope the lead does not manage refuses the whole batch.
    let other_team = add_team(&app, fixture.org_id, "Other").await;
    let elsewhere = add_project(&app, fixture.org_id, other_team, "elsewhere").await;
    let mixed = format!("{targets},project:{elsewhere}");
    let refused =
        lead.call("apply_template", &[("template", "experimentation"), ("targets", &mixed), ("category", "")]).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(budget::Entity::find().count(&app.db).await.unwrap(), 0);

    let once =
        [("template", "experimentation"), ("targets", targets.as_str()), ("category", ""), ("request", "preview-1")];
    let created: Value = lead.call("apply_template", &once).await.json().await.unwrap();
    assert_eq!(created, json!({ "count": 2, "repeated": false }));
    let again: Value = lead.call("apply_template", &once).await.json().await.unwrap();
    assert_eq!(again, json!({ "count": 2, "repeated": true }), "the same preview pressed twice creates nothing new");
    let budgets = budget::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(budgets.len(), 2);
    assert!(budgets.iter().all(|b| b.period == "weekly" && b.tokens_hard == Some(5_000_000)));

    // Save one as a template, then edit it; built-ins cannot change.
    let said = lead
        .call(
            "save_budget_as_template",
            &[("budget_id", &budgets[0].id.to_string()), ("name", "Our weekly"), ("description", "")],
        )
        .await;
    assert_eq!(said.status(), 200);
    let saved = budget_template::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(saved.spec.contains("5000000"), "{}", saved.spec);
    let edit = |id: String, cost_hard: &'static str| {
        vec![
            ("id", id),
            ("name", "Our weekly".into()),
            ("description", "tighter".into()),
            ("period", "weekly".into()),
            ("cost_soft", "".into()),
            ("cost_hard", cost_hard.into()),
            ("tokens_soft", "".into()),
            ("tokens_hard", "".into()),
            ("operations_soft", "".into()),
            ("operations_hard", "".into()),
            ("enforcement", "inherit".into()),
            ("grace_minutes", "".into()),
            ("reserve_cost", "0".into()),
            ("thresholds", "".into()),
        ]
    };
    let call = |form: Vec<(&'static str, String)>| {
        let lead = &lead;
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            lead.call("save_template", &pairs).await.status().as_u16()
        }
    };
    assert_eq!(call(edit(saved.id.to_string(), "25")).await, 200);
    assert_eq!(call(edit(saved.id.to_string(), "")).await, 422, "a template needs a hard limit");
    assert_eq!(call(edit("starter-team".into(), "25")).await, 422, "built-ins are fixed");
    let edited = budget_template::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(edited.spec.contains("\"cost_hard\":\"25\"") && edited.description == "tighter", "{}", edited.spec);
    let list = page(&lead, "/templates").await;
    assert!(
        list.contains("Our weekly") && list.contains("Starter team") && list.contains("Production service"),
        "{list}"
    );
}
on_both_databases!(templates, templates_apply_to_many_scopes_at_once);

async fn budget_page_charts_use_past_windows_and_the_trend(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let id = add_budget(&app, fixture.org_id, BudgetSpec::cost("project", fixture.project_id, dec!(100))).await;
    let now = app.clock_now();
    let month_ago = now - chrono::Duration::days(31);
    for (event, at, cost) in [("old", month_ago, "30"), ("new-1", now, "12.5"), ("new-2", now, "7.5")] {
        let body = json!({ "event_id": event, "occurred_at": at, "user": "rory", "project": "chatbot",
                           "category": "llm", "model": "gpt-4o", "cost": cost });
        assert_eq!(app.post_json(&fixture.key, "/api/v1/usage", body).await.0, 200);
    }
    let (viewer, _) = signed_in(&app, fixture.org_id, "vic@example.com", &["admin"]).await;
    let view: Value = viewer.call("budget_window", &[("budget_id", &id.to_string())]).await.json().await.unwrap();
    let windows = view["windows"].as_array().unwrap();
    let actual = |w: &Value| w[2].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(windows.len(), 1, "a budget made this month has one window, not months before it existed");
    assert_eq!(actual(&windows[0]), dec!(20), "this window: 12.5 + 7.5");

    // A budget that has existed for months shows its earlier windows too (six at most).
    let mut older: app::backend::entities::budget::ActiveModel =
        app::backend::entities::budget::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().into();
    older.created_at = sea_orm::Set(now - chrono::Duration::days(400));
    sea_orm::ActiveModelTrait::update(older, &app.db).await.unwrap();
    let view: Value = viewer.call("budget_window", &[("budget_id", &id.to_string())]).await.json().await.unwrap();
    let windows = view["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 6);
    assert_eq!(actual(&windows[5]), dec!(20), "this window: 12.5 + 7.5");
    assert_eq!(windows.iter().map(actual).sum::<rust_decimal::Decimal>(), dec!(50), "and 30 a month earlier");
    assert_eq!(windows[5][1], "100");
    let trend = view["trend"].as_array().unwrap();
    assert_eq!(trend.last().unwrap()[1], "20", "cumulative to today");
    assert!(view["trend_chart"].as_str().unwrap().contains("Hard level"));
    let forecast = view["trend_forecast"].as_array().unwrap();
    let start = chrono::NaiveDate::parse_from_str(trend[0][0].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!(chrono::Datelike::day(&start), 1, "the window starts on the 1st");
    assert!(trend.len() + forecast.len() >= 28, "every day of the month is there");
}
on_both_databases!(budget_charts, budget_page_charts_use_past_windows_and_the_trend);
