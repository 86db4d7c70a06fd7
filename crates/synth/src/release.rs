//! Pools for demo data, tests and benchmarks: a release in progress, and the week of
//! outpatient sessions and ward admission days the demo city's lead hospitals open.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use yilian_domain::capacity::{Pool, PoolKind, PoolTimes, Session};
use yilian_domain::ids::{InstitutionId, PoolId};
use yilian_domain::registry::Registry;

/// A release under way at `now`: reserved slots opened to referrers two weeks ago (Beijing's
/// practice, QUOTA-3), the public release an hour ago, unused reserved slots return in a
/// day, the session begins in two.
pub fn release_under_way(now: DateTime<Utc>) -> PoolTimes {
    PoolTimes {
        opens_reserved_at: now - Duration::days(14),
        opens_public_at: now - Duration::hours(1),
        returns_at: now + Duration::days(1),
        starts_at: now + Duration::days(2),
    }
}

/// One pool the demo opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPool {
    /// `<institution>-D<k>-<day>-<session>` (slots), `<institution>-W<k>-<day>` (beds).
    pub id: PoolId,
    /// The lead hospital.
    pub institution: InstitutionId,
    /// The department or ward.
    pub department: &'static str,
    /// The day.
    pub day: NaiveDate,
    /// `am` or `pm` (slots), `day` (beds).
    pub session: Session,
    /// Capacity, a third of slots (QUOTA-1) or a quarter of beds (QUOTA-2) reserved,
    /// nothing booked.
    pub pool: Pool,
}

/// Departments the demo's leads open to referrals.
const DEPARTMENTS: [&str; 3] = ["心血管内科", "内分泌科", "神经内科"];
/// Their wards.
const WARDS: [&str; 3] = ["心血管内科病区", "内分泌科病区", "神经内科病区"];
/// Days ahead the demo opens.
const DAYS: u32 = 7;

/// The pools of every lead hospital for the `DAYS` days from `today` (China's date):
/// three departments, morning (08:00) and afternoon (13:30) sessions, each a share of the
/// hospital's daily slots with a third reserved; and their three wards' admission days,
/// each a share of the hospital's beds with a quarter reserved. All on the standard
/// release ([`PoolTimes::standard`]).
pub fn demo_pools(registry: &Registry, today: NaiveDate) -> Vec<DemoPool> {
    let mut leads: Vec<&InstitutionId> = registry.consortia.iter().map(|c| &c.lead).collect();
    leads.sort();
    leads.dedup();
    let mut out = Vec::new();
    for lead in leads {
        let Some(inst) = registry.institution(lead) else {
            continue;
        };
        // a tenth of the day's slots for each of the three departments, split over two sessions
        let capacity = (inst.outpatient_slots_per_day / 20).max(6);
        // a ward admits about a fortieth of the hospital's beds a day (stays of ~10 days
        // over a few wards)
        let beds = (inst.beds / 40).max(4);
        let id = |s: String| PoolId::parse(&s).expect("BUG: a composed id is an id");
        for d in 0..DAYS {
            let day = today + Duration::days(i64::from(d));
            let mut open = |id, department, session: Session, kind: PoolKind, capacity: u32| {
                let reserved = match kind {
                    PoolKind::Slot => capacity.div_ceil(3),
                    PoolKind::Bed => capacity.div_ceil(4),
                };
                let times = PoolTimes::standard(session.starts_at(day));
                out.push(DemoPool {
                    id,
                    institution: lead.clone(),
                    department,
                    day,
                    session,
                    pool: Pool::of_kind(kind, capacity, reserved, times)
                        .expect("BUG: times in order"),
                });
            };
            for session in [Session::Am, Session::Pm] {
                for (k, department) in DEPARTMENTS.iter().enumerate() {
                    let pool_id = id(format!("{lead}-D{k}-{day}-{session}"));
                    open(pool_id, department, session, PoolKind::Slot, capacity);
                }
            }
            for (k, ward) in WARDS.iter().enumerate() {
                let pool_id = id(format!("{lead}-W{k}-{day}"));
                open(pool_id, ward, Session::Day, PoolKind::Bed, beds);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CityParams, demo_city};

    #[test]
    fn every_lead_opens_a_week_of_slots_and_beds_with_their_shares_reserved() {
        let city = demo_city(&CityParams {
            seed: 1,
            residents: 100,
            grids: 2,
        });
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let pools = demo_pools(&city.registry, today);
        let leads: std::collections::BTreeSet<_> =
            city.registry.consortia.iter().map(|c| &c.lead).collect();
        assert_eq!(pools.len(), leads.len() * 7 * (2 * 3 + 3));
        for p in &pools {
            let share = match p.pool.kind() {
                PoolKind::Slot => 3,
                PoolKind::Bed => 4,
            };
            assert!(u64::from(p.pool.reserved()) * share >= u64::from(p.pool.capacity()));
        }
        assert_eq!(
            pools
                .iter()
                .filter(|p| p.pool.kind() == PoolKind::Bed)
                .count(),
            leads.len() * 7 * 3
        );
    }
}
