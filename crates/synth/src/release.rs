//! Slot-pool times for demo data, tests and benchmarks: a release in progress.

use chrono::{DateTime, Duration, Utc};
use yilian_domain::capacity::PoolTimes;

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
