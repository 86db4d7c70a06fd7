//! The event log as a feed: consumers keep a cursor (the last `event_id` they handled)
//! and read on from it, at least once.

use crate::AppState;
use crate::access::Who;
use crate::dto::events::{EventDto, EventPage};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::limits::{EVENTS_PAGE_DEFAULT, EVENTS_PAGE_MAX};
use crate::routes::residents::page_limit;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use yilian_store::event;

/// Paging of `GET /events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventPaging {
    /// The last event id already handled; 0 (the default) reads from the start.
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Events per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Events after the cursor, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(EventPaging),
    responses(
        (status = 200, description = "A page of the feed", body = EventPage),
        (status = 400, description = "The cursor or the limit does not parse", body = ErrorBody),
    )
)]
pub(crate) async fn list_events(
    State(state): State<AppState>,
    who: Who,
    Query(paging): Query<EventPaging>,
) -> Result<Json<EventPage>, ApiError> {
    crate::routes::registry::readable_registry(&state, &who).await?;
    let after = crate::routes::feed::cursor("after", paging.after.unwrap_or(0))?;
    let limit = page_limit(paging.limit, EVENTS_PAGE_DEFAULT, EVENTS_PAGE_MAX)?;
    let mut rows = event::read_after(&state.store, after, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = rows.last().map_or(after, |e| e.event_id);
    Ok(Json(EventPage {
        items: rows.into_iter().map(EventDto::from).collect(),
        next,
        more,
    }))
}
