//! Slot pools and bookings as stored. A batch of bookings runs in one transaction: the
//! pools it touches are locked ([`lock_pools`]: `FOR UPDATE` on PostgreSQL, in id order so
//! two servers never deadlock; SQLite's `BEGIN IMMEDIATE` holds the whole database), the
//! service decides each booking with the domain's rules, and the new counters and booking
//! rows are written back ([`set_counters`], [`insert_bookings`]) with one statement each
//! on PostgreSQL, whatever the batch size. The table's CHECKs have the last word.
//!
//! A pool holds slots or beds (its `kind`); a booking may begin as a hold and later move
//! on ([`set_status`]). Every change of a booking happens with its pool locked, so a
//! reader that locked the pool first sees the booking's latest status: that is what lets
//! two servers sweep expired holds at once without releasing one twice.

use crate::sql::{id_list_on, strings};
use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AssertSqlSafe;
use yilian_domain::capacity::{BookingStatus, Channel, Pool, PoolKind, PoolTimes, Tally, Tranche};
use yilian_domain::ids::{BookingKey, InstitutionId, PoolId, ResidentId};

/// A pool with where and when it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRow {
    /// Which.
    pub pool_id: PoolId,
    /// The institution.
    pub institution_id: InstitutionId,
    /// The department (`cardiology`, `内科` …).
    pub department: String,
    /// The day.
    pub day: NaiveDate,
    /// `am`, `pm` or `night`.
    pub session: String,
    /// Capacity and counters.
    pub pool: Pool,
}

/// A stored booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRow {
    /// The client's idempotency key.
    pub key: BookingKey,
    /// The pool.
    pub pool_id: PoolId,
    /// Who is booked.
    pub resident_id: ResidentId,
    /// Referral or public.
    pub channel: Channel,
    /// The tranche it used.
    pub tranche: Tranche,
    /// The user (or system) that booked.
    pub booked_by: String,
    /// When committed.
    pub booked_at: DateTime<Utc>,
    /// Where it stands.
    pub status: BookingStatus,
    /// For a booking that began as a hold: the hold's deadline (kept once confirmed).
    pub held_until: Option<DateTime<Utc>>,
}

const POOL_COLUMNS: &str = "pool_id, institution_id, department, day, session, capacity, reserved, \
     booked_reserved, booked_public, opens_reserved_at, opens_public_at, returns_at, starts_at, kind";
const BOOKING_COLUMNS: &str =
    "booking_key, pool_id, resident_id, channel, tranche, booked_by, booked_at, status, held_until";

type PoolTuple = (
    String,
    String,
    String,
    NaiveDate,
    String,
    i64,
    i64,
    i64,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
    String,
);

fn count(n: i64, id: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|e| StoreError::corrupt("slot_pool", id, e))
}

fn pool_from(r: PoolTuple) -> Result<PoolRow, StoreError> {
    let (id, inst, department, day, session, cap, res, br, bp, o1, o2, ret, start, kind) = r;
    let bad = |e: String| StoreError::corrupt("slot_pool", &id, e);
    let times = PoolTimes {
        opens_reserved_at: o1,
        opens_public_at: o2,
        returns_at: ret,
        starts_at: start,
    };
    let pool = Pool::with_counters(
        PoolKind::parse(&kind).map_err(|e| bad(e.to_string()))?,
        count(cap, &id)?,
        count(res, &id)?,
        count(br, &id)?,
        count(bp, &id)?,
        times,
    )
    .map_err(|e| bad(e.to_string()))?;
    Ok(PoolRow {
        pool_id: PoolId::parse(&id).map_err(|e| bad(e.to_string()))?,
        institution_id: InstitutionId::parse(&inst).map_err(|e| bad(e.to_string()))?,
        department,
        day,
        session,
        pool,
    })
}

type BookingTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    String,
    Option<DateTime<Utc>>,
);

fn booking_from(r: BookingTuple) -> Result<BookingRow, StoreError> {
    let (key, pool, resident, channel, tranche, by, at, status, held_until) = r;
    let bad = |e: String| StoreError::corrupt("booking", &key, e);
    Ok(BookingRow {
        pool_id: PoolId::parse(&pool).map_err(|e| bad(e.to_string()))?,
        resident_id: ResidentId::parse(&resident).map_err(|e| bad(e.to_string()))?,
        channel: Channel::parse(&channel).map_err(|e| bad(e.to_string()))?,
        tranche: Tranche::parse(&tranche).map_err(|e| bad(e.to_string()))?,
        booked_by: by,
        booked_at: at,
        status: BookingStatus::parse(&status).map_err(|e| bad(e.to_string()))?,
        held_until,
        key: BookingKey::parse(&key).map_err(|e| bad(e.to_string()))?,
    })
}

/// Stores new pools (a pool id already stored is a conflict).
pub async fn insert_pools(tx: &mut Tx, pools: &[PoolRow]) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO slot_pool ({POOL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    for r in pools {
        let p = &r.pool;
        let t = p.times();
        with_tx!(tx, c => sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(r.pool_id.as_str())
            .bind(r.institution_id.as_str())
            .bind(&r.department)
            .bind(r.day)
            .bind(&r.session)
            .bind(i64::from(p.capacity()))
            .bind(i64::from(p.reserved()))
            .bind(i64::from(p.booked_reserved()))
            .bind(i64::from(p.booked_public()))
            .bind(t.opens_reserved_at)
            .bind(t.opens_public_at)
            .bind(t.returns_at)
            .bind(t.starts_at)
            .bind(p.kind().as_str())
            .execute(&mut *c)
            .await
            .map(|_| ())?);
    }
    Ok(())
}

/// The `WHERE` that matches a list of ids bound as one parameter: an array on PostgreSQL,
/// a JSON array on SQLite (which has no arrays).
fn id_list(tx: &Tx, column: &str) -> String {
    id_list_on(matches!(tx, Tx::Postgres(_)), column)
}

/// The pools `ids` names, locked until the transaction ends, in id order.
pub async fn lock_pools(tx: &mut Tx, ids: &[PoolId]) -> Result<Vec<PoolRow>, StoreError> {
    let lock = if matches!(tx, Tx::Postgres(_)) {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {POOL_COLUMNS} FROM slot_pool WHERE {} ORDER BY pool_id{lock}",
        id_list(tx, "pool_id")
    );
    let ids = strings(ids);
    let rows: Vec<PoolTuple> = match tx {
        Tx::Postgres(c) => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(&ids)
                .fetch_all(&mut **c)
                .await?
        }
        Tx::Sqlite(c) => {
            let json = serde_json::to_string(&ids)
                .map_err(|e| StoreError::corrupt("slot_pool", "ids", e))?;
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(json)
                .fetch_all(&mut **c)
                .await?
        }
    };
    rows.into_iter().map(pool_from).collect()
}

/// The bookings stored under any of `keys` (idempotent repeats).
pub async fn bookings_by_key(
    tx: &mut Tx,
    keys: &[BookingKey],
) -> Result<Vec<BookingRow>, StoreError> {
    let sql = format!(
        "SELECT {BOOKING_COLUMNS} FROM booking WHERE {}",
        id_list(tx, "booking_key")
    );
    let keys = strings(keys);
    let rows: Vec<BookingTuple> = match tx {
        // not a cached statement: a plan cached while the table was small (a seq scan)
        // would stay in the connection's cache as the table grows; planning each time
        // keeps the primary-key lookup
        Tx::Postgres(c) => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(&keys)
                .persistent(false)
                .fetch_all(&mut **c)
                .await?
        }
        Tx::Sqlite(c) => {
            let json = serde_json::to_string(&keys)
                .map_err(|e| StoreError::corrupt("booking", "keys", e))?;
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(json)
                .fetch_all(&mut **c)
                .await?
        }
    };
    rows.into_iter().map(booking_from).collect()
}

/// Writes the counters of `pools` back, in one statement.
pub async fn set_counters(tx: &mut Tx, pools: &[(PoolId, Pool)]) -> Result<(), StoreError> {
    let ids: Vec<String> = pools.iter().map(|(id, _)| id.as_str().to_owned()).collect();
    let r: Vec<i64> = pools
        .iter()
        .map(|(_, p)| i64::from(p.booked_reserved()))
        .collect();
    let b: Vec<i64> = pools
        .iter()
        .map(|(_, p)| i64::from(p.booked_public()))
        .collect();
    match tx {
        Tx::Postgres(c) => {
            sqlx::query(
                "UPDATE slot_pool SET booked_reserved = u.r, booked_public = u.b \
                 FROM UNNEST($1::text[], $2::bigint[], $3::bigint[]) AS u(id, r, b) WHERE pool_id = u.id",
            )
            .bind(&ids)
            .bind(&r)
            .bind(&b)
            .execute(&mut **c)
            .await?;
        }
        Tx::Sqlite(c) => {
            // SQLite has no arrays: the columns go as JSON arrays, zipped by position
            sqlx::query(
                "UPDATE slot_pool SET booked_reserved = u.r, booked_public = u.b \
                 FROM (SELECT i.value AS id, r.value AS r, b.value AS b FROM json_each($1) i \
                       JOIN json_each($2) r ON r.key = i.key JOIN json_each($3) b ON b.key = i.key) AS u \
                 WHERE pool_id = u.id",
            )
            .bind(json(&ids)?)
            .bind(json(&r)?)
            .bind(json(&b)?)
            .execute(&mut **c)
            .await?;
        }
    }
    Ok(())
}

/// A column as a JSON array, SQLite's stand-in for an array parameter.
fn json<T: serde::Serialize>(v: &[T]) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::corrupt("booking", "batch", e))
}

/// Stores new bookings in one statement (a key already stored is a conflict: the service
/// checks first).
pub async fn insert_bookings(tx: &mut Tx, rows: &[BookingRow]) -> Result<(), StoreError> {
    let col = |f: &dyn Fn(&BookingRow) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let keys = col(&|r| r.key.as_str().to_owned());
    let pools = col(&|r| r.pool_id.as_str().to_owned());
    let residents = col(&|r| r.resident_id.as_str().to_owned());
    let channels = col(&|r| r.channel.as_str().to_owned());
    let tranches = col(&|r| r.tranche.as_str().to_owned());
    let by = col(&|r| r.booked_by.clone());
    let statuses = col(&|r| r.status.as_str().to_owned());
    let at: Vec<DateTime<Utc>> = rows.iter().map(|r| r.booked_at).collect();
    let until: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.held_until).collect();
    match tx {
        Tx::Postgres(c) => {
            sqlx::query(
                "INSERT INTO booking (booking_key, pool_id, resident_id, channel, tranche, booked_by, booked_at, status, held_until) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::timestamptz[])",
            )
            .bind(&keys)
            .bind(&pools)
            .bind(&residents)
            .bind(&channels)
            .bind(&tranches)
            .bind(&by)
            .bind(&at)
            .bind(&statuses)
            .bind(&until)
            .execute(&mut **c)
            .await?;
        }
        Tx::Sqlite(c) => {
            // one JSON array of rows; timestamps written as sqlx writes them on SQLite, a
            // missing deadline as JSON null (which `->>` reads as NULL)
            let text = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
            let at: Vec<String> = at.iter().map(text).collect();
            let until: Vec<Option<String>> = until.iter().map(|t| t.as_ref().map(text)).collect();
            let table: Vec<[Option<&String>; 9]> = (0..keys.len())
                .map(|k| {
                    [
                        Some(&keys[k]),
                        Some(&pools[k]),
                        Some(&residents[k]),
                        Some(&channels[k]),
                        Some(&tranches[k]),
                        Some(&by[k]),
                        Some(&at[k]),
                        Some(&statuses[k]),
                        until[k].as_ref(),
                    ]
                })
                .collect();
            sqlx::query(
                "INSERT INTO booking (booking_key, pool_id, resident_id, channel, tranche, booked_by, booked_at, status, held_until) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8 \
                 FROM json_each($1)",
            )
            .bind(json(&table)?)
            .execute(&mut **c)
            .await?;
        }
    }
    Ok(())
}

/// Every pool, by id (for the invariant checks and the pool view).
pub async fn all_pools(store: &Store) -> Result<Vec<PoolRow>, StoreError> {
    let sql = format!("SELECT {POOL_COLUMNS} FROM slot_pool ORDER BY pool_id");
    let rows: Vec<PoolTuple> =
        with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone())).fetch_all(p).await?);
    rows.into_iter().map(pool_from).collect()
}

/// Every booking, by key.
pub async fn all_bookings(store: &Store) -> Result<Vec<BookingRow>, StoreError> {
    let sql = format!("SELECT {BOOKING_COLUMNS} FROM booking ORDER BY booking_key");
    let rows: Vec<BookingTuple> =
        with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone())).fetch_all(p).await?);
    rows.into_iter().map(booking_from).collect()
}

/// Days from `from` to `to`, both included; an open end is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Days {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
}

impl Days {
    /// One day.
    pub fn one(day: NaiveDate) -> Days {
        Days {
            from: Some(day),
            to: Some(day),
        }
    }
}

/// The pools of an institution on `days`, by id.
pub async fn pools_of(
    store: &Store,
    institution: &InstitutionId,
    days: Days,
) -> Result<Vec<PoolRow>, StoreError> {
    let sql = format!(
        "SELECT {POOL_COLUMNS} FROM slot_pool WHERE institution_id = $1 \
         AND ($2 IS NULL OR day >= $2) AND ($3 IS NULL OR day <= $3) ORDER BY pool_id"
    );
    let rows: Vec<PoolTuple> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
        .bind(institution.as_str())
        .bind(days.from)
        .bind(days.to)
        .fetch_all(p)
        .await?);
    rows.into_iter().map(pool_from).collect()
}

/// The pools of `institutions` on the days `from..=to`, of one department when given, by
/// id: one query over the `(institution_id, day)` index, whatever the number of
/// institutions (routing reads the free capacity of a group's receivers with it).
pub async fn pools_in(
    store: &Store,
    institutions: &[InstitutionId],
    from: NaiveDate,
    to: NaiveDate,
    department: Option<&str>,
) -> Result<Vec<PoolRow>, StoreError> {
    let sql = format!(
        "SELECT {POOL_COLUMNS} FROM slot_pool WHERE {} AND day BETWEEN $2 AND $3 \
         AND ($4 IS NULL OR department = $4) ORDER BY pool_id",
        id_list_on(matches!(store, Store::Postgres(_)), "institution_id")
    );
    let ids = strings(institutions);
    let rows: Vec<PoolTuple> = match store {
        Store::Postgres(p) => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(&ids)
                .bind(from)
                .bind(to)
                .bind(department)
                .fetch_all(p)
                .await?
        }
        Store::Sqlite(p) => {
            let json = serde_json::to_string(&ids)
                .map_err(|e| StoreError::corrupt("slot_pool", "institutions", e))?;
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(json)
                .bind(from)
                .bind(to)
                .bind(department)
                .fetch_all(p)
                .await?
        }
    };
    rows.into_iter().map(pool_from).collect()
}

/// The pools of an institution on `days`, each with the count of its bookings per
/// channel and status: what the pool view adds up. Two statements, however many pools.
pub async fn tallies_of(
    store: &Store,
    institution: &InstitutionId,
    days: Days,
) -> Result<Vec<(PoolRow, Tally)>, StoreError> {
    let pools = pools_of(store, institution, days).await?;
    let sql = "SELECT b.pool_id, b.channel, b.status, COUNT(*) FROM booking b \
               JOIN slot_pool p ON p.pool_id = b.pool_id WHERE p.institution_id = $1 \
               AND ($2 IS NULL OR p.day >= $2) AND ($3 IS NULL OR p.day <= $3) \
               GROUP BY b.pool_id, b.channel, b.status";
    let counts: Vec<(String, String, String, i64)> = with_pool!(store, p => sqlx::query_as(sql)
        .bind(institution.as_str())
        .bind(days.from)
        .bind(days.to)
        .fetch_all(p)
        .await?);
    let mut tallies: std::collections::HashMap<String, Tally> = std::collections::HashMap::new();
    for (pool, channel, status, n) in counts {
        let bad = |e: String| StoreError::corrupt("booking", &pool, e);
        let channel = Channel::parse(&channel).map_err(|e| bad(e.to_string()))?;
        let status = BookingStatus::parse(&status).map_err(|e| bad(e.to_string()))?;
        let n = count(n, &pool)?;
        tallies.entry(pool).or_default().add(channel, status, n);
    }
    Ok(pools
        .into_iter()
        .map(|p| {
            let t = tallies.remove(p.pool_id.as_str()).unwrap_or_default();
            (p, t)
        })
        .collect())
}

/// Moves the bookings `keys` to `status`, in one statement (the caller holds their pools'
/// locks and has decided each move).
pub async fn set_status(
    tx: &mut Tx,
    keys: &[BookingKey],
    status: BookingStatus,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE booking SET status = $2 WHERE {}",
        id_list(tx, "booking_key")
    );
    let keys = strings(keys);
    match tx {
        Tx::Postgres(c) => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&keys)
                .bind(status.as_str())
                .execute(&mut **c)
                .await?;
        }
        Tx::Sqlite(c) => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(json(&keys)?)
                .bind(status.as_str())
                .execute(&mut **c)
                .await?;
        }
    }
    Ok(())
}

/// The holds not yet confirmed, cancelled or expired, whatever their deadline (the
/// caller compares: few are open at a time, and comparing instants in Rust spares SQLite
/// a comparison of timestamps stored as text).
pub async fn open_holds(tx: &mut Tx) -> Result<Vec<BookingRow>, StoreError> {
    let sql = format!("SELECT {BOOKING_COLUMNS} FROM booking WHERE status = 'held'");
    let rows: Vec<BookingTuple> =
        with_tx!(tx, c => sqlx::query_as(AssertSqlSafe(sql.clone())).fetch_all(&mut *c).await?);
    rows.into_iter().map(booking_from).collect()
}

/// The booking stored under `key`, if any (outside a transaction: for the access check
/// before a change, which reads it again under its pool's lock).
pub async fn find_booking(
    store: &Store,
    key: &BookingKey,
) -> Result<Option<BookingRow>, StoreError> {
    let sql = format!("SELECT {BOOKING_COLUMNS} FROM booking WHERE booking_key = $1");
    let row: Option<BookingTuple> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
        .bind(key.as_str())
        .fetch_optional(p)
        .await?);
    row.map(booking_from).transpose()
}

/// The pool `id`, if any.
pub async fn find_pool(store: &Store, id: &PoolId) -> Result<Option<PoolRow>, StoreError> {
    let sql = format!("SELECT {POOL_COLUMNS} FROM slot_pool WHERE pool_id = $1");
    let row: Option<PoolTuple> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
        .bind(id.as_str())
        .fetch_optional(p)
        .await?);
    row.map(pool_from).transpose()
}
