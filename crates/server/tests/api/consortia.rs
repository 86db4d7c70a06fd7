//! `PUT /consortia/{id}`: checked by the audit's rules before anything is stored.

use crate::helpers::{error_code, put_body, spawn_app, spawn_app_with};
use axum::http::StatusCode;
use chrono::{Days, Utc};
use serde_json::{Value, json};
use yilian_domain::policy::{Profile, Severity};
use yilian_domain::registry::{InstitutionKind, Level, MemberRole};

/// A change to a request body.
type Edit = Box<dyn Fn(&mut Value)>;

fn rules(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

yilian_store::dbtest!(valid_change_is_stored_with_an_event, |store| {
    let app = spawn_app(store).await;
    let group = app.groups()[0];
    let events_before = app.event_count().await;
    let mut body = put_body(app.registry(), group);
    let evaluated = Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(10))
        .unwrap()
        .to_string();
    body["evaluated_on"] = json!(evaluated);

    let (status, reply) = app
        .put_json(&format!("/api/v1/consortia/{}", group.id), &body)
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["created"], false);
    assert_eq!(reply["consortium"]["evaluated_on"], evaluated.as_str());
    assert!(
        reply["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "warning")
    );

    let (_, detail) = app
        .get_json(&format!("/api/v1/consortia/{}", group.id))
        .await;
    assert_eq!(detail["evaluated_on"], evaluated.as_str());
    assert_eq!(detail, reply["consortium"]);

    let (_, feed) = app.get_json("/api/v1/events").await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), events_before + 1);
    let last = items.last().unwrap();
    assert_eq!(last["kind"], "ConsortiumChanged");
    assert_eq!(last["stream"], format!("consortium/{}", group.id));
    assert_eq!(
        last["payload"]["consortium"]["evaluated_on"],
        evaluated.as_str()
    );

    // the same body again changes nothing and appends nothing
    let (status, _) = app
        .put_json(&format!("/api/v1/consortia/{}", group.id), &body)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.event_count().await, events_before + 1);
});

yilian_store::dbtest!(new_consortium_is_created_with_its_warnings, |store| {
    let app = spawn_app(store).await;
    let reg = app.registry();
    let lead = app.groups()[0].lead.clone();
    let member = reg
        .institutions
        .iter()
        .find(|i| i.kind == InstitutionKind::CommunityHealthCenter)
        .unwrap();
    let today = yilian_service::today();
    let body = json!({
        "name": "测试市呼吸专科联盟",
        "kind": "specialty_alliance",
        "lead_institution_id": lead.as_str(),
        "founded_on": today.checked_sub_days(Days::new(30)).unwrap().to_string(),
        "filed_on": today.checked_sub_days(Days::new(27)).unwrap().to_string(),
        "evaluated_on": today.checked_sub_days(Days::new(5)).unwrap().to_string(),
        "members": [{"institution_id": member.id.as_str(), "role": "member"}],
    });
    let (status, reply) = app.put_json("/api/v1/consortia/C900", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["created"], true);
    // two members where an alliance wants twenty: in principle only (COMP-4)
    assert!(
        rules(&reply, "warnings").contains(&"COMP-4".to_owned()),
        "{reply}"
    );
    let members = reply["consortium"]["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "the lead is added when not listed");
    assert_eq!(members[0]["institution_id"], lead.as_str());

    let (_, feed) = app.get_json("/api/v1/events").await;
    let last = feed["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "ConsortiumCreated");
    assert_eq!(last["actor"], "admin", "the signed-in user made the change");
});

yilian_store::dbtest!(lead_below_tier3_is_refused_and_nothing_stored, |store| {
    // COMP-1 is a must-rule in this profile (as in chongqing-2018)
    let mut profile = Profile::builtin("national").unwrap();
    profile.rules.comp1.severity = Severity::Error;
    let app = spawn_app_with(store, profile).await;
    let reg = app.registry();
    let group = app.groups()[0];
    let tier2 = reg
        .members_of(&group.id, None)
        .filter(|m| m.role == MemberRole::Member)
        .filter_map(|m| reg.institution(&m.institution_id))
        .find(|i| i.level == Level::TIER2 && i.kind == InstitutionKind::GeneralHospital)
        .expect("the group has a tier-2 general hospital");
    let (_, before) = app
        .get_json(&format!("/api/v1/consortia/{}", group.id))
        .await;
    let events_before = app.event_count().await;

    let mut body = put_body(reg, group);
    body["lead_institution_id"] = json!(tier2.id.as_str());
    for m in body["members"].as_array_mut().unwrap() {
        if m["institution_id"] == tier2.id.as_str() {
            m["role"] = json!("lead");
        } else if m["role"] == "lead" {
            m["role"] = json!("member");
        }
    }
    let (status, reply) = app
        .put_json(&format!("/api/v1/consortia/{}", group.id), &body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert_eq!(error_code(&reply), "policy_rejected");
    assert!(
        rules(&reply, "findings").contains(&"COMP-1".to_owned()),
        "{reply}"
    );
    let comp1 = reply["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "COMP-1")
        .unwrap();
    assert_eq!(comp1["severity"], "error");
    assert_eq!(comp1["subject"]["id"], group.id.as_str());
    assert!(
        comp1["message_zh"].is_string()
            && comp1["message_en"].is_string()
            && comp1["figures"].is_object()
    );

    let (_, after) = app
        .get_json(&format!("/api/v1/consortia/{}", group.id))
        .await;
    assert_eq!(after, before, "nothing stored");
    assert_eq!(app.event_count().await, events_before);
});

yilian_store::dbtest!(two_groups_on_one_grid_is_refused, |store| {
    let app = spawn_app(store).await;
    let (a, b) = (app.groups()[0], app.groups()[1]);
    let (_, before) = app.get_json(&format!("/api/v1/consortia/{}", b.id)).await;
    let events_before = app.event_count().await;
    let mut body = put_body(app.registry(), b);
    body["grid_id"] = json!(a.grid_id.as_ref().unwrap().as_str());
    let (status, reply) = app
        .put_json(&format!("/api/v1/consortia/{}", b.id), &body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert!(
        rules(&reply, "findings").contains(&"GRID-3".to_owned()),
        "{reply}"
    );
    assert!(
        reply["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("GRID-3")
    );
    let (_, after) = app.get_json(&format!("/api/v1/consortia/{}", b.id)).await;
    assert_eq!(after, before);
    assert_eq!(after["grid_id"], b.grid_id.as_ref().unwrap().as_str());
    assert_eq!(app.event_count().await, events_before);
});

yilian_store::dbtest!(unknown_references_are_404, |store| {
    let app = spawn_app(store).await;
    let group = app.groups()[0];
    let uri = format!("/api/v1/consortia/{}", group.id);

    let mut body = put_body(app.registry(), group);
    body["members"]
        .as_array_mut()
        .unwrap()
        .push(json!({"institution_id": "NO-SUCH-HOSPITAL", "role": "member"}));
    let (status, reply) = app.put_json(&uri, &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{reply}");
    assert_eq!(error_code(&reply), "not_found");
    assert!(
        reply["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("NO-SUCH-HOSPITAL")
    );

    let mut body = put_body(app.registry(), group);
    body["grid_id"] = json!("G-NOWHERE");
    let (status, reply) = app.put_json(&uri, &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{reply}");
    assert!(
        reply["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("网格")
    );
});

yilian_store::dbtest!(bad_fields_are_400_in_both_languages, |store| {
    let app = spawn_app(store).await;
    let group = app.groups()[0];
    let uri = format!("/api/v1/consortia/{}", group.id);
    let base = put_body(app.registry(), group);
    let cases: [(&str, Edit, &str); 6] = [
        (
            "kind",
            Box::new(|b| b["kind"] = json!("club")),
            "urban_medical_group",
        ),
        (
            "founded_on",
            Box::new(|b| b["founded_on"] = json!("2024-13-01")),
            "YYYY-MM-DD",
        ),
        (
            "members[0].role",
            Box::new(|b| b["members"][0]["role"] = json!("boss")),
            "collaborator",
        ),
        ("name", Box::new(|b| b["name"] = json!("  ")), "1–200"),
        (
            "members[0].effective_to",
            Box::new(|b| {
                b["members"][0]["effective_from"] = json!("2024-05-01");
                b["members"][0]["effective_to"] = json!("2024-01-01");
            }),
            "not after",
        ),
        (
            "lead_institution_id",
            Box::new(|b| b["lead_institution_id"] = json!("")),
            "empty",
        ),
    ];
    for (field, edit, hint) in cases {
        let mut body = base.clone();
        edit(&mut body);
        let (status, reply) = app.put_json(&uri, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {reply}");
        assert_eq!(error_code(&reply), "invalid_field");
        let en = reply["error"]["message_en"].as_str().unwrap();
        let zh = reply["error"]["message_zh"].as_str().unwrap();
        assert!(en.contains(field) && zh.contains(field), "{field}: {reply}");
        assert!(en.contains(hint), "{field}: {en}");
    }
    // unknown fields are refused, not ignored: a typo must not silently drop a change
    let mut body = base.clone();
    body["evaluated"] = json!("2026-01-01");
    let (status, reply) = app.put_json(&uri, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&reply), "invalid_json");
    assert!(
        reply["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("evaluated")
    );
});
