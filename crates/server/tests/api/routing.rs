//! Routing through the API (issue 4, item 3): receivers proposed in order with reasons
//! and live free slots.

use crate::helpers::{App, error_code, spawn_app};
use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::json;
use yilian_domain::capacity::Pool;
use yilian_domain::ids::PoolId;
use yilian_store::capacity::PoolRow;

/// A family doctor of the first group's busiest member team, and that team's first
/// signed resident.
async fn doctor(app: &App) -> (String, String) {
    let (team, people) = app.busiest_member_team();
    let token = app
        .user_token("fdroute", &format!("family_doctor@team:{}", team.id))
        .await;
    (token, people[0].clone())
}

yilian_store::dbtest!(receivers_come_in_order_with_their_free_slots, |store| {
    let app = spawn_app(store).await;
    let (fd, person) = doctor(&app).await;
    let group = app.groups()[0];
    let row = PoolRow {
        pool_id: PoolId::parse("CARD-R1").unwrap(),
        institution_id: group.lead.clone(),
        department: "cardiology".into(),
        day: Utc::now().date_naive(),
        session: "pm".into(),
        pool: Pool::new(30, 10, yilian_synth::release_under_way(Utc::now())).unwrap(),
    };
    yilian_service::booking::open_pools(&app.store, &[row], &app.profile, "test")
        .await
        .unwrap()
        .unwrap();
    let uri = |q: &str| format!("/api/v1/referrals/routes?resident_id={person}{q}");

    let (s, b) = app
        .call(&fd, Method::GET, &uri("&department=cardiology"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["consortium_id"], group.id.as_str());
    let first = &b["proposals"][0];
    assert_eq!(first["institution_id"], group.lead.as_str());
    assert_eq!(
        (&first["tier"], &first["direction"]),
        (&json!("lead"), &json!("up"))
    );
    assert_eq!(
        (&first["free_reserved"], &first["free_public"]),
        (&json!(10), &json!(20))
    );
    assert!(
        first["reason_zh"]
            .as_str()
            .unwrap()
            .contains("空余预留号 10")
    );
    assert!(first["reason_en"].as_str().unwrap().contains("REF-1"));
    assert_eq!(b["proposals"].as_array().unwrap().len(), 1, "{b}");

    // without a department: the lead, then members, then collaborators (external)
    let (s, b) = app.call(&fd, Method::GET, &uri(""), None).await;
    assert_eq!(s, StatusCode::OK);
    let tiers: Vec<&str> = b["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["tier"].as_str().unwrap())
        .collect();
    assert_eq!(tiers[0], "lead");
    let mut sorted = tiers.clone();
    sorted.sort_by_key(|t| {
        ["lead", "member", "collaborator"]
            .iter()
            .position(|x| x == t)
    });
    assert_eq!(tiers, sorted);
    for p in b["proposals"].as_array().unwrap() {
        assert_eq!(
            p["tier"] == "collaborator",
            p["direction"] == "external",
            "{p}"
        );
    }

    // bad parameters name themselves
    let (s, b) = app
        .call(&fd, Method::GET, &uri("&capability=teleportation"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&b), "invalid_field");
    assert!(
        b["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("capability")
    );
    let (s, _) = app
        .call(&fd, Method::GET, &uri("&urgency=whenever"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // someone without a care relation is refused (and audited)
    let desk = app
        .user_token(
            "deskroute",
            &format!("referral_desk@institution:{}", group.lead),
        )
        .await;
    let (s, _) = app.call(&desk, Method::GET, &uri(""), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});
