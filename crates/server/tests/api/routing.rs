//! Routing and the collaborator rule through the API (issue 4, item 3; COMP-6): receivers
//! proposed in order with reasons and live free slots; a referral to an institution
//! outside the group without a collaborator link is refused, and changes nothing.

use crate::helpers::{App, error_code, spawn_app};
use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{Value, json};
use yilian_domain::capacity::Pool;
use yilian_domain::ids::PoolId;
use yilian_domain::registry::MemberRole;
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

/// Opens referral `id` of `person` to `to` in `direction`.
async fn refer(
    app: &App,
    token: &str,
    (id, person, to): (&str, &str, &str),
    direction: &str,
) -> (StatusCode, Value) {
    let body = json!({
        "id": id, "resident_id": person, "to_institution_id": to,
        "direction": direction, "urgency": "routine", "reason": "BP not at target twice"
    });
    app.call(token, Method::POST, "/api/v1/referrals", Some(body))
        .await
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

yilian_store::dbtest!(
    a_referral_outside_the_group_without_a_collaborator_link_is_refused,
    |store| {
        let app = spawn_app(store).await;
        let (fd, person) = doctor(&app).await;
        let groups = app.groups();
        let (mine, other) = (groups[0], groups[1]);
        let reg = app.registry();
        let collaborator = reg
            .members_of(&mine.id, None)
            .find(|m| m.role == MemberRole::Collaborator)
            .unwrap()
            .institution_id
            .to_string();
        let events = app.event_count().await;

        // another group's lead: refused whatever the direction
        for (id, direction) in [("FX1", "up"), ("FX2", "external")] {
            let (s, b) = refer(&app, &fd, (id, &person, other.lead.as_str()), direction).await;
            assert_eq!(s, StatusCode::CONFLICT, "{b}");
            assert_eq!(error_code(&b), "conflict");
            let en = b["error"]["message_en"].as_str().unwrap();
            let zh = b["error"]["message_zh"].as_str().unwrap();
            assert!(
                en.starts_with("COMP-6") && en.contains(other.lead.as_str()),
                "{en}"
            );
            assert!(zh.contains("协作单位"), "{zh}");
        }
        // the group's collaborator, but not as an external referral
        let (s, b) = refer(&app, &fd, ("FX3", &person, &collaborator), "up").await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert!(
            b["error"]["message_en"]
                .as_str()
                .unwrap()
                .contains("direction external")
        );
        // an external referral inside the group
        let (s, _) = refer(&app, &fd, ("FX4", &person, mine.lead.as_str()), "external").await;
        assert_eq!(s, StatusCode::CONFLICT);
        // nothing was stored
        assert_eq!(app.event_count().await, events);
        let (s, _) = app
            .call(&fd, Method::GET, "/api/v1/referrals/FX1", None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // to the collaborator as an external referral: opened
        let (s, b) = refer(&app, &fd, ("FX5", &person, &collaborator), "external").await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["direction"], "external");
    }
);

yilian_store::dbtest!(
    the_referral_form_shows_the_suggestion_and_the_receivers,
    |store| {
        let app = spawn_app(store).await;
        let (fd, person) = doctor(&app).await;
        let group = app.groups()[0];
        let today = yilian_service::today().to_string();
        let (s, _) = app
            .call(
                &fd,
                Method::POST,
                &format!("/api/v1/residents/{person}/follow-ups"),
                Some(json!({"condition": "type2_diabetes", "on": today,
                            "glucose_mmol_l": 17.2, "at_target": false})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let page = |q: String| {
            let req = axum::http::Request::get(format!("/referrals?lang=en&{q}"))
                .header(axum::http::header::AUTHORIZATION, format!("Bearer {fd}"))
                .body(axum::body::Body::empty())
                .unwrap();
            app.send_raw(req)
        };
        let r = page(format!(
            "route_resident_id={person}&capability=&urgency=routine"
        ))
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        crate::console::assert_local_only(&html);
        assert!(
            html.contains("data-criterion=\"emergency_glucose_high\" data-urgency=\"emergency\""),
            "{html}"
        );
        assert!(html.contains("glucose 17.2 ≥ 16.7 mmol/L"));
        assert!(html.contains(&format!(
            "data-institution=\"{}\" data-tier=\"lead\"",
            group.lead
        )));
        // a person outside the caller's care: the refusal shows in the panel, the page stays
        let stranger = app
            .city
            .residents
            .iter()
            .find(|r| r.team_id.is_none())
            .unwrap()
            .id
            .to_string();
        let r = page(format!("route_resident_id={stranger}")).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("role=\"alert\""), "{html}");
        assert!(html.contains("forbidden"), "{html}");
        assert!(html.contains("Refer a person"));
    }
);
