//! An institution's slot pools (issue 4, item 8): what referrers pick from, and what a
//! department reserved and used. Pools hold no personal data, so anyone whose role books
//! may list them.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yilian_domain::ids::InstitutionId;
use yilian_store::capacity::{Days, PoolRow, pools_of};

/// Which pools.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PoolQuery {
    /// The institution.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    institution: String,
    /// Only this day (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    day: Option<NaiveDate>,
}

/// A pool with its counters.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PoolDto {
    pool_id: String,
    /// `slot` (outpatient) or `bed` (inpatient).
    kind: &'static str,
    institution_id: String,
    department: String,
    day: NaiveDate,
    session: String,
    capacity: u32,
    /// Reserved for referrals from primary care (QUOTA-1).
    reserved: u32,
    /// Reserved slots booked.
    booked_reserved: u32,
    /// Public slots booked (after the return time, returned reserved ones included).
    booked_public: u32,
    /// Referrers may book from then.
    opens_reserved_at: DateTime<Utc>,
    /// The public may book from then.
    opens_public_at: DateTime<Utc>,
    /// Unused reserved slots return to the public then (QUOTA-3).
    returns_at: DateTime<Utc>,
    /// The session begins.
    starts_at: DateTime<Utc>,
}

impl From<PoolRow> for PoolDto {
    fn from(r: PoolRow) -> Self {
        let p = r.pool;
        let t = *p.times();
        PoolDto {
            pool_id: r.pool_id.to_string(),
            kind: p.kind().as_str(),
            institution_id: r.institution_id.to_string(),
            department: r.department,
            day: r.day,
            session: r.session,
            capacity: p.capacity(),
            reserved: p.reserved(),
            booked_reserved: p.booked_reserved(),
            booked_public: p.booked_public(),
            opens_reserved_at: t.opens_reserved_at,
            opens_public_at: t.opens_public_at,
            returns_at: t.returns_at,
            starts_at: t.starts_at,
        }
    }
}

/// An institution's slot pools, by id.
#[utoipa::path(
    get,
    path = "/api/v1/pools",
    tag = "referral",
    params(PoolQuery),
    responses(
        (status = 200, description = "Pools with their counters", body = [PoolDto]),
        (status = 400, description = "A filter does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles do not book", body = ErrorBody),
    )
)]
pub(crate) async fn list_pools(
    State(state): State<AppState>,
    Query(q): Query<PoolQuery>,
) -> Result<Json<Vec<PoolDto>>, ApiError> {
    let inst = InstitutionId::parse(&q.institution)
        .map_err(|e| ApiError::invalid_because("institution", &e))?;
    let days = Days {
        from: q.day,
        to: q.day,
    };
    let pools = pools_of(&state.store, &inst, days).await?;
    Ok(Json(pools.into_iter().map(PoolDto::from).collect()))
}
