//! Preferences resolve project over user over system, each change is checked and audited, and the
//! unpriced-model policy decides whether usage of a model without a price is refused or flagged.

use crate::common;

use app::backend::entities::{budget_event, preference, usage_event};
use common::browser::{signed_in, Browser};
use common::fixtures::{add_project, organization};
use common::{spawn_app, Backend};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

fn row<'a>(view: &'a Value, level: &str, key: &str) -> &'a Value {
    let level = view["levels"].as_array().unwrap().iter().find(|l| l["level"] == level).unwrap();
    level["rows"].as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()
}

async fn set_pref(who: &Browser, level: &str, key: &str, value: &str, project: Option<&str>) -> u16 {
    let mut form = vec![("level", level), ("key", key), ("value", value)];
    if let Some(p) = project {
        form.push(("project", p));
    }
    who.call("set_preference", &form).await.status().as_u16()
}

async fn project_overrides_user_overrides_system(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let (lead, lead_id) = signed_in(&app, fixture.org_id, "lena@example.com", &["lead"]).await;
    common::team_lead(&app, fixture.team_id, lead_id).await;
    let project = fixture.project_id.to_string();
    assert_eq!(set_pref(&admin, "system", "thresholds", "80, 60", None).await, 200);
    assert_eq!(set_pref(&lead, "user", "grace_minutes", "10", None).await, 200);
    assert_eq!(set_pref(&lead, "user", "thresholds", "55", None).await, 200);
    assert_eq!(set_pref(&lead, "project", "thresholds", "70", Some(&project)).await, 200);

    let view: Value = lead.call("preferences", &[("project", &project)]).await.json().await.unwrap();
    let system = row(&view, "system", "thresholds");
    assert_eq!((system["resolved"].as_str(), system["source"].as_str()), (Some("60, 80"), Some("organization")));
    let mine = row(&view, "user", "thresholds");
    assert_eq!((mine["resolved"].as_str(), mine["source"].as_str()), (Some("55"), Some("your preference")));
    let of_project = row(&view, "project", "thresholds");
    assert_eq!((of_project["resolved"].as_str(), of_project["source"].as_str()), (Some("70"), Some("project")));
    let grace = row(&view, "project", "grace_minutes");
    assert_eq!((grace["resolved"].as_str(), grace["source"].as_str()), (Some("10"), Some("your preference")));
    let enforcement = row(&view, "project", "enforcement");
    assert_eq!(
        (enforcement["resolved"].as_str(), enforcement["source"].as_str()),
        (Some("hard_stop"), Some("Tollgate default"))
    );
    assert_eq!(row(&view, "project", "currency")["settable"], false);

    // Clearing the project's value makes it inherit again.
    assert_eq!(set_pref(&lead, "project", "thresholds", "", Some(&project)).await, 200);
    let view: Value = lead.call("preferences", &[("project", &project)]).await.json().await.unwrap();
    assert_eq!(row(&view, "project", "thresholds")["resolved"], "55");

    // The page renders the same, server-side.
    let html = lead.get(&format!("/preferences?project={project}")).await.text().await.unwrap();
    assert!(html.contains("Project chatbot") && html.contains("your preference"), "{html}");

    // Refusals change nothing.
    let stored = || async { preference::Entity::find().count(&app.db).await.unwrap() };
    let before = stored().await;
    assert_eq!(set_pref(&lead, "system", "thresholds", "10", None).await, 403, "only admins set organization defaults");
    let (viewer, _) = signed_in(&app, fixture.org_id, "vic@example.com", &["viewer"]).await;
    assert_eq!(set_pref(&viewer, "project", "thresholds", "10", Some(&project)).await, 403);
    let other_team = common::fixtures::add_team(&app, fixture.org_id, "Other").await;
    let elsewhere = add_project(&app, fixture.org_id, other_team, "elsewhere").await.to_string();
    assert_eq!(set_pref(&lead, "project", "thresholds", "10", Some(&elsewhere)).await, 403, "not the lead's project");
    assert_eq!(set_pref(&lead, "user", "thresholds", "ninety", None).await, 422);
    assert_eq!(
        set_pref(&lead, "project", "currency", "EUR", Some(&project)).await,
        422,
        "currency is the organization's"
    );
    assert_eq!(set_pref(&admin, "system", "currency", "EUR", None).await, 422, "the ledger's currency is fixed");
    assert_eq!(set_pref(&lead, "user", "colour", "blue", None).await, 422);
    assert_eq!(stored().await, before);
    let audited = budget_event::Entity::find().filter(budget_event::Column::Kind.eq("preference_changed"));
    assert_eq!(audited.count(&app.db).await.unwrap(), 5);
}
on_both_databases!(resolution_and_refusals, project_overrides_user_overrides_system);

async fn unpriced_models_follow_the_project_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = organization(&app, "UTC").await;
    add_project(&app, fixture.org_id, fixture.team_id, "strict").await;
    let (admin, _) = signed_in(&app, fixture.org_id, "ada@example.com", &["admin"]).await;
    let form = [
        ("level", "project"),
        ("project", &fixture.project_id.to_string()),
        ("key", "unpriced_models"),
        ("value", "fallback:2"),
    ];
    assert_eq!(admin.call("set_preference", &form).await.status(), 200);
    let event = |id: &str, project: &str| {
        json!({ "event_id": id, "occurred_at": app.clock_now(), "user": "rory", "project": project, "category": "llm",
                "model": "in-house-7b", "provider": "local", "input_tokens": 500_000, "output_tokens": 250_000 })
    };
    let (status, answer) = app.post_json(&fixture.key, "/api/v1/usage", event("e-1", "chatbot")).await;
    assert_eq!(status, 200, "{answer}");
    let result = &answer["results"][0];
    assert_eq!((result["status"].as_str(), result["pricing"].as_str()), (Some("accepted"), Some("fallback")));
    assert_eq!(result["cost"], "1.5", "750,000 tokens at 2 per million");
    let stored = usage_event::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.pricing, "fallback", "the event is flagged");

    let (status, answer) = app.post_json(&fixture.key, "/api/v1/usage", event("e-2", "strict")).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("unpriced_model")),
        "without a policy it is refused"
    );
    assert!(answer["error"]["message"].as_str().unwrap().contains("in-house-7b"), "{answer}");
    assert_eq!(usage_event::Entity::find().count(&app.db).await.unwrap(), 1);
}
on_both_databases!(unpriced_model_policy, unpriced_models_follow_the_project_policy);
