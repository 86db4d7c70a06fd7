//! Failures outside the handlers (body limit, JSON syntax, media type, routing) answer
//! with the same error body as the handlers' own.

use crate::helpers::{error_code, spawn_app};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

fn put(uri: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::builder().method(Method::PUT).uri(uri);
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(body.into()).unwrap()
}

yilian_store::dbtest!(request_failures_share_the_error_body, |store| {
    let app = spawn_app(store).await;
    let uri = format!("/api/v1/consortia/{}", app.groups()[0].id);

    // 2 MiB of valid JSON: over the 1 MiB limit
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 << 20));
    let r = app.send(put(&uri, Some("application/json"), big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&r.json()), "payload_too_large");

    let r = app
        .send(put(&uri, Some("application/json"), "{\"name\": "))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.json()), "invalid_json");
    assert!(r.content_type().starts_with("application/json"));

    let r = app
        .send(put(&uri, Some("application/json"), "{\"name\": 7}"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a wrong type is a 400, not axum's 422"
    );
    assert_eq!(error_code(&r.json()), "invalid_json");

    let r = app.send(put(&uri, None, "{}")).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&r.json()), "unsupported_media_type");

    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&r.json()), "no_route");

    let r = app
        .send(
            Request::delete("/api/v1/grids")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&r.json()), "method_not_allowed");

    let r = app.get("/api/v1/events?after=abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.json()), "invalid_field");
});

yilian_store::dbtest!(healthz_answers_ok, |store| {
    let app = spawn_app(store).await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), "ok");
});
