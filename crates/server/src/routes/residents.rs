//! A grid's residents, page by page in id order (keyset paging, so a page costs the same
//! at the end of a million residents as at the start).

use crate::AppState;
use crate::access::Who;
use crate::dto::residents::{ResidentDto, ResidentPage};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::limits::{RESIDENTS_PAGE_DEFAULT, RESIDENTS_PAGE_MAX};
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use yilian_domain::ids::{GridId, ResidentId};
use yilian_store::registry;

/// Paging of `GET /grids/{id}/residents`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ResidentPaging {
    /// The `next` of the previous page; absent for the first page.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    after: Option<String>,
    /// Residents per page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Checks a page size against its bounds: too large is an error, never a silent cut.
pub(crate) fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match limit.unwrap_or(default) {
        n if (1..=max).contains(&n) => Ok(n),
        n => Err(ApiError::invalid(
            "limit",
            format!("每页条数须在 1–{max} 之间，收到 {n}"),
            format!("limit must be 1–{max}, got {n}"),
        )),
    }
}

/// A page of the grid's residents (pseudonymous).
#[utoipa::path(
    get,
    path = "/api/v1/grids/{id}/residents",
    tag = "registry",
    params(("id" = String, Path, description = "Grid id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"), ResidentPaging),
    responses(
        (status = 200, description = "Residents after the cursor, in id order", body = ResidentPage),
        (status = 400, description = "The id, the cursor or the limit does not parse", body = ErrorBody),
        (status = 404, description = "No such grid", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(grid = %id))]
pub(crate) async fn list_grid_residents(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    Query(paging): Query<ResidentPaging>,
) -> Result<Json<ResidentPage>, ApiError> {
    let gid = GridId::parse(&id).map_err(|e| ApiError::invalid_because("id", &e))?;
    let limit = page_limit(paging.limit, RESIDENTS_PAGE_DEFAULT, RESIDENTS_PAGE_MAX)?;
    let after = paging.after.as_deref();
    if let Some(after) = after {
        ResidentId::parse(after).map_err(|e| ApiError::invalid_because("after", &e))?;
    }
    let reg = crate::routes::registry::readable_registry(&state, &who).await?;
    if reg.grid(&gid).is_none() {
        return Err(ApiError::NotFound { what: "grid", id });
    }
    // one row more than asked says whether another page follows
    let mut rows = registry::residents_page(
        &state.store,
        registry::ResidentFilter {
            grid: Some(&gid),
            team: None,
        },
        after,
        limit + 1,
    )
    .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let items: Vec<ResidentDto> = rows.iter().map(ResidentDto::from).collect();
    let next = if more {
        items.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok(Json(ResidentPage { items, next }))
}
