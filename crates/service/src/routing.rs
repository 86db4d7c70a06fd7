//! Routing through the service layer (issue 4, item 3): the registry is in memory, so the
//! domain picks the group's candidate receivers; one indexed query reads their slot pools
//! of the coming days; the domain ranks them with the free capacity.

use crate::ServiceError;
use chrono::{DateTime, Days, Utc};
use std::collections::HashMap;
use yilian_domain::china;
use yilian_domain::ids::{GridId, InstitutionId};
use yilian_domain::referral::Urgency;
use yilian_domain::registry::{Consortium, Registry};
use yilian_domain::routing::{Capacity, Need, Proposal, RoutingError, candidates, group_of, rank};
use yilian_store::Store;
use yilian_store::capacity::pools_in;

/// Days ahead (today included) whose slot pools count as a receiver's free capacity: a
/// week, the horizon of a routine referral's booking.
pub const ROUTING_DAYS: u32 = 7;

/// What to route.
#[derive(Debug, Clone)]
pub struct RouteRequest<'a> {
    /// The grid the patient lives in.
    pub grid: Option<&'a GridId>,
    /// What the receiver must offer.
    pub need: Need,
    /// How soon.
    pub urgency: Urgency,
    /// The referring institution (left out of the proposals; sets the directions).
    pub referrer: Option<&'a InstitutionId>,
}

/// The patient's group and the receivers proposed in it, in order.
#[derive(Debug, Clone)]
pub struct Routes<'a> {
    /// The grid consortium of the patient's grid.
    pub group: &'a Consortium,
    /// The proposals, best first.
    pub proposals: Vec<Proposal<'a>>,
}

/// Proposes receivers for `req` at `now` (module docs); the rule that prevents it when the
/// patient has no group.
pub async fn propose<'a>(
    store: &Store,
    reg: &'a Registry,
    req: &RouteRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Result<Routes<'a>, RoutingError>, ServiceError> {
    let Some(group) = group_of(reg, req.grid) else {
        return Ok(Err(RoutingError::NoGroup));
    };
    let today = now.with_timezone(&china()).date_naive();
    let cands = candidates(reg, group, &req.need, req.referrer, today);
    let ids: Vec<InstitutionId> = cands.iter().map(|c| c.institution.id.clone()).collect();
    let last = today
        .checked_add_days(Days::new(u64::from(ROUTING_DAYS - 1)))
        .expect("BUG: a week from today is a date");
    let pools = pools_in(store, &ids, today, last, req.need.department.as_deref()).await?;
    let mut capacity: HashMap<InstitutionId, Capacity> = HashMap::new();
    for p in pools.iter().filter(|p| p.pool.times().starts_at > now) {
        capacity
            .entry(p.institution_id.clone())
            .or_default()
            .add(p.pool.left_at(now));
    }
    let referrer_level = req
        .referrer
        .and_then(|r| reg.institution(r))
        .map(|i| i.level.get());
    let proposals = rank(
        group,
        cands,
        &capacity,
        &req.need,
        req.urgency,
        referrer_level,
        ROUTING_DAYS,
    );
    Ok(Ok(Routes { group, proposals }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use yilian_domain::capacity::{Pool, Tranche};
    use yilian_domain::ids::PoolId;
    use yilian_domain::routing::Tier;
    use yilian_store::capacity::PoolRow;
    use yilian_store::dbtest;

    dbtest!(
        routes_carry_the_live_free_capacity_of_the_coming_week,
        |store| {
            let city = yilian_synth::demo_city(&yilian_synth::CityParams {
                seed: 3,
                residents: 200,
                grids: 2,
            });
            crate::import::store_city(&store, &city.registry, city.residents.clone(), "test")
                .await
                .unwrap();
            let reg = yilian_store::registry::load_registry(&store).await.unwrap();
            let resident = &city.residents[0];
            let group = group_of(&reg, resident.grid_id.as_ref()).unwrap();
            let now = Utc::now();
            let today = now.with_timezone(&china()).date_naive();
            let times = yilian_synth::release_under_way(now);
            let pool = |id: &str, dept: &str, days: u64, cap: u32, reserved: u32| PoolRow {
                pool_id: PoolId::parse(id).unwrap(),
                institution_id: group.lead.clone(),
                department: dept.into(),
                day: today.checked_add_days(Days::new(days)).unwrap(),
                session: "am".into(),
                pool: Pool::new(cap, reserved, times).unwrap(),
            };
            let mut booked = pool("CARD-1", "cardiology", 1, 30, 10);
            booked.pool.apply(Tranche::Reserved);
            let rows = [
                booked,
                pool("CARD-2", "cardiology", 6, 30, 10),
                // a week out: beyond the window
                pool("CARD-8", "cardiology", 7, 30, 10),
                pool("ENDO-1", "endocrinology", 1, 12, 4),
            ];
            let profile = yilian_domain::policy::Profile::builtin("national").unwrap();
            crate::booking::open_pools(&store, &rows, &profile, "test")
                .await
                .unwrap()
                .unwrap();
            let req = RouteRequest {
                grid: resident.grid_id.as_ref(),
                need: Need {
                    department: Some("cardiology".into()),
                    capability: None,
                },
                urgency: Urgency::Routine,
                referrer: None,
            };
            let routes = propose(&store, &reg, &req, now).await.unwrap().unwrap();
            assert_eq!(routes.group.id, group.id);
            // only the lead publishes cardiology pools
            assert_eq!(routes.proposals.len(), 1);
            let lead = &routes.proposals[0];
            assert_eq!(lead.tier, Tier::Lead);
            // two pools in the week: 9 + 10 reserved left, 20 + 20 public
            assert_eq!(
                (
                    lead.capacity.pools,
                    lead.capacity.reserved,
                    lead.capacity.public
                ),
                (2, 19, 40)
            );
            // without a department every receiver of the group is proposed, lead first
            let all = RouteRequest {
                need: Need::default(),
                ..req.clone()
            };
            let routes = propose(&store, &reg, &all, now).await.unwrap().unwrap();
            assert!(routes.proposals.len() > 1);
            assert_eq!(routes.proposals[0].institution.id, group.lead);
            assert_eq!(routes.proposals[0].capacity.pools, 3);
            // a patient outside every grid has no group
            let lost = RouteRequest { grid: None, ..req };
            assert_eq!(
                propose(&store, &reg, &lost, now)
                    .await
                    .unwrap()
                    .unwrap_err(),
                RoutingError::NoGroup
            );
        }
    );
}
