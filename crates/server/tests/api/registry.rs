//! Reads of the registry: institutions, grids, consortia, residents.

use crate::helpers::{error_code, spawn_app};
use axum::http::StatusCode;
use std::collections::BTreeSet;
use yilian_domain::registry::MemberRole;

yilian_store::dbtest!(institutions_list_and_filter, |store| {
    let app = spawn_app(store).await;
    let reg = app.registry();
    let (status, all) = app.get_json("/api/v1/institutions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), reg.institutions.len());

    let grid = &reg.grids[0].id;
    let (status, in_grid) = app
        .get_json(&format!("/api/v1/institutions?grid={grid}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let want = reg
        .institutions
        .iter()
        .filter(|i| i.grid_id.as_ref() == Some(grid))
        .count();
    assert!(want > 0);
    assert_eq!(in_grid.as_array().unwrap().len(), want);
    assert!(
        in_grid
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["grid_id"] == grid.as_str())
    );

    let (status, hospitals) = app
        .get_json(&format!(
            "/api/v1/institutions?grid={grid}&kind=general_hospital"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let hospitals = hospitals.as_array().unwrap();
    assert!(!hospitals.is_empty());
    assert!(
        hospitals
            .iter()
            .all(|i| i["kind"] == "general_hospital" && i["kind_zh"] == "综合医院")
    );

    let (status, body) = app.get_json("/api/v1/institutions?kind=spaceship").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_field");
    assert!(
        body["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("general_hospital")
    );

    let (status, body) = app.get_json("/api/v1/institutions?grid=G-NOWHERE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
});

yilian_store::dbtest!(institution_detail_and_404, |store| {
    let app = spawn_app(store).await;
    let group = app.groups()[0];
    let (status, lead) = app
        .get_json(&format!("/api/v1/institutions/{}", group.lead))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lead["id"], group.lead.as_str());
    assert_eq!(lead["level"], 3);
    let consortia = lead["consortia"].as_array().unwrap();
    assert!(
        consortia
            .iter()
            .any(|c| c["consortium_id"] == group.id.as_str() && c["role"] == "lead")
    );

    let (status, body) = app.get_json("/api/v1/institutions/NO-SUCH-ID").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        serde_json::json!({"error": {
            "code": "not_found",
            "message_zh": "未找到机构 'NO-SUCH-ID'",
            "message_en": "institution 'NO-SUCH-ID' not found",
        }})
    );
});

yilian_store::dbtest!(grids_are_geojson_with_residents_and_group, |store| {
    let app = spawn_app(store).await;
    let reg = app.registry();
    let r = app.get("/api/v1/grids").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/geo+json");
    let fc = r.json();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), reg.grids.len());
    let mut residents = 0;
    for (f, g) in features.iter().zip(&reg.grids) {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["id"], g.id.as_str());
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
        let p = &f["properties"];
        assert_eq!(p["grid_id"], g.id.as_str());
        assert_eq!(p["name"], g.name.as_str());
        assert_eq!(p["population"], g.population.unwrap());
        let group = app
            .groups()
            .into_iter()
            .find(|c| c.grid_id.as_ref() == Some(&g.id))
            .unwrap();
        assert_eq!(p["consortium_id"], group.id.as_str());
        assert_eq!(p["consortium_name"], group.name.as_str());
        residents += p["residents"].as_u64().unwrap();
    }
    // every synthetic home lies inside a grid
    assert_eq!(residents, app.city.residents.len() as u64);
    // the geometry reads back as the stored polygon
    let ring = &features[0]["geometry"]["coordinates"][0][0];
    let first = reg.grids[0].geometry.0[0].exterior().0[0];
    assert_eq!(
        (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap()),
        (first.x, first.y)
    );

    let id = reg.grids[1].id.as_str();
    let (status, one) = app.get_json(&format!("/api/v1/grids/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, features[1]);

    let (status, body) = app.get_json("/api/v1/grids/G-NOWHERE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
});

yilian_store::dbtest!(consortia_list_and_detail, |store| {
    let app = spawn_app(store).await;
    let reg = app.registry();
    let (status, list) = app.get_json("/api/v1/consortia").await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), reg.consortia.len());
    let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let want: Vec<&str> = reg.consortia.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, want);

    let group = app.groups()[1];
    let (status, detail) = app
        .get_json(&format!("/api/v1/consortia/{}", group.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["name"], group.name.as_str());
    assert_eq!(detail["kind"], "urban_medical_group");
    assert_eq!(detail["lead_institution_id"], group.lead.as_str());
    let members = detail["members"].as_array().unwrap();
    assert_eq!(members.len(), reg.members_of(&group.id, None).count());
    assert_eq!(detail["member_count"], members.len());
    assert_eq!(members[0]["role"], MemberRole::Lead.as_str());
    assert_eq!(members[0]["institution_id"], group.lead.as_str());
    assert_eq!(members[0]["level"], 3);
    for m in members {
        let inst = reg
            .institutions
            .iter()
            .find(|i| i.id.as_str() == m["institution_id"])
            .unwrap();
        assert_eq!(m["name"], inst.name.as_str());
        assert_eq!(m["kind"], inst.kind.as_str());
        assert!(m.get("effective_from").is_some() && m.get("effective_to").is_some());
    }

    let (status, body) = app.get_json("/api/v1/consortia/C999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
});

yilian_store::dbtest!(residents_page_by_keyset, |store| {
    let app = spawn_app(store).await;
    let grid = &app.registry().grids[0].id;
    let want = app
        .city
        .residents
        .iter()
        .filter(|r| r.grid_id.as_ref() == Some(grid))
        .count();
    assert!(
        want > 150,
        "the test wants several pages, the grid has {want}"
    );
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let uri = match &after {
            None => format!("/api/v1/grids/{grid}/residents?limit=100"),
            Some(a) => format!("/api/v1/grids/{grid}/residents?limit=100&after={a}"),
        };
        let (status, page) = app.get_json(&uri).await;
        assert_eq!(status, StatusCode::OK);
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 100);
        for r in items {
            seen.push(r["id"].as_str().unwrap().to_owned());
            // pseudonymous: no home, no conditions, no birth date
            for personal in ["lon", "lat", "home", "conditions", "pregnant", "birth_date"] {
                assert!(r.get(personal).is_none(), "{personal} served");
            }
        }
        match page["next"].as_str() {
            Some(n) => {
                assert_eq!(n, seen.last().unwrap());
                after = Some(n.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), want);
    assert_eq!(
        pages,
        want.div_ceil(100),
        "the last page is the last full or partial one"
    );
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "ids ascend, no repeats"
    );
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), want);

    for bad in ["limit=0", "limit=501", "limit=x"] {
        let (status, body) = app
            .get_json(&format!("/api/v1/grids/{grid}/residents?{bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(&body), "invalid_field");
    }
    let (status, body) = app.get_json("/api/v1/grids/G-NOWHERE/residents").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
});
