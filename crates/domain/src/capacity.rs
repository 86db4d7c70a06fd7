//! Slot pools (号源池): an institution's outpatient capacity for one department, day and
//! session, split into the tranche reserved for referrals from primary care (QUOTA-1: at
//! least 1/3 at a lead hospital) and the public one; and the one decision every booking
//! goes through, [`decide_booking`], which the store applies with row locks so that no
//! pool is ever overbooked, whatever the number of servers.
//!
//! **The rules.** A referral takes a reserved slot while one is left, else a public one.
//! A public booking may use only the public tranche (QUOTA-1) until the pool's return time;
//! from then on, the reserved slots referrals have not used return to the public (QUOTA-3).
//! Reserved slots open to referrers earlier than the public release (QUOTA-3, Beijing's
//! practice: two weeks). Nothing is booked once the session has begun.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use yilian_domain::capacity::{Channel, Pool, PoolTimes, Tranche, decide_booking};
//! let t = |d| Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap();
//! let times = PoolTimes { opens_reserved_at: t(1), opens_public_at: t(10), returns_at: t(20), starts_at: t(21) };
//! let mut pool = Pool::new(3, 1, times).unwrap();
//! assert_eq!(decide_booking(&pool, Channel::Referral, t(2)), Ok(Tranche::Reserved));
//! pool.apply(Tranche::Reserved);
//! // a referral finds the reserved tranche used up and takes a public slot
//! assert_eq!(decide_booking(&pool, Channel::Referral, t(11)), Ok(Tranche::Public));
//! ```

use crate::registry::CodeError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::registry::code_enum!(
    /// Which part of a pool's capacity a booking used.
    Tranche, "tranche" {
        /// Reserved for referrals from primary care (QUOTA-1).
        Reserved = "reserved" / "预留号源",
        /// Open to everyone.
        Public = "public" / "公开号源",
    }
);

crate::registry::code_enum!(
    /// Who is booking.
    Channel, "channel" {
        /// A referral from primary care (a family-doctor team or a primary institution).
        Referral = "referral" / "转诊预约",
        /// Anyone else (the hospital's own booking, a resident's app).
        Public = "public" / "公众预约",
    }
);

/// When a pool's tranches open, when unused reserved slots return, when the session begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolTimes {
    /// Referrers may book reserved slots from then.
    pub opens_reserved_at: DateTime<Utc>,
    /// The public may book from then.
    pub opens_public_at: DateTime<Utc>,
    /// Reserved slots not used by then become public (QUOTA-3).
    pub returns_at: DateTime<Utc>,
    /// The session begins; no booking after.
    pub starts_at: DateTime<Utc>,
}

/// A slot pool's capacity and what is booked of it. The counters can only move through
/// [`Pool::apply`] and [`Pool::release`], which assert the invariants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    capacity: u32,
    reserved: u32,
    booked_reserved: u32,
    booked_public: u32,
    times: PoolTimes,
}

/// Why a pool cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// More reserved than there is capacity.
    #[error(
        "reserved {reserved} exceeds capacity {capacity} / 预留号源 {reserved} 超过总号源 {capacity}"
    )]
    ReservedOverCapacity {
        /// Reserved asked for.
        reserved: u32,
        /// Capacity.
        capacity: u32,
    },
    /// The times are out of order.
    #[error("times must run reserved opening ≤ public opening ≤ return ≤ start / 放号时间顺序有误")]
    TimesOutOfOrder,
    /// Stored counters that break the invariants (an edited row).
    #[error("booked counters exceed the pool / 已约数超过号源")]
    Overbooked,
}

/// Why a booking is refused. Each variant names the rule it enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub enum BookingError {
    /// QUOTA-1: the slots left are reserved for referrals from primary care.
    #[error(
        "QUOTA-1: the slots left are reserved for referrals from primary care / 剩余号源为基层转诊预留"
    )]
    ReservedForReferrals,
    /// No slot is left.
    #[error("the pool is full / 号源已约满")]
    Full,
    /// QUOTA-3: not released yet to this channel.
    #[error("QUOTA-3: not released to this channel until {0} / 尚未放号")]
    NotOpen(DateTime<Utc>),
    /// The session has begun.
    #[error("the session has begun / 门诊已开始，停止预约")]
    Closed,
}

impl BookingError {
    /// The policy rule behind the refusal, when one is.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            BookingError::ReservedForReferrals => Some("QUOTA-1"),
            BookingError::NotOpen(_) => Some("QUOTA-3"),
            BookingError::Full | BookingError::Closed => None,
        }
    }
}

impl Pool {
    /// An empty pool of `capacity` slots, `reserved` of them for referrals.
    pub fn new(capacity: u32, reserved: u32, times: PoolTimes) -> Result<Pool, PoolError> {
        Pool::with_counters(capacity, reserved, 0, 0, times)
    }

    /// A pool as stored, checked.
    pub fn with_counters(
        capacity: u32,
        reserved: u32,
        booked_reserved: u32,
        booked_public: u32,
        times: PoolTimes,
    ) -> Result<Pool, PoolError> {
        if reserved > capacity {
            return Err(PoolError::ReservedOverCapacity { reserved, capacity });
        }
        let t = &times;
        if !(t.opens_reserved_at <= t.opens_public_at
            && t.opens_public_at <= t.returns_at
            && t.returns_at <= t.starts_at)
        {
            return Err(PoolError::TimesOutOfOrder);
        }
        if booked_reserved > reserved
            || u64::from(booked_reserved) + u64::from(booked_public) > u64::from(capacity)
        {
            return Err(PoolError::Overbooked);
        }
        Ok(Pool {
            capacity,
            reserved,
            booked_reserved,
            booked_public,
            times,
        })
    }

    /// Total slots.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }
    /// Slots reserved for referrals.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }
    /// Reserved slots booked.
    pub fn booked_reserved(&self) -> u32 {
        self.booked_reserved
    }
    /// Public slots booked (after the return time, these may include returned ones).
    pub fn booked_public(&self) -> u32 {
        self.booked_public
    }
    /// The pool's times.
    pub fn times(&self) -> &PoolTimes {
        &self.times
    }

    /// Records a booking in `tranche` that [`decide_booking`] allowed.
    ///
    /// # Panics
    /// When the booking would break an invariant: that is a bug in the caller.
    pub fn apply(&mut self, tranche: Tranche) {
        match tranche {
            Tranche::Reserved => self.booked_reserved += 1,
            Tranche::Public => self.booked_public += 1,
        }
        assert!(
            self.booked_reserved <= self.reserved
                && self.booked_reserved + self.booked_public <= self.capacity,
            "BUG: pool overbooked: {self:?}"
        );
    }

    /// What is left of each tranche at `now`. Each is bounded by what is left of the whole
    /// pool: public bookings may have used returned reserved slots, and clocks of several
    /// servers disagree, so "now" is not always after every earlier booking's "now". From
    /// the return time on, unused reserved slots count as public (QUOTA-3) and none as
    /// reserved.
    pub fn left_at(&self, now: DateTime<Utc>) -> Left {
        let free = self.capacity - (self.booked_reserved + self.booked_public);
        if now >= self.times.returns_at {
            return Left {
                reserved: 0,
                public: free,
            };
        }
        Left {
            reserved: (self.reserved - self.booked_reserved).min(free),
            public: (self.capacity - self.reserved)
                .saturating_sub(self.booked_public)
                .min(free),
        }
    }

    /// Gives a slot of `tranche` back (a cancellation).
    ///
    /// # Panics
    /// When nothing of that tranche is booked: a bug in the caller.
    pub fn release(&mut self, tranche: Tranche) {
        let counter = match tranche {
            Tranche::Reserved => &mut self.booked_reserved,
            Tranche::Public => &mut self.booked_public,
        };
        *counter = counter
            .checked_sub(1)
            .expect("BUG: released a slot that was not booked");
    }
}

/// Slots left in a pool's tranches ([`Pool::left_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Left {
    /// Reserved for referrals from primary care.
    pub reserved: u32,
    /// Open to everyone (and to referrals once the reserved ones are used).
    pub public: u32,
}

/// May `channel` book a slot in `pool` at `now`, and in which tranche (module docs)?
pub fn decide_booking(
    pool: &Pool,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<Tranche, BookingError> {
    let t = &pool.times;
    if now >= t.starts_at {
        return Err(BookingError::Closed);
    }
    let Left {
        reserved: reserved_left,
        public: public_left,
    } = pool.left_at(now);
    match channel {
        Channel::Referral => {
            if now < t.opens_reserved_at {
                return Err(BookingError::NotOpen(t.opens_reserved_at));
            }
            if reserved_left > 0 && now < t.returns_at {
                Ok(Tranche::Reserved)
            } else if public_left > 0 && now >= t.opens_public_at {
                Ok(Tranche::Public)
            } else if public_left > 0 || reserved_left > 0 {
                // slots exist, but the public release has not come: wait for it
                Err(BookingError::NotOpen(t.opens_public_at))
            } else {
                Err(BookingError::Full)
            }
        }
        Channel::Public => {
            if now < t.opens_public_at {
                return Err(BookingError::NotOpen(t.opens_public_at));
            }
            if public_left > 0 {
                Ok(Tranche::Public)
            } else if reserved_left > 0 {
                Err(BookingError::ReservedForReferrals)
            } else {
                Err(BookingError::Full)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap()
    }

    fn times() -> PoolTimes {
        PoolTimes {
            opens_reserved_at: day(1),
            opens_public_at: day(10),
            returns_at: day(20),
            starts_at: day(21),
        }
    }

    #[test]
    fn public_booking_cannot_use_reserved_capacity_until_it_returns() {
        let mut pool = Pool::new(3, 1, times()).unwrap();
        for _ in 0..2 {
            let t = decide_booking(&pool, Channel::Public, day(11)).unwrap();
            assert_eq!(t, Tranche::Public);
            pool.apply(t);
        }
        assert_eq!(
            decide_booking(&pool, Channel::Public, day(11)),
            Err(BookingError::ReservedForReferrals)
        );
        assert_eq!(BookingError::ReservedForReferrals.rule(), Some("QUOTA-1"));
        // after the return time the unused reserved slot is public (QUOTA-3)
        assert_eq!(
            decide_booking(&pool, Channel::Public, day(20)),
            Ok(Tranche::Public)
        );
        pool.apply(Tranche::Public);
        assert_eq!(
            decide_booking(&pool, Channel::Referral, day(20)),
            Err(BookingError::Full)
        );
        assert_eq!(
            decide_booking(&pool, Channel::Public, day(21)),
            Err(BookingError::Closed)
        );
    }

    #[test]
    fn referrals_open_earlier_than_the_public() {
        let pool = Pool::new(3, 1, times()).unwrap();
        assert_eq!(
            decide_booking(&pool, Channel::Referral, day(2)),
            Ok(Tranche::Reserved)
        );
        assert_eq!(
            decide_booking(&pool, Channel::Public, day(2)),
            Err(BookingError::NotOpen(day(10)))
        );
        assert_eq!(
            decide_booking(&pool, Channel::Referral, day(1) - Duration::seconds(1)),
            Err(BookingError::NotOpen(day(1)))
        );
    }

    #[test]
    fn a_slot_at_midnight_closes_at_midnight() {
        let mut t = times();
        t.starts_at = Utc.with_ymd_and_hms(2026, 12, 21, 16, 0, 0).unwrap(); // 00:00 in China
        t.returns_at = t.starts_at;
        let pool = Pool::new(2, 1, t).unwrap();
        let just_before = t.starts_at - Duration::seconds(1);
        assert_eq!(
            decide_booking(&pool, Channel::Public, just_before),
            Ok(Tranche::Public)
        );
        assert_eq!(
            decide_booking(&pool, Channel::Public, t.starts_at),
            Err(BookingError::Closed)
        );
    }

    #[test]
    fn stored_counters_are_checked() {
        assert_eq!(
            Pool::with_counters(3, 1, 2, 0, times()),
            Err(PoolError::Overbooked)
        );
        assert_eq!(
            Pool::with_counters(3, 1, 1, 3, times()),
            Err(PoolError::Overbooked)
        );
        assert!(matches!(
            Pool::new(3, 4, times()),
            Err(PoolError::ReservedOverCapacity { .. })
        ));
    }

    proptest! {
        /// Any sequence of bookings and cancellations at any times keeps every invariant:
        /// nothing overbooked, the reserved tranche never used by the public before it
        /// returns, counters never negative.
        #[test]
        fn no_sequence_overbooks(
            capacity in 0u32..40,
            reserved_pct in 0u32..=100,
            steps in prop::collection::vec((any::<bool>(), 0u32..25, any::<bool>()), 0..200),
        ) {
            let reserved = capacity * reserved_pct / 100;
            let mut pool = Pool::new(capacity, reserved, times()).unwrap();
            let mut booked: Vec<(Channel, Tranche)> = Vec::new();
            for (referral, d, cancel) in steps {
                let now = day(1) + Duration::days(i64::from(d));
                let channel = if referral { Channel::Referral } else { Channel::Public };
                if cancel && !booked.is_empty() {
                    let (_, t) = booked.remove(0);
                    pool.release(t);
                    continue;
                }
                if let Ok(t) = decide_booking(&pool, channel, now) {
                    pool.apply(t);
                    booked.push((channel, t));
                    if channel == Channel::Public && now < pool.times().returns_at {
                        prop_assert!(pool.booked_public() <= capacity - reserved);
                    }
                    prop_assert!(channel == Channel::Referral || t == Tranche::Public);
                }
                prop_assert!(pool.booked_reserved() <= reserved);
                prop_assert!(pool.booked_reserved() + pool.booked_public() <= capacity);
            }
        }
    }
}
