//! Capacity pools: an institution's outpatient slots (号源池) for one department, day and
//! session, or its inpatient beds (床位池) for one ward and admission day, split into the
//! tranche reserved for referrals from primary care (QUOTA-1: at least 1/3 of slots,
//! QUOTA-2: 1/4 of beds at a lead hospital) and the public one; and the one decision every
//! booking goes through, [`decide_booking`], which the store applies with row locks so
//! that no pool is ever overbooked, whatever the number of servers.
//!
//! A booking may begin as a **hold** ([`BookingStatus::Held`]) that counts against the pool
//! exactly like a booking (the same decision, the same tranche) until it is confirmed,
//! cancelled or expires: a referrer holds a slot while completing the form; an accepted
//! inpatient referral holds a bed until the patient arrives. [`decide_change`] is the
//! one place the later moves of a booking (confirm, cancel, no-show, expiry) are decided.
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
use chrono::{DateTime, Duration, Utc};
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
    /// What a pool holds. Both kinds share the tranches and the booking decision; they
    /// differ in the share a lead must reserve and in what a hold and a no-show mean
    /// ([`decide_change`]).
    PoolKind, "pool kind" {
        /// Outpatient appointment slots of one session (号源, QUOTA-1).
        Slot = "slot" / "门诊号源",
        /// Inpatient beds of one ward for one admission day (床位, QUOTA-2).
        Bed = "bed" / "住院床位",
    }
);

impl PoolKind {
    /// The rule that sets the share a lead hospital reserves.
    pub fn quota_rule(self) -> &'static str {
        match self {
            PoolKind::Slot => "QUOTA-1",
            PoolKind::Bed => "QUOTA-2",
        }
    }
}

crate::registry::code_enum!(
    /// Where a booking stands. Held and booked ones take capacity; the others gave it back
    /// (cancelled, expired, a bed no-show) or wasted it (a slot no-show).
    BookingStatus, "booking status" {
        /// Held while a form is completed or a patient is on the way; lapses at its deadline.
        Held = "held" / "锁定中",
        /// Booked (for a bed: the patient arrived).
        Booked = "booked" / "已预约",
        /// Cancelled before the session began; the capacity went back to its tranche.
        Cancelled = "cancelled" / "已取消",
        /// The person did not come (recorded by the receiver once the session began).
        NoShow = "no_show" / "爽约",
        /// A hold not confirmed by its deadline; released by the sweep.
        Expired = "expired" / "锁定已过期",
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

/// Reserved capacity opens to referrers this many days before the session (QUOTA-3:
/// Beijing releases reserved slots to primary care two weeks ahead).
pub const RESERVED_LEAD_DAYS: i64 = 14;
/// The public release, this many days before the session.
pub const PUBLIC_LEAD_DAYS: i64 = 7;
/// Unused reserved capacity returns to the public this many hours before the session
/// (QUOTA-3: the evening before a morning session).
pub const RETURN_LEAD_HOURS: i64 = 12;

impl PoolTimes {
    /// The standard release of a session starting at `starts_at`: reserved capacity
    /// [`RESERVED_LEAD_DAYS`] ahead, public [`PUBLIC_LEAD_DAYS`] ahead, the unused reserved
    /// returning [`RETURN_LEAD_HOURS`] before the start. Pools opened from the CLI and the
    /// console use it, so the profile's QUOTA-3 practice holds without anyone typing times.
    pub fn standard(starts_at: DateTime<Utc>) -> PoolTimes {
        PoolTimes {
            opens_reserved_at: starts_at - Duration::days(RESERVED_LEAD_DAYS),
            opens_public_at: starts_at - Duration::days(PUBLIC_LEAD_DAYS),
            returns_at: starts_at - Duration::hours(RETURN_LEAD_HOURS),
            starts_at,
        }
    }
}

crate::registry::code_enum!(
    /// When in the day a pool's capacity is used: an outpatient session, or a ward's
    /// admission day.
    Session, "session" {
        /// Morning clinic, from 08:00.
        Am = "am" / "上午",
        /// Afternoon clinic, from 13:30.
        Pm = "pm" / "下午",
        /// Evening clinic, from 18:00.
        Night = "night" / "夜间",
        /// A ward's admission day, from 08:00.
        Day = "day" / "全天",
    }
);

impl Session {
    /// When the session begins on `day`, in China's time (UTC+8).
    pub fn starts_at(self, day: chrono::NaiveDate) -> DateTime<Utc> {
        let (h, m) = match self {
            Session::Am | Session::Day => (8, 0),
            Session::Pm => (13, 30),
            Session::Night => (18, 0),
        };
        let local = day
            .and_hms_opt(h, m, 0)
            .expect("BUG: a session starts at a valid time");
        (local - Duration::hours(8)).and_utc()
    }
}

/// A pool's capacity and what is booked (or held) of it. The counters can only move
/// through [`Pool::apply`] and [`Pool::release`], which assert the invariants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    kind: PoolKind,
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
    /// An empty pool of `capacity` outpatient slots, `reserved` of them for referrals.
    pub fn new(capacity: u32, reserved: u32, times: PoolTimes) -> Result<Pool, PoolError> {
        Pool::with_counters(PoolKind::Slot, capacity, reserved, 0, 0, times)
    }

    /// An empty pool of `kind`.
    pub fn of_kind(
        kind: PoolKind,
        capacity: u32,
        reserved: u32,
        times: PoolTimes,
    ) -> Result<Pool, PoolError> {
        Pool::with_counters(kind, capacity, reserved, 0, 0, times)
    }

    /// A pool as stored, checked.
    pub fn with_counters(
        kind: PoolKind,
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
            kind,
            capacity,
            reserved,
            booked_reserved,
            booked_public,
            times,
        })
    }

    /// Slots or beds.
    pub fn kind(&self) -> PoolKind {
        self.kind
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

/// How long a slot hold lasts when the referrer does not say: long enough to complete a
/// referral form, short enough that an abandoned form does not keep a slot from others.
pub const SLOT_HOLD_TTL_DEFAULT_S: i64 = 5 * 60;
/// The longest a slot hold may be asked to last.
pub const SLOT_HOLD_TTL_MAX_S: i64 = 30 * 60;
/// A held bed waits this long after its admission day begins when no deadline is given
/// (an admission day starting 08:00 keeps the bed until 18:00).
pub const BED_ARRIVAL_DEFAULT_S: i64 = 10 * 3600;
/// The latest a bed hold may last after its admission day begins.
pub const BED_ARRIVAL_MAX_S: i64 = 24 * 3600;

/// Why a hold cannot last as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub enum HoldError {
    /// The deadline is not after now.
    #[error("field 'until': a hold must end after now / 锁定截止时间须晚于当前时间")]
    InPast,
    /// The deadline is later than a hold of this kind may last.
    #[error("field 'until': a hold may last until {0} at the latest / 锁定截止时间不得晚于 {0}")]
    TooLong(DateTime<Utc>),
}

/// Until when a hold asked at `now` lasts: `asked`, or the default of the pool's kind (a
/// slot: [`SLOT_HOLD_TTL_DEFAULT_S`] from now; a bed: [`BED_ARRIVAL_DEFAULT_S`] after the
/// admission day begins), within the kind's maximum.
pub fn hold_until(
    pool: &Pool,
    now: DateTime<Utc>,
    asked: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, HoldError> {
    let starts = pool.times.starts_at;
    let (default, latest) = match pool.kind {
        PoolKind::Slot => (
            now + Duration::seconds(SLOT_HOLD_TTL_DEFAULT_S),
            now + Duration::seconds(SLOT_HOLD_TTL_MAX_S),
        ),
        PoolKind::Bed => (
            starts + Duration::seconds(BED_ARRIVAL_DEFAULT_S),
            starts + Duration::seconds(BED_ARRIVAL_MAX_S),
        ),
    };
    let until = asked.unwrap_or(default);
    if until <= now {
        Err(HoldError::InPast)
    } else if until > latest {
        Err(HoldError::TooLong(latest))
    } else {
        Ok(until)
    }
}

/// A later move of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Confirm a hold: the form is complete (a slot) or the patient arrived (a bed).
    Confirm,
    /// Cancel before the session begins.
    Cancel,
    /// The person did not come (the receiver records it once the session began).
    NoShow,
    /// A hold reached its deadline unconfirmed (the sweep).
    Expire,
}

/// What a change does to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Already done (a repeated command): nothing changes.
    Nothing,
    /// The booking moves to `status`; with `release`, its capacity returns to its tranche.
    Becomes {
        /// The new status.
        status: BookingStatus,
        /// Give the slot or bed back to its tranche.
        release: bool,
    },
}

/// Why a change is refused. Each variant says what the booking or the clock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The hold lapsed before it was confirmed.
    #[error("the hold expired at {0}; hold again / 锁定已于 {0} 过期，请重新锁定")]
    HoldExpired(DateTime<Utc>),
    /// The hold has not reached its deadline (the sweep found it early).
    #[error("the hold lasts until {0} / 锁定尚未到期")]
    HoldNotDue(DateTime<Utc>),
    /// The session has begun: a slot can no longer be confirmed or anything cancelled.
    #[error("the session began at {0} / 已于 {0} 开始")]
    Started(DateTime<Utc>),
    /// A no-show can only be recorded once the session has begun.
    #[error("a no-show can be recorded from {0}, when the session begins / 开始前不能登记爽约")]
    NotStarted(DateTime<Utc>),
    /// The booking's status does not allow this change.
    #[error("the booking is {} ({}): this change does not apply / 预约状态为{}，不能执行此操作", .0.as_str(), .0.zh(), .0.zh())]
    Status(BookingStatus),
}

/// May `change` be made to a booking in `pool` that is `status` (a hold with deadline
/// `held_until`) at `now`, and what does it do?
///
/// A slot's hold is confirmed before the session; a slot's no-show is a confirmed booking
/// not attended, and the slot stays used (wasted). A bed's hold is confirmed when the
/// patient arrives, up to its deadline; a bed's no-show is a hold the patient did not
/// come for, and the bed returns to its tranche. Cancelling frees the capacity until the
/// session begins. A repeat of a move already made does nothing.
pub fn decide_change(
    pool: &Pool,
    status: BookingStatus,
    held_until: Option<DateTime<Utc>>,
    change: Change,
    now: DateTime<Utc>,
) -> Result<Effect, ChangeError> {
    use BookingStatus as S;
    let starts = pool.times.starts_at;
    let to = |status, release| Ok(Effect::Becomes { status, release });
    match (change, status) {
        (Change::Confirm, S::Held) => {
            let until = held_until.expect("BUG: a held booking without its deadline");
            if now >= until {
                Err(ChangeError::HoldExpired(until))
            } else if pool.kind == PoolKind::Slot && now >= starts {
                Err(ChangeError::Started(starts))
            } else {
                to(S::Booked, false)
            }
        }
        (Change::Confirm, S::Booked) | (Change::Cancel, S::Cancelled) => Ok(Effect::Nothing),
        (Change::Confirm, S::Cancelled | S::NoShow | S::Expired) => {
            Err(ChangeError::Status(status))
        }
        (Change::Cancel, S::Held | S::Booked) => {
            if now >= starts {
                Err(ChangeError::Started(starts))
            } else {
                to(S::Cancelled, true)
            }
        }
        (Change::Cancel, S::NoShow | S::Expired) => Err(ChangeError::Status(status)),
        (Change::NoShow, S::NoShow) => Ok(Effect::Nothing),
        (Change::NoShow, S::Held | S::Booked) => {
            // a slot no-show is a confirmed booking; a bed no-show is a bed still waiting
            let expected = match pool.kind {
                PoolKind::Slot => S::Booked,
                PoolKind::Bed => S::Held,
            };
            if status != expected {
                Err(ChangeError::Status(status))
            } else if now < starts {
                Err(ChangeError::NotStarted(starts))
            } else {
                to(S::NoShow, pool.kind == PoolKind::Bed)
            }
        }
        (Change::NoShow, S::Cancelled | S::Expired) => Err(ChangeError::Status(status)),
        (Change::Expire, S::Held) => {
            let until = held_until.expect("BUG: a held booking without its deadline");
            if now < until {
                Err(ChangeError::HoldNotDue(until))
            } else {
                to(S::Expired, true)
            }
        }
        (Change::Expire, S::Expired) => Ok(Effect::Nothing),
        (Change::Expire, S::Booked | S::Cancelled | S::NoShow) => Err(ChangeError::Status(status)),
    }
}

/// How many bookings of a pool are in each (channel, status): what the pool view counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    counts: std::collections::BTreeMap<(Channel, BookingStatus), u32>,
}

impl Tally {
    /// Adds `n` bookings of `channel` in `status`.
    pub fn add(&mut self, channel: Channel, status: BookingStatus, n: u32) {
        *self.counts.entry((channel, status)).or_default() += n;
    }
    fn of(&self, channels: &[Channel], statuses: &[BookingStatus]) -> u32 {
        self.counts
            .iter()
            .filter(|((c, s), _)| channels.contains(c) && statuses.contains(s))
            .map(|(_, n)| n)
            .sum()
    }
}

/// One line of the pool view (QUOTA-3: "how much was reserved, used, returned and
/// wasted"), for one pool or, added up, for a department's day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Slots or beds in all.
    pub capacity: u32,
    /// Reserved for referrals from primary care (QUOTA-1/QUOTA-2).
    pub reserved: u32,
    /// Taken by referrals (held or booked).
    pub used_by_referrals: u32,
    /// Reserved capacity referrals had not taken at the return time, which went to the
    /// public pool (QUOTA-3); counted once the return time has come.
    pub returned: u32,
    /// Unused when the session began, no-shows included; counted once it began. A held
    /// bed still waits for its patient and is not counted.
    pub wasted: u32,
    /// Taken by the public (held or booked).
    pub public_booked: u32,
}

impl Figures {
    /// The figures of `pool` with its bookings `tally`, as they stand at `now`.
    pub fn of(pool: &Pool, tally: &Tally, now: DateTime<Utc>) -> Figures {
        use BookingStatus as S;
        let taken = [S::Held, S::Booked];
        let t = &pool.times;
        let returned = if now >= t.returns_at {
            pool.reserved - pool.booked_reserved
        } else {
            0
        };
        let kept: &[BookingStatus] = match pool.kind {
            PoolKind::Slot => &[S::Booked],
            PoolKind::Bed => &taken,
        };
        let wasted = if now >= t.starts_at {
            pool.capacity
                .saturating_sub(tally.of(&[Channel::Referral, Channel::Public], kept))
        } else {
            0
        };
        Figures {
            capacity: pool.capacity,
            reserved: pool.reserved,
            used_by_referrals: tally.of(&[Channel::Referral], &taken),
            returned,
            wasted,
            public_booked: tally.of(&[Channel::Public], &taken),
        }
    }

    /// Adds another pool's figures (a department's sessions of one day).
    pub fn add(&mut self, o: &Figures) {
        self.capacity += o.capacity;
        self.reserved += o.reserved;
        self.used_by_referrals += o.used_by_referrals;
        self.returned += o.returned;
        self.wasted += o.wasted;
        self.public_booked += o.public_booked;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use chrono::TimeZone;
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
    fn sessions_start_in_china_time_and_release_by_the_standard() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 21).unwrap();
        let pm = Session::Pm.starts_at(d);
        assert_eq!(pm, Utc.with_ymd_and_hms(2026, 12, 21, 5, 30, 0).unwrap());
        assert_eq!(
            pm.with_timezone(&crate::china())
                .format("%H:%M")
                .to_string(),
            "13:30"
        );
        let t = PoolTimes::standard(pm);
        assert_eq!(t.opens_reserved_at, pm - Duration::days(14));
        assert_eq!(t.returns_at, pm - Duration::hours(12));
        assert!(Pool::new(3, 1, t).is_ok());
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
            Pool::with_counters(PoolKind::Slot, 3, 1, 2, 0, times()),
            Err(PoolError::Overbooked)
        );
        assert_eq!(
            Pool::with_counters(PoolKind::Bed, 3, 1, 1, 3, times()),
            Err(PoolError::Overbooked)
        );
        assert!(matches!(
            Pool::new(3, 4, times()),
            Err(PoolError::ReservedOverCapacity { .. })
        ));
    }

    fn bed_pool() -> Pool {
        Pool::of_kind(PoolKind::Bed, 4, 1, times()).unwrap()
    }

    #[test]
    fn a_hold_that_expired_cannot_be_confirmed() {
        let pool = Pool::new(3, 1, times()).unwrap();
        let until = hold_until(&pool, day(2), None).unwrap();
        assert_eq!(until, day(2) + Duration::seconds(SLOT_HOLD_TTL_DEFAULT_S));
        let held = BookingStatus::Held;
        assert_eq!(
            decide_change(&pool, held, Some(until), Change::Confirm, day(2)),
            Ok(Effect::Becomes {
                status: BookingStatus::Booked,
                release: false
            })
        );
        assert_eq!(
            decide_change(&pool, held, Some(until), Change::Confirm, until),
            Err(ChangeError::HoldExpired(until))
        );
        // the sweep releases it at its deadline, not before
        assert_eq!(
            decide_change(&pool, held, Some(until), Change::Expire, day(2)),
            Err(ChangeError::HoldNotDue(until))
        );
        assert_eq!(
            decide_change(&pool, held, Some(until), Change::Expire, until),
            Ok(Effect::Becomes {
                status: BookingStatus::Expired,
                release: true
            })
        );
        // confirming twice, expiring twice: nothing more happens
        let booked = BookingStatus::Booked;
        assert_eq!(
            decide_change(&pool, booked, Some(until), Change::Confirm, day(3)),
            Ok(Effect::Nothing)
        );
        assert_eq!(
            decide_change(
                &pool,
                BookingStatus::Expired,
                Some(until),
                Change::Expire,
                day(3)
            ),
            Ok(Effect::Nothing)
        );
    }

    #[test]
    fn hold_deadlines_follow_the_kind() {
        let slots = Pool::new(3, 1, times()).unwrap();
        let now = day(2);
        assert_eq!(hold_until(&slots, now, Some(now)), Err(HoldError::InPast));
        let latest = now + Duration::seconds(SLOT_HOLD_TTL_MAX_S);
        assert_eq!(
            hold_until(&slots, now, Some(latest + Duration::seconds(1))),
            Err(HoldError::TooLong(latest))
        );
        let beds = bed_pool();
        assert_eq!(
            hold_until(&beds, now, None),
            Ok(day(21) + Duration::seconds(BED_ARRIVAL_DEFAULT_S))
        );
        assert_eq!(PoolKind::Bed.quota_rule(), "QUOTA-2");
        assert_eq!(PoolKind::Slot.quota_rule(), "QUOTA-1");
    }

    #[test]
    fn cancel_only_before_the_start_and_no_show_only_after() {
        let slots = Pool::new(3, 1, times()).unwrap();
        let booked = BookingStatus::Booked;
        assert_eq!(
            decide_change(&slots, booked, None, Change::Cancel, day(20)),
            Ok(Effect::Becomes {
                status: BookingStatus::Cancelled,
                release: true
            })
        );
        assert_eq!(
            decide_change(&slots, booked, None, Change::Cancel, day(21)),
            Err(ChangeError::Started(day(21)))
        );
        assert_eq!(
            decide_change(&slots, booked, None, Change::NoShow, day(20)),
            Err(ChangeError::NotStarted(day(21)))
        );
        // a slot no-show stays used: the session has passed and the slot is wasted
        assert_eq!(
            decide_change(&slots, booked, None, Change::NoShow, day(21)),
            Ok(Effect::Becomes {
                status: BookingStatus::NoShow,
                release: false
            })
        );
        assert_eq!(
            decide_change(
                &slots,
                BookingStatus::Cancelled,
                None,
                Change::NoShow,
                day(21)
            ),
            Err(ChangeError::Status(BookingStatus::Cancelled))
        );
    }

    #[test]
    fn a_bed_is_held_until_arrival_and_released_on_no_show() {
        let beds = bed_pool();
        let until = hold_until(&beds, day(2), None).unwrap();
        let held = BookingStatus::Held;
        // the patient arrives after the admission day began, before the deadline
        assert_eq!(
            decide_change(&beds, held, Some(until), Change::Confirm, day(21)),
            Ok(Effect::Becomes {
                status: BookingStatus::Booked,
                release: false
            })
        );
        assert_eq!(
            decide_change(&beds, held, Some(until), Change::NoShow, day(21)),
            Ok(Effect::Becomes {
                status: BookingStatus::NoShow,
                release: true
            })
        );
        // an arrived patient is not a no-show
        assert_eq!(
            decide_change(
                &beds,
                BookingStatus::Booked,
                Some(until),
                Change::NoShow,
                day(21)
            ),
            Err(ChangeError::Status(BookingStatus::Booked))
        );
    }

    #[test]
    fn figures_count_reserved_used_returned_and_wasted() {
        let mut pool = Pool::new(6, 2, times()).unwrap();
        let mut tally = Tally::default();
        pool.apply(Tranche::Reserved);
        tally.add(Channel::Referral, BookingStatus::Booked, 1);
        for _ in 0..2 {
            pool.apply(Tranche::Public);
        }
        tally.add(Channel::Public, BookingStatus::Booked, 1);
        tally.add(Channel::Public, BookingStatus::NoShow, 1);
        let before = Figures::of(&pool, &tally, day(11));
        assert_eq!(
            (
                before.reserved,
                before.used_by_referrals,
                before.public_booked
            ),
            (2, 1, 1)
        );
        assert_eq!((before.returned, before.wasted), (0, 0));
        let after = Figures::of(&pool, &tally, day(21));
        // one reserved slot unused at the return time; 6 slots, 2 attended
        assert_eq!((after.returned, after.wasted), (1, 4));
        let mut sum = Figures::default();
        sum.add(&after);
        sum.add(&after);
        assert_eq!(sum.capacity, 12);
    }

    proptest! {
        /// Holds, confirmations, cancellations, no-shows and expiries in any order and at
        /// any time keep the counters equal to the bookings that take capacity, per
        /// tranche, and never overbook.
        #[test]
        fn changes_keep_counters_equal_to_bookings(
            bed in any::<bool>(),
            capacity in 0u32..20,
            steps in prop::collection::vec((0u8..5, 0usize..30, 0u32..25, any::<bool>()), 0..200),
        ) {
            let kind = if bed { PoolKind::Bed } else { PoolKind::Slot };
            let mut pool = Pool::of_kind(kind, capacity, capacity.div_ceil(3), times()).unwrap();
            let mut bookings: Vec<(Tranche, BookingStatus, Option<DateTime<Utc>>)> = Vec::new();
            for (op, k, d, referral) in steps {
                let now = day(1) + Duration::days(i64::from(d));
                let channel = if referral { Channel::Referral } else { Channel::Public };
                if op == 0 {
                    if let Ok(t) = decide_booking(&pool, channel, now) {
                        let until = hold_until(&pool, now, None).unwrap();
                        pool.apply(t);
                        bookings.push((t, BookingStatus::Held, Some(until)));
                    }
                    continue;
                }
                let Some(b) = bookings.get_mut(k) else { continue };
                let change = [Change::Confirm, Change::Cancel, Change::NoShow, Change::Expire][usize::from(op - 1)];
                if let Ok(Effect::Becomes { status, release }) = decide_change(&pool, b.1, b.2, change, now) {
                    b.1 = status;
                    if release {
                        pool.release(b.0);
                    }
                }
                let taking = |t: Tranche| {
                    bookings.iter().filter(|b| b.0 == t && match b.1 {
                        BookingStatus::Held | BookingStatus::Booked => true,
                        BookingStatus::NoShow => kind == PoolKind::Slot,
                        BookingStatus::Cancelled | BookingStatus::Expired => false,
                    }).count() as u32
                };
                prop_assert_eq!(taking(Tranche::Reserved), pool.booked_reserved());
                prop_assert_eq!(taking(Tranche::Public), pool.booked_public());
                prop_assert!(pool.booked_reserved() + pool.booked_public() <= capacity);
            }
        }
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
