//! The event log as a feed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use yilian_store::event::StoredEvent;

/// One event of the log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct EventDto {
    /// Global order: the cursor.
    event_id: i64,
    /// The aggregate (`registry`, `consortium/C001`).
    stream: String,
    /// Order within the stream.
    stream_seq: i64,
    /// Past-tense name (`RegistryImported`, `ConsortiumChanged`).
    kind: String,
    /// What happened; its shape depends on `kind`.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// Who did it (a user id, or `cli:<os user>`).
    actor: String,
    /// When.
    at: DateTime<Utc>,
}

impl From<StoredEvent> for EventDto {
    fn from(e: StoredEvent) -> Self {
        EventDto {
            event_id: e.event_id,
            stream: e.stream,
            stream_seq: e.stream_seq,
            kind: e.kind,
            payload: e.payload,
            actor: e.actor,
            at: e.at,
        }
    }
}

/// A page of the feed. A feed has no end: `next` is always the cursor to read from next
/// (the last event returned, or the `after` given when nothing new has happened), and
/// `more` says whether events are already waiting past it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct EventPage {
    /// Events after the cursor, oldest first.
    pub(crate) items: Vec<EventDto>,
    /// Pass this as `after` to read on.
    pub(crate) next: i64,
    /// Whether more events follow `next` right now.
    pub(crate) more: bool,
}
