//! Capacity after booking: holds, confirmations, cancellations and no-shows through the
//! API, each behind its need; opening pools with QUOTA-1/QUOTA-2 checked; the pool view
//! for the lead's desk, its group's manager and the commission, and nobody else; the
//! console page and its form.

use crate::helpers::{App, spawn_app};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

fn message(e: &Value) -> String {
    format!("{} {}", e["error"]["message_en"], e["error"]["message_zh"])
}

/// The lead of the first group, a token for its referral desk, and the day after
/// tomorrow (public release and reserved release under way on the standard times).
async fn lead_desk(app: &App) -> (String, String, String) {
    let lead = app.groups()[0].lead.to_string();
    let desk = app
        .user_token("desk", &format!("referral_desk@institution:{lead}"))
        .await;
    let day = (Utc::now() + Duration::days(3)).date_naive().to_string();
    (lead, desk, day)
}

async fn open(app: &App, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(token, Method::POST, "/api/v1/pools", Some(body))
        .await
}

fn pool(lead: &str, day: &str, kind: &str, session: &str, capacity: u32, reserved: u32) -> Value {
    json!({"institution_id": lead, "department": "心内科", "day": day, "session": session,
           "kind": kind, "capacity": capacity, "reserved": reserved})
}

yilian_store::dbtest!(
    opening_pools_refuses_a_reserved_share_below_quota_1_or_quota_2,
    |store| {
        let app = spawn_app(store).await;
        let (lead, desk, day) = lead_desk(&app).await;
        let (s, e) = open(&app, &desk, pool(&lead, &day, "slot", "am", 30, 9)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(message(&e).contains("QUOTA-1"), "{e}");
        assert!(message(&e).contains("reserved"), "{e}");
        let (s, e) = open(&app, &desk, pool(&lead, &day, "bed", "day", 20, 4)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(message(&e).contains("QUOTA-2"), "{e}");
        let (s, e) = open(&app, &desk, pool(&lead, &day, "slot", "dawn", 30, 10)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(message(&e).contains("session"), "{e}");
        let (s, e) = open(&app, &desk, pool(&lead, "2001-01-01", "slot", "am", 30, 10)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["error"]["code"], "invalid_field", "{e}");
        assert!(message(&e).contains("day"), "{e}");
        let (s, p) = open(&app, &desk, pool(&lead, &day, "bed", "day", 20, 5)).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(p["kind"], "bed");
        let (s, _) = open(&app, &desk, pool(&lead, &day, "bed", "day", 20, 5)).await;
        assert_eq!(s, StatusCode::CONFLICT);
        // another institution's desk, and a family doctor: not theirs to open
        let other = app.groups()[1].lead.to_string();
        let (s, _) = open(&app, &desk, pool(&other, &day, "slot", "am", 30, 10)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (team, _) = app.busiest_member_team();
        let fd = app
            .user_token("fd", &format!("family_doctor@team:{}", team.id))
            .await;
        let (s, _) = open(&app, &fd, pool(&lead, &day, "slot", "am", 30, 10)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);

yilian_store::dbtest!(
    a_hold_is_confirmed_cancelled_and_missed_through_the_api,
    |store| {
        let app = spawn_app(store).await;
        let (lead, desk, _) = lead_desk(&app).await;
        // a session that is bookable now: today's evening clinic is too close to call,
        // so open one two days ahead (the reserved release is under way)
        let day = (Utc::now() + Duration::days(2)).date_naive().to_string();
        let (s, p) = open(&app, &desk, pool(&lead, &day, "slot", "night", 6, 2)).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let pool_id = p["pool_id"].as_str().unwrap().to_owned();
        let (team, signed) = app.busiest_member_team();
        let fd = app
            .user_token("fd", &format!("family_doctor@team:{}", team.id))
            .await;
        let hold = |key: &str, who: &str, until: Option<String>| json!({"key": key, "pool_id": pool_id, "resident_id": who, "until": until});
        let (s, h) = app
            .call(
                &fd,
                Method::POST,
                "/api/v1/holds",
                Some(hold("h1", &signed[0], None)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        assert_eq!(
            (h["status"].as_str(), h["tranche"].as_str()),
            (Some("held"), Some("reserved"))
        );
        // a deadline too far: the field is named
        let far = (Utc::now() + Duration::hours(3)).to_rfc3339();
        let (s, e) = app
            .call(
                &fd,
                Method::POST,
                "/api/v1/holds",
                Some(hold("h2", &signed[1], Some(far))),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(message(&e).contains("until"), "{e}");
        let (s, b) = app
            .call(&fd, Method::POST, "/api/v1/bookings/h1/confirm", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["status"], "booked");
        // the desk may not record a no-show before the session begins; a family doctor
        // may never record one
        let (s, e) = app
            .call(&desk, Method::POST, "/api/v1/bookings/h1/no-show", None)
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        let (s, _) = app
            .call(&fd, Method::POST, "/api/v1/bookings/h1/no-show", None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, c) = app
            .call(&fd, Method::POST, "/api/v1/bookings/h1/cancel", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        assert_eq!(c["status"], "cancelled");
        let (s, again) = app
            .call(&fd, Method::POST, "/api/v1/bookings/h1/cancel", None)
            .await;
        assert_eq!((s, &again), (StatusCode::OK, &c));
        let (s, _) = app
            .call(&fd, Method::POST, "/api/v1/bookings/nope/cancel", None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, e) = app
            .call(&fd, Method::POST, "/api/v1/bookings/h1/confirm", None)
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        // the view shows the cancelled slot as unused
        let uri = format!("/api/v1/pool-view?institution={lead}&from={day}");
        let (s, v) = app.call(&desk, Method::GET, &uri, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let line = v
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["department"] == "心内科")
            .unwrap();
        assert_eq!(
            (
                &line["capacity"],
                &line["reserved"],
                &line["used_by_referrals"]
            ),
            (&json!(6), &json!(2), &json!(0))
        );
    }
);

yilian_store::dbtest!(
    the_pool_view_is_for_the_desk_the_group_and_the_commission,
    |store| {
        let app = spawn_app(store).await;
        let (lead, desk, day) = lead_desk(&app).await;
        let (s, _) = open(&app, &desk, pool(&lead, &day, "slot", "am", 30, 10)).await;
        assert_eq!(s, StatusCode::CREATED);
        let group = app.groups()[0].id.to_string();
        let manager = app
            .user_token("mgr", &format!("consortium_manager@consortium:{group}"))
            .await;
        let other = app.groups()[1].lead.to_string();
        let far_desk = app
            .user_token("desk2", &format!("referral_desk@institution:{other}"))
            .await;
        let (team, _) = app.busiest_member_team();
        let fd = app
            .user_token("fd", &format!("family_doctor@team:{}", team.id))
            .await;
        let uri = format!("/api/v1/pool-view?institution={lead}&from={day}&to={day}");
        for (token, want) in [
            (&desk, StatusCode::OK),
            (&manager, StatusCode::OK),
            (&app.admin_token, StatusCode::OK),
            (&far_desk, StatusCode::FORBIDDEN),
            (&fd, StatusCode::FORBIDDEN),
        ] {
            let (s, v) = app.call(token, Method::GET, &uri, None).await;
            assert_eq!(s, want, "{v}");
        }
        let (_, v) = app.call(&desk, Method::GET, &uri, None).await;
        assert_eq!(v[0]["reserved"], 10);
        assert_eq!(v[0]["kind"], "slot");
        // a span beyond the limit names the field
        let uri = format!("/api/v1/pool-view?institution={lead}&from={day}&to=2099-01-01");
        let (s, e) = app.call(&desk, Method::GET, &uri, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(message(&e).contains("to"), "{e}");
    }
);

yilian_store::dbtest!(the_console_pool_page_opens_and_shows_pools, |store| {
    let app = spawn_app(store).await;
    let (lead, desk, day) = lead_desk(&app).await;
    let form = format!(
        "institution_id={lead}&department=ward-7&day={day}&session=day&kind=bed&capacity=8&reserved=1"
    );
    let post = |body: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/pools")
            .header(header::AUTHORIZATION, format!("Bearer {desk}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let r = app.send(post(form.clone())).await;
    assert!(r.text().contains("QUOTA-2"), "{}", r.text());
    let r = app
        .send(post(form.replace("reserved=1", "reserved=2")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let page = app
        .send(
            Request::get(to)
                .header(header::AUTHORIZATION, format!("Bearer {desk}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("data-kind=\"bed\""), "{html}");
    assert!(html.contains("ward-7"), "{html}");
    assert!(html.contains("action=\"/pools\""), "the desk sees the form");
});
