//! The violation fixtures (`tests/fixtures/violations*/`) audited end to end, with a
//! test-only reader: the CSV cells hold no quotes or commas and every grid is an
//! axis-aligned rectangle, so a few lines stand in for the csv/geojson crates and the
//! geometry engine, which this pure crate does not depend on. The real end-to-end test
//! (importer + geometry engine) compares against the same `expected.json`.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use super::*;
use crate::ids::{ConsortiumId, GridId, InstitutionId, ResidentId};
use crate::registry::{
    Capability, Consortium, ConsortiumKind, Grade, Grid, Institution, InstitutionKind, Level,
    LonLat, MemberRole, Membership, Ownership, Registry, Validity,
};
use chrono::NaiveDate;
use geo_types::{MultiPolygon, Polygon, Rect, coord};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

struct Fixture {
    grids: &'static str,
    institutions: &'static str,
    consortia: &'static str,
    memberships: &'static str,
    residents: &'static str,
    expected: &'static str,
}

macro_rules! fixture {
    ($dir:literal) => {
        Fixture {
            grids: include_str!(concat!(
                "../../../../tests/fixtures/",
                $dir,
                "/grids.geojson"
            )),
            institutions: include_str!(concat!(
                "../../../../tests/fixtures/",
                $dir,
                "/institutions.csv"
            )),
            consortia: include_str!(concat!(
                "../../../../tests/fixtures/",
                $dir,
                "/consortia.csv"
            )),
            memberships: include_str!(concat!(
                "../../../../tests/fixtures/",
                $dir,
                "/memberships.csv"
            )),
            residents: include_str!(concat!(
                "../../../../tests/fixtures/",
                $dir,
                "/residents.csv"
            )),
            expected: include_str!(concat!(
                "../../../../tests/fixtures/",
                $dir,
                "/expected.json"
            )),
        }
    };
}

/// The day and profile the fixtures' README states.
const TODAY: &str = "2025-06-30";
const PROFILE: &str = "national";

fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            assert!(
                !line.contains('"'),
                "the test reader takes no quoted cells: {line}"
            );
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{line}");
            header
                .iter()
                .map(|h| h.to_string())
                .zip(cells.iter().map(|c| c.to_string()))
                .collect()
        })
        .collect()
}

fn opt(row: &BTreeMap<String, String>, col: &str) -> Option<String> {
    row.get(col).filter(|v| !v.is_empty()).cloned()
}

fn date(row: &BTreeMap<String, String>, col: &str) -> Option<NaiveDate> {
    opt(row, col).map(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").unwrap())
}

#[derive(Deserialize)]
struct FeatureCollection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Props,
    geometry: Geometry,
}

#[derive(Deserialize)]
struct Props {
    grid_id: String,
    name: String,
    division_code: Option<String>,
    population: Option<u64>,
}

#[derive(Deserialize)]
struct Geometry {
    coordinates: Vec<Vec<[f64; 2]>>,
}

#[derive(Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    rule: String,
    subject_kind: String,
    subject_id: String,
    severity: String,
}

fn load(f: &Fixture) -> (Registry, GeoFacts) {
    let fc: FeatureCollection = serde_json::from_str(f.grids).unwrap();
    let mut rects = Vec::new();
    let mut grids = Vec::new();
    for feat in fc.features {
        let ring = &feat.geometry.coordinates[0];
        let (xs, ys): (Vec<f64>, Vec<f64>) = ring.iter().map(|p| (p[0], p[1])).unzip();
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let rect = Rect::new(
            coord! { x: min(&xs), y: min(&ys) },
            coord! { x: max(&xs), y: max(&ys) },
        );
        assert_eq!(ring.len(), 5, "the test reader takes rectangles only");
        let id = GridId::parse(&feat.properties.grid_id).unwrap();
        rects.push((id.clone(), rect));
        grids.push(Grid {
            id,
            name: feat.properties.name,
            division_code: feat.properties.division_code,
            population: feat.properties.population,
            geometry: MultiPolygon::new(vec![Polygon::from(rect)]),
            validity: Validity::default(),
        });
    }
    let institutions = rows(f.institutions)
        .iter()
        .map(|r| Institution {
            id: InstitutionId::parse(&r["institution_id"]).unwrap(),
            name: r["name"].clone(),
            kind: InstitutionKind::parse(&r["kind"]).unwrap(),
            level: Level::new(r["level"].parse().unwrap()).unwrap(),
            grade: opt(r, "grade").map(|g| Grade::parse(&g).unwrap()),
            ownership: Ownership::parse(&r["ownership"]).unwrap(),
            grid_id: opt(r, "grid_id").map(|g| GridId::parse(&g).unwrap()),
            location: Some(
                LonLat::new(r["lon"].parse().unwrap(), r["lat"].parse().unwrap()).unwrap(),
            ),
            beds: r["beds"].parse().unwrap(),
            icu_beds: r["icu_beds"].parse().unwrap(),
            outpatient_slots_per_day: r["outpatient_slots_per_day"].parse().unwrap(),
            capabilities: opt(r, "capabilities")
                .map(|c| {
                    c.split(';')
                        .map(|c| Capability::parse(c).unwrap())
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let consortia = rows(f.consortia)
        .iter()
        .map(|r| Consortium {
            id: ConsortiumId::parse(&r["consortium_id"]).unwrap(),
            name: r["name"].clone(),
            kind: ConsortiumKind::parse(&r["kind"]).unwrap(),
            grid_id: opt(r, "grid_id").map(|g| GridId::parse(&g).unwrap()),
            lead: InstitutionId::parse(&r["lead_institution_id"]).unwrap(),
            founded_on: date(r, "founded_on"),
            filed_on: date(r, "filed_on"),
            evaluated_on: date(r, "evaluated_on"),
        })
        .collect();
    let memberships = rows(f.memberships)
        .iter()
        .map(|r| Membership {
            consortium_id: ConsortiumId::parse(&r["consortium_id"]).unwrap(),
            institution_id: InstitutionId::parse(&r["institution_id"]).unwrap(),
            role: MemberRole::parse(&r["role"]).unwrap(),
            validity: Validity::default(),
        })
        .collect();
    let mut reg = Registry {
        grids,
        institutions,
        consortia,
        memberships,
        teams: vec![],
    };
    reg.sort();

    // The geometry: rectangles, a home on a border going to the lowest grid id.
    let mut facts = GeoFacts::default();
    for r in rows(f.residents) {
        facts.total_residents += 1;
        let id = ResidentId::parse(&r["resident_id"]).unwrap();
        let (lon, lat): (f64, f64) = (r["lon"].parse().unwrap(), r["lat"].parse().unwrap());
        let inside = rects.iter().find(|(_, rect)| {
            (rect.min().x..=rect.max().x).contains(&lon)
                && (rect.min().y..=rect.max().y).contains(&lat)
        });
        match inside {
            None => facts.outside_all_grids.push(id),
            Some((grid, _)) => {
                *facts.residents_per_grid.entry(grid.clone()).or_default() += 1;
                if opt(&r, "grid_id").is_some_and(|declared| declared != grid.as_str()) {
                    facts.declared_grid_mismatch.push(id);
                }
            }
        }
    }
    for (k, (a, ra)) in rects.iter().enumerate() {
        for (b, rb) in &rects[k + 1..] {
            let w = ra.max().x.min(rb.max().x) - ra.min().x.max(rb.min().x);
            let h = ra.max().y.min(rb.max().y) - ra.min().y.max(rb.min().y);
            if w > 0.0 && h > 0.0 {
                let lat = (ra.min().y.max(rb.min().y) + h / 2.0).to_radians();
                let area_km2 = w * 111.320 * lat.cos() * h * 110.574;
                facts.overlaps.push(GridOverlap {
                    a: a.clone(),
                    b: b.clone(),
                    area_km2,
                });
            }
        }
    }
    (reg, facts)
}

fn check(f: &Fixture) -> AuditReport {
    let (reg, facts) = load(f);
    let profile = Profile::builtin(PROFILE).unwrap();
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let report = audit(&reg, &facts, &profile, today);
    let got: BTreeSet<Expected> = report
        .findings
        .iter()
        .map(|x| Expected {
            rule: x.rule.as_str().to_owned(),
            subject_kind: x.subject.kind.as_str().to_owned(),
            subject_id: x.subject.id.clone(),
            severity: x.severity.as_str().to_owned(),
        })
        .collect();
    let expected: Vec<Expected> = serde_json::from_str(f.expected).unwrap();
    let n = expected.len();
    let expected: BTreeSet<Expected> = expected.into_iter().collect();
    assert_eq!(expected.len(), n, "expected.json lists a finding twice");
    assert_eq!(
        report.findings.len(),
        got.len(),
        "two findings with the same key"
    );
    assert_eq!(got, expected, "\n{}", report.to_table(Lang::En));
    report
}

#[test]
fn violations_fixture_breaks_each_rule_once() {
    let report = check(&fixture!("violations"));
    let rules: BTreeSet<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    let all: BTreeSet<RuleId> = RuleId::ALL
        .iter()
        .copied()
        .filter(|r| {
            !matches!(
                r,
                RuleId::Grid2 | RuleId::Ref2 | RuleId::Quota1 | RuleId::Quota2 | RuleId::Ref5
            )
        })
        .collect();
    assert_eq!(rules, all);
    assert_eq!(report.findings.len(), all.len());
    // the planted numbers come through
    let by_rule = |r: RuleId| report.findings.iter().find(|f| f.rule == r).unwrap();
    assert_eq!(
        by_rule(RuleId::Grid1).figures["samples"],
        serde_json::json!(["R013"])
    );
    assert_eq!(
        by_rule(RuleId::Comp3).figures["missing"],
        serde_json::json!(["I15"])
    );
    assert_eq!(
        by_rule(RuleId::Comp8).figures["working_days_taken"],
        serde_json::json!(16)
    );
    let area = by_rule(RuleId::Grid4).figures["area_km2"].as_f64().unwrap();
    assert!((1.0..1.2).contains(&area), "{area}");
}

#[test]
fn violations_b_fixture_has_one_grid() {
    let report = check(&fixture!("violations-b"));
    assert_eq!(report.findings[0].rule, RuleId::Grid2);
}
