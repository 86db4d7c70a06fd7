//! Slot pools for demo data, tests and benchmarks: a release in progress, and the week of
//! outpatient sessions the demo city's lead hospitals open.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use yilian_domain::capacity::{Pool, PoolTimes};
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
    /// `<institution>-<department>-<day>-<session>`.
    pub id: PoolId,
    /// The lead hospital.
    pub institution: InstitutionId,
    /// The department.
    pub department: &'static str,
    /// The day.
    pub day: NaiveDate,
    /// `am` or `pm`.
    pub session: &'static str,
    /// Capacity, a third reserved (QUOTA-1), nothing booked.
    pub pool: Pool,
}

/// Departments the demo's leads open to referrals.
const DEPARTMENTS: [&str; 3] = ["心血管内科", "内分泌科", "神经内科"];
/// Days ahead the demo opens.
const DAYS: u32 = 7;

/// The pools of every lead hospital for the `DAYS` days from `today` (China's date):
/// three departments, morning (08:00) and afternoon (13:30) sessions, each a share of the
/// hospital's daily slots with a third reserved; reserved slots open 14 days ahead, public
/// ones 7, unused reserved slots return the evening before.
pub fn demo_pools(registry: &Registry, today: NaiveDate) -> Vec<DemoPool> {
    let china = yilian_domain::china();
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
        let reserved = capacity.div_ceil(3);
        for d in 0..DAYS {
            let day = today + Duration::days(i64::from(d));
            for (session, h, m) in [("am", 8, 0), ("pm", 13, 30)] {
                let start = china
                    .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("BUG: a valid time"))
                    .single()
                    .expect("BUG: +08:00 has no gaps")
                    .with_timezone(&Utc);
                let times = PoolTimes {
                    opens_reserved_at: start - Duration::days(14),
                    opens_public_at: start - Duration::days(7),
                    returns_at: start - Duration::hours(12),
                    starts_at: start,
                };
                for (k, department) in DEPARTMENTS.iter().enumerate() {
                    out.push(DemoPool {
                        id: PoolId::parse(&format!("{lead}-D{k}-{day}-{session}"))
                            .expect("BUG: a composed id is an id"),
                        institution: lead.clone(),
                        department,
                        day,
                        session,
                        pool: Pool::new(capacity, reserved, times).expect("BUG: times in order"),
                    });
                }
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
    fn every_lead_opens_a_week_with_a_third_reserved() {
        let city = demo_city(&CityParams {
            seed: 1,
            residents: 100,
            grids: 2,
        });
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let pools = demo_pools(&city.registry, today);
        let leads: std::collections::BTreeSet<_> =
            city.registry.consortia.iter().map(|c| &c.lead).collect();
        assert_eq!(pools.len(), leads.len() * 7 * 2 * 3);
        for p in &pools {
            assert!(u64::from(p.pool.reserved()) * 3 >= u64::from(p.pool.capacity()));
        }
    }
}
