//! Booking slots (issue 4, item 4): no overbooking, ever, on SQLite or PostgreSQL, with
//! one server or several on one database; and a commit that carries many bookings.
//!
//! [`book_batch`] books a batch in one transaction: it locks the pools the batch touches
//! (in id order, so two servers never deadlock), answers repeats of an idempotency key
//! with the booking stored under it, asks the domain ([`decide_booking`]) for each new
//! request in arrival order, and writes the counters, the booking rows and one
//! `SlotsBooked` event per pool before it commits. A client is told "booked" only after
//! that commit, so a crash can lose an unconfirmed request but never a confirmed booking,
//! and a retry with the same key after a crash finds what was committed.
//!
//! A request may ask for a **hold** instead ([`Mode::Hold`]): the same decision, the same
//! tranche, the same counters, with a deadline ([`hold_until`]); the batch records holds
//! in a `HoldsPlaced` event. Confirming, cancelling, no-shows and the sweep of expired
//! holds are in [`crate::capacity`].
//!
//! [`Booker`] is the group commit: requests from any number of concurrent callers queue
//! up while a batch is being committed, and the next batch takes all of them (up to
//! [`BATCH_MAX`]). Under a release storm a single durable commit carries hundreds of
//! bookings; with one caller, a batch is one booking and nothing waits.

use crate::ServiceError;
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::{BTreeMap, HashMap};
use tokio::sync::{mpsc, oneshot};
use yilian_domain::capacity::{
    BookingError, BookingStatus, Channel, HoldError, Pool, PoolKind, decide_booking, hold_until,
};
use yilian_domain::ids::{BookingKey, PoolId, ResidentId};
use yilian_store::Store;
use yilian_store::capacity::{self, BookingRow};
use yilian_store::event::{NewEvent, append};

/// Most requests one transaction carries: enough that a storm's commit is amortised over
/// hundreds of bookings, few enough that one batch holds its locks for milliseconds.
pub const BATCH_MAX: usize = 512;
/// Times the committing task yields to let the next requests arrive before it begins a
/// batch (see [`Booker::spawn`]).
const GATHER_YIELDS: usize = 4;
/// Requests waiting for the group commit before callers are pushed back.
const QUEUE_MAX: usize = 16_384;

/// One request to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookRequest {
    /// The client's idempotency key: a repeat books nothing more.
    pub key: BookingKey,
    /// The pool.
    pub pool: PoolId,
    /// Who is booked.
    pub resident: ResidentId,
    /// Referral or public.
    pub channel: Channel,
    /// The user or system booking.
    pub by: String,
    /// Book outright, or hold.
    pub mode: Mode,
}

/// Whether a request books or holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Book outright.
    Book,
    /// Hold until a deadline (none: the default of the pool's kind, [`hold_until`]).
    Hold {
        /// The deadline asked for.
        until: Option<DateTime<Utc>>,
    },
}

/// Why a request was not booked (nothing was stored for it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// The rules refuse it (full, reserved for referrals, not open, closed).
    #[error(transparent)]
    Refused(#[from] BookingError),
    /// No pool has this id.
    #[error("no slot pool '{0}' / 号源池不存在")]
    NoSuchPool(PoolId),
    /// The key was used before for a different booking.
    #[error("idempotency key '{0}' was used for a different booking / 幂等键已用于另一预约")]
    KeyReused(BookingKey),
    /// The hold's deadline is not acceptable.
    #[error(transparent)]
    Hold(#[from] HoldError),
}

/// What a request came to.
pub type BookResult = Result<BookingRow, BookError>;

fn same_request(r: &BookRequest, b: &BookingRow) -> bool {
    r.pool == b.pool_id
        && r.resident == b.resident_id
        && r.channel == b.channel
        && matches!(r.mode, Mode::Hold { .. }) == b.held_until.is_some()
}

/// Books `requests` in one transaction at `now` (module docs); one result per request,
/// in order. The batch's `SlotsBooked` event goes to the stream `bookings/{writer}`: each
/// booker writes its own stream, so two servers never race for a stream's next number
/// (two concurrent batches of one writer would: one fails and is retried). An error is
/// the database's: nothing of the batch was stored.
pub async fn book_batch(
    store: &Store,
    requests: &[BookRequest],
    now: DateTime<Utc>,
    writer: &str,
) -> Result<Vec<BookResult>, ServiceError> {
    let mut ids: Vec<PoolId> = requests.iter().map(|r| r.pool.clone()).collect();
    ids.sort();
    ids.dedup();
    let keys: Vec<BookingKey> = requests.iter().map(|r| r.key.clone()).collect();
    // the precision both databases keep, so an answer equals the row read back later
    let now = now.trunc_subsecs(6);
    let mut tx = store.begin().await?;
    let mut pools: BTreeMap<PoolId, Pool> = capacity::lock_pools(&mut tx, &ids)
        .await?
        .into_iter()
        .map(|p| (p.pool_id, p.pool))
        .collect();
    let mut known: HashMap<BookingKey, BookingRow> = capacity::bookings_by_key(&mut tx, &keys)
        .await?
        .into_iter()
        .map(|b| (b.key.clone(), b))
        .collect();
    let mut new_rows: Vec<BookingRow> = Vec::new();
    let mut results = Vec::with_capacity(requests.len());
    for r in requests {
        if let Some(b) = known.get(&r.key) {
            results.push(if same_request(r, b) {
                Ok(b.clone())
            } else {
                Err(BookError::KeyReused(r.key.clone()))
            });
            continue;
        }
        let Some(pool) = pools.get_mut(&r.pool) else {
            results.push(Err(BookError::NoSuchPool(r.pool.clone())));
            continue;
        };
        let decided = decide_booking(pool, r.channel, now)
            .map_err(BookError::from)
            .and_then(|tranche| match r.mode {
                Mode::Book => Ok((tranche, None)),
                Mode::Hold { until } => Ok((tranche, Some(hold_until(pool, now, until)?))),
            });
        match decided {
            Ok((tranche, held_until)) => {
                pool.apply(tranche);
                let row = BookingRow {
                    key: r.key.clone(),
                    pool_id: r.pool.clone(),
                    resident_id: r.resident.clone(),
                    channel: r.channel,
                    tranche,
                    booked_by: r.by.clone(),
                    booked_at: now,
                    status: if held_until.is_some() {
                        BookingStatus::Held
                    } else {
                        BookingStatus::Booked
                    },
                    held_until,
                };
                known.insert(r.key.clone(), row.clone());
                new_rows.push(row.clone());
                results.push(Ok(row));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    if new_rows.is_empty() {
        tx.rollback().await?;
        return Ok(results);
    }
    let changed: Vec<(PoolId, Pool)> = pools
        .iter()
        .filter(|(id, _)| new_rows.iter().any(|b| &b.pool_id == *id))
        .map(|(id, p)| (id.clone(), *p))
        .collect();
    capacity::set_counters(&mut tx, &changed).await?;
    capacity::insert_bookings(&mut tx, &new_rows).await?;
    // bookings and holds are separate events, so a reader of `SlotsBooked` never mistakes a
    // hold for a booking; a storm of plain bookings still writes one event per batch
    let (held, booked): (Vec<&BookingRow>, Vec<&BookingRow>) =
        new_rows.iter().partition(|b| b.held_until.is_some());
    for (kind, rows) in [("SlotsBooked", booked), ("HoldsPlaced", held)] {
        if rows.is_empty() {
            continue;
        }
        let bookings: Vec<serde_json::Value> = rows
            .iter()
            .map(|b| {
                let mut v = serde_json::json!({
                    "key": b.key, "pool_id": b.pool_id, "resident_id": b.resident_id,
                    "channel": b.channel, "tranche": b.tranche, "by": b.booked_by,
                });
                // a booking's payload stays as it was before holds existed
                if let Some(until) = b.held_until {
                    v["held_until"] = serde_json::json!(until);
                }
                v
            })
            .collect();
        let e = NewEvent {
            stream: format!("bookings/{writer}"),
            kind,
            version: 1,
            payload: serde_json::json!({ "bookings": bookings }),
            actor: "booker".to_owned(),
            at: now,
        };
        append(&mut tx, &e).await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// A request waiting for the group commit, with where its answer goes.
type Waiting = (BookRequest, oneshot::Sender<Result<BookResult, String>>);

/// The group commit (module docs). Cloning shares the queue.
#[derive(Debug, Clone)]
pub struct Booker {
    queue: mpsc::Sender<Waiting>,
}

impl Booker {
    /// Starts the committing task on the current runtime.
    pub fn spawn(store: Store) -> Booker {
        let (queue, mut rx) = mpsc::channel::<Waiting>(QUEUE_MAX);
        // this booker's event stream, unique across servers and restarts
        let writer = crate::auth::random_hex().reveal()[..16].to_owned();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                // the callers answered by the last batch are sending their next requests
                // now: yielding a few times lets them arrive and join this batch, which
                // roughly doubles its size under a storm and costs a few microseconds
                // when there is no storm
                for _ in 0..GATHER_YIELDS {
                    while batch.len() < BATCH_MAX {
                        match rx.try_recv() {
                            Ok(w) => batch.push(w),
                            Err(_) => break,
                        }
                    }
                    if batch.len() >= BATCH_MAX {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                match book_batch(&store, &requests, Utc::now(), &writer).await {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            // a caller that went away simply does not hear the answer
                            let _ = reply.send(Ok(result));
                        }
                    }
                    Err(e) => {
                        let text = e.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(text.clone()));
                        }
                    }
                }
            }
        });
        Booker { queue }
    }

    /// Books one request; answers once its batch has committed. A database error means
    /// nothing of the batch was stored: retry with the same key.
    pub async fn book(&self, request: BookRequest) -> Result<BookResult, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((request, reply))
            .await
            .map_err(|_| ServiceError::Internal("the booking task has stopped".into()))?;
        answer
            .await
            .map_err(|_| ServiceError::Internal("the booking task has stopped".into()))?
            .map_err(ServiceError::Internal)
    }
}

/// Why pools cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolSetupError {
    /// QUOTA-1 (slots) or QUOTA-2 (beds): a lead hospital's pool reserves less than the
    /// profile's share.
    #[error(
        "{rule}: field 'reserved': pool '{pool}' of a lead hospital reserves {reserved} of {capacity}, less than {share} / 牵头医院预留不足 {share}（{rule}）"
    )]
    ReservedTooSmall {
        /// `QUOTA-1` or `QUOTA-2`.
        rule: &'static str,
        /// The pool.
        pool: PoolId,
        /// Reserved.
        reserved: u32,
        /// Capacity.
        capacity: u32,
        /// The profile's share.
        share: String,
    },
    /// The institution does not exist.
    #[error("no institution '{0}' / 机构不存在")]
    NoSuchInstitution(String),
    /// A pool with this id is open already.
    #[error("field 'pool_id': pool '{0}' is open already / 号源床位池已存在")]
    AlreadyOpen(PoolId),
}

/// Opens new pools. A pool of an institution that leads a consortium must reserve at least
/// the profile's share for referrals: of slots (QUOTA-1), of beds (QUOTA-2), when the
/// profile enables the rule.
pub async fn open_pools(
    store: &Store,
    pools: &[capacity::PoolRow],
    profile: &yilian_domain::policy::Profile,
    actor: &str,
) -> Result<Result<(), PoolSetupError>, ServiceError> {
    let reg = yilian_store::registry::load_registry(store).await?;
    let rules = &profile.rules;
    for p in pools {
        if reg.institution(&p.institution_id).is_none() {
            return Ok(Err(PoolSetupError::NoSuchInstitution(
                p.institution_id.to_string(),
            )));
        }
        let leads = reg.consortia.iter().any(|c| c.lead == p.institution_id);
        let kind = p.pool.kind();
        let (enabled, share) = match kind {
            PoolKind::Slot => (rules.quota1.enabled, rules.quota1.reserved_outpatient_share),
            PoolKind::Bed => (rules.quota2.enabled, rules.quota2.reserved_bed_share),
        };
        if enabled
            && leads
            && !share.is_met_by(u64::from(p.pool.reserved()), u64::from(p.pool.capacity()))
        {
            return Ok(Err(PoolSetupError::ReservedTooSmall {
                rule: kind.quota_rule(),
                pool: p.pool_id.clone(),
                reserved: p.pool.reserved(),
                capacity: p.pool.capacity(),
                share: share.to_string(),
            }));
        }
    }
    let mut tx = store.begin().await?;
    let asked: Vec<PoolId> = pools.iter().map(|p| p.pool_id.clone()).collect();
    if let Some(open) = capacity::lock_pools(&mut tx, &asked)
        .await?
        .into_iter()
        .next()
    {
        tx.rollback().await?;
        return Ok(Err(PoolSetupError::AlreadyOpen(open.pool_id)));
    }
    capacity::insert_pools(&mut tx, pools).await?;
    let ids: Vec<&str> = pools.iter().map(|p| p.pool_id.as_str()).collect();
    let e = NewEvent {
        stream: "pools".to_owned(),
        kind: "PoolsOpened",
        version: 1,
        payload: serde_json::json!({ "pools": ids }),
        actor: actor.to_owned(),
        at: Utc::now(),
    };
    append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
