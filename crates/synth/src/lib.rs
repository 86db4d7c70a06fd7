//! A deterministic, realistic demo city, built in-process: grids, institutions, consortia,
//! family-doctor teams and residents of a Chongqing-like main city, so that the platform,
//! its console and its tests have something true-to-life to run on without a data file.
//!
//! **What it looks like.** About 40 × 30 km around lon 106.55, lat 29.56, cut into grids
//! (网格) that tile it exactly: a jittered lattice whose junctions follow the population
//! (urban grids narrower), each border a kinked line densified to 30–150 vertices and bent
//! by one smooth warp of the plane. Every shared border is built once and used forwards by
//! one grid and reversed by the other, so neighbours agree bit for bit and there is no gap
//! or overlap; coordinates are rounded to 7 decimals before the polygons are built, so a
//! file written from them reads back exactly. Grids are named after the district they lie
//! in (江北区网格一, id `G50010501`).
//!
//! Residents cluster around eight urban centres (渝中, 观音桥, 沙坪坝, 杨家坪, 南坪, 大渡口,
//! 龙头寺, 茶园; 65 %), a dozen or so towns (15 %) and rural hamlets (20 %); every home lies
//! at least 30 m from every border, so assigning it to a grid is never ambiguous. Their age
//! pyramid, chronic conditions, pregnancies and family-doctor contracts follow the national
//! pattern (≈16 % aged 65+, hypertension ≈20 %, diabetes ≈8 %; ≈35 % of key populations
//! signed).
//!
//! Institutions are those of the city the residents are a sample of (1.6 M people), so
//! beds and slots are realistic: per grid a tier-3 甲等 lead, tier-2 hospitals, community
//! and township health centres, stations, village clinics and a private hospital, plus the
//! city-wide university, TCM, maternal-child, emergency and public-health hospitals, ids
//! being unified social credit codes with valid check characters. Consortia comply with the
//! national defaults of `policy-rules.md` (GRID-3, COMP-1…9), so an audit of the demo city
//! finds nothing at error level and any finding points at the platform, not the data.
//!
//! **Why in-process and seeded.** The same [`CityParams`] give the same [`City`], field
//! for field (ChaCha8 streams per phase, no hash-map order anywhere, every list sorted by
//! id), which makes the city usable in snapshot tests and reproducible demos; and the
//! 100 000-resident city builds in well under a second, so tests can afford it.
//!
//! ```
//! use yilian_synth::{CityParams, demo_city};
//! let city = demo_city(&CityParams { seed: 7, residents: 2_000, grids: 3 });
//! assert_eq!(city.registry.grids.len(), 3);
//! assert_eq!(city.residents.len(), 2_000);
//! let counted: u64 = city.registry.grids.iter().filter_map(|g| g.population).sum();
//! assert_eq!(counted, 2_000);
//! ```

mod consortia;
mod geometry;
mod identities;
mod institutions;
mod names;
mod people;
mod plane;
mod population;
mod referrals;
mod release;
mod uscc;

pub use identities::{SynthIdentity, identities};
pub use referrals::year_of_referrals;
pub use release::{DemoPool, demo_pools, release_under_way};

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use geo_types::MultiPolygon;
use geometry::Layout;
use institutions::{GridName, RefHome};
use names::{DISTRICTS, cn_num};
use plane::{P, from_lonlat};
use population::Model;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use yilian_domain::ids::GridId;
use yilian_domain::registry::{Grid, Registry, Resident, Validity};

/// Most grids a city may have: 40 keeps every grid at several km² and every district's
/// numbering within two digits.
pub const GRIDS_MAX: u32 = 40;
/// Most residents a city may have (ids run to `R9999999`).
pub const RESIDENTS_MAX: u32 = 9_999_999;
/// The day the city describes: ages are computed at it, contracts were signed before it,
/// and every consortium was evaluated in the 12 months before it (COMP-9).
pub const AS_OF: NaiveDate = consortia::ymd(2026, 11, 1);

/// Reference homes institutions are planned on (independent of the resident count).
const REF_HOMES: usize = 40_000;
/// Homes sampled to place the grid lattice's junctions at the population's quantiles.
const LAYOUT_SAMPLE: usize = 4_000;

/// What to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CityParams {
    /// Seed of every random draw.
    pub seed: u64,
    /// Residents to draw (a sample of the planned city of 1.6 M).
    pub residents: u32,
    /// Grids, 1 to [`GRIDS_MAX`].
    pub grids: u32,
}

impl CityParams {
    /// The demo city: seed 2024, 100 000 residents, 8 grids.
    pub fn demo() -> CityParams {
        CityParams {
            seed: 2024,
            residents: 100_000,
            grids: 8,
        }
    }

    /// Checks the ranges, so that a command line can reject bad values before building.
    pub fn check(&self) -> Result<(), ParamsError> {
        if !(1..=GRIDS_MAX).contains(&self.grids) {
            return Err(ParamsError::Grids(self.grids));
        }
        if self.residents > RESIDENTS_MAX {
            return Err(ParamsError::Residents(self.residents));
        }
        Ok(())
    }
}

impl Default for CityParams {
    fn default() -> CityParams {
        CityParams::demo()
    }
}

/// Parameters out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// Grids outside 1..=[`GRIDS_MAX`].
    #[error("grids must be 1–{GRIDS_MAX}, got {0} / 网格数须在 1–{GRIDS_MAX} 之间")]
    Grids(u32),
    /// More residents than [`RESIDENTS_MAX`].
    #[error("residents must be at most {RESIDENTS_MAX}, got {0} / 居民数不得超过 {RESIDENTS_MAX}")]
    Residents(u32),
}

/// A built city: the registry (sorted) and the residents (sorted by id).
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// Grids, institutions, consortia, memberships, teams.
    pub registry: Registry,
    /// Residents, each with the grid containing the home.
    pub residents: Vec<Resident>,
}

/// Builds the city of `params`; the same params give the same city.
///
/// # Panics
/// When [`CityParams::check`] fails.
pub fn demo_city(params: &CityParams) -> City {
    if let Err(e) = params.check() {
        panic!("{e}");
    }
    let stream = |k: u64| {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(k);
        rng
    };
    // each phase draws from its own stream, so the institutions do not depend on how many
    // residents are drawn after them
    let model = Model::new(&mut stream(1));
    let mut rng = stream(2);
    let sample: Vec<P> = (0..LAYOUT_SAMPLE)
        .map(|_| {
            let class = Model::class(&mut rng);
            model.sample(&mut rng, class)
        })
        .collect();
    let layout = Layout::build(&mut rng, params.grids as usize, &sample);

    let mut rng = stream(3);
    let homes: Vec<RefHome> = (0..REF_HOMES)
        .map(|_| {
            let (at, class, cell) = model.home(&mut rng, &layout);
            RefHome { at, class, cell }
        })
        .collect();
    let grid_names = name_grids(&layout, &homes);
    let mut names = names::Names::new();
    let plan = institutions::plan(
        &mut stream(4),
        &mut names,
        &model,
        &layout,
        &homes,
        &grid_names,
    );
    let (consortia, memberships) = consortia::build(&mut stream(5), &plan);
    let (teams, hosts) = people::teams(&mut stream(6), &names, &plan);
    let grid_ids: Vec<GridId> = grid_names.iter().map(|g| g.id.clone()).collect();
    let (residents, counts) = people::residents(
        &mut stream(7),
        params.residents,
        &model,
        &layout,
        &grid_ids,
        &hosts,
    );

    let grids = grid_names
        .iter()
        .zip(&layout.cells)
        .zip(counts)
        .map(|((g, cell), population)| {
            let (district, code, _, _) = DISTRICTS[g.district];
            Grid {
                id: g.id.clone(),
                name: format!("{district}网格{}", cn_num(g.rank)),
                division_code: Some(code.to_owned()),
                population: Some(population),
                geometry: MultiPolygon(vec![cell.polygon.clone()]),
                validity: Validity::default(),
            }
        })
        .collect();
    let mut registry = Registry {
        grids,
        institutions: plan.list.into_iter().map(|p| p.inst).collect(),
        consortia,
        memberships,
        teams,
    };
    registry.sort();
    City {
        registry,
        residents,
    }
}

/// Names each grid after the district nearest to where its people live: each district
/// takes at most its share of grids, so a city of up to nine grids has nine districts'
/// names; within a district the grids are numbered in layout order.
fn name_grids(layout: &Layout, homes: &[RefHome]) -> Vec<GridName> {
    let n = layout.cells.len();
    let mut sum = vec![(0.0, 0.0, 0usize); n];
    for h in homes {
        let s = &mut sum[h.cell];
        *s = (s.0 + h.at.x, s.1 + h.at.y, s.2 + 1);
    }
    let centres: Vec<P> = sum
        .iter()
        .enumerate()
        .map(|(c, &(x, y, k))| {
            if k > 0 {
                P::new(x / k as f64, y / k as f64)
            } else {
                layout.centroid(c)
            }
        })
        .collect();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(n * DISTRICTS.len());
    for (c, centre) in centres.iter().enumerate() {
        for (d, &(_, _, lon, lat)) in DISTRICTS.iter().enumerate() {
            pairs.push((centre.dist(from_lonlat(lon, lat)), c, d));
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let capacity = n.div_ceil(DISTRICTS.len());
    let mut district_of: Vec<Option<usize>> = vec![None; n];
    let mut taken = [0usize; DISTRICTS.len()];
    for (_, c, d) in pairs {
        if district_of[c].is_none() && taken[d] < capacity {
            district_of[c] = Some(d);
            taken[d] += 1;
        }
    }
    let mut rank = [0usize; DISTRICTS.len()];
    district_of
        .into_iter()
        .map(|d| {
            let district = d.expect("BUG: districts have room for every grid");
            rank[district] += 1;
            let id = format!("G{}{:02}", DISTRICTS[district].1, rank[district]);
            GridName {
                id: GridId::parse(&id).expect("BUG: G + code + number is a valid id"),
                district,
                rank: rank[district],
            }
        })
        .collect()
}
