//! Notices as stored (issue 4, item 7): the projector's cursor over the event log, the
//! parties of each stream, and the notice rows that make each party's feed.
//!
//! **One projector at a time.** [`claim_cursor`] locks the cursor row (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL: a second server finds it taken and waits for its next turn; the
//! write lock on SQLite), and the notices, the parties and the new cursor are written in
//! that one transaction. So a crash loses nothing (the cursor did not move either), two
//! servers never write a notice twice (and `UNIQUE (audience, event_id)` would stop them),
//! and notice ids become visible in increasing order, which makes `notice_id` a cursor a
//! feed reader can trust.
//!
//! **No event left behind on PostgreSQL.** Event ids come from a sequence there, so they
//! can commit out of order; [`settled_after`] reads in `(tx_id, event_id)` order and only
//! events of transactions older than every transaction still running (migration 0010).

use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use yilian_domain::ids::{InstitutionId, PoolId};
use yilian_domain::notice::Audience;

/// Where the projector stands in the event log: on SQLite the event id alone (one writer,
/// ids commit in order), on PostgreSQL the writing transaction's id first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    /// Transaction id of the last event read (0 on SQLite).
    pub tx_id: i64,
    /// The last event read.
    pub event_id: i64,
}

/// An event as the projector reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// Its place, to store as the cursor once handled.
    pub cursor: Cursor,
    /// Its stream.
    pub stream: String,
    /// Its kind.
    pub kind: String,
    /// Its payload.
    pub payload: serde_json::Value,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// Takes the projector's cursor for this transaction; `None` when another server holds it.
pub async fn claim_cursor(tx: &mut Tx) -> Result<Option<Cursor>, StoreError> {
    Ok(match tx {
        Tx::Postgres(c) => sqlx::query_as::<_, (i64, i64)>(
            "SELECT tx_id, event_id FROM notice_cursor WHERE name = 'notice' FOR UPDATE SKIP LOCKED",
        )
        .fetch_optional(&mut **c)
        .await?
        .map(|(tx_id, event_id)| Cursor { tx_id, event_id }),
        Tx::Sqlite(c) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT event_id FROM notice_cursor WHERE name = 'notice'",
            )
            .fetch_optional(&mut **c)
            .await?
            .map(|event_id| Cursor { tx_id: 0, event_id })
        }
    })
}

/// Moves the cursor (in the transaction that wrote the notices up to it).
pub async fn set_cursor(tx: &mut Tx, cursor: Cursor) -> Result<(), StoreError> {
    match tx {
        Tx::Postgres(c) => {
            sqlx::query("UPDATE notice_cursor SET tx_id = $1, event_id = $2 WHERE name = 'notice'")
                .bind(cursor.tx_id)
                .bind(cursor.event_id)
                .execute(&mut **c)
                .await
                .map(|_| ())?
        }
        Tx::Sqlite(c) => {
            sqlx::query("UPDATE notice_cursor SET event_id = $1 WHERE name = 'notice'")
                .bind(cursor.event_id)
                .execute(&mut **c)
                .await
                .map(|_| ())?
        }
    }
    Ok(())
}

type LogRow = (
    i64,
    i64,
    String,
    String,
    Json<serde_json::Value>,
    DateTime<Utc>,
);

/// Up to `limit` events after `after` whose transactions can no longer be overtaken
/// (module docs), in the order the cursor follows.
pub async fn settled_after(
    tx: &mut Tx,
    after: Cursor,
    limit: i64,
) -> Result<Vec<LogEvent>, StoreError> {
    let rows: Vec<LogRow> = match tx {
        Tx::Postgres(c) => {
            sqlx::query_as(
                "SELECT tx_id, event_id, stream, kind, payload, at FROM event \
                 WHERE (tx_id, event_id) > ($1, $2) \
                   AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
                 ORDER BY tx_id, event_id LIMIT $3",
            )
            .bind(after.tx_id)
            .bind(after.event_id)
            .bind(limit)
            .fetch_all(&mut **c)
            .await?
        }
        Tx::Sqlite(c) => {
            sqlx::query_as(
                "SELECT 0, event_id, stream, kind, payload, at FROM event \
                 WHERE event_id > $1 ORDER BY event_id LIMIT $2",
            )
            .bind(after.event_id)
            .bind(limit)
            .fetch_all(&mut **c)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(
            |(tx_id, event_id, stream, kind, Json(payload), at)| LogEvent {
                cursor: Cursor { tx_id, event_id },
                stream,
                kind,
                payload,
                at,
            },
        )
        .collect())
}

/// Adds parties to a stream (those already there stay once).
pub async fn add_parties(
    tx: &mut Tx,
    stream: &str,
    parties: &[Audience],
) -> Result<(), StoreError> {
    for p in parties {
        let sql =
            "INSERT INTO notice_party (stream, audience) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        with_tx!(tx, c => sqlx::query(sql).bind(stream).bind(p.to_string()).execute(&mut *c).await.map(|_| ())?);
    }
    Ok(())
}

/// A stream's parties so far.
pub async fn parties(tx: &mut Tx, stream: &str) -> Result<Vec<Audience>, StoreError> {
    let sql = "SELECT audience FROM notice_party WHERE stream = $1 ORDER BY audience";
    let rows: Vec<String> =
        with_tx!(tx, c => sqlx::query_scalar(sql).bind(stream).fetch_all(&mut *c).await?);
    rows.iter()
        .map(|a| parse_audience("notice_party", a))
        .collect()
}

fn parse_audience(table: &'static str, a: &str) -> Result<Audience, StoreError> {
    Audience::parse(a).map_err(|e| StoreError::corrupt(table, a, e))
}

/// The institutions holding any of these pools (a booking batch names a few).
pub async fn pool_holders(tx: &mut Tx, pools: &[PoolId]) -> Result<Vec<InstitutionId>, StoreError> {
    let sql = "SELECT institution_id FROM slot_pool WHERE pool_id = $1";
    let mut out = Vec::new();
    for p in pools {
        let row: Option<String> = with_tx!(tx, c => sqlx::query_scalar(sql).bind(p.as_str()).fetch_optional(&mut *c).await?);
        if let Some(i) = row {
            out.push(
                InstitutionId::parse(&i).map_err(|e| StoreError::corrupt("slot_pool", &i, e))?,
            );
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Writes the notice of `event` for `audience`; its id, or `None` when it was written
/// before (a replay of the same event).
pub async fn insert_notice(
    tx: &mut Tx,
    audience: &Audience,
    event: &LogEvent,
) -> Result<Option<i64>, StoreError> {
    let sql = "INSERT INTO notice (audience, event_id, stream, kind, at) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (audience, event_id) DO NOTHING RETURNING notice_id";
    let id: Option<i64> = with_tx!(tx, c => sqlx::query_scalar(sql)
        .bind(audience.to_string())
        .bind(event.cursor.event_id)
        .bind(&event.stream)
        .bind(&event.kind)
        .bind(event.at)
        .fetch_optional(&mut *c)
        .await?);
    Ok(id)
}

/// One notice: an event that concerns a party. It names the stream and the kind, never a
/// person's data: the reader fetches the referral through the API, under its own access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The feed cursor: read on after it.
    pub notice_id: i64,
    /// Whose feed (`institution:ID`, `team:ID`).
    pub audience: String,
    /// The event in the log.
    pub event_id: i64,
    /// Its stream (`referral/F1`).
    pub stream: String,
    /// Its kind (`ReferralRejected`).
    pub kind: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}

type NoticeRow = (i64, String, i64, String, String, DateTime<Utc>);

fn notice_from((notice_id, audience, event_id, stream, kind, at): NoticeRow) -> Notice {
    Notice {
        notice_id,
        audience,
        event_id,
        stream,
        kind,
        at,
    }
}

/// The notices of any of `audiences` after the cursor `after`, oldest first, at most
/// `limit`. Replayable: the same cursor gives the same notices again.
pub async fn feed(
    store: &Store,
    audiences: &[Audience],
    after: i64,
    limit: i64,
) -> Result<Vec<Notice>, StoreError> {
    if audiences.is_empty() {
        return Ok(vec![]);
    }
    let names: Vec<String> = audiences.iter().map(Audience::to_string).collect();
    let list: Vec<String> = (0..names.len()).map(|k| format!("${}", k + 3)).collect();
    let sql = format!(
        "SELECT notice_id, audience, event_id, stream, kind, at FROM notice \
         WHERE notice_id > $1 AND audience IN ({}) ORDER BY notice_id LIMIT $2",
        list.join(", ")
    );
    let rows: Vec<NoticeRow> = with_pool!(store, p => {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.clone())).bind(after).bind(limit);
        for n in &names {
            q = q.bind(n);
        }
        q.fetch_all(p).await?
    });
    Ok(rows.into_iter().map(notice_from).collect())
}

/// The newest notice id (0 when there is none): what live readers watch for a change.
pub async fn latest_id(store: &Store) -> Result<i64, StoreError> {
    let sql = "SELECT COALESCE(MAX(notice_id), 0) FROM notice";
    Ok(with_pool!(store, p => sqlx::query_scalar(sql).fetch_one(p).await?))
}

/// Events of the log the projector has not read yet, settled or not: how far the feeds
/// lag behind (on PostgreSQL a transaction running anywhere on the cluster holds the
/// settled end back, so this is what a test or an operator waits on).
pub async fn lag(store: &Store) -> Result<i64, StoreError> {
    Ok(match store {
        Store::Postgres(p) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM event e, notice_cursor c \
                 WHERE c.name = 'notice' AND (e.tx_id, e.event_id) > (c.tx_id, c.event_id)",
            )
            .fetch_one(p)
            .await?
        }
        Store::Sqlite(p) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM event e, notice_cursor c \
                 WHERE c.name = 'notice' AND e.event_id > c.event_id",
            )
            .fetch_one(p)
            .await?
        }
    })
}
