//! The event log: one append-only table for every aggregate, keyed by stream and sequence.
//! A duplicate `(stream, stream_seq)` is the database saying two writers raced; the loser
//! fails and retries, so the log never forks.

use crate::{StoreError, Tx, with_tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<P> {
    /// The aggregate it belongs to (`registry`, `consortium/C01`, …).
    pub stream: String,
    /// Past-tense name (`RegistryImported`, `ConsortiumChanged`).
    pub kind: &'static str,
    /// Payload schema version.
    pub version: i32,
    /// The payload.
    pub payload: P,
    /// Who did it (user id, or `cli:<os user>` for commands run on the server).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Appends one event in `tx`; returns its global id.
pub async fn append<P: Serialize>(tx: &mut Tx, e: &NewEvent<P>) -> Result<i64, StoreError> {
    let payload = serde_json::to_value(&e.payload)
        .map_err(|err| StoreError::corrupt("event", &e.stream, err))?;
    let sql = "INSERT INTO event (stream, stream_seq, kind, version, payload, actor, at) \
               VALUES ($1, (SELECT COALESCE(MAX(stream_seq), 0) + 1 FROM event WHERE stream = $1), $2, $3, $4, $5, $6) \
               RETURNING event_id";
    let id: i64 = with_tx!(tx, c => sqlx::query_scalar(sql)
        .bind(&e.stream)
        .bind(e.kind)
        .bind(e.version)
        .bind(Json(&payload))
        .bind(&e.actor)
        .bind(e.at)
        .fetch_one(&mut *c)
        .await?);
    Ok(id)
}

/// A stored event, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// Global order.
    pub event_id: i64,
    /// Aggregate.
    pub stream: String,
    /// Order within the stream.
    pub stream_seq: i64,
    /// Name.
    pub kind: String,
    /// Payload.
    pub payload: serde_json::Value,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

type EventRow = (
    i64,
    String,
    i64,
    String,
    Json<serde_json::Value>,
    String,
    DateTime<Utc>,
);

/// Events after `after_id` (a cursor), oldest first, at most `limit`.
pub async fn read_after(
    store: &crate::Store,
    after_id: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = "SELECT event_id, stream, stream_seq, kind, payload, actor, at FROM event \
               WHERE event_id > $1 ORDER BY event_id LIMIT $2";
    let rows: Vec<EventRow> = crate::with_pool!(store, p => sqlx::query_as(sql).bind(after_id).bind(limit).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .map(
            |(event_id, stream, stream_seq, kind, Json(payload), actor, at)| StoredEvent {
                event_id,
                stream,
                stream_seq,
                kind,
                payload,
                actor,
                at,
            },
        )
        .collect())
}
