//! `POST /bookings`: the channel follows the caller's grant (QUOTA-1), a repeated key
//! answers the same booking, a full pool is refused, and only persons in the caller's care
//! can be booked (the public tranche's QUOTA-1 refusal is tested in the service layer).

use crate::helpers::{App, spawn_app};
use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use yilian_domain::capacity::Pool;
use yilian_domain::ids::PoolId;
use yilian_store::capacity::PoolRow;

/// Opens pool `id` of 3 slots (1 reserved) at the first group's lead, release under way.
async fn open_pool(app: &App, id: &str) -> String {
    let lead = app.groups()[0].lead.clone();
    let now = Utc::now();
    let times = yilian_synth::release_under_way(now);
    let row = PoolRow {
        pool_id: PoolId::parse(id).unwrap(),
        institution_id: lead,
        department: "cardiology".into(),
        day: (now + Duration::days(2)).date_naive(),
        session: "am".into(),
        pool: Pool::new(3, 1, times).unwrap(),
    };
    yilian_service::booking::open_pools(&app.store, &[row], &app.profile, "test")
        .await
        .unwrap()
        .unwrap();
    id.to_owned()
}

async fn book(
    app: &App,
    token: &str,
    key: &str,
    pool: &str,
    resident: &str,
) -> (StatusCode, Value) {
    let body = json!({"key": key, "pool_id": pool, "resident_id": resident});
    app.call(token, Method::POST, "/api/v1/bookings", Some(body))
        .await
}

yilian_store::dbtest!(
    family_doctor_books_referrals_into_the_reserved_tranche,
    |store| {
        let app = spawn_app(store).await;
        let pool = open_pool(&app, "POOL1").await;
        let (team, signed) = app.busiest_member_team();
        assert!(
            signed.len() >= 4,
            "the test city signs enough residents with one team"
        );
        let fd = app
            .user_token("fdb", &format!("family_doctor@team:{}", team.id))
            .await;
        let doctor = app
            .user_token(
                "docb",
                &format!("doctor@institution:{}", team.institution_id),
            )
            .await;

        // the family doctor's booking is a referral into the reserved tranche
        let (s, b) = book(&app, &fd, "k1", &pool, &signed[0]).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(
            (b["channel"].as_str(), b["tranche"].as_str()),
            (Some("referral"), Some("reserved"))
        );
        // the same key again: the same booking, not a second one
        let (s, again) = book(&app, &fd, "k1", &pool, &signed[0]).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(again, b);
        // the same key for someone else: refused
        let (s, _) = book(&app, &fd, "k1", &pool, &signed[1]).await;
        assert_eq!(s, StatusCode::CONFLICT);
        // the community centre's doctor is primary care too: referral, into the public
        // tranche once the reserved one is used
        let (s, b) = book(&app, &doctor, "k2", &pool, &signed[1]).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(
            (b["channel"].as_str(), b["tranche"].as_str()),
            (Some("referral"), Some("public"))
        );
        let (s, _) = book(&app, &fd, "k3", &pool, &signed[2]).await;
        assert_eq!(s, StatusCode::CREATED);
        // three of three: full
        let (s, e) = book(&app, &fd, "k4", &pool, &signed[3]).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(
            e["error"]["message_en"].as_str().unwrap().contains("full"),
            "{e}"
        );
        // a resident of another team: 403
        let other = app
            .city
            .residents
            .iter()
            .find(|r| r.team_id.is_some() && r.team_id.as_ref() != Some(&team.id))
            .unwrap();
        let (s, _) = book(&app, &fd, "k5", &pool, other.id.as_str()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);
