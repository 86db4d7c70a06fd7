//! `yilian audit`: the registry and its geometric facts, checked against a profile.

use crate::ServiceError;
use chrono::NaiveDate;
use yilian_domain::ids::{GridId, ResidentId};
use yilian_domain::policy::{
    AuditReport, GeoFacts, GridOverlap, Profile, RESIDENT_SAMPLES_MAX, audit,
};
use yilian_domain::registry::Registry;
use yilian_store::{Store, StoreError, registry};

/// The facts the audit needs from geometry and the residents table, for the grids in
/// force on `day`.
pub async fn geo_facts(
    store: &Store,
    reg: &Registry,
    day: NaiveDate,
) -> Result<GeoFacts, ServiceError> {
    let mut facts = GeoFacts::default();
    for (grid, n) in registry::residents_per_grid(store).await? {
        let n = n.max(0) as u64;
        facts.total_residents += n;
        match grid {
            Some(g) => {
                let id = GridId::parse(&g).map_err(|e| StoreError::Corrupt {
                    table: "resident",
                    id: g.clone(),
                    reason: e.to_string(),
                })?;
                facts.residents_per_grid.insert(id, n);
            }
            None => facts.outside_all_grids.count = n,
        }
    }
    let samples = registry::uncovered_residents(store, RESIDENT_SAMPLES_MAX as u32).await?;
    facts.outside_all_grids.samples = samples
        .iter()
        .filter_map(|s| ResidentId::parse(s).ok())
        .collect();
    let live: Vec<_> = reg
        .grids
        .iter()
        .filter(|g| g.validity.contains(day))
        .collect();
    let polys: Vec<_> = live.iter().map(|g| g.geometry.clone()).collect();
    facts.overlaps = yilian_geo::overlaps(&polys)
        .into_iter()
        .map(|o| GridOverlap {
            a: live[o.a as usize].id.clone(),
            b: live[o.b as usize].id.clone(),
            area_km2: o.area_km2,
        })
        .collect();
    Ok(facts)
}

/// Audits the stored city on `day`.
pub async fn run_audit(
    store: &Store,
    profile: &Profile,
    day: NaiveDate,
) -> Result<AuditReport, ServiceError> {
    let reg = registry::load_registry(store).await?;
    let facts = geo_facts(store, &reg, day).await?;
    Ok(audit(&reg, &facts, profile, day))
}
