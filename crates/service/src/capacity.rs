//! A booking's life after it is made (issue 4, items 4, 5 and 8): confirming a hold,
//! cancelling, recording a no-show ([`change`]), releasing the holds that reached their
//! deadline ([`sweep`]), and the pool view ([`pool_view`]).
//!
//! Every change of a booking is made with its pool's row locked (`FOR UPDATE` on
//! PostgreSQL, the write lock on SQLite) and reads the booking again after taking the
//! lock, so two desks, or two servers sweeping at once, see each other's work: a hold
//! is released once, a slot given back once. The domain ([`decide_change`]) decides;
//! this module writes the status, the pool's counters and one event on the pool's stream
//! `pool/<id>` in one transaction. Writers of that stream all hold the pool's lock, so
//! they never race for its next number.
//!
//! A lapsed hold keeps its capacity until the next sweep (`serve` runs one every 30
//! seconds): the booking batch does not look for lapsed holds, which would add a statement
//! per batch to the storm's hot path. It can no longer be confirmed meanwhile.

use crate::ServiceError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use yilian_domain::capacity::{
    BookingStatus, Change, ChangeError, Effect, Figures, Pool, PoolKind, decide_change,
};
use yilian_domain::ids::{BookingKey, InstitutionId, PoolId};
use yilian_store::Store;
use yilian_store::capacity::{self, BookingRow, Days};
use yilian_store::event::{NewEvent, append};

/// The event a change is recorded as.
fn event_kind(change: Change) -> &'static str {
    match change {
        Change::Confirm => "HoldConfirmed",
        Change::Cancel => "BookingCancelled",
        Change::NoShow => "NoShowRecorded",
        Change::Expire => "HoldsExpired",
    }
}

/// Why a change was not made (nothing was stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeFailure {
    /// No booking has this key.
    #[error("no booking '{0}' / 预约不存在")]
    NoSuchBooking(BookingKey),
    /// The rules refuse it (expired hold, after the start, before the start, status).
    #[error(transparent)]
    Refused(#[from] ChangeError),
}

/// A decided move of some bookings of one pool.
struct Move<'a> {
    change: Change,
    to: BookingStatus,
    release: bool,
    actor: &'a str,
    now: DateTime<Utc>,
}

/// The pool's counters after `rows` give their capacity back (when the move releases),
/// written with the rows' new status and one event on the pool's stream.
async fn record(
    tx: &mut yilian_store::Tx,
    pool_id: &PoolId,
    pool: &mut Pool,
    rows: &[&BookingRow],
    m: Move<'_>,
) -> Result<(), ServiceError> {
    let Move {
        change,
        to,
        release,
        actor,
        now,
    } = m;
    if release {
        for b in rows {
            pool.release(b.tranche);
        }
        capacity::set_counters(tx, &[(pool_id.clone(), *pool)]).await?;
    }
    let keys: Vec<BookingKey> = rows.iter().map(|b| b.key.clone()).collect();
    capacity::set_status(tx, &keys, to).await?;
    let e = NewEvent {
        stream: format!("pool/{pool_id}"),
        kind: event_kind(change),
        version: 1,
        payload: serde_json::json!({
            "pool_id": pool_id, "keys": keys, "status": to, "released": release,
        }),
        actor: actor.to_owned(),
        at: now,
    };
    append(tx, &e).await?;
    Ok(())
}

/// Makes `change` to the booking `key` at `now` (module docs); answers the booking as it
/// stands after. A repeat of a change already made changes nothing and answers the same.
pub async fn change(
    store: &Store,
    key: &BookingKey,
    change: Change,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Result<BookingRow, ChangeFailure>, ServiceError> {
    let mut tx = store.begin().await?;
    let keys = [key.clone()];
    let Some(first) = capacity::bookings_by_key(&mut tx, &keys).await?.pop() else {
        tx.rollback().await?;
        return Ok(Err(ChangeFailure::NoSuchBooking(key.clone())));
    };
    let mut pools = capacity::lock_pools(&mut tx, std::slice::from_ref(&first.pool_id)).await?;
    let mut pool = pools
        .pop()
        .expect("BUG: a booking's pool is referenced by a foreign key")
        .pool;
    // read again under the pool's lock: another change may have committed meanwhile
    let mut b = capacity::bookings_by_key(&mut tx, &keys)
        .await?
        .pop()
        .expect("BUG: bookings are never deleted");
    match decide_change(&pool, b.status, b.held_until, change, now) {
        Err(e) => {
            tx.rollback().await?;
            Ok(Err(e.into()))
        }
        Ok(Effect::Nothing) => {
            tx.rollback().await?;
            Ok(Ok(b))
        }
        Ok(Effect::Becomes { status, release }) => {
            let pool_id = b.pool_id.clone();
            let m = Move {
                change,
                to: status,
                release,
                actor,
                now,
            };
            record(&mut tx, &pool_id, &mut pool, &[&b], m).await?;
            tx.commit().await?;
            b.status = status;
            Ok(Ok(b))
        }
    }
}

/// Releases every hold whose deadline has come by `now`; answers how many. Safe with
/// several servers sweeping one PostgreSQL database at once (module docs): each reads
/// the open holds again after locking their pools, so a hold another sweep released is
/// not released twice. One transaction; an error stores nothing.
pub async fn sweep(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let due = |b: &BookingRow| b.held_until.is_some_and(|t| t <= now);
    let mut tx = store.begin().await?;
    let mut ids: Vec<PoolId> = capacity::open_holds(&mut tx)
        .await?
        .into_iter()
        .filter(due)
        .map(|b| b.pool_id)
        .collect();
    if ids.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    ids.sort();
    ids.dedup();
    let pools = capacity::lock_pools(&mut tx, &ids).await?;
    let holds = capacity::open_holds(&mut tx).await?;
    let mut released = 0;
    for p in pools {
        let mut pool = p.pool;
        let mine: Vec<&BookingRow> = holds
            .iter()
            .filter(|b| b.pool_id == p.pool_id && due(b))
            .collect();
        for b in &mine {
            let effect = decide_change(&pool, b.status, b.held_until, Change::Expire, now);
            assert_eq!(
                effect,
                Ok(Effect::Becomes {
                    status: BookingStatus::Expired,
                    release: true
                }),
                "BUG: a due open hold that does not expire"
            );
        }
        if mine.is_empty() {
            continue;
        }
        let m = Move {
            change: Change::Expire,
            to: BookingStatus::Expired,
            release: true,
            actor: "sweep",
            now,
        };
        record(&mut tx, &p.pool_id, &mut pool, &mine, m).await?;
        released += mine.len();
    }
    tx.commit().await?;
    Ok(released)
}

/// One line of the pool view: a department's (or ward's) pools of one kind on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewLine {
    /// The department or ward.
    pub department: String,
    /// The day.
    pub day: NaiveDate,
    /// Slots or beds.
    pub kind: PoolKind,
    /// Its sessions' figures added up.
    pub figures: Figures,
}

/// The pool view of `institution` on `days` as it stands at `now` (QUOTA-3: reserved,
/// used, returned and wasted per department and day), by day, department and kind.
pub async fn pool_view(
    store: &Store,
    institution: &InstitutionId,
    days: Days,
    now: DateTime<Utc>,
) -> Result<Vec<ViewLine>, ServiceError> {
    let mut lines: BTreeMap<(NaiveDate, String, PoolKind), Figures> = BTreeMap::new();
    for (p, tally) in capacity::tallies_of(store, institution, days).await? {
        let f = Figures::of(&p.pool, &tally, now);
        lines
            .entry((p.day, p.department, p.pool.kind()))
            .or_default()
            .add(&f);
    }
    Ok(lines
        .into_iter()
        .map(|((day, department, kind), figures)| ViewLine {
            department,
            day,
            kind,
            figures,
        })
        .collect())
}

/// Longest department or ward name, in characters.
pub const DEPARTMENT_CHARS_MAX: usize = 100;
/// Furthest ahead a pool may be opened: a year of sessions is more than any release plan,
/// and a bound keeps every computed time far inside the calendar.
pub const POOL_DAYS_AHEAD_MAX: i64 = 366;

/// A pool as asked for by a desk (the console, the API or the CLI), before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolAsk<'a> {
    /// The institution.
    pub institution: InstitutionId,
    /// The department (slots) or ward (beds).
    pub department: &'a str,
    /// The day.
    pub day: NaiveDate,
    /// `am`, `pm`, `night` or `day`.
    pub session: &'a str,
    /// `slot` or `bed`.
    pub kind: &'a str,
    /// Slots or beds in all.
    pub capacity: u32,
    /// Reserved for referrals.
    pub reserved: u32,
}

/// Why a pool as asked is not a pool; each names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolAskError {
    /// The day is in the past or more than [`POOL_DAYS_AHEAD_MAX`] days ahead.
    #[error(
        "field 'day': from today to {POOL_DAYS_AHEAD_MAX} days ahead / 日期须为今天起 {POOL_DAYS_AHEAD_MAX} 天以内"
    )]
    Day,
    /// The department or ward name is empty, too long or has control characters.
    #[error(
        "field 'department': 1 to {DEPARTMENT_CHARS_MAX} characters / 科室名称须为 1 至 {DEPARTMENT_CHARS_MAX} 个字符"
    )]
    Department,
    /// A code that is not one of its values.
    #[error("field '{field}': {error}")]
    Code {
        /// `session` or `kind`.
        field: &'static str,
        /// The values accepted.
        error: yilian_domain::registry::CodeError,
    },
    /// Capacity and reserved do not make a pool.
    #[error("field 'reserved': {0}")]
    Pool(yilian_domain::capacity::PoolError),
}

impl PoolAsk<'_> {
    /// The pool row: on the standard release of its session ([`PoolTimes::standard`]), with
    /// the id `<institution>-<kind>-<department>-<day>-<session>`; `today` is China's.
    ///
    /// [`PoolTimes::standard`]: yilian_domain::capacity::PoolTimes::standard
    pub fn row(&self, today: NaiveDate) -> Result<capacity::PoolRow, PoolAskError> {
        use yilian_domain::capacity::{PoolTimes, Session};
        if !(0..=POOL_DAYS_AHEAD_MAX).contains(&(self.day - today).num_days()) {
            return Err(PoolAskError::Day);
        }
        let department = self.department.trim();
        if department.is_empty()
            || department.chars().count() > DEPARTMENT_CHARS_MAX
            || department.chars().any(char::is_control)
        {
            return Err(PoolAskError::Department);
        }
        let code = |field| move |error| PoolAskError::Code { field, error };
        let session = Session::parse(self.session).map_err(code("session"))?;
        let kind = PoolKind::parse(self.kind).map_err(code("kind"))?;
        let times = PoolTimes::standard(session.starts_at(self.day));
        let pool =
            Pool::of_kind(kind, self.capacity, self.reserved, times).map_err(PoolAskError::Pool)?;
        let id = format!(
            "{}-{kind}-{department}-{}-{session}",
            self.institution, self.day
        );
        Ok(capacity::PoolRow {
            pool_id: PoolId::parse(&id).map_err(|_| PoolAskError::Department)?,
            institution_id: self.institution.clone(),
            department: department.to_owned(),
            day: self.day,
            session: session.as_str().to_owned(),
            pool,
        })
    }
}
