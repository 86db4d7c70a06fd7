//! Grid assignment over the stored registry (GRID-1): builds the index from the grids in
//! force and re-assigns every resident, writing only the residents whose grid changed.

use crate::ServiceError;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use yilian_domain::ids::GridId;
use yilian_domain::registry::Grid;
use yilian_geo::GridIndex;
use yilian_store::event::{NewEvent, append};
use yilian_store::{Store, registry};

/// The grids in force on `day` and their index; index `k` is `grids[k]`.
pub struct GridLocator {
    /// Grids in index order (sorted by id).
    pub ids: Vec<GridId>,
    /// The point-in-polygon index.
    pub index: GridIndex,
}

impl GridLocator {
    /// Builds the index over the grids in force on `day`.
    pub fn new(grids: &[Grid], day: NaiveDate) -> GridLocator {
        let live: Vec<&Grid> = grids.iter().filter(|g| g.validity.contains(day)).collect();
        let polys: Vec<_> = live.iter().map(|g| g.geometry.clone()).collect();
        GridLocator {
            ids: live.iter().map(|g| g.id.clone()).collect(),
            index: GridIndex::build(&polys),
        }
    }
    /// The grid of one point.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&GridId> {
        self.index.assign(lon, lat).map(|k| &self.ids[k as usize])
    }
}

/// What a re-assignment did.
#[derive(Debug, Clone, Serialize)]
pub struct AssignReport {
    /// Residents looked at.
    pub residents: u64,
    /// Residents whose grid changed.
    pub changed: u64,
    /// Residents outside every grid (GRID-1).
    pub outside: u64,
    /// Grids in force.
    pub grids: usize,
}

/// Re-runs the assignment of every resident after grids changed (`yilian assign`).
pub async fn reassign(store: &Store, actor: &str) -> Result<AssignReport, ServiceError> {
    let today = crate::today();
    let reg = registry::load_registry(store).await?;
    let locator = GridLocator::new(&reg.grids, today);
    let points = registry::resident_points(store).await?;
    let (lon, lat): (Vec<f64>, Vec<f64>) = points.iter().map(|p| (p.1, p.2)).unzip();
    let assigned = locator.index.assign_all(&lon, &lat);
    let mut updates = Vec::new();
    let mut outside = 0;
    for (p, g) in points.iter().zip(&assigned) {
        let new = g.map(|k| locator.ids[k as usize].to_string());
        outside += u64::from(new.is_none());
        if new != p.3 {
            updates.push((p.0.clone(), new));
        }
    }
    let mut tx = store.begin().await?;
    let changed = registry::set_resident_grids(&mut tx, &updates).await?;
    let report = AssignReport {
        residents: points.len() as u64,
        changed,
        outside,
        grids: locator.ids.len(),
    };
    if changed > 0 {
        let e = NewEvent {
            stream: "registry".into(),
            kind: "ResidentsReassigned",
            version: 1,
            payload: &report,
            actor: actor.to_owned(),
            at: Utc::now(),
        };
        append(&mut tx, &e).await?;
    }
    tx.commit().await?;
    Ok(report)
}
