//! The OpenAPI document describes every API route the router has, and the Swagger UI
//! serves everything it needs from the binary.

use crate::console::assert_local_only;
use crate::helpers::spawn_app;
use axum::http::{StatusCode, header};
use serde_json::Value;
use std::collections::BTreeSet;
use yilian_server::routes::{API_ROUTES, PAGE_ROUTES};

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

yilian_store::dbtest!(document_lists_every_api_route, |store| {
    let app = spawn_app(store).await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().starts_with("application/json"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "put", "post", "patch", "delete"].contains(&k.as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = API_ROUTES
        .iter()
        .map(|r| (r.verb.as_str().to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, routed, "the document and the router disagree");
    for r in PAGE_ROUTES {
        assert!(
            doc["paths"].get(r.path).is_none(),
            "{} is a page, not an API operation",
            r.path
        );
    }

    // every operation answers something described, and every schema it names exists
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let ok = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .any(|s| s.starts_with('2'));
            assert!(ok, "{method} {path} documents no success");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
        }
    }
    let mut names = Vec::new();
    refs(&doc, &mut names);
    assert!(!names.is_empty());
    for n in names {
        let name = n.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling {n}"
        );
    }
    // the enumerations' codes come from the domain's tables
    let kinds = &doc["components"]["schemas"]["InstitutionDto"]["properties"]["kind"]["enum"];
    assert!(
        kinds
            .as_array()
            .unwrap()
            .contains(&Value::from("community_health_center"))
    );
});

yilian_store::dbtest!(swagger_ui_is_served_from_the_binary, |store| {
    let app = spawn_app(store).await;
    let r = app.get("/api/docs").await;
    assert!(r.status.is_redirection());
    assert_eq!(r.headers[header::LOCATION], "/api/docs/");

    let r = app.get("/api/docs/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().starts_with("text/html"));
    let html = r.text();
    assert!(html.contains("swagger-ui"));
    assert_local_only(&html);

    // each asset the page names is there, in the binary
    let assets: Vec<String> = html
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css") || s.ends_with(".png"))
        .map(|s| s.trim_start_matches("./").to_owned())
        .collect();
    assert!(
        assets.iter().any(|a| a == "swagger-ui-bundle.js"),
        "{assets:?}"
    );
    for a in &assets {
        let r = app.get(&format!("/api/docs/{a}")).await;
        assert_eq!(r.status, StatusCode::OK, "{a}");
        assert!(r.body.len() > 100, "{a} is empty");
    }
    let init = app.get("/api/docs/swagger-initializer.js").await.text();
    assert!(init.contains("/openapi.json"));
    assert!(
        init.contains("\"validatorUrl\": \"none\""),
        "the online validator is off: {init}"
    );
});
