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
