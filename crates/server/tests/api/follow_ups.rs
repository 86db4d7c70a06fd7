//! Follow-up visits and the chronic-disease referral suggestion (REF-2) through the API:
//! the family doctor of the resident's team records readings, the criteria read the
//! history, bad readings are refused naming their field, and other teams are refused.

use crate::helpers::{App, error_code, spawn_app};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// Records a follow-up of `person` as `token`'s user.
async fn record(app: &App, token: &str, person: &str, body: Value) -> (StatusCode, Value) {
    let uri = format!("/api/v1/residents/{person}/follow-ups");
    app.call(token, Method::POST, &uri, Some(body)).await
}

yilian_store::dbtest!(
    follow_ups_turn_into_a_suggested_referral_with_its_numbers,
    |store| {
        let app = spawn_app(store).await;
        let (team, people) = app.busiest_member_team();
        let other_team = app
            .registry()
            .teams
            .iter()
            .find(|t| t.id != team.id)
            .unwrap()
            .id
            .clone();
        let fd = app
            .user_token("fdf", &format!("family_doctor@team:{}", team.id))
            .await;
        let stranger = app
            .user_token("fdx", &format!("family_doctor@team:{other_team}"))
            .await;
        let person = &people[0];
        let suggestions = format!("/api/v1/residents/{person}/referral-suggestions");
        let today = yilian_service::today();
        let day = |back: i64| (today - chrono::Duration::days(back)).to_string();

        let (s, b) = record(
            &app,
            &fd,
            person,
            json!({"id": "V1", "condition": "hypertension", "on": day(30),
                            "sbp_mmhg": 152, "dbp_mmhg": 94, "at_target": false}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["sbp_mmhg"], 152);
        let (s, b) = app.call(&fd, Method::GET, &suggestions, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let hyper = b
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["condition"] == "hypertension")
            .unwrap();
        assert_eq!(hyper["follow_ups"], 1);
        assert!(hyper["suggestion"].is_null(), "one visit is not two: {b}");

        let (s, _) = record(
            &app,
            &fd,
            person,
            json!({"id": "V2", "condition": "hypertension", "on": day(0),
                            "sbp_mmhg": 186, "dbp_mmhg": 100, "at_target": false,
                            "symptoms": ["blurred_vision"]}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, b) = app.call(&fd, Method::GET, &suggestions, None).await;
        let s = &b[0]["suggestion"];
        assert_eq!(s["urgency"], "emergency", "{b}");
        assert_eq!(s["direction"], "up");
        assert_eq!(s["criterion"], "emergency_blood_pressure");
        assert!(
            s["explanation_en"]
                .as_str()
                .unwrap()
                .contains("REF-2 hypertension, emergency up-referral"),
            "{s}"
        );
        assert!(
            s["explanation_zh"]
                .as_str()
                .unwrap()
                .contains("收缩压 186 ≥ 180"),
            "{s}"
        );

        // bad readings name their field, and change nothing
        let events = app.event_count().await;
        for (body, field) in [
            (
                json!({"condition": "hypertension", "on": day(0), "sbp_mmhg": 301, "dbp_mmhg": 90, "at_target": false}),
                "sbp_mmhg",
            ),
            (
                json!({"condition": "type2_diabetes", "on": day(0), "at_target": false}),
                "glucose_mmol_l",
            ),
            (
                json!({"condition": "type2_diabetes", "on": day(0), "glucose_mmol_l": 16.65, "at_target": false}),
                "glucose_mmol_l",
            ),
            (
                json!({"condition": "hypertension", "on": day(-1), "sbp_mmhg": 120, "dbp_mmhg": 80, "at_target": true}),
                "on",
            ),
            (
                json!({"condition": "hypertension", "on": day(0), "sbp_mmhg": 120, "dbp_mmhg": 80, "at_target": true, "symptoms": ["hiccups"]}),
                "symptoms[0]",
            ),
            (
                json!({"condition": "asthma", "on": day(0), "at_target": true}),
                "condition",
            ),
        ] {
            let (s, b) = record(&app, &fd, person, body).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
            assert_eq!(error_code(&b), "invalid_field");
            assert!(
                b["error"]["message_en"].as_str().unwrap().contains(field),
                "{field}: {b}"
            );
        }
        // the same id with other numbers is a conflict
        let (s, b) = record(
            &app,
            &fd,
            person,
            json!({"id": "V1", "condition": "hypertension", "on": day(30),
                            "sbp_mmhg": 150, "dbp_mmhg": 94, "at_target": false}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert_eq!(app.event_count().await, events);

        // another team's family doctor may neither record nor read
        let (s, _) = record(&app, &stranger, person, json!({"condition": "hypertension", "on": day(0), "sbp_mmhg": 120, "dbp_mmhg": 80, "at_target": true})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.call(&stranger, Method::GET, &suggestions, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);
