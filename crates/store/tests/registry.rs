//! Store tests: each body runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use chrono::{NaiveDate, TimeZone, Utc};
use geo_types::{MultiPolygon, polygon};
use yilian_domain::ids::{ConsortiumId, GridId, InstitutionId, ResidentId};
use yilian_domain::registry::*;
use yilian_store::event::{NewEvent, append, read_after};
use yilian_store::registry::*;
use yilian_store::{Store, dbtest};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn small_registry() -> Registry {
    let square = |x: f64| {
        MultiPolygon(vec![
            polygon![(x: x, y: 29.0), (x: x + 0.1, y: 29.0), (x: x + 0.1, y: 29.1), (x: x, y: 29.1), (x: x, y: 29.0)],
        ])
    };
    let grid = |id: &str, x: f64| Grid {
        id: GridId::parse(id).unwrap(),
        name: format!("网格{id}"),
        division_code: Some("500103".into()),
        population: Some(10),
        geometry: square(x),
        validity: Validity::default(),
    };
    let inst = |id: &str, level: i64, kind: InstitutionKind| Institution {
        id: InstitutionId::parse(id).unwrap(),
        name: format!("机构{id}"),
        kind,
        level: Level::new(level).unwrap(),
        grade: Some(Grade::Jia),
        ownership: Ownership::Public,
        grid_id: Some(GridId::parse("G1").unwrap()),
        location: Some(LonLat::new(106.05, 29.05).unwrap()),
        beds: 800,
        icu_beds: 20,
        outpatient_slots_per_day: 3000,
        capabilities: vec![Capability::Icu, Capability::SharedLab],
    };
    let mut r = Registry {
        grids: vec![grid("G1", 106.0), grid("G2", 106.1)],
        institutions: vec![
            inst("H1", 3, InstitutionKind::GeneralHospital),
            inst("C1", 1, InstitutionKind::CommunityHealthCenter),
        ],
        consortia: vec![Consortium {
            id: ConsortiumId::parse("K1").unwrap(),
            name: "机构H1医疗集团".into(),
            kind: ConsortiumKind::UrbanMedicalGroup,
            grid_id: Some(GridId::parse("G1").unwrap()),
            lead: InstitutionId::parse("H1").unwrap(),
            founded_on: Some(day("2023-07-01")),
            filed_on: Some(day("2023-07-10")),
            evaluated_on: None,
        }],
        memberships: vec![
            Membership {
                consortium_id: ConsortiumId::parse("K1").unwrap(),
                institution_id: InstitutionId::parse("H1").unwrap(),
                role: MemberRole::Lead,
                validity: Validity::new(Some(day("2023-07-01")), None).unwrap(),
            },
            Membership {
                consortium_id: ConsortiumId::parse("K1").unwrap(),
                institution_id: InstitutionId::parse("C1").unwrap(),
                role: MemberRole::Member,
                validity: Validity::default(),
            },
        ],
        teams: vec![],
    };
    r.sort();
    r
}

fn resident(id: &str, lon: f64, grid: Option<&str>) -> Resident {
    Resident {
        id: ResidentId::parse(id).unwrap(),
        sex: Sex::F,
        birth_date: Some(day("1950-02-03")),
        home: LonLat::new(lon, 29.05).unwrap(),
        conditions: vec!["I10".into(), "E11".into()],
        pregnant: false,
        grid_id: grid.map(|g| GridId::parse(g).unwrap()),
        team_id: None,
        signed_on: None,
    }
}

async fn write(store: &Store, registry: &Registry) -> Changes {
    let mut tx = store.begin().await.unwrap();
    let c = upsert_registry(&mut tx, registry).await.unwrap();
    tx.commit().await.unwrap();
    c
}

dbtest!(registry_round_trips_and_repeat_changes_nothing, |store| {
    let reg = small_registry();
    let first = write(&store, &reg).await;
    assert_eq!(
        (
            first.grids,
            first.institutions,
            first.consortia,
            first.memberships
        ),
        (2, 2, 1, 2)
    );
    assert_eq!(load_registry(&store).await.unwrap(), reg);
    assert!(
        write(&store, &reg).await.is_empty(),
        "a repeated write changes nothing"
    );

    let mut changed = reg.clone();
    changed.institutions[0].beds = 801;
    let c = write(&store, &changed).await;
    assert_eq!(c.institutions, 1);
    assert_eq!(c.grids + c.consortia + c.memberships, 0);
});

dbtest!(a_consortium_has_one_lead_in_the_database, |store| {
    let mut reg = small_registry();
    write(&store, &reg).await;
    reg.memberships[0].role = MemberRole::Lead; // C1 as a second lead
    reg.memberships[0].institution_id = InstitutionId::parse("C1").unwrap();
    let mut tx = store.begin().await.unwrap();
    let err = put_consortium(
        &mut tx,
        &reg.consortia[0],
        &[
            reg.memberships[0].clone(),
            small_registry().memberships[1].clone(),
        ],
    )
    .await;
    assert!(err.is_err(), "two leads must be refused: {err:?}");
    tx.rollback().await.unwrap();
    assert_eq!(
        load_registry(&store).await.unwrap(),
        small_registry(),
        "a failed write changes nothing"
    );
});

dbtest!(residents_page_by_grid_and_regrid, |store| {
    write(&store, &small_registry()).await;
    let rs: Vec<Resident> = (0..2500)
        .map(|k| {
            resident(
                &format!("R{k:05}"),
                if k % 2 == 0 { 106.05 } else { 106.15 },
                None,
            )
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(upsert_residents(&mut tx, &rs).await.unwrap(), 2500);
    let grids: Vec<(String, Option<String>)> = rs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            (
                r.id.to_string(),
                Some(if k % 2 == 0 { "G1" } else { "G2" }.to_owned()),
            )
        })
        .collect();
    assert_eq!(set_resident_grids(&mut tx, &grids).await.unwrap(), 2500);
    assert_eq!(
        set_resident_grids(&mut tx, &grids).await.unwrap(),
        0,
        "unchanged grids are not rewritten"
    );
    tx.commit().await.unwrap();

    let g1 = GridId::parse("G1").unwrap();
    let page = residents_page(&store, grid_filter(&g1), None, 100)
        .await
        .unwrap();
    assert_eq!(page.len(), 100);
    assert!(page.iter().all(|r| r.grid_id.as_ref() == Some(&g1)));
    let next = residents_page(&store, grid_filter(&g1), Some(page[99].id.as_str()), 2000)
        .await
        .unwrap();
    assert_eq!(next.len(), 1150);
    assert_eq!(page[0].conditions, vec!["I10", "E11"]);
    assert_eq!(
        residents_per_grid(&store).await.unwrap(),
        vec![(Some("G1".into()), 1250), (Some("G2".into()), 1250)]
    );
});

dbtest!(events_append_in_sequence_per_stream, |store| {
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap();
    let mut tx = store.begin().await.unwrap();
    for k in 0..3 {
        let e = NewEvent {
            stream: "registry".into(),
            kind: "RegistryImported",
            version: 1,
            payload: serde_json::json!({"k": k}),
            actor: "cli:test".into(),
            at,
        };
        append(&mut tx, &e).await.unwrap();
    }
    tx.commit().await.unwrap();
    let events = read_after(&store, 0, 10).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.stream_seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(events[2].payload, serde_json::json!({"k": 2}));
    assert_eq!(events[0].at, at);
    assert_eq!(
        read_after(&store, events[1].event_id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
});

fn grid_filter(g: &GridId) -> yilian_store::registry::ResidentFilter<'_> {
    yilian_store::registry::ResidentFilter {
        grid: Some(g),
        team: None,
    }
}
