//! `GET /events`: the log as a feed read from a cursor.

use crate::helpers::{error_code, put_body, spawn_app};
use axum::http::StatusCode;
use chrono::{Days, Utc};
use serde_json::json;

yilian_store::dbtest!(feed_reads_from_a_cursor, |store| {
    let app = spawn_app(store).await;
    let (status, feed) = app.get_json("/api/v1/events").await;
    assert_eq!(status, StatusCode::OK);
    let items = feed["items"].as_array().unwrap();
    // the city's import, then the test administrator's account and token
    let kinds: Vec<_> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["RegistryImported", "UserAdded", "TokenCreated"]);
    assert_eq!(items[0]["stream"], "registry");
    assert_eq!(items[0]["actor"], "test");
    let first = items[2]["event_id"].as_i64().unwrap();
    assert_eq!(feed["next"], first);
    assert_eq!(feed["more"], false);

    // nothing new: the cursor stays where it was
    let (_, empty) = app.get_json(&format!("/api/v1/events?after={first}")).await;
    assert_eq!(empty["items"], json!([]));
    assert_eq!(empty["next"], first);

    let group = app.groups()[0];
    let mut body = put_body(app.registry(), group);
    body["evaluated_on"] = json!(
        Utc::now()
            .date_naive()
            .checked_sub_days(Days::new(3))
            .unwrap()
            .to_string()
    );
    let (status, _) = app
        .put_json(&format!("/api/v1/consortia/{}", group.id), &body)
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, page) = app.get_json("/api/v1/events?limit=3").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["more"], true);
    let (_, page) = app
        .get_json(&format!("/api/v1/events?after={}&limit=1", page["next"]))
        .await;
    assert_eq!(page["items"][0]["kind"], "ConsortiumChanged");
    assert!(page["items"][0]["event_id"].as_i64().unwrap() > first);
    assert_eq!(page["more"], false);

    for bad in ["limit=0", "limit=1001", "after=-1"] {
        let (status, body) = app.get_json(&format!("/api/v1/events?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(&body), "invalid_field");
    }
});
