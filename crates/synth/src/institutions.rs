//! The institutions of the city: per grid a tier-3 lead hospital at the busiest spot, one to
//! three tier-2 hospitals, primary care where the people are (community health centres and
//! stations in the urban parts, township health centres at the towns, village clinics in
//! the countryside), a private hospital; and the city-wide hospitals and public-health
//! institutions that serve every grid.
//!
//! Counts follow a planned city of [`PLANNED_POPULATION`] residents (the residents drawn
//! are a sample of it), so the same seed and grid count give the same institutions whatever
//! the number of residents, and beds and slots per resident stay those of a real city.

use crate::names::{BRANDS, CITY_DIVISION, DISTRICTS, Names, cn_num};
use crate::plane::{P, POINT_DECIMALS, from_lonlat, normal};
use crate::population::{Class, Model};
use crate::{geometry::Layout, uscc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use yilian_domain::ids::{GridId, InstitutionId};
use yilian_domain::registry::{
    Capability as C, Grade, Institution, InstitutionKind as K, Level, LonLat, Ownership,
};

/// Resident population the institutions are planned for (the drawn residents are a sample
/// of it): about 200 000 per grid in the demo city, the size of a real grid.
pub(crate) const PLANNED_POPULATION: f64 = 1_600_000.0;
/// Planned urban residents per community health centre.
const URBAN_PER_CHC: f64 = 15_000.0;
/// Planned urban residents per community health station.
const URBAN_PER_STATION: f64 = 12_500.0;
/// Planned rural residents per village clinic.
const RURAL_PER_VILLAGE_CLINIC: f64 = 4_000.0;
/// A grid with this many planned rural residents and no town gets a township health
/// centre of its own.
const RURAL_FOR_OWN_THC: f64 = 40_000.0;

/// What an institution is to its grid's consortium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    Lead,
    Tier2,
    Primary,
    Private,
    CityWide,
}

/// An institution with what planning needs to remember about it.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) inst: Institution,
    pub(crate) tier: Tier,
    /// Base-frame location.
    pub(crate) at: P,
    /// A private hospital that joined its grid's group (COMP-9).
    pub(crate) member: bool,
}

/// The institutions of one grid, as indexes into [`Plan::list`].
#[derive(Debug, Clone, Default)]
pub(crate) struct GridPlan {
    pub(crate) lead: usize,
    pub(crate) tier2: Vec<usize>,
    pub(crate) primary: Vec<usize>,
    pub(crate) private: Vec<usize>,
}

/// The city-wide institutions consortia refer to by role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CityWide {
    pub(crate) university: [usize; 2],
    pub(crate) tcm: usize,
    pub(crate) emergency: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) list: Vec<Planned>,
    pub(crate) grids: Vec<GridPlan>,
    pub(crate) city: CityWide,
}

/// A reference home of the planning sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefHome {
    pub(crate) at: P,
    pub(crate) class: Class,
    pub(crate) cell: usize,
}

/// One grid as named: which district and which number within it.
#[derive(Debug, Clone)]
pub(crate) struct GridName {
    pub(crate) id: GridId,
    pub(crate) district: usize,
    pub(crate) rank: usize,
}

/// What an institution is, before it gets an id and a place.
struct Spec {
    name: String,
    kind: K,
    level: u8,
    grade: Option<Grade>,
    ownership: Ownership,
    beds: u32,
    icu_beds: u32,
    slots: u32,
    caps: Vec<C>,
    tier: Tier,
}

/// A city-level institution: name, kind, level, graded 甲, beds, capabilities, and the
/// lon, lat of the neighbourhood it sits in.
type CityRow = (&'static str, K, u8, bool, u32, &'static [C], f64, f64);

/// The city-level institutions.
const CITY_WIDE: [CityRow; 10] = [
    (
        "重庆医科大学附属第一医院",
        K::GeneralHospital,
        3,
        true,
        3200,
        &[
            C::FeverClinic,
            C::Dialysis,
            C::Icu,
            C::DesignatedCovid,
            C::ChestPainCenter,
            C::StrokeCenter,
            C::TraumaCenter,
            C::HemoptysisCenter,
            C::SharedImaging,
            C::SharedLab,
            C::SharedPathology,
            C::TelemedicineHub,
        ],
        106.513,
        29.533,
    ),
    (
        "重庆医科大学附属第二医院",
        K::GeneralHospital,
        3,
        true,
        2600,
        &[
            C::FeverClinic,
            C::Dialysis,
            C::Icu,
            C::SubDesignatedCovid,
            C::ChestPainCenter,
            C::StrokeCenter,
            C::SharedImaging,
            C::SharedLab,
            C::TelemedicineHub,
        ],
        106.576,
        29.562,
    ),
    (
        "重庆市中医院",
        K::TcmHospital,
        3,
        true,
        1900,
        &[C::FeverClinic, C::Dialysis, C::Icu],
        106.580,
        29.556,
    ),
    (
        "重庆市妇幼保健院",
        K::MaternalChild,
        3,
        true,
        1200,
        &[
            C::FeverClinic,
            C::Icu,
            C::MaternalCriticalCenter,
            C::NeonatalCriticalCenter,
        ],
        106.528,
        29.605,
    ),
    (
        "重庆市急救医疗中心",
        K::EmergencyCenter,
        3,
        true,
        800,
        &[C::Icu, C::ChestPainCenter, C::TraumaCenter],
        106.548,
        29.557,
    ),
    (
        "重庆市公共卫生医疗救治中心",
        K::SpecialtyHospital,
        3,
        true,
        1300,
        &[
            C::FeverClinic,
            C::Icu,
            C::DesignatedCovid,
            C::HemoptysisCenter,
        ],
        106.445,
        29.575,
    ),
    (
        "重庆市康复医院",
        K::Rehabilitation,
        2,
        true,
        500,
        &[],
        106.490,
        29.520,
    ),
    (
        "重庆市第一社会福利院护理院",
        K::Nursing,
        0,
        false,
        300,
        &[],
        106.600,
        29.500,
    ),
    (
        "重庆市安宁疗护中心",
        K::Hospice,
        1,
        false,
        120,
        &[],
        106.470,
        29.490,
    ),
    (
        "重庆市疾病预防控制中心",
        K::Cdc,
        0,
        false,
        0,
        &[],
        106.530,
        29.585,
    ),
];

/// Plans the institutions on the reference sample `homes` (scaled to the planned city).
pub(crate) fn plan(
    rng: &mut ChaCha8Rng,
    names: &mut Names,
    model: &Model,
    layout: &Layout,
    homes: &[RefHome],
    grids: &[GridName],
) -> Plan {
    let scale = PLANNED_POPULATION / homes.len().max(1) as f64;
    // pools[cell][class]: reference homes not yet taken by an institution
    let mut pools: Vec<[Vec<usize>; 3]> = vec![Default::default(); grids.len()];
    for (i, h) in homes.iter().enumerate() {
        pools[h.cell][class_index(h.class)].push(i);
    }
    let mut p = Planner {
        rng,
        layout,
        homes,
        pools,
        ids: BTreeSet::new(),
        private_names: BTreeSet::new(),
        list: Vec::new(),
    };
    let mut tcm_districts = BTreeSet::new();
    let mut mch_districts = BTreeSet::new();
    let mut plans = Vec::with_capacity(grids.len());
    for (g, grid) in grids.iter().enumerate() {
        let (district, division, _, _) = DISTRICTS[grid.district];
        let [urban, town, rural] = p.pools[g].clone().map(|v| v.len() as f64 * scale);
        let mut gp = GridPlan::default();

        // the lead: a tier-3 甲等 general hospital at the busiest spot (COMP-1)
        let at = p.busiest(g);
        let beds =
            (900.0 + (urban + town + rural) * 0.004 + 250.0 * normal(p.rng)).clamp(700.0, 3500.0);
        let name = match grid.rank {
            1 => format!("重庆市{district}人民医院"),
            r => format!("重庆市{district}第{}人民医院", cn_num(r)),
        };
        let lead = Spec {
            name,
            kind: K::GeneralHospital,
            level: 3,
            grade: Some(Grade::Jia),
            ownership: Ownership::Public,
            beds: beds as u32,
            icu_beds: (beds * p.rng.random_range(0.03..0.05)) as u32,
            slots: (beds * p.rng.random_range(2.8..3.6)) as u32,
            caps: vec![
                C::FeverClinic,
                C::Dialysis,
                C::Icu,
                C::ChestPainCenter,
                C::StrokeCenter,
                C::TraumaCenter,
                C::HemoptysisCenter,
                C::MaternalCriticalCenter,
                C::NeonatalCriticalCenter,
                C::SharedImaging,
                C::SharedLab,
                C::SharedEcg,
                C::SharedPathology,
                C::SharedSterileSupply,
                C::TelemedicineHub,
            ],
            tier: Tier::Lead,
        };
        gp.lead = p.add(lead, Some((g, grids)), at, b"12", division, false);

        // tier-2: a general hospital (the grid's sub-designated hospital, so COMP-2 holds),
        // the district's TCM hospital and maternal-child hospital where not yet present
        let beds = p.rng.random_range(200.0..900.0);
        let icu_beds = (beds * p.rng.random_range(0.0..0.035)) as u32;
        let mut caps = vec![C::SubDesignatedCovid];
        caps.push(if icu_beds > 0 { C::Icu } else { C::SubIcu });
        p.maybe(&mut caps, 0.9, C::FeverClinic);
        p.maybe(&mut caps, 0.5, C::Dialysis);
        p.maybe(&mut caps, 0.3, C::ChestPainCenter);
        p.maybe(&mut caps, 0.25, C::StrokeCenter);
        let general = Spec {
            name: format!("重庆市{district}{}医院", names.place(p.rng)),
            kind: K::GeneralHospital,
            level: 2,
            grade: Some(if p.rng.random_bool(0.7) {
                Grade::Jia
            } else {
                Grade::Yi
            }),
            ownership: Ownership::Public,
            beds: beds as u32,
            icu_beds,
            slots: (beds * p.rng.random_range(2.0..3.2)) as u32,
            caps,
            tier: Tier::Tier2,
        };
        let at = p.take(g, &[Class::Urban, Class::Town, Class::Rural]);
        gp.tier2
            .push(p.add(general, Some((g, grids)), at, b"12", division, false));
        if tcm_districts.insert(grid.district) {
            let beds = p.rng.random_range(200.0..700.0);
            let mut caps = Vec::new();
            p.maybe(&mut caps, 0.8, C::FeverClinic);
            p.maybe(&mut caps, 0.5, C::SubIcu);
            p.maybe(&mut caps, 0.2, C::Dialysis);
            let tcm = Spec {
                name: format!("重庆市{district}中医院"),
                kind: K::TcmHospital,
                level: 2,
                grade: Some(Grade::Jia),
                ownership: Ownership::Public,
                beds: beds as u32,
                icu_beds: 0,
                slots: (beds * p.rng.random_range(2.2..3.4)) as u32,
                caps,
                tier: Tier::Tier2,
            };
            let at = p.take(g, &[Class::Urban, Class::Town, Class::Rural]);
            gp.tier2
                .push(p.add(tcm, Some((g, grids)), at, b"12", division, false));
        }
        if !mch_districts.contains(&grid.district) && p.rng.random_bool(0.5) {
            mch_districts.insert(grid.district);
            let beds = p.rng.random_range(100.0..400.0);
            let mut caps = Vec::new();
            p.maybe(&mut caps, 0.4, C::MaternalCriticalCenter);
            p.maybe(&mut caps, 0.3, C::NeonatalCriticalCenter);
            let mch = Spec {
                name: format!("重庆市{district}妇幼保健院"),
                kind: K::MaternalChild,
                level: 2,
                grade: Some(Grade::Jia),
                ownership: Ownership::Public,
                beds: beds as u32,
                icu_beds: 0,
                slots: (beds * p.rng.random_range(2.0..3.0)) as u32,
                caps,
                tier: Tier::Tier2,
            };
            let at = p.take(g, &[Class::Urban, Class::Town, Class::Rural]);
            gp.tier2
                .push(p.add(mch, Some((g, grids)), at, b"12", division, false));
        }

        // community health centres and stations in the urban part; every grid has at
        // least one centre (in its main town when it has no urban part), so that each
        // group has a community health service institution (COMP-2, Chongqing 2018)
        let mut streets = Vec::new();
        for _ in 0..((urban / URBAN_PER_CHC).round() as usize).max(1) {
            let street = names.place(p.rng);
            let chc = Spec {
                name: format!("{district}{street}街道社区卫生服务中心"),
                kind: K::CommunityHealthCenter,
                level: 1,
                grade: None,
                ownership: Ownership::Public,
                beds: p.rng.random_range(20..=120),
                icu_beds: 0,
                slots: p.rng.random_range(200..=800),
                caps: vec![C::FeverClinic],
                tier: Tier::Primary,
            };
            streets.push(street);
            let at = p.take(g, &[Class::Urban, Class::Town, Class::Rural]);
            gp.primary
                .push(p.add(chc, Some((g, grids)), at, b"12", division, false));
        }
        for j in 0..(urban / URBAN_PER_STATION).round() as usize {
            let street = match streets.get(j % streets.len().max(1)) {
                Some(s) => s.clone(),
                None => names.place(p.rng),
            };
            let public = p.rng.random_bool(0.8);
            let station = Spec {
                name: format!("{district}{street}街道{}社区卫生服务站", names.place(p.rng)),
                kind: K::CommunityHealthStation,
                level: 0,
                grade: None,
                ownership: if public {
                    Ownership::Public
                } else {
                    Ownership::Private
                },
                beds: 0,
                icu_beds: 0,
                slots: p.rng.random_range(30..=150),
                caps: Vec::new(),
                tier: Tier::Primary,
            };
            let at = p.take(g, &[Class::Urban, Class::Town, Class::Rural]);
            let kind = if public { b"12" } else { b"52" };
            gp.primary
                .push(p.add(station, Some((g, grids)), at, kind, division, false));
        }

        // a township health centre at each town of the grid, and one for a large rural
        // population without a town
        let mut thc_sites: Vec<Option<P>> = model
            .towns
            .iter()
            .filter(|t| layout.locate(t.at, 0.0) == Some(g))
            .map(|t| Some(t.at))
            .collect();
        if thc_sites.is_empty() && rural >= RURAL_FOR_OWN_THC {
            thc_sites.push(None);
        }
        let mut towns = Vec::new();
        for site in thc_sites {
            let town = names.place(p.rng);
            let central = p.rng.random_bool(0.3);
            let mut caps = Vec::new();
            if central || p.rng.random_bool(0.3) {
                caps.push(C::FeverClinic);
            }
            let thc = Spec {
                name: format!(
                    "{district}{town}镇{}卫生院",
                    if central { "中心" } else { "" }
                ),
                kind: K::TownshipHealthCenter,
                level: 1,
                grade: None,
                ownership: Ownership::Public,
                beds: p.rng.random_range(20..=100),
                icu_beds: 0,
                slots: p.rng.random_range(80..=400),
                caps,
                tier: Tier::Primary,
            };
            towns.push(town);
            let at = match site {
                Some(centre) => p.take_near(g, centre),
                None => p.take(g, &[Class::Rural, Class::Town, Class::Urban]),
            };
            gp.primary
                .push(p.add(thc, Some((g, grids)), at, b"12", division, false));
        }
        for j in 0..(rural / RURAL_PER_VILLAGE_CLINIC).round() as usize {
            let village = names.place(p.rng);
            let name = match towns.get(j % towns.len().max(1)) {
                Some(town) => format!("{district}{town}镇{village}村卫生室"),
                None => format!("{district}{village}村卫生室"),
            };
            let public = p.rng.random_bool(0.7);
            let clinic = Spec {
                name,
                kind: K::VillageClinic,
                level: 0,
                grade: None,
                ownership: if public {
                    Ownership::Public
                } else {
                    Ownership::Private
                },
                beds: 0,
                icu_beds: 0,
                slots: p.rng.random_range(10..=60),
                caps: Vec::new(),
                tier: Tier::Primary,
            };
            let at = p.take(g, &[Class::Rural, Class::Town, Class::Urban]);
            let kind = if public { b"12" } else { b"52" };
            gp.primary
                .push(p.add(clinic, Some((g, grids)), at, kind, division, false));
        }

        // one private hospital; 40 % of them join the group
        let short = district.trim_end_matches('区');
        let (kind, specialty, level) = if p.rng.random_bool(0.5) {
            (K::GeneralHospital, "", p.rng.random_range(1..=2))
        } else {
            let sp = ["眼科", "口腔", "骨科", "妇产", "康复"][p.rng.random_range(0..5)];
            let kind = if sp == "康复" {
                K::Rehabilitation
            } else {
                K::SpecialtyHospital
            };
            (kind, sp, p.rng.random_range(0..=2))
        };
        let name = p.private_name(short, specialty);
        let beds = p.rng.random_range(20.0..300.0);
        let grade = match level {
            0 => None,
            _ if p.rng.random_bool(0.2) => Some(Grade::Jia),
            _ => Some(Grade::Yi),
        };
        let private = Spec {
            name,
            kind,
            level,
            grade,
            ownership: Ownership::Private,
            beds: beds as u32,
            icu_beds: 0,
            slots: (beds * p.rng.random_range(1.0..2.5)) as u32,
            caps: Vec::new(),
            tier: Tier::Private,
        };
        let member = p.rng.random_bool(0.4);
        let at = p.take(g, &[Class::Urban, Class::Town, Class::Rural]);
        let kind = if p.rng.random_bool(0.6) { b"52" } else { b"91" };
        gp.private
            .push(p.add(private, Some((g, grids)), at, kind, division, member));
        plans.push(gp);
    }

    // city-wide institutions (no grid), in their neighbourhoods of the main city
    let mut city = Vec::with_capacity(CITY_WIDE.len());
    for &(name, kind, level, jia, beds, caps, lon, lat) in &CITY_WIDE {
        let slots = match kind {
            K::Cdc => 0,
            K::Nursing | K::Hospice => beds / 5,
            _ => (f64::from(beds) * p.rng.random_range(2.0..3.5)) as u32,
        };
        let spec = Spec {
            name: name.to_owned(),
            kind,
            level,
            grade: jia.then_some(Grade::Jia),
            ownership: Ownership::Public,
            beds,
            icu_beds: if caps.contains(&C::Icu) { beds / 25 } else { 0 },
            slots,
            caps: caps.to_vec(),
            tier: Tier::CityWide,
        };
        let at = p.take_nearest_anywhere(from_lonlat(lon, lat));
        city.push(p.add(spec, None, at, b"12", CITY_DIVISION, false));
    }
    let city = CityWide {
        university: [city[0], city[1]],
        tcm: city[2],
        emergency: city[4],
    };
    Plan {
        list: p.list,
        grids: plans,
        city,
    }
}

fn class_index(c: Class) -> usize {
    match c {
        Class::Urban => 0,
        Class::Town => 1,
        Class::Rural => 2,
    }
}

/// Places institutions on reference homes, each home used at most once.
struct Planner<'a> {
    rng: &'a mut ChaCha8Rng,
    layout: &'a Layout,
    homes: &'a [RefHome],
    pools: Vec<[Vec<usize>; 3]>,
    ids: BTreeSet<String>,
    private_names: BTreeSet<String>,
    list: Vec<Planned>,
}

impl Planner<'_> {
    fn maybe(&mut self, caps: &mut Vec<C>, p: f64, c: C) {
        if self.rng.random_bool(p) {
            caps.push(c);
        }
    }

    /// A home of the first class in `prefer` that has one left in the grid.
    fn take(&mut self, g: usize, prefer: &[Class]) -> P {
        for &c in prefer {
            let pool = &mut self.pools[g][class_index(c)];
            if !pool.is_empty() {
                let k = self.rng.random_range(0..pool.len());
                return self.homes[pool.swap_remove(k)].at;
            }
        }
        self.anywhere_in(g)
    }

    /// The home nearest `target` in the grid, towns first.
    fn take_near(&mut self, g: usize, target: P) -> P {
        for c in [Class::Town, Class::Urban, Class::Rural] {
            let pool = &mut self.pools[g][class_index(c)];
            let best = pool
                .iter()
                .enumerate()
                .min_by(|a, b| {
                    self.homes[*a.1]
                        .at
                        .dist2(target)
                        .total_cmp(&self.homes[*b.1].at.dist2(target))
                })
                .map(|(k, _)| k);
            if let Some(k) = best {
                return self.homes[pool.swap_remove(k)].at;
            }
        }
        self.anywhere_in(g)
    }

    /// The home at the heart of the grid's own population: among (up to 300 of) its urban
    /// homes, the one with the most of the grid's homes within 1.5 km. Counting only the
    /// grid's homes keeps the lead inside its grid's population rather than on the border
    /// nearest the city centre.
    fn busiest(&mut self, g: usize) -> P {
        const RADIUS2_KM2: f64 = 1.5 * 1.5;
        let mine: Vec<P> = self
            .homes
            .iter()
            .filter(|h| h.cell == g)
            .map(|h| h.at)
            .collect();
        for c in [Class::Urban, Class::Town, Class::Rural] {
            let pool = &mut self.pools[g][class_index(c)];
            let best = pool
                .iter()
                .take(300)
                .enumerate()
                .map(|(k, &h)| {
                    let at = self.homes[h].at;
                    (mine.iter().filter(|p| p.dist2(at) < RADIUS2_KM2).count(), k)
                })
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
                .map(|(_, k)| k);
            if let Some(k) = best {
                return self.homes[pool.swap_remove(k)].at;
            }
        }
        self.anywhere_in(g)
    }

    /// The home nearest `target` in the whole city, urban first.
    fn take_nearest_anywhere(&mut self, target: P) -> P {
        let mut best: Option<(f64, usize, usize, usize)> = None;
        for c in [0, 1, 2] {
            for (g, pools) in self.pools.iter().enumerate() {
                for (k, &h) in pools[c].iter().enumerate() {
                    let d = self.homes[h].at.dist2(target);
                    if best.is_none_or(|b| d < b.0) {
                        best = Some((d, g, c, k));
                    }
                }
            }
            if let Some((_, g, c, k)) = best {
                return self.homes[self.pools[g][c].swap_remove(k)].at;
            }
        }
        self.anywhere_in(0)
    }

    /// A uniform point of the grid (only when its reference homes have run out).
    fn anywhere_in(&mut self, g: usize) -> P {
        let c = self.layout.centroid(g);
        for _ in 0..100_000 {
            let p = P::new(
                c.x + self.rng.random_range(-8.0..8.0),
                c.y + self.rng.random_range(-8.0..8.0),
            );
            if self.layout.locate(p, crate::geometry::BORDER_MARGIN_KM) == Some(g) {
                return p;
            }
        }
        panic!("BUG: no point found in grid {g}");
    }

    /// A private hospital's name, distinct from the others'.
    fn private_name(&mut self, district: &str, specialty: &str) -> String {
        for _ in 0..1000 {
            let brand = BRANDS[self.rng.random_range(0..BRANDS.len())];
            let name = format!("重庆{district}{brand}{specialty}医院");
            if self.private_names.insert(name.clone()) {
                return name;
            }
        }
        panic!("BUG: 1 000 tries found no unused private hospital name");
    }

    fn add(
        &mut self,
        spec: Spec,
        grid: Option<(usize, &[GridName])>,
        at: P,
        kind: &[u8; 2],
        division: &str,
        member: bool,
    ) -> usize {
        let id = loop {
            let code = uscc::draw(self.rng, kind, division);
            if self.ids.insert(code.clone()) {
                break InstitutionId::parse(&code).expect("BUG: a credit code is a valid id");
            }
        };
        let (lon, lat) = self.layout.warp.lonlat(at, POINT_DECIMALS);
        let mut caps = spec.caps;
        caps.sort();
        caps.dedup();
        let inst = Institution {
            id,
            name: spec.name,
            kind: spec.kind,
            level: Level::new(i64::from(spec.level)).expect("BUG: levels are 0–3"),
            grade: spec.grade,
            ownership: spec.ownership,
            grid_id: grid.map(|(g, names)| names[g].id.clone()),
            location: Some(LonLat::new(lon, lat).expect("BUG: the city lies around Chongqing")),
            beds: spec.beds,
            icu_beds: spec.icu_beds,
            outpatient_slots_per_day: spec.slots,
            capabilities: caps,
        };
        self.list.push(Planned {
            inst,
            tier: spec.tier,
            at,
            member,
        });
        self.list.len() - 1
    }
}
