//! A referral through the API, end to end (issue 4, "done when"): it goes up from a family
//! doctor, is booked into a reserved slot, accepted, scheduled, arrives, completes, and the
//! outcome shows in the referrer's outbox; only the owner may move it; an emergency is
//! never rejected (REF-5).

use crate::helpers::{App, spawn_app};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Utc;
use serde_json::{Value, json};
use yilian_domain::capacity::Pool;
use yilian_domain::ids::{PoolId, TeamId};
use yilian_domain::registry::MemberRole;
use yilian_store::capacity::PoolRow;

async fn call(
    app: &App,
    token: &str,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    let req = b
        .body(body.map_or_else(Body::empty, |v| Body::from(v.to_string())))
        .unwrap();
    let r = app.send_raw(req).await;
    (r.status, r.json())
}

/// The first group's lead, a member team with signed residents, and those residents.
fn cast(app: &App) -> (String, TeamId, Vec<String>) {
    let reg = app.registry();
    let group = app.groups()[0];
    let members: Vec<_> = reg
        .members_of(&group.id, None)
        .filter(|m| m.role == MemberRole::Member)
        .map(|m| m.institution_id.clone())
        .collect();
    let signed = |t: &TeamId| -> Vec<String> {
        app.city
            .residents
            .iter()
            .filter(|r| r.team_id.as_ref() == Some(t))
            .map(|r| r.id.to_string())
            .collect()
    };
    let team = reg
        .teams
        .iter()
        .filter(|t| members.contains(&t.institution_id))
        .max_by_key(|t| signed(&t.id).len())
        .unwrap();
    (group.lead.to_string(), team.id.clone(), signed(&team.id))
}

yilian_store::dbtest!(
    a_referral_goes_up_is_booked_and_its_outcome_comes_back,
    |store| {
        let app = spawn_app(store).await;
        let (lead, team, people) = cast(&app);
        let fd = app
            .user_token("fdr", &format!("family_doctor@team:{team}"))
            .await;
        let desk = app
            .user_token("deskr", &format!("referral_desk@institution:{lead}"))
            .await;
        let lead_id = yilian_domain::ids::InstitutionId::parse(&lead).unwrap();
        let row = PoolRow {
            pool_id: PoolId::parse("CARD-AM").unwrap(),
            institution_id: lead_id,
            department: "cardiology".into(),
            day: Utc::now().date_naive(),
            session: "am".into(),
            pool: Pool::new(30, 10, yilian_synth::release_under_way(Utc::now())).unwrap(),
        };
        yilian_service::booking::open_pools(&app.store, &[row], &app.profile, "test")
            .await
            .unwrap()
            .unwrap();
        let person = &people[0];

        // before the referral the lead's desk has no care relation with the person
        let (s, _) = call(
            &app,
            &desk,
            Method::GET,
            &format!("/api/v1/residents/{person}"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // the family doctor books a reserved slot on the spot and refers up
        let (s, b) = call(
            &app,
            &fd,
            Method::POST,
            "/api/v1/bookings",
            Some(json!({"key": "bk-1", "pool_id": "CARD-AM", "resident_id": person})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["tranche"], "reserved");
        // the pool shows the booking in its reserved tranche
        let (s, pools) = call(
            &app,
            &fd,
            Method::GET,
            &format!("/api/v1/pools?institution={lead}"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{pools}");
        let pool = pools
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pool_id"] == "CARD-AM")
            .unwrap();
        assert_eq!(
            (pool["reserved"].as_u64(), pool["booked_reserved"].as_u64()),
            (Some(10), Some(1))
        );
        let (s, r) = call(&app, &fd, Method::POST, "/api/v1/referrals", Some(json!({
        "id": "F-1", "resident_id": person, "to_institution_id": lead,
        "direction": "up", "urgency": "routine", "reason": "BP not at target at two follow-ups"
    }))).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["status"], "requested");

        // the desk sees it in its inbox and, now, the person's record
        let (_, inbox) = call(
            &app,
            &desk,
            Method::GET,
            "/api/v1/referrals?box=inbox",
            None,
        )
        .await;
        assert_eq!(inbox[0]["id"], "F-1");
        let (s, _) = call(
            &app,
            &desk,
            Method::GET,
            &format!("/api/v1/residents/{person}"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);

        // only the owner moves it: the referrer cannot accept its own referral
        let (s, e) = call(
            &app,
            &fd,
            Method::POST,
            "/api/v1/referrals/F-1/actions",
            Some(json!({"command": "accept"})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        let at = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        for body in [
            json!({"command": "accept"}),
            json!({"command": "schedule", "at": at, "booking": "bk-1"}),
            json!({"command": "arrive"}),
            json!({"command": "complete", "outcome": "hypertension grade 2; regimen changed; back to the team, review in 2 weeks"}),
        ] {
            let (s, r) = call(
                &app,
                &desk,
                Method::POST,
                "/api/v1/referrals/F-1/actions",
                Some(body),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{r}");
        }
        // the outcome is in the referrer's outbox
        let (_, outbox) = call(&app, &fd, Method::GET, "/api/v1/referrals?box=outbox", None).await;
        assert_eq!(outbox[0]["status"], "completed");
        assert!(
            outbox[0]["outcome"]
                .as_str()
                .unwrap()
                .contains("back to the team")
        );
    }
);

yilian_store::dbtest!(
    an_emergency_referral_cannot_be_rejected_through_the_api,
    |store| {
        let app = spawn_app(store).await;
        let (lead, team, people) = cast(&app);
        let fd = app
            .user_token("fde", &format!("family_doctor@team:{team}"))
            .await;
        let desk = app
            .user_token("deske", &format!("referral_desk@institution:{lead}"))
            .await;
        let (s, _) = call(&app, &fd, Method::POST, "/api/v1/referrals", Some(json!({
        "id": "F-E", "resident_id": people[0], "to_institution_id": lead,
        "direction": "up", "urgency": "emergency", "reason": "SBP 186, DBP 112, severe headache"
    }))).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, e) = call(
            &app,
            &desk,
            Method::POST,
            "/api/v1/referrals/F-E/actions",
            Some(json!({"command": "reject", "reason": "no beds"})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(
            e["error"]["message_en"].as_str().unwrap().contains("REF-5"),
            "{e}"
        );
        // a repeat of the same id does not open a second referral
        let (s, _) = call(
            &app,
            &fd,
            Method::POST,
            "/api/v1/referrals",
            Some(json!({
                "id": "F-E", "resident_id": people[0], "to_institution_id": lead,
                "direction": "up", "urgency": "emergency", "reason": "again"
            })),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
    }
);
