//! A referral through the API, end to end (issue 4, "done when"): it goes up from a family
//! doctor, is booked into a reserved slot, accepted, scheduled, arrives, completes, and the
//! outcome shows in the referrer's outbox; only the owner may move it; an emergency is
//! never rejected (REF-5).

use crate::helpers::{App, spawn_app};
use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{Value, json};
use yilian_domain::capacity::Pool;
use yilian_domain::ids::{PoolId, TeamId};
use yilian_store::capacity::PoolRow;

/// The first group's lead, its busiest member team and that team's signed residents.
fn cast(app: &App) -> (String, TeamId, Vec<String>) {
    let (team, people) = app.busiest_member_team();
    (app.groups()[0].lead.to_string(), team.id.clone(), people)
}

/// Makes the moves `bodies` on referral `id` as `token`'s user, each answered 200.
async fn moves<const N: usize>(app: &App, token: &str, id: &str, bodies: [Value; N]) {
    for body in bodies {
        let uri = format!("/api/v1/referrals/{id}/actions");
        let (s, r) = app.call(token, Method::POST, &uri, Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
}

/// The English message of an error body.
fn message(e: &Value) -> &str {
    e["error"]["message_en"].as_str().unwrap_or_default()
}

/// Opens referral `id` of `person` to `to` as `token`'s user.
async fn refer(
    app: &App,
    token: &str,
    (id, person, to): (&str, &str, &str),
    urgency: &str,
    reason: &str,
) -> (StatusCode, Value) {
    let body = json!({
        "id": id, "resident_id": person, "to_institution_id": to,
        "direction": "up", "urgency": urgency, "reason": reason
    });
    app.call(token, Method::POST, "/api/v1/referrals", Some(body))
        .await
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
        let (s, _) = app
            .call(
                &desk,
                Method::GET,
                &format!("/api/v1/residents/{person}"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // the family doctor books a reserved slot on the spot and refers up
        let (s, b) = app
            .call(
                &fd,
                Method::POST,
                "/api/v1/bookings",
                Some(json!({"key": "bk-1", "pool_id": "CARD-AM", "resident_id": person})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["tranche"], "reserved");
        // the pool shows the booking in its reserved tranche
        let (s, pools) = app
            .call(
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
        let (s, r) = refer(
            &app,
            &fd,
            ("F-1", person, &lead),
            "routine",
            "BP not at target at two follow-ups",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["status"], "requested");
        assert_eq!(
            r["priority"], true,
            "REF-3: a signed resident referred by primary care"
        );

        // the desk sees it in its inbox and, now, the person's record
        let (_, inbox) = app
            .call(&desk, Method::GET, "/api/v1/referrals?box=inbox", None)
            .await;
        assert_eq!(inbox[0]["id"], "F-1");
        let (s, _) = app
            .call(
                &desk,
                Method::GET,
                &format!("/api/v1/residents/{person}"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        // only the owner moves it: the referrer cannot accept its own referral
        let (s, e) = app
            .call(
                &fd,
                Method::POST,
                "/api/v1/referrals/F-1/actions",
                Some(json!({"command": "accept"})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        let at = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        moves(
            &app,
            &desk,
            "F-1",
            [
                json!({"command": "accept"}),
                json!({"command": "schedule", "at": at, "booking": "bk-1"}),
                json!({"command": "arrive"}),
                json!({"command": "complete", "outcome": "hypertension grade 2; regimen changed; back to the team, review in 2 weeks"}),
            ],
        )
        .await;
        // the outcome is in the referrer's outbox
        let (_, outbox) = app
            .call(&fd, Method::GET, "/api/v1/referrals?box=outbox", None)
            .await;
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
        let (s, _) = refer(
            &app,
            &fd,
            ("F-E", &people[0], &lead),
            "emergency",
            "SBP 186, DBP 112, severe headache",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, e) = app
            .call(
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
        let (s, _) = refer(&app, &fd, ("F-E", &people[0], &lead), "emergency", "again").await;
        assert_eq!(s, StatusCode::CONFLICT);
    }
);

yilian_store::dbtest!(
    a_down_referral_reaches_the_family_doctor_team_with_its_care_plan_and_is_confirmed,
    |store| {
        let app = spawn_app(store).await;
        let (lead, team, people) = cast(&app);
        let centre = app
            .registry()
            .teams
            .iter()
            .find(|t| t.id == team)
            .unwrap()
            .institution_id
            .to_string();
        let other_team = app
            .registry()
            .teams
            .iter()
            .find(|t| t.institution_id.as_str() != centre)
            .unwrap()
            .id
            .to_string();
        let fd = app
            .user_token("fdd", &format!("family_doctor@team:{team}"))
            .await;
        let desk = app
            .user_token("deskd", &format!("referral_desk@institution:{lead}"))
            .await;
        let person = &people[0];
        // the patient came up first: the lead now cares for them
        let (s, _) = refer(
            &app,
            &fd,
            ("F-U", person, &lead),
            "routine",
            "BP not at target",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let plan = json!({
            "diagnosis": "原发性高血压 2级，已控制",
            "medications": [{"name": "氨氯地平", "dose": "5 mg", "frequency": "每日一次"}],
            "plan": "低盐饮食；家庭自测血压，每周记录",
            "follow_ups": [{"due": "2026-12-15", "task": "复查血压与肾功能"}]
        });
        let down = |id: &str, team: &str, plan: Value| {
            json!({
                "id": id, "resident_id": person, "to_institution_id": centre,
                "direction": "down", "urgency": "routine",
                "reason": "stable on treatment; continue in the community",
                "team_id": team, "care_plan": plan
            })
        };
        // REF-1: no care plan, or a plan without follow-up tasks, is refused by field
        let (s, e) = app
            .call(
                &desk,
                Method::POST,
                "/api/v1/referrals",
                Some(down("F-D", team.as_ref(), Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(message(&e).starts_with("invalid care_plan:"), "{e}");
        let mut no_tasks = plan.clone();
        no_tasks["follow_ups"] = json!([]);
        let (s, e) = app
            .call(
                &desk,
                Method::POST,
                "/api/v1/referrals",
                Some(down("F-D", team.as_ref(), no_tasks)),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(
            message(&e).starts_with("invalid care_plan.follow_ups:"),
            "{e}"
        );
        // a team of another institution is not the receiver's
        let (s, e) = app
            .call(
                &desk,
                Method::POST,
                "/api/v1/referrals",
                Some(down("F-D", &other_team, plan.clone())),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(message(&e).starts_with("invalid team_id:"), "{e}");
        // the real thing
        let (s, r) = app
            .call(
                &desk,
                Method::POST,
                "/api/v1/referrals",
                Some(down("F-D", team.as_ref(), plan)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert!(r["deadline"].is_string(), "the clock runs: {r}");
        assert_eq!(r["priority"], false, "REF-3 is for referrals up");
        assert_eq!(r["escalation"], 0);
        // the team finds it in its inbox with the plan, accepts and confirms the first visit
        let (_, inbox) = app
            .call(&fd, Method::GET, "/api/v1/referrals?box=inbox", None)
            .await;
        let got = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "F-D")
            .unwrap();
        assert_eq!(got["team_id"], team.to_string());
        assert_eq!(
            got["care_plan"]["follow_ups"][0]["task"],
            "复查血压与肾功能"
        );
        moves(
            &app,
            &fd,
            "F-D",
            [
                json!({"command": "accept"}),
                json!({"command": "arrive"}),
                json!({"command": "complete", "outcome": "first visit done; BP 132/84; under team management"}),
            ],
        )
        .await;
        // the lead sees the loop closed
        let (_, outbox) = app
            .call(&desk, Method::GET, "/api/v1/referrals?box=outbox", None)
            .await;
        let back = outbox
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "F-D")
            .unwrap();
        assert_eq!(back["status"], "completed");
        assert!(back["deadline"].is_null());
    }
);

yilian_store::dbtest!(
    the_group_manager_sees_which_receivers_let_referrals_wait,
    |store| {
        let app = spawn_app(store).await;
        let group = app.groups()[0].clone();
        let member = app
            .registry()
            .members_of(&group.id, None)
            .find(|m| m.institution_id != group.lead)
            .unwrap()
            .institution_id
            .clone();
        let person = app.busiest_member_team().1[0].clone();
        // an emergency nobody answered, opened a day ago
        let id = yilian_domain::ids::ReferralId::parse("F-LATE").unwrap();
        let open =
            yilian_domain::referral::Command::Request(yilian_domain::referral::NewReferral {
                id: id.clone(),
                resident: yilian_domain::ids::ResidentId::parse(&person).unwrap(),
                from: member.clone(),
                to: group.lead.clone(),
                direction: yilian_domain::referral::Direction::Up,
                urgency: yilian_domain::referral::Urgency::Emergency,
                reason: "SBP 190".into(),
                team: None,
                care_plan: None,
                priority: false,
            });
        let by = yilian_domain::referral::Party::Institution(member);
        let then = Utc::now() - chrono::Duration::days(1);
        yilian_service::referral::act(&app.store, &app.profile, &id, &open, &by, "fd", then)
            .await
            .unwrap()
            .unwrap();
        for _ in 0..2 {
            yilian_service::clock::tick(&app.store, &app.profile, Utc::now())
                .await
                .unwrap();
        }
        let manager = app
            .user_token(
                "mgr",
                &format!("consortium_manager@consortium:{}", group.id),
            )
            .await;
        let (s, c) = app
            .call(
                &manager,
                Method::GET,
                &format!("/api/v1/referral-clocks?consortium={}", group.id),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let lead = c["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["institution_id"] == group.lead.as_str())
            .unwrap();
        assert_eq!(
            (lead["open"].as_u64(), lead["to_manager"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(
            (lead["missed"].as_u64(), lead["missed_to_manager"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(c["overdue"][0]["id"], "F-LATE");
        assert_eq!(c["overdue"][0]["escalation"], 2);
        assert!(
            c["overdue"][0].get("resident_id").is_none(),
            "no person is named"
        );
        // without a consortium named, the manager sees their own group
        let (s, own) = app
            .call(&manager, Method::GET, "/api/v1/referral-clocks", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{own}");
        assert_eq!(own["consortium"], group.id.as_str());
        // another group's clocks are not this manager's; a desk reads no aggregates
        let other = &app.groups()[1].id;
        let (s, _) = app
            .call(
                &manager,
                Method::GET,
                &format!("/api/v1/referral-clocks?consortium={other}"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let desk = app
            .user_token(
                "deskc",
                &format!("referral_desk@institution:{}", group.lead),
            )
            .await;
        let (s, _) = app
            .call(&desk, Method::GET, "/api/v1/referral-clocks", None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // the console page lists the overdue referral
        let req = axum::http::Request::get(format!("/referral-clocks?consortium={}", group.id))
            .header(
                axum::http::header::AUTHORIZATION,
                format!("Bearer {manager}"),
            )
            .body(axum::body::Body::empty())
            .unwrap();
        let page = app.send_raw(req).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text()
                .contains("data-referral=\"F-LATE\" data-escalation=\"2\"")
        );
    }
);
