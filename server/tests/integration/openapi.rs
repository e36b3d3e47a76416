//! The OpenAPI document describes every route, and every schema it references exists.

use crate::common;

use common::{spawn_app, Backend};
use serde_json::Value;

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_covers_the_whole_api() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/api/v1/check", "post"),
        ("/api/v1/reservations/{id}/settle", "post"),
        ("/api/v1/reservations/{id}", "delete"),
        ("/api/v1/usage", "post"),
        ("/api/v1/status", "get"),
        ("/api/v1/budgets", "post"),
        ("/api/v1/budgets/{id}", "patch"),
        ("/api/v1/budgets/{id}/{action}", "post"),
        ("/api/v1/teams/{id}", "patch"),
        ("/api/v1/projects", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/prices", "post"),
    ];
    for (path, method) in expected {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is documented");
    }
    assert_eq!(doc["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(schemas.contains_key(name), "{r} is defined");
    }
    assert!(
        schemas["CheckInput"]["properties"].get("estimated_cost").is_some()
            || schemas["CheckInput"]["allOf"].is_array()
    );
}

/// What the handlers answer before they run (a bad path, query or body) is JSON in the error shape,
/// with the status the document declares for it.
#[tokio::test]
async fn answers_before_the_handler_match_the_document() {
    let app = spawn_app(Backend::Sqlite).await;
    let fx = common::fixtures::organization(&app, "UTC").await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let status_params = doc["paths"]["/api/v1/status"]["get"]["parameters"].as_array().unwrap();
    assert!(status_params.iter().all(|p| p["in"] == "query"), "{status_params:?}");
    let events_params = doc["paths"]["/api/v1/events"]["get"]["parameters"].as_array().unwrap();
    assert!(events_params.iter().all(|p| p["in"] == "query"), "{events_params:?}");

    let url = |path: &str| format!("{}{path}", app.address);
    let big = format!("{{\"events\": [\"{}\"]}}", "x".repeat(3 * 1024 * 1024));
    let answers = [
        (app.client.delete(url("/api/v1/reservations/not-a-uuid")), 400, "invalid_path", "delete"),
        (app.client.get(url("/api/v1/status")), 400, "invalid_query", "get"),
        (app.client.get(url("/api/v1/status?project=chatbot&colour=red")), 400, "invalid_query", "get"),
        (
            app.client.post(url("/api/v1/usage")).header("content-type", "application/json").body(big),
            413,
            "payload_too_large",
            "post",
        ),
        (app.client.post(url("/api/v1/check")).body("{}"), 415, "unsupported_media_type", "post"),
        (
            app.client.post(url("/api/v1/check")).header("content-type", "application/json").body("{"),
            400,
            "malformed_json",
            "post",
        ),
    ];
    for (request, status, code, method) in answers {
        let response = request.bearer_auth(&fx.key).send().await.unwrap();
        let path = response.url().path().to_owned();
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        let documented = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(template, _)| {
                let (template, path): (Vec<&str>, Vec<&str>) =
                    (template.split('/').collect(), path.split('/').collect());
                template.len() == path.len() && template.iter().zip(&path).all(|(t, p)| t == p || t.starts_with('{'))
            })
            .filter_map(|(_, item)| item.get(method))
            .any(|operation| operation["responses"].get(status.to_string()).is_some());
        assert!(documented, "{status} of {method} {path} is in the document");
    }
}
