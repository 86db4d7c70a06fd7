//! The caller's notices (issue 4, item 7): the events that concern the institutions and
//! teams the caller works for, read from a cursor (`GET /feed`, at least once and
//! replayable from any cursor) or pushed live (`GET /feed/stream`, Server-Sent Events
//! that resume from `Last-Event-ID`). A notice names a stream and a kind, never a
//! person's data: the reader opens the referral through its own route and access check.

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::limits::{FEED_PAGE_DEFAULT, FEED_PAGE_MAX, FEED_STREAM_SECONDS_MAX};
use crate::routes::residents::page_limit;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};
use yilian_domain::access::{Action, ActionKind, Resource, grants_for};
use yilian_domain::notice::Audience;
use yilian_store::notice::{self, Notice};

/// One notice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct NoticeDto {
    /// The cursor: read on after it.
    notice_id: i64,
    /// Whose feed it is in (`institution:ID`, `team:ID`).
    audience: String,
    /// The event of the log.
    event_id: i64,
    /// Its stream (`referral/F1`).
    stream: String,
    /// Its kind (`ReferralRejected`).
    kind: String,
    /// When it happened.
    at: DateTime<Utc>,
}

impl From<Notice> for NoticeDto {
    fn from(n: Notice) -> Self {
        NoticeDto {
            notice_id: n.notice_id,
            audience: n.audience,
            event_id: n.event_id,
            stream: n.stream,
            kind: n.kind,
            at: n.at,
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedPage {
    /// Notices after the cursor, oldest first.
    items: Vec<NoticeDto>,
    /// The cursor to read on from (the last item's id, or the one given).
    next: i64,
    /// More notices wait after `next`.
    more: bool,
}

/// Paging of `GET /feed`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedPaging {
    /// The last notice id already handled; 0 (the default) reads from the start.
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Notices per page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// A cursor from the client: an id already handled, never negative.
pub(crate) fn cursor(field: &str, after: i64) -> Result<i64, ApiError> {
    if after < 0 {
        return Err(ApiError::invalid(
            field,
            format!("游标不得为负数，收到 {after}"),
            format!("the cursor cannot be negative, got {after}"),
        ));
    }
    Ok(after)
}

/// The feeds the caller reads: the institution or team of each grant that may read one,
/// each through the deep check.
async fn audiences(state: &AppState, who: &Who) -> Result<Vec<Audience>, ApiError> {
    let reg = yilian_store::registry::load_registry(&state.store).await?;
    let mut out = Vec::new();
    for g in grants_for(&who.signed_in.actor, ActionKind::ReadFeed) {
        let Some(a) = Audience::of_scope(g.scope()) else {
            continue;
        };
        let resource = Resource::Feed { scope: a.scope() };
        authorize(state, &reg, who, Ask::plain(&Action::ReadFeed, &resource)).await?;
        out.push(a);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The caller's notices after the cursor, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/feed",
    tag = "notices",
    params(FeedPaging),
    responses(
        (status = 200, description = "A page of the caller's feed", body = FeedPage),
        (status = 400, description = "The cursor or the limit does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles have no feed", body = ErrorBody),
    )
)]
pub(crate) async fn read_feed(
    State(state): State<AppState>,
    who: Who,
    Query(paging): Query<FeedPaging>,
) -> Result<Json<FeedPage>, ApiError> {
    let after = cursor("after", paging.after.unwrap_or(0))?;
    let limit = page_limit(paging.limit, FEED_PAGE_DEFAULT, FEED_PAGE_MAX)?;
    let feeds = audiences(&state, &who).await?;
    let mut rows = notice::feed(&state.store, &feeds, after, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = rows.last().map_or(after, |n| n.notice_id);
    Ok(Json(FeedPage {
        items: rows.into_iter().map(NoticeDto::from).collect(),
        next,
        more,
    }))
}

/// Where `GET /feed/stream` starts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StreamStart {
    /// Push the notices after this id; without it (and without `Last-Event-ID`) only
    /// notices newer than the connection.
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// The caller's notices as they happen, as Server-Sent Events: `event: notice`, `id:` the
/// notice id, `data:` the notice as JSON. A browser's `EventSource` reconnects by itself
/// with `Last-Event-ID` and misses nothing; the server ends a stream after a while so
/// that the caller's access is checked again on the reconnection.
#[utoipa::path(
    get,
    path = "/api/v1/feed/stream",
    tag = "notices",
    params(
        StreamStart,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this notice id (sent by EventSource on reconnection)"),
    ),
    responses(
        (status = 200, description = "A stream of notices", body = String, content_type = "text/event-stream"),
        (status = 400, description = "The cursor does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles have no feed", body = ErrorBody),
    )
)]
pub(crate) async fn stream_feed(
    State(state): State<AppState>,
    who: Who,
    headers: HeaderMap,
    Query(start): Query<StreamStart>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let resumed = match headers.get("last-event-id") {
        None => None,
        Some(v) => {
            let id = v.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok());
            Some(id.ok_or_else(|| {
                ApiError::invalid(
                    "Last-Event-ID",
                    "Last-Event-ID 须为通知编号（整数）",
                    "Last-Event-ID must be a notice id (an integer)",
                )
            })?)
        }
    };
    let after = match resumed.or(start.after) {
        Some(a) => cursor("after", a)?,
        None => notice::latest_id(&state.store).await?,
    };
    let feeds = audiences(&state, &who).await?;
    let live = Live {
        store: state.store.clone(),
        changes: state.feed.changes(),
        feeds,
        after,
        pending: VecDeque::new(),
        until: Instant::now() + Duration::from_secs(FEED_STREAM_SECONDS_MAX),
    };
    let stream = futures_util::stream::unfold(live, Live::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A live reader's state: what it has sent, what waits to be sent.
struct Live {
    store: yilian_store::Store,
    changes: tokio::sync::watch::Receiver<i64>,
    feeds: Vec<Audience>,
    after: i64,
    pending: VecDeque<Notice>,
    until: Instant,
}

impl Live {
    /// The next event; `None` ends the stream (time is up, the server is stopping, or the
    /// database failed: the client reconnects and resumes).
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Live)> {
        loop {
            if let Some(n) = self.pending.pop_front() {
                self.after = n.notice_id;
                let event = Event::default()
                    .event("notice")
                    .id(n.notice_id.to_string())
                    .json_data(NoticeDto::from(n))
                    .expect("BUG: a notice serialises");
                return Some((Ok(event), self));
            }
            // mark the current value seen before reading, so a notice written meanwhile
            // wakes the wait below instead of being missed
            self.changes.borrow_and_update();
            match notice::feed(&self.store, &self.feeds, self.after, 100).await {
                Ok(rows) if !rows.is_empty() => {
                    self.pending.extend(rows);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "feed stream ends: cannot read notices");
                    return None;
                }
            }
            match tokio::time::timeout_at(self.until, self.changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}
