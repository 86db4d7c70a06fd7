//! Webhooks as stored (issue 4, item 7): an institution's subscriptions and the outbox of
//! deliveries, each pending (due at `next_at`), delivered or dead (the dead-letter list).
//!
//! **Claiming.** [`claim_due`] moves the due deliveries' `next_at` a lease ahead and marks
//! them with a claim token in one short transaction (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so two servers take disjoint rows; the write lock on SQLite). The HTTP call
//! happens after that commit, and [`finish`] records its result only under the same
//! token. A server that dies mid-call leaves the delivery to come due again when the lease
//! ends: delivered at least once, never by two servers at the same time.

use crate::notice::Notice;
use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, Utc};
use yilian_domain::ids::InstitutionId;

/// A subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    /// Its id.
    pub webhook_id: String,
    /// The institution whose notices it receives.
    pub institution_id: InstitutionId,
    /// Where to post.
    pub url: String,
    /// The signing secret, sealed with the key file.
    pub secret_sealed: String,
    /// Event kinds delivered; empty means all.
    pub kinds: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

const WEBHOOK_COLUMNS: &str =
    "webhook_id, institution_id, url, secret_sealed, kinds, created_by, created_at";

type WebhookTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
);

fn webhook_from(r: WebhookTuple) -> Result<WebhookRow, StoreError> {
    let (webhook_id, institution, url, secret_sealed, kinds, created_by, created_at) = r;
    Ok(WebhookRow {
        institution_id: InstitutionId::parse(&institution)
            .map_err(|e| StoreError::corrupt("webhook", &webhook_id, e))?,
        webhook_id,
        url,
        secret_sealed,
        kinds: kinds.split_whitespace().map(str::to_owned).collect(),
        created_by,
        created_at,
    })
}

/// Stores a new subscription.
pub async fn insert_webhook(tx: &mut Tx, w: &WebhookRow) -> Result<(), StoreError> {
    let sql =
        format!("INSERT INTO webhook ({WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
    with_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&w.webhook_id).bind(w.institution_id.as_str()).bind(&w.url).bind(&w.secret_sealed)
        .bind(w.kinds.join(" ")).bind(&w.created_by).bind(w.created_at)
        .execute(&mut *c).await.map(|_| ())?);
    Ok(())
}

/// Removes a subscription of `institution` with its deliveries; false when it has none
/// by that id.
pub async fn delete_webhook(
    tx: &mut Tx,
    webhook_id: &str,
    institution: &InstitutionId,
) -> Result<bool, StoreError> {
    let sql = "DELETE FROM webhook WHERE webhook_id = $1 AND institution_id = $2";
    let n = with_tx!(tx, c => sqlx::query(sql).bind(webhook_id).bind(institution.as_str())
        .execute(&mut *c).await?.rows_affected());
    Ok(n == 1)
}

/// An institution's subscriptions, oldest first.
pub async fn webhooks_of(
    store: &Store,
    institution: &InstitutionId,
) -> Result<Vec<WebhookRow>, StoreError> {
    let sql = format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhook WHERE institution_id = $1 ORDER BY created_at, webhook_id"
    );
    let rows: Vec<WebhookTuple> = with_pool!(store, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(institution.as_str()).fetch_all(p).await?);
    rows.into_iter().map(webhook_from).collect()
}

/// An institution's subscriptions as the projector sees them: id and kinds.
pub async fn subscribers(
    tx: &mut Tx,
    institution: &InstitutionId,
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let sql = "SELECT webhook_id, kinds FROM webhook WHERE institution_id = $1 ORDER BY webhook_id";
    let rows: Vec<(String, String)> = with_tx!(tx, c => sqlx::query_as(sql)
        .bind(institution.as_str()).fetch_all(&mut *c).await?);
    Ok(rows
        .into_iter()
        .map(|(id, kinds)| (id, kinds.split_whitespace().map(str::to_owned).collect()))
        .collect())
}

/// Queues the delivery of a notice to a webhook, due at `now` (once: a replay adds none).
pub async fn insert_delivery(
    tx: &mut Tx,
    webhook_id: &str,
    notice_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO webhook_delivery (webhook_id, notice_id, state, attempts, next_at, updated_at) \
               VALUES ($1, $2, 'pending', 0, $3, $3) ON CONFLICT (webhook_id, notice_id) DO NOTHING";
    with_tx!(tx, c => sqlx::query(sql).bind(webhook_id).bind(notice_id).bind(now)
        .execute(&mut *c).await.map(|_| ())?);
    Ok(())
}

/// A claimed delivery: what to post, where, and with which secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The delivery.
    pub delivery_id: i64,
    /// Failed tries so far.
    pub attempts: u32,
    /// The subscription.
    pub webhook_id: String,
    /// Its institution.
    pub institution_id: InstitutionId,
    /// Where to post.
    pub url: String,
    /// The sealed secret.
    pub secret_sealed: String,
    /// The notice posted.
    pub notice: Notice,
}

type DueTuple = (
    i64,
    i32,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    String,
    String,
    DateTime<Utc>,
);

/// Claims up to `limit` pending deliveries due at `now` for this caller (`claim`, a fresh
/// token), holding them until `lease_until` (module docs).
pub async fn claim_due(
    tx: &mut Tx,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    claim: &str,
    limit: i64,
) -> Result<Vec<Due>, StoreError> {
    let lock = if matches!(tx, Tx::Postgres(_)) {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE webhook_delivery SET next_at = $2, claim = $3, updated_at = $1 WHERE delivery_id IN \
         (SELECT delivery_id FROM webhook_delivery WHERE state = 'pending' AND next_at <= $1 \
          ORDER BY next_at, delivery_id LIMIT $4{lock})"
    );
    with_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(now).bind(lease_until).bind(claim).bind(limit)
        .execute(&mut *c).await.map(|_| ())?);
    let sql = "SELECT d.delivery_id, d.attempts, w.webhook_id, w.institution_id, w.url, w.secret_sealed, \
               n.notice_id, n.audience, n.event_id, n.stream, n.kind, n.at \
               FROM webhook_delivery d JOIN webhook w ON w.webhook_id = d.webhook_id \
               JOIN notice n ON n.notice_id = d.notice_id WHERE d.claim = $1 AND d.state = 'pending' \
               ORDER BY d.delivery_id";
    let rows: Vec<DueTuple> =
        with_tx!(tx, c => sqlx::query_as(sql).bind(claim).fetch_all(&mut *c).await?);
    rows.into_iter()
        .map(|r| {
            let (
                id,
                attempts,
                webhook_id,
                inst,
                url,
                secret_sealed,
                nid,
                aud,
                eid,
                stream,
                kind,
                at,
            ) = r;
            let bad = |e: String| StoreError::corrupt("webhook_delivery", &id.to_string(), e);
            Ok(Due {
                delivery_id: id,
                attempts: u32::try_from(attempts).map_err(|e| bad(e.to_string()))?,
                webhook_id,
                institution_id: InstitutionId::parse(&inst).map_err(|e| bad(e.to_string()))?,
                url,
                secret_sealed,
                notice: Notice {
                    notice_id: nid,
                    audience: aud,
                    event_id: eid,
                    stream,
                    kind,
                    at,
                },
            })
        })
        .collect()
}

/// What a try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// It failed; try again at `next_at`.
    Retry {
        /// The status, when the receiver answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// When to try again.
        next_at: DateTime<Utc>,
    },
    /// It failed for the last time: into the dead-letter list.
    Dead {
        /// The status, when the receiver answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
}

/// Records the result of the try claimed with `claim`; false when the claim is no longer
/// this caller's (its lease ran out and another try took the delivery).
pub async fn finish(
    tx: &mut Tx,
    delivery_id: i64,
    claim: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (state, status, error, next_at) = match outcome {
        Outcome::Delivered { status } => ("delivered", Some(*status), None, None),
        Outcome::Retry {
            status,
            error,
            next_at,
        } => ("pending", *status, Some(error.as_str()), Some(*next_at)),
        Outcome::Dead { status, error } => ("dead", *status, Some(error.as_str()), None),
    };
    let sql = "UPDATE webhook_delivery SET state = $3, attempts = attempts + 1, last_status = $4, \
               last_error = $5, next_at = COALESCE($6, next_at), claim = NULL, updated_at = $7 \
               WHERE delivery_id = $1 AND claim = $2 AND state = 'pending'";
    let n = with_tx!(tx, c => sqlx::query(sql)
        .bind(delivery_id).bind(claim).bind(state).bind(status.map(i32::from)).bind(error)
        .bind(next_at).bind(now)
        .execute(&mut *c).await?.rows_affected());
    Ok(n == 1)
}

/// A delivery as the dead-letter list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// The delivery.
    pub delivery_id: i64,
    /// The subscription.
    pub webhook_id: String,
    /// The notice.
    pub notice_id: i64,
    /// The notice's event kind.
    pub kind: String,
    /// The notice's stream.
    pub stream: String,
    /// Tries made.
    pub attempts: u32,
    /// The last status, when the receiver answered.
    pub last_status: Option<u16>,
    /// The last error.
    pub last_error: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

type DeliveryTuple = (
    i64,
    String,
    i64,
    String,
    String,
    i32,
    Option<i32>,
    Option<String>,
    DateTime<Utc>,
);

/// An institution's dead letters, newest first, at most `limit`.
pub async fn dead_letters(
    store: &Store,
    institution: &InstitutionId,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let sql = "SELECT d.delivery_id, d.webhook_id, d.notice_id, n.kind, n.stream, d.attempts, d.last_status, \
               d.last_error, d.updated_at FROM webhook_delivery d \
               JOIN webhook w ON w.webhook_id = d.webhook_id JOIN notice n ON n.notice_id = d.notice_id \
               WHERE w.institution_id = $1 AND d.state = 'dead' ORDER BY d.updated_at DESC, d.delivery_id DESC LIMIT $2";
    let rows: Vec<DeliveryTuple> = with_pool!(store, p => sqlx::query_as(sql)
        .bind(institution.as_str()).bind(limit).fetch_all(p).await?);
    rows.into_iter()
        .map(
            |(id, webhook_id, notice_id, kind, stream, attempts, status, error, at)| {
                let bad = |e: String| StoreError::corrupt("webhook_delivery", &id.to_string(), e);
                Ok(DeliveryRow {
                    delivery_id: id,
                    webhook_id,
                    notice_id,
                    kind,
                    stream,
                    attempts: u32::try_from(attempts).map_err(|e| bad(e.to_string()))?,
                    last_status: status
                        .map(u16::try_from)
                        .transpose()
                        .map_err(|e| bad(e.to_string()))?,
                    last_error: error,
                    updated_at: at,
                })
            },
        )
        .collect()
}

/// Puts a dead letter of `institution` back in the queue, due at `now`, with a fresh
/// round of tries; false when it has no dead letter by that id.
pub async fn retry_dead(
    tx: &mut Tx,
    delivery_id: i64,
    institution: &InstitutionId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE webhook_delivery SET state = 'pending', attempts = 0, next_at = $3, claim = NULL, \
               updated_at = $3 WHERE delivery_id = $1 AND state = 'dead' \
               AND webhook_id IN (SELECT webhook_id FROM webhook WHERE institution_id = $2)";
    let n = with_tx!(tx, c => sqlx::query(sql).bind(delivery_id).bind(institution.as_str()).bind(now)
        .execute(&mut *c).await?.rows_affected());
    Ok(n == 1)
}

/// Counts of an institution's deliveries by state (for tests and the console): pending,
/// delivered, dead.
pub async fn counts(store: &Store, institution: &InstitutionId) -> Result<[i64; 3], StoreError> {
    let sql = "SELECT d.state, COUNT(*) FROM webhook_delivery d JOIN webhook w ON w.webhook_id = d.webhook_id \
               WHERE w.institution_id = $1 GROUP BY d.state";
    let rows: Vec<(String, i64)> = with_pool!(store, p => sqlx::query_as(sql)
        .bind(institution.as_str()).fetch_all(p).await?);
    let mut out = [0; 3];
    for (state, n) in rows {
        let k = match state.as_str() {
            "pending" => 0,
            "delivered" => 1,
            "dead" => 2,
            other => {
                return Err(StoreError::corrupt(
                    "webhook_delivery",
                    other,
                    "unknown state",
                ));
            }
        };
        out[k] = n;
    }
    Ok(out)
}
