//! Facts the audit needs but cannot compute here: how residents fall into grids and
//! where grids overlap. The geometry engine (`yilian-geo`) and the residents table
//! produce them; keeping them plain numbers keeps this crate free of geometry and I/O,
//! and lets a test state them directly.

use crate::ids::{GridId, ResidentId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most sample resident ids a finding carries: enough to look a few up, few enough to
/// keep a report readable. The count beside them is always the full count.
pub const RESIDENT_SAMPLES_MAX: usize = 20;

/// A count of residents with a few of their ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentSample {
    /// How many residents.
    pub count: u64,
    /// Up to [`RESIDENT_SAMPLES_MAX`] of their ids, in the order met.
    pub samples: Vec<ResidentId>,
}

impl ResidentSample {
    /// Counts one more resident, keeping its id while fewer than
    /// [`RESIDENT_SAMPLES_MAX`] are kept.
    pub fn push(&mut self, id: ResidentId) {
        self.count += 1;
        if self.samples.len() < RESIDENT_SAMPLES_MAX {
            self.samples.push(id);
        }
    }
}

/// Two grids whose polygons share area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridOverlap {
    /// One grid.
    pub a: GridId,
    /// The other.
    pub b: GridId,
    /// Area shared, in km².
    pub area_km2: f64,
}

/// The geometric facts about a city on the audit day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoFacts {
    /// Residents in the residents table.
    pub total_residents: u64,
    /// Residents whose home lies in no grid (GRID-1).
    pub outside_all_grids: ResidentSample,
    /// Residents assigned to each grid; a grid absent here has none.
    pub residents_per_grid: BTreeMap<GridId, u64>,
    /// Pairs of grids that overlap (GRID-4), each pair once.
    pub overlaps: Vec<GridOverlap>,
    /// Residents whose declared `grid_id` differs from the grid their home falls in.
    pub declared_grid_mismatch: ResidentSample,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;

    #[test]
    fn samples_stop_at_the_limit_but_the_count_does_not() {
        let mut s = ResidentSample::default();
        for k in 0..25 {
            s.push(ResidentId::parse(&format!("R{k}")).unwrap());
        }
        assert_eq!(s.count, 25);
        assert_eq!(s.samples.len(), RESIDENT_SAMPLES_MAX);
    }
}
