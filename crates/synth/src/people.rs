//! Family-doctor teams and the residents they sign (PH-2, PERF-2).
//!
//! Residents carry an age pyramid (rural older; about 16 % are 65 or over), chronic
//! conditions whose prevalence rises with age and cluster (hypertension makes diabetes,
//! heart disease and stroke likelier), pregnancy for some women of 20–39, and a signing
//! rate of about 35 % among the key populations (65+, any condition, pregnant) and 5 %
//! among the others, each with a team hosted by the primary-care institution nearest home
//! in their own grid.

use crate::AS_OF;
use crate::consortia::ymd;
use crate::geometry::Layout;
use crate::institutions::{Plan, Tier};
use crate::names::Names;
use crate::plane::{P, POINT_DECIMALS, cumulative, pick_cumulative};
use crate::population::{Class, Model};
use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use yilian_domain::ids::{GridId, ResidentId, TeamId};
use yilian_domain::registry::{InstitutionKind, LonLat, Resident, Sex, Team};

/// Institutions hosting teams in one grid: base-frame location and the teams' ids.
pub(crate) type Hosts = Vec<(P, Vec<TeamId>)>;

/// Family-doctor teams: 3–8 per community health centre, 2–6 per township health centre,
/// 0–2 per community health station, each named after its head GP. Returns the teams and,
/// per grid, the institutions hosting them.
pub(crate) fn teams(rng: &mut ChaCha8Rng, names: &Names, plan: &Plan) -> (Vec<Team>, Vec<Hosts>) {
    let mut teams = Vec::new();
    let mut used = BTreeSet::new();
    let mut hosts = vec![Vec::new(); plan.grids.len()];
    for (g, gp) in plan.grids.iter().enumerate() {
        for &i in &gp.primary {
            let inst = &plan.list[i];
            debug_assert_eq!(inst.tier, Tier::Primary);
            let n = match inst.inst.kind {
                InstitutionKind::CommunityHealthCenter => rng.random_range(3..=8),
                InstitutionKind::TownshipHealthCenter => rng.random_range(2..=6),
                InstitutionKind::CommunityHealthStation => rng.random_range(0..=2),
                _ => 0,
            };
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                let head = (0..100)
                    .map(|_| names.person(rng))
                    .find(|h| !used.contains(h))
                    .expect("BUG: 100 draws found no unused head GP name");
                used.insert(head.clone());
                let id = TeamId::parse(&format!("T{:04}", teams.len() + 1))
                    .expect("BUG: T#### is a valid id");
                teams.push(Team {
                    id: id.clone(),
                    institution_id: inst.inst.id.clone(),
                    name: format!("{head}家庭医生团队"),
                    members: rng.random_range(4..=9),
                });
                ids.push(id);
            }
            if !ids.is_empty() {
                hosts[g].push((inst.at, ids));
            }
        }
    }
    (teams, hosts)
}

/// Weights of the 5-year age bands 0–4 … 95–99, main city and outskirts (older).
const PYRAMID_URBAN: [f64; 20] = [
    4.6, 5.2, 5.0, 4.8, 6.0, 7.6, 8.8, 8.4, 7.6, 7.6, 7.4, 6.6, 5.6, 4.8, 3.4, 2.3, 1.5, 0.8, 0.3,
    0.08,
];
const PYRAMID_RURAL: [f64; 20] = [
    4.4, 5.4, 5.6, 4.6, 3.4, 3.8, 5.0, 5.6, 6.2, 7.6, 8.6, 8.6, 8.0, 7.6, 6.0, 3.9, 2.5, 1.3, 0.5,
    0.12,
];

/// Prevalence by age band (<18, 18–34, 35–44, 45–54, 55–64, 65–74, 75+).
fn by_age(age: f64, table: [f64; 7]) -> f64 {
    let k = [18.0, 35.0, 45.0, 55.0, 65.0, 75.0]
        .iter()
        .filter(|&&e| age >= e)
        .count();
    table[k]
}

/// Signing rates of key populations and of the others.
const SIGNED_KEY: f64 = 0.35;
const SIGNED_OTHER: f64 = 0.05;
/// Contracts are renewed yearly; those in force were signed in the three years before
/// [`AS_OF`].
const SIGNED_FROM: NaiveDate = ymd(2023, 11, 1);

/// Draws `n` residents with homes in the city; returns them and the count per grid.
pub(crate) fn residents(
    rng: &mut ChaCha8Rng,
    n: u32,
    model: &Model,
    layout: &Layout,
    grid_ids: &[GridId],
    hosts: &[Hosts],
) -> (Vec<Resident>, Vec<u64>) {
    let urban_cum = cumulative(PYRAMID_URBAN);
    let rural_cum = cumulative(PYRAMID_RURAL);
    let mut counts = vec![0u64; grid_ids.len()];
    let mut out = Vec::with_capacity(n as usize);
    for k in 0..n {
        let (at, class, cell) = model.home(rng, layout);
        counts[cell] += 1;
        let male = rng.random_bool(0.506);
        let band = pick_cumulative(
            rng,
            if class == Class::Urban {
                &urban_cum
            } else {
                &rural_cum
            },
        );
        let age = (band as f64 + rng.random::<f64>()) * 5.0;
        let birth = AS_OF
            .checked_sub_days(Days::new(((age * 365.25) as u64).max(1)))
            .expect("BUG: birth dates stay after 1900");

        let conditions = conditions(rng, age, male);
        let pregnant = !male
            && rng.random_bool(match age {
                a if (20.0..25.0).contains(&a) => 0.03,
                a if (25.0..30.0).contains(&a) => 0.06,
                a if (30.0..35.0).contains(&a) => 0.05,
                a if (35.0..40.0).contains(&a) => 0.025,
                _ => 0.0,
            });
        let key = age >= 65.0 || !conditions.is_empty() || pregnant;
        let signed = rng.random_bool(if key { SIGNED_KEY } else { SIGNED_OTHER });
        let (team_id, signed_on) = match nearest(&hosts[cell], at) {
            Some(teams) if signed => {
                let team = teams[rng.random_range(0..teams.len())].clone();
                let from = birth.max(SIGNED_FROM);
                let span = (AS_OF - from).num_days().max(1) as u64;
                (
                    Some(team),
                    from.checked_add_days(Days::new(rng.random_range(0..span))),
                )
            }
            _ => (None, None),
        };
        let (lon, lat) = layout.warp.lonlat(at, POINT_DECIMALS);
        out.push(Resident {
            id: ResidentId::parse(&format!("R{:07}", k + 1)).expect("BUG: R####### is a valid id"),
            sex: if male { Sex::M } else { Sex::F },
            birth_date: Some(birth),
            home: LonLat::new(lon, lat).expect("BUG: the city lies around Chongqing"),
            conditions,
            pregnant,
            grid_id: Some(grid_ids[cell].clone()),
            team_id,
            signed_on,
        });
    }
    (out, counts)
}

/// The teams of the host nearest `at`.
fn nearest(hosts: &Hosts, at: P) -> Option<&Vec<TeamId>> {
    hosts
        .iter()
        .min_by(|a, b| a.0.dist2(at).total_cmp(&b.0.dist2(at)))
        .map(|(_, t)| t)
}

/// Chronic conditions (ICD-10) by age and sex, correlated through hypertension and
/// diabetes; in a fixed order.
fn conditions(rng: &mut ChaCha8Rng, age: f64, male: bool) -> Vec<String> {
    let mut draw = |p: f64| rng.random_bool(p.clamp(0.0, 1.0));
    let htn = draw(
        by_age(age, [0.0, 0.022, 0.095, 0.225, 0.38, 0.53, 0.63]) * if male { 1.08 } else { 0.93 },
    );
    let dm = draw(
        by_age(age, [0.0005, 0.01, 0.036, 0.088, 0.15, 0.205, 0.215])
            * if htn { 1.55 } else { 0.8 },
    );
    let copd = draw(
        by_age(age, [0.0, 0.002, 0.01, 0.03, 0.06, 0.11, 0.15]) * if male { 1.4 } else { 0.6 },
    );
    let chd = draw(
        by_age(age, [0.0, 0.001, 0.006, 0.02, 0.05, 0.09, 0.14])
            * if htn || dm { 1.6 } else { 0.7 },
    );
    let stroke = draw(
        by_age(age, [0.0, 0.0005, 0.003, 0.01, 0.025, 0.05, 0.08]) * if htn { 1.7 } else { 0.6 },
    );
    let ckd = draw(
        by_age(age, [0.0005, 0.004, 0.01, 0.015, 0.025, 0.04, 0.06])
            * if htn || dm { 1.5 } else { 0.8 },
    );
    let cancer = draw(by_age(
        age,
        [0.0005, 0.001, 0.004, 0.008, 0.015, 0.025, 0.03],
    ));
    let mut out = Vec::new();
    for (has, code) in [
        (htn, "I10"),
        (dm, "E11"),
        (copd, "J44"),
        (chd, "I25"),
        (stroke, "I69"),
        (ckd, "N18"),
    ] {
        if has {
            out.push(code.to_owned());
        }
    }
    if cancer {
        let code = if !male && rng.random_bool(0.35) {
            "C50"
        } else {
            ["C34", "C16", "C18", "C22"][rng.random_range(0..4)]
        };
        out.push(code.to_owned());
    }
    out
}
