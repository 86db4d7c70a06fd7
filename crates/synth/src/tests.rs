//! Checks of the whole city: geometry (tiling, validity, homes inside their grid), ids and
//! references, compliance of the consortia, and the realism of the population.

use super::*;
use crate::uscc;
use chrono::Datelike;
use geo_types::Coord;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use yilian_domain::ids::InstitutionId;
use yilian_domain::registry::{
    Capability, ConsortiumKind, Grade, InstitutionKind, Level, MemberRole, Ownership, Sex,
};

/// The demo city, built once for all tests (debug builds are slower).
fn demo() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| demo_city(&CityParams::demo()))
}

fn ring(g: &Grid) -> &[Coord<f64>] {
    assert_eq!(g.geometry.0.len(), 1, "{}: one polygon", g.id);
    let poly = &g.geometry.0[0];
    assert!(poly.interiors().is_empty(), "{}: no holes", g.id);
    &poly.exterior().0
}

/// Twice the signed area (shoelace), degrees².
fn shoelace(r: &[Coord<f64>]) -> f64 {
    r.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum()
}

fn orient(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

/// Segments `ab` and `cd` cross or touch (collinear overlap included).
fn touch(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let (d1, d2) = (orient(a, b, c), orient(a, b, d));
    let (d3, d4) = (orient(c, d, a), orient(c, d, b));
    let on = |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| {
        r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
    };
    if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
        return true;
    }
    (d1 == 0.0 && on(a, b, c))
        || (d2 == 0.0 && on(a, b, d))
        || (d3 == 0.0 && on(c, d, a))
        || (d4 == 0.0 && on(c, d, b))
}

/// Segments `ab` and `cd` cross at a point interior to both.
fn cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    orient(a, b, c) * orient(a, b, d) < 0.0 && orient(c, d, a) * orient(c, d, b) < 0.0
}

/// Crossing-number point-in-polygon on a closed ring.
fn inside(r: &[Coord<f64>], lon: f64, lat: f64) -> bool {
    let mut c = false;
    for w in r.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > lat) != (b.y > lat) && lon < a.x + (lat - a.y) * (b.x - a.x) / (b.y - a.y) {
            c = !c;
        }
    }
    c
}

/// Distance in metres from a point to a ring (local equirectangular scale).
fn distance_m(r: &[Coord<f64>], lon: f64, lat: f64) -> f64 {
    let kx = 96_909.0;
    let ky = 110_845.0;
    let mut best = f64::INFINITY;
    for w in r.windows(2) {
        let (ax, ay) = ((w[0].x - lon) * kx, (w[0].y - lat) * ky);
        let (bx, by) = ((w[1].x - lon) * kx, (w[1].y - lat) * ky);
        let (dx, dy) = (bx - ax, by - ay);
        let t = (-(ax * dx + ay * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        best = best.min((ax + t * dx).hypot(ay + t * dy));
    }
    best
}

/// A vertex as exact bits, for exact matching of shared borders.
type Key = (u64, u64);

fn key(c: Coord<f64>) -> Key {
    (c.x.to_bits(), c.y.to_bits())
}

/// Checks that the grids are valid polygons tiling one outline; returns the vertex count.
fn check_tiling(city: &City) -> usize {
    let grids = &city.registry.grids;
    let mut segments: BTreeMap<(Key, Key), usize> = BTreeMap::new();
    let mut total = 0.0;
    let mut vertices = 0;
    for (gi, g) in grids.iter().enumerate() {
        let r = ring(g);
        vertices += r.len();
        // four edges of at least 30 vertices, sharing their ends
        assert!(r.len() > 4 * 29, "{}: {} vertices", g.id, r.len());
        assert_eq!(r.first(), r.last(), "{}: ring closed", g.id);
        for c in r {
            assert_eq!(plane::round_to(c.x, 7), c.x, "{}: 7 decimals", g.id);
            assert_eq!(plane::round_to(c.y, 7), c.y, "{}: 7 decimals", g.id);
        }
        let area = shoelace(r);
        assert!(area > 0.0, "{}: counter-clockwise", g.id);
        total += area;
        // simple: no two non-adjacent segments touch
        let n = r.len() - 1;
        for i in 0..n {
            for j in i + 2..n {
                if i == 0 && j == n - 1 {
                    continue;
                }
                assert!(
                    !touch(r[i], r[i + 1], r[j], r[j + 1]),
                    "{}: segments {i} and {j} touch",
                    g.id
                );
            }
        }
        for w in r.windows(2) {
            assert_ne!(w[0], w[1], "{}: repeated vertex", g.id);
            let prev = segments.insert((key(w[0]), key(w[1])), gi);
            assert!(
                prev.is_none(),
                "{}: segment used twice in one direction",
                g.id
            );
        }
    }
    // every segment is either shared, reversed, with exactly one other grid, or on the outline
    let mut outline: BTreeMap<Key, Key> = BTreeMap::new();
    for (&(a, b), &gi) in &segments {
        match segments.get(&(b, a)) {
            Some(&other) => assert_ne!(other, gi, "a grid borders itself"),
            None => assert!(outline.insert(a, b).is_none(), "outline branches"),
        }
    }
    // the outline is one ring, whose area is the sum of the grids' areas
    let start = *outline.keys().next().expect("an outline");
    let mut ring_out = vec![start];
    let mut at = start;
    loop {
        at = outline[&at];
        ring_out.push(at);
        if at == start {
            break;
        }
        assert!(
            ring_out.len() <= outline.len() + 1,
            "outline does not close"
        );
    }
    assert_eq!(
        ring_out.len(),
        outline.len() + 1,
        "outline is more than one ring"
    );
    let coords: Vec<Coord<f64>> = ring_out
        .iter()
        .map(|&(x, y)| Coord {
            x: f64::from_bits(x),
            y: f64::from_bits(y),
        })
        .collect();
    let outer = shoelace(&coords);
    assert!(
        (total - outer).abs() < 1e-9 * outer,
        "areas {total} vs outline {outer}"
    );
    // no segment of one grid crosses a segment of another
    let all: Vec<(usize, Coord<f64>, Coord<f64>)> = grids
        .iter()
        .enumerate()
        .flat_map(|(gi, g)| ring(g).windows(2).map(move |w| (gi, w[0], w[1])))
        .collect();
    for (i, &(ga, a, b)) in all.iter().enumerate() {
        for &(gb, c, d) in &all[i + 1..] {
            if ga != gb {
                assert!(!cross(a, b, c, d), "grids {ga} and {gb} cross");
            }
        }
    }
    // the city is about 40 × 30 km
    let km2 = outer / 2.0 * 96.909 * 110.845;
    assert!((900.0..1600.0).contains(&km2), "city area {km2} km²");
    vertices
}

#[test]
fn same_params_same_city() {
    let p = CityParams {
        seed: 11,
        residents: 5_000,
        grids: 8,
    };
    let a = demo_city(&p);
    assert_eq!(a, demo_city(&p));
    let b = demo_city(&CityParams { seed: 12, ..p });
    assert_ne!(a.registry.grids, b.registry.grids);
    // institutions do not depend on how many residents are drawn
    let c = demo_city(&CityParams { residents: 50, ..p });
    assert_eq!(a.registry.institutions, c.registry.institutions);
    assert_eq!(a.registry.consortia, c.registry.consortia);
}

#[test]
fn demo_grids_tile_the_city() {
    let city = demo();
    assert_eq!(city.registry.grids.len(), 8);
    check_tiling(city);
}

#[test]
fn other_layouts_tile_too() {
    for (seed, grids) in [(1, 1), (2, 2), (3, 3), (4, 5), (5, 13), (6, 24), (7, 40)] {
        let city = demo_city(&CityParams {
            seed,
            residents: 500,
            grids,
        });
        assert_eq!(city.registry.grids.len(), grids as usize);
        check_tiling(&city);
        check_homes(&city, 1);
        check_references(&city);
        check_compliance(&city);
    }
}

/// Every `step`-th resident lies inside exactly its grid, at least 30 m from its border.
fn check_homes(city: &City, step: usize) {
    let grids = &city.registry.grids;
    let boxes: Vec<(f64, f64, f64, f64)> = grids
        .iter()
        .map(|g| {
            ring(g)
                .iter()
                .fold((f64::MAX, f64::MAX, f64::MIN, f64::MIN), |b, c| {
                    (b.0.min(c.x), b.1.min(c.y), b.2.max(c.x), b.3.max(c.y))
                })
        })
        .collect();
    let containing = |lon: f64, lat: f64| -> Vec<usize> {
        (0..grids.len())
            .filter(|&i| {
                let b = boxes[i];
                lon >= b.0
                    && lon <= b.2
                    && lat >= b.1
                    && lat <= b.3
                    && inside(ring(&grids[i]), lon, lat)
            })
            .collect()
    };
    for r in city.residents.iter().step_by(step) {
        let (lon, lat) = (r.home.lon(), r.home.lat());
        let hits = containing(lon, lat);
        assert_eq!(hits.len(), 1, "{} lies in {hits:?}", r.id);
        let g = &grids[hits[0]];
        assert_eq!(r.grid_id.as_ref(), Some(&g.id), "{}", r.id);
        let d = distance_m(ring(g), lon, lat);
        assert!(d >= 30.0, "{} is {d:.1} m from its grid's border", r.id);
    }
    for inst in &city.registry.institutions {
        let loc = inst.location.expect("located");
        let hits = containing(loc.lon(), loc.lat());
        assert_eq!(hits.len(), 1, "{} lies in {hits:?}", inst.name);
        if let Some(gid) = &inst.grid_id {
            assert_eq!(&grids[hits[0]].id, gid, "{}", inst.name);
        }
    }
}

#[test]
fn residents_lie_in_their_grid() {
    let city = demo();
    assert_eq!(city.residents.len(), 100_000);
    check_homes(city, 1);
    let counted: u64 = city
        .registry
        .grids
        .iter()
        .filter_map(|g| g.population)
        .sum();
    assert_eq!(counted, 100_000);
    for g in &city.registry.grids {
        let n = city
            .residents
            .iter()
            .filter(|r| r.grid_id.as_ref() == Some(&g.id))
            .count() as u64;
        assert_eq!(g.population, Some(n), "{}", g.id);
    }
}

fn check_references(city: &City) {
    let reg = &city.registry;
    fn unique<'a>(ids: Vec<&'a str>, what: &str) -> BTreeSet<&'a str> {
        let n = ids.len();
        let set: BTreeSet<&str> = ids.into_iter().collect();
        assert_eq!(set.len(), n, "{what} ids unique");
        set
    }
    let grids = unique(reg.grids.iter().map(|g| g.id.as_str()).collect(), "grid");
    let insts = unique(
        reg.institutions.iter().map(|i| i.id.as_str()).collect(),
        "institution",
    );
    let cons = unique(
        reg.consortia.iter().map(|c| c.id.as_str()).collect(),
        "consortium",
    );
    let teams = unique(reg.teams.iter().map(|t| t.id.as_str()).collect(), "team");
    unique(
        city.residents.iter().map(|r| r.id.as_str()).collect(),
        "resident",
    );
    unique(
        reg.grids.iter().map(|g| g.name.as_str()).collect(),
        "grid name",
    );
    unique(
        reg.institutions.iter().map(|i| i.name.as_str()).collect(),
        "institution name",
    );
    unique(
        reg.consortia.iter().map(|c| c.name.as_str()).collect(),
        "consortium name",
    );
    for i in &reg.institutions {
        assert!(
            i.grid_id
                .as_ref()
                .is_none_or(|g| grids.contains(g.as_str())),
            "{}",
            i.name
        );
        assert!(uscc::is_valid(i.id.as_str()), "{}: {}", i.name, i.id);
    }
    for c in &reg.consortia {
        assert!(insts.contains(c.lead.as_str()));
        assert!(
            c.grid_id
                .as_ref()
                .is_none_or(|g| grids.contains(g.as_str()))
        );
    }
    let mut seen = BTreeSet::new();
    for m in &reg.memberships {
        assert!(cons.contains(m.consortium_id.as_str()));
        assert!(insts.contains(m.institution_id.as_str()));
        assert!(
            seen.insert((&m.consortium_id, &m.institution_id)),
            "membership listed twice"
        );
    }
    let host_grid: BTreeMap<&str, Option<&GridId>> = reg
        .teams
        .iter()
        .map(|t| {
            let inst = reg
                .institution(&t.institution_id)
                .expect("team host exists");
            assert!(
                inst.kind.is_primary_care(),
                "{} is hosted by primary care",
                t.name
            );
            (t.id.as_str(), inst.grid_id.as_ref())
        })
        .collect();
    for r in &city.residents {
        let g = r.grid_id.as_ref().expect("every home is in a grid");
        assert!(grids.contains(g.as_str()));
        if let Some(t) = &r.team_id {
            assert!(teams.contains(t.as_str()), "{}", r.id);
            assert_eq!(
                host_grid[t.as_str()],
                Some(g),
                "{} signed in its own grid",
                r.id
            );
            assert!(
                r.signed_on
                    .is_some_and(|d| d < AS_OF && Some(d) >= r.birth_date)
            );
        } else {
            assert!(r.signed_on.is_none());
        }
    }
    // lists are sorted by id, as Registry::sort leaves them
    assert!(reg.institutions.windows(2).all(|w| w[0].id < w[1].id));
    assert!(city.residents.windows(2).all(|w| w[0].id < w[1].id));
}

#[test]
fn ids_are_unique_and_references_resolve() {
    check_references(demo());
}

fn check_compliance(city: &City) {
    let reg = &city.registry;
    let inst = |id| reg.institution(id).expect("resolves");
    // GRID-3: exactly one urban group per grid
    for g in &reg.grids {
        let n = reg
            .consortia
            .iter()
            .filter(|c| {
                c.kind == ConsortiumKind::UrbanMedicalGroup && c.grid_id.as_ref() == Some(&g.id)
            })
            .count();
        assert_eq!(n, 1, "{} has {n} urban groups", g.id);
    }
    for c in &reg.consortia {
        let rows: Vec<_> = reg.members_of(&c.id, None).collect();
        let leads: Vec<_> = rows.iter().filter(|m| m.role == MemberRole::Lead).collect();
        assert_eq!(leads.len(), 1, "{} has one lead", c.name);
        assert_eq!(leads[0].institution_id, c.lead);
        for m in &rows {
            assert_eq!(m.validity.from, c.founded_on);
            assert_eq!(m.validity.to, None);
        }
        // COMP-8, COMP-9
        let (f, filed, ev) = (
            c.founded_on.expect("founded"),
            c.filed_on.expect("filed"),
            c.evaluated_on.expect("evaluated"),
        );
        assert_eq!(f.year(), 2023);
        assert!((3..=14).contains(&(filed - f).num_days()), "{}", c.name);
        assert!(
            ev < AS_OF && (AS_OF - ev).num_days() <= 365 && ev > filed,
            "{}",
            c.name
        );
        let lead = inst(&c.lead);
        let members: Vec<_> = rows
            .iter()
            .filter(|m| m.role == MemberRole::Member)
            .collect();
        match c.kind {
            ConsortiumKind::UrbanMedicalGroup => {
                // COMP-1, COMP-7
                assert_eq!(lead.level, Level::TIER3);
                assert_eq!(lead.grade, Some(Grade::Jia));
                assert_eq!(lead.kind, InstitutionKind::GeneralHospital);
                assert_eq!(lead.grid_id, c.grid_id);
                assert_eq!(c.name, format!("{}医疗集团", lead.name));
                for cap in [
                    Capability::SharedImaging,
                    Capability::SharedLab,
                    Capability::SharedEcg,
                    Capability::SharedPathology,
                    Capability::TelemedicineHub,
                    Capability::FeverClinic,
                ] {
                    assert!(lead.capabilities.contains(&cap), "{}: {cap}", lead.name);
                }
                // COMP-2: a tier-2 general hospital among the members, all from the grid
                assert!(members.iter().any(|m| {
                    let i = inst(&m.institution_id);
                    i.level == Level::TIER2 && i.kind == InstitutionKind::GeneralHospital
                }));
                for m in &members {
                    assert_eq!(inst(&m.institution_id).grid_id, c.grid_id);
                }
                // Chongqing 2018: a community health service institution too
                assert!(members.iter().any(|m| {
                    inst(&m.institution_id).kind == InstitutionKind::CommunityHealthCenter
                }));
                // COMP-6: collaborators are city-wide tier-3 hospitals
                let collab: Vec<_> = rows
                    .iter()
                    .filter(|m| m.role == MemberRole::Collaborator)
                    .collect();
                assert!((1..=2).contains(&collab.len()));
                for m in collab {
                    let i = inst(&m.institution_id);
                    assert!(i.grid_id.is_none() && i.level == Level::TIER3);
                }
            }
            ConsortiumKind::SpecialtyAlliance => {
                assert!(c.grid_id.is_none());
                assert_eq!(lead.level, Level::TIER3);
                assert!(members.len() >= 20, "{}: {} members", c.name, members.len());
                assert!(c.name.starts_with("重庆市") && c.name.ends_with("专科联盟"));
            }
            ConsortiumKind::TelemedicineNetwork => {
                assert!(c.grid_id.is_none());
                assert!(lead.capabilities.contains(&Capability::TelemedicineHub));
                assert_eq!(c.name, format!("{}远程医疗协作网", lead.name));
                let covered: BTreeSet<_> = members.iter().map(|m| &m.institution_id).collect();
                for i in &reg.institutions {
                    if matches!(
                        i.kind,
                        InstitutionKind::CommunityHealthCenter
                            | InstitutionKind::TownshipHealthCenter
                    ) {
                        assert!(
                            covered.contains(&i.id),
                            "{} covered by telemedicine",
                            i.name
                        );
                    }
                }
            }
            ConsortiumKind::CountyMedicalCommunity => {
                panic!("no county communities in a main city")
            }
        }
    }
    // every institution of a grid belongs to its group, except private non-members
    for i in &reg.institutions {
        let Some(g) = &i.grid_id else { continue };
        let group = reg
            .consortia
            .iter()
            .find(|c| c.kind == ConsortiumKind::UrbanMedicalGroup && c.grid_id.as_ref() == Some(g))
            .expect("a group per grid");
        let is_in = reg
            .members_of(&group.id, None)
            .any(|m| m.institution_id == i.id);
        let private_hospital = i.ownership == Ownership::Private && !i.kind.is_primary_care();
        assert!(
            is_in || private_hospital,
            "{} outside its grid's group",
            i.name
        );
    }
}

#[test]
fn consortia_comply_with_national_defaults() {
    let city = demo();
    check_compliance(city);
    let kinds: Vec<ConsortiumKind> = city.registry.consortia.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ConsortiumKind::UrbanMedicalGroup)
            .count(),
        8
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ConsortiumKind::SpecialtyAlliance)
            .count(),
        2
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ConsortiumKind::TelemedicineNetwork)
            .count(),
        1
    );
}

#[test]
fn institutions_look_real() {
    let reg = &demo().registry;
    let n = reg.institutions.len();
    assert!((250..=400).contains(&n), "{n} institutions");
    let count = |k: InstitutionKind| reg.institutions.iter().filter(|i| i.kind == k).count();
    assert!(count(InstitutionKind::CommunityHealthCenter) >= 40);
    assert!(count(InstitutionKind::TownshipHealthCenter) >= 8);
    assert!(count(InstitutionKind::VillageClinic) >= 30);
    assert_eq!(count(InstitutionKind::Cdc), 1);
    assert!(
        reg.institutions
            .iter()
            .filter(|i| i.grid_id.is_none())
            .count()
            == 10
    );
    let designated: Vec<_> = reg
        .institutions
        .iter()
        .filter(|i| i.capabilities.contains(&Capability::DesignatedCovid))
        .collect();
    assert!(
        designated
            .iter()
            .any(|i| i.name == "重庆市公共卫生医疗救治中心")
    );
    for i in &reg.institutions {
        let (beds, slots) = (i.beds, i.outpatient_slots_per_day);
        match i.level.get() {
            3 => assert!(beds >= 700 && i.icu_beds > 0, "{}", i.name),
            _ if i.kind == InstitutionKind::VillageClinic
                || i.kind == InstitutionKind::CommunityHealthStation =>
            {
                assert!(beds == 0 && (10..=150).contains(&slots), "{}", i.name)
            }
            _ => assert!(beds <= 1000 && i.icu_beds <= beds / 10, "{}", i.name),
        }
        let mut sorted = i.capabilities.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, i.capabilities);
    }
    // teams: 3–8 per community health centre, named after the head GP, 4–9 members
    let mut per_host: BTreeMap<&InstitutionId, usize> = BTreeMap::new();
    for t in &reg.teams {
        *per_host.entry(&t.institution_id).or_default() += 1;
        assert!((4..=9).contains(&t.members));
        assert!(t.name.ends_with("家庭医生团队"));
    }
    for i in &reg.institutions {
        let k = per_host.get(&i.id).copied().unwrap_or(0);
        match i.kind {
            InstitutionKind::CommunityHealthCenter => assert!((3..=8).contains(&k)),
            InstitutionKind::TownshipHealthCenter => assert!((2..=6).contains(&k)),
            InstitutionKind::CommunityHealthStation => assert!(k <= 2),
            _ => assert_eq!(k, 0),
        }
    }
}

#[test]
fn population_looks_real() {
    let rs = &demo().residents;
    let n = rs.len() as f64;
    let age = |r: &Resident| {
        AS_OF
            .years_since(r.birth_date.expect("born"))
            .expect("born before")
    };
    let share = |f: &dyn Fn(&Resident) -> bool| rs.iter().filter(|r| f(r)).count() as f64 / n;
    let old = share(&|r| age(r) >= 65);
    assert!((0.14..0.19).contains(&old), "65+ {old}");
    let has = |code: &'static str| move |r: &Resident| r.conditions.iter().any(|c| c == code);
    let htn = share(&has("I10"));
    let dm = share(&has("E11"));
    assert!((0.17..0.24).contains(&htn), "I10 {htn}");
    assert!((0.06..0.10).contains(&dm), "E11 {dm}");
    for code in ["J44", "I25", "I69", "N18"] {
        let s = share(&has(code));
        assert!(s > 0.003 && s < htn / 2.0, "{code} {s}");
    }
    let male = share(&|r| r.sex == Sex::M);
    assert!((0.49..0.52).contains(&male));
    for r in rs.iter().filter(|r| r.pregnant) {
        assert!(r.sex == Sex::F && (20..40).contains(&age(r)), "{}", r.id);
    }
    let key: Vec<&Resident> = rs
        .iter()
        .filter(|r| age(r) >= 65 || !r.conditions.is_empty() || r.pregnant)
        .collect();
    let signed = key.iter().filter(|r| r.team_id.is_some()).count() as f64 / key.len() as f64;
    assert!((0.32..0.38).contains(&signed), "key signed {signed}");
    // clustered: the densest grid holds several times the sparsest's residents
    let pops: Vec<u64> = demo()
        .registry
        .grids
        .iter()
        .filter_map(|g| g.population)
        .collect();
    let (lo, hi) = (
        pops.iter().min().copied().unwrap_or(0),
        pops.iter().max().copied().unwrap_or(0),
    );
    assert!(hi >= 2 * lo, "populations {pops:?}");
}

#[test]
fn grids_are_named_after_districts() {
    for g in &demo().registry.grids {
        let code = g.division_code.as_deref().expect("coded");
        let (district, _, _, _) = DISTRICTS
            .iter()
            .find(|d| d.1 == code)
            .expect("a main-city district");
        assert!(
            g.name.starts_with(district) && g.name.contains("网格"),
            "{}",
            g.name
        );
        assert!(g.id.as_str().starts_with(&format!("G{code}")) && g.id.as_str().len() == 9);
    }
}

#[test]
fn params_are_checked() {
    assert!(CityParams::demo().check().is_ok());
    assert_eq!(
        CityParams {
            grids: 0,
            ..CityParams::demo()
        }
        .check(),
        Err(ParamsError::Grids(0))
    );
    assert_eq!(
        CityParams {
            grids: 41,
            ..CityParams::demo()
        }
        .check(),
        Err(ParamsError::Grids(41))
    );
    assert!(
        CityParams {
            residents: 0,
            ..CityParams::demo()
        }
        .check()
        .is_ok()
    );
    let empty = demo_city(&CityParams {
        seed: 1,
        residents: 0,
        grids: 2,
    });
    assert!(empty.residents.is_empty());
    assert!(empty.registry.grids.iter().all(|g| g.population == Some(0)));
}

/// A sweep of layouts (seeds × 1–40 grids) through every geometric and registry check.
/// `YILIAN_SWEEP_SEEDS=60` widens it (720 layouts, about half a minute in release) after
/// touching the geometry.
#[test]
fn sweep_of_layouts() {
    let seeds: u64 = std::env::var("YILIAN_SWEEP_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    for seed in 0..seeds {
        for grids in [1u32, 2, 4, 6, 8, 9, 10, 12, 17, 20, 31, 40] {
            let city = demo_city(&CityParams {
                seed: seed * 7919 + u64::from(grids),
                residents: 3000,
                grids,
            });
            check_tiling(&city);
            check_homes(&city, 1);
            check_references(&city);
            check_compliance(&city);
            let n = city.registry.institutions.len();
            assert!(n > 50, "{n}");
        }
    }
}
