//! `GET /audit`: the report's JSON contract, as the service computes it.

use crate::helpers::{error_code, spawn_app};
use axum::http::StatusCode;
use chrono::NaiveDate;
use yilian_domain::policy::Profile;

yilian_store::dbtest!(audit_is_the_contract, |store| {
    let app = spawn_app(store).await;
    let (status, body) = app.get_json("/api/v1/audit").await;
    assert_eq!(status, StatusCode::OK);
    let today = yilian_service::today();
    let want = yilian_service::audit::run_audit(&app.store, &app.profile, today)
        .await
        .unwrap();
    assert_eq!(body, serde_json::to_value(&want).unwrap());
    assert_eq!(body["profile"], "national");
    // the synthetic city complies with the national defaults at error level
    assert_eq!(body["summary"]["errors"], 0, "{body}");

    let day = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let (status, body) = app
        .get_json("/api/v1/audit?profile=liaoning-2023&date=2026-06-30")
        .await;
    assert_eq!(status, StatusCode::OK);
    let liaoning = Profile::builtin("liaoning-2023").unwrap();
    let want = yilian_service::audit::run_audit(&app.store, &liaoning, day)
        .await
        .unwrap();
    assert_eq!(body, serde_json::to_value(&want).unwrap());
    assert_eq!(body["profile"], "liaoning-2023");

    let (status, body) = app.get_json("/api/v1/audit?profile=atlantis").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_field");
    assert!(
        body["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("chongqing-2018")
    );

    let (status, body) = app.get_json("/api/v1/audit?date=2026-02-30").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_field");
});
