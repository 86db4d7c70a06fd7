//! Capacity after booking (issue 4, items 4, 5 and 8): holding a slot or bed while a
//! referral is completed, confirming the hold (for a bed: the patient arrived),
//! cancelling, recording a no-show; the pool view (QUOTA-3: reserved, used, returned,
//! wasted per department and day); opening pools with the lead's reserved share
//! (QUOTA-1 for slots, QUOTA-2 for beds).
//!
//! Holds, confirmations and cancellations are the booker's, checked like a booking
//! (book slot, on the person); no-shows and opening pools are the receiver's desk's
//! (manage pools, on the institution's capacity); the view is for the desk, the group's
//! managers and the commission (read pool view). The rules are the domain's
//! ([`decide_change`], [`hold_until`]); every change is an event on the pool's stream.
//!
//! [`decide_change`]: yilian_domain::capacity::decide_change
//! [`hold_until`]: yilian_domain::capacity::hold_until

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::limits::POOL_VIEW_DAYS_MAX;
use crate::routes::bookings::{BookingDto, BookingInput, place};
use crate::routes::persons::load_person;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yilian_domain::access::{Action, Resource};
use yilian_domain::capacity::{Change, Figures};
use yilian_domain::ids::{BookingKey, InstitutionId};
use yilian_domain::registry::Registry;
use yilian_service::booking::{Mode, PoolSetupError, open_pools};
use yilian_service::capacity::{ChangeFailure, PoolAsk, PoolAskError, ViewLine, change, pool_view};
use yilian_store::capacity::{BookingRow, Days, PoolRow, find_booking, find_pool};

/// A hold to place: a booking's fields and, optionally, its deadline.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct HoldInput {
    #[serde(flatten)]
    booking: BookingInput,
    /// Until when (default: 5 minutes for a slot, 18:00 of the admission day for a bed;
    /// at most 30 minutes for a slot, the end of the admission day for a bed).
    until: Option<DateTime<Utc>>,
}

/// Holds a slot or bed for a person in the caller's care.
#[utoipa::path(
    post,
    path = "/api/v1/holds",
    tag = "referral",
    request_body = HoldInput,
    responses(
        (status = 201, description = "Held (or, for a repeated key, what the first request made)", body = BookingDto),
        (status = 400, description = "A field does not parse, or the deadline is out of bounds", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such pool or resident", body = ErrorBody),
        (status = 409, description = "Refused by the pool's rules or the key was used for another booking", body = ErrorBody),
    )
)]
pub(crate) async fn hold(
    State(state): State<AppState>,
    who: Who,
    Json(input): Json<HoldInput>,
) -> Result<(StatusCode, Json<BookingDto>), ApiError> {
    let mode = Mode::Hold { until: input.until };
    let b = place(&state, &who, &input.booking, mode).await?;
    Ok((StatusCode::CREATED, Json(b.into())))
}

/// Makes a change to a booking after the deep check of its need: the booker's changes on
/// the person, the receiver's on the pool's institution.
async fn change_booking(
    state: &AppState,
    who: &Who,
    key: &str,
    what: Change,
) -> Result<BookingRow, ApiError> {
    let key = BookingKey::parse(key).map_err(|e| ApiError::invalid_because("key", &e))?;
    let missing = || ApiError::NotFound {
        what: "booking",
        id: key.to_string(),
    };
    let b = find_booking(&state.store, &key)
        .await?
        .ok_or_else(missing)?;
    let reg = yilian_store::registry::load_registry(&state.store).await?;
    let detail = serde_json::json!({"key": key.as_str(), "change": what});
    match what {
        Change::Confirm | Change::Cancel => {
            let (_, resource) = load_person(state, &reg, &b.resident_id).await?;
            let ask = Ask {
                action: &Action::BookSlot,
                resource: &resource,
                purpose: "referral",
                detail,
            };
            authorize(state, &reg, who, ask).await?;
        }
        Change::NoShow | Change::Expire => {
            let pool = find_pool(&state.store, &b.pool_id)
                .await?
                .expect("BUG: a booking's pool is referenced by a foreign key");
            let resource = Resource::Capacity {
                institution: pool.institution_id,
            };
            let ask = Ask {
                action: &Action::ManagePools,
                resource: &resource,
                purpose: "referral",
                detail,
            };
            authorize(state, &reg, who, ask).await?;
        }
    }
    let actor = who.signed_in.actor.user_id.to_string();
    match change(&state.store, &key, what, Utc::now(), &actor).await? {
        Ok(b) => Ok(b),
        Err(ChangeFailure::NoSuchBooking(_)) => Err(missing()),
        Err(e) => Err(ApiError::Conflict(e.to_string())),
    }
}

/// A handler for one change of a booking, with its OpenAPI entry: the three differ in the
/// change and in what their answers mean.
macro_rules! change_handler {
    ($(#[$doc:meta])* $name:ident, $path:literal, $change:expr,
     ok: $ok:literal, forbidden: $forbidden:literal, conflict: $conflict:literal) => {
        $(#[$doc])*
        #[utoipa::path(
            post,
            path = $path,
            tag = "referral",
            params(("key" = String, Path, description = "The booking's idempotency key")),
            responses(
                (status = 200, description = $ok, body = BookingDto),
                (status = 401, description = "Not signed in", body = ErrorBody),
                (status = 403, description = $forbidden, body = ErrorBody),
                (status = 404, description = "No such booking", body = ErrorBody),
                (status = 409, description = $conflict, body = ErrorBody),
            )
        )]
        pub(crate) async fn $name(
            State(state): State<AppState>,
            who: Who,
            Path(key): Path<String>,
        ) -> Result<Json<BookingDto>, ApiError> {
            let b = change_booking(&state, &who, &key, $change).await?;
            Ok(Json(b.into()))
        }
    };
}

change_handler!(
    /// Confirms a hold: the referral form is complete (a slot) or the patient arrived (a bed).
    confirm, "/api/v1/bookings/{key}/confirm", Change::Confirm,
    ok: "Booked (a repeat answers the same)",
    forbidden: "The person is not in the caller's care (audited)",
    conflict: "The hold expired, the session began, or the booking is not a hold"
);

change_handler!(
    /// Cancels a booking or hold before the session begins; its capacity returns to its
    /// tranche.
    cancel, "/api/v1/bookings/{key}/cancel", Change::Cancel,
    ok: "Cancelled (a repeat answers the same)",
    forbidden: "The person is not in the caller's care (audited)",
    conflict: "The session began, or the booking is over"
);

change_handler!(
    /// Records that the person did not come (once the session began): a slot stays used
    /// and counts as wasted; a held bed returns to its tranche.
    no_show, "/api/v1/bookings/{key}/no-show", Change::NoShow,
    ok: "Recorded (a repeat answers the same)",
    forbidden: "The pool is not the caller's institution's (audited)",
    conflict: "The session has not begun, or the booking is not one that can be missed"
);

/// Which institution and days the view covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ViewQuery {
    /// The institution.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    pub(crate) institution: String,
    /// First day (`YYYY-MM-DD`; default today in China).
    #[param(value_type = Option<String>, format = Date)]
    pub(crate) from: Option<NaiveDate>,
    /// Last day (default: the first day); at most 62 days after it.
    #[param(value_type = Option<String>, format = Date)]
    pub(crate) to: Option<NaiveDate>,
}

/// One line of the pool view.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ViewLineDto {
    department: String,
    day: NaiveDate,
    /// `slot` or `bed`.
    kind: &'static str,
    capacity: u32,
    /// Reserved for referrals from primary care (QUOTA-1, QUOTA-2).
    reserved: u32,
    /// Taken by referrals (held or booked).
    used_by_referrals: u32,
    /// Reserved capacity unused at the return time, gone to the public (QUOTA-3).
    returned: u32,
    /// Unused at the start, no-shows included (counted once the session began).
    wasted: u32,
    /// Taken by the public (held or booked).
    public_booked: u32,
}

impl From<ViewLine> for ViewLineDto {
    fn from(l: ViewLine) -> Self {
        let Figures {
            capacity,
            reserved,
            used_by_referrals,
            returned,
            wasted,
            public_booked,
        } = l.figures;
        ViewLineDto {
            department: l.department,
            day: l.day,
            kind: l.kind.as_str(),
            capacity,
            reserved,
            used_by_referrals,
            returned,
            wasted,
            public_booked,
        }
    }
}

/// The caller's permit to see or run `institution`'s capacity.
pub(crate) async fn authorize_capacity(
    state: &AppState,
    who: &Who,
    institution: &str,
    action: &Action,
) -> Result<(InstitutionId, Registry), ApiError> {
    let inst = InstitutionId::parse(institution)
        .map_err(|e| ApiError::invalid_because("institution", &e))?;
    let reg = yilian_store::registry::load_registry(&state.store).await?;
    if reg.institution(&inst).is_none() {
        return Err(ApiError::NotFound {
            what: "institution",
            id: inst.to_string(),
        });
    }
    let resource = Resource::Capacity {
        institution: inst.clone(),
    };
    authorize(state, &reg, who, Ask::plain(action, &resource)).await?;
    Ok((inst, reg))
}

/// The view's lines for a query, after the access check (the API's and the console's one
/// way to them).
pub(crate) async fn view_for(
    state: &AppState,
    who: &Who,
    q: &ViewQuery,
) -> Result<Vec<ViewLine>, ApiError> {
    let from = q.from.unwrap_or_else(yilian_service::today);
    let to = q.to.unwrap_or(from);
    let span = (to - from).num_days();
    if !(0..=POOL_VIEW_DAYS_MAX).contains(&span) {
        return Err(ApiError::invalid(
            "to",
            format!("结束日期须在开始日期当天或之后 {POOL_VIEW_DAYS_MAX} 天以内"),
            format!("'to' must be on or after 'from', at most {POOL_VIEW_DAYS_MAX} days later"),
        ));
    }
    let (inst, _) = authorize_capacity(state, who, &q.institution, &Action::ReadPoolView).await?;
    let days = Days {
        from: Some(from),
        to: Some(to),
    };
    Ok(pool_view(&state.store, &inst, days, Utc::now()).await?)
}

/// An institution's pool view: per department (or ward) and day, how much was reserved,
/// used by referrals, returned to the public, wasted, and booked by the public (QUOTA-3).
#[utoipa::path(
    get,
    path = "/api/v1/pool-view",
    tag = "referral",
    params(ViewQuery),
    responses(
        (status = 200, description = "Lines by day, department and kind", body = [ViewLineDto]),
        (status = 400, description = "A filter does not parse, or the span is too long", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The institution is outside the caller's scope (audited)", body = ErrorBody),
        (status = 404, description = "No such institution", body = ErrorBody),
    )
)]
pub(crate) async fn get_pool_view(
    State(state): State<AppState>,
    who: Who,
    Query(q): Query<ViewQuery>,
) -> Result<Json<Vec<ViewLineDto>>, ApiError> {
    let lines = view_for(&state, &who, &q).await?;
    Ok(Json(lines.into_iter().map(ViewLineDto::from).collect()))
}

/// A pool to open, on the standard release ([`PoolTimes::standard`]).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct PoolInput {
    /// The institution.
    #[schema(min_length = 1, max_length = 128)]
    pub(crate) institution_id: String,
    /// The department (slots) or ward (beds).
    #[schema(min_length = 1, max_length = 100)]
    pub(crate) department: String,
    /// The day (`YYYY-MM-DD`).
    #[schema(value_type = String, format = Date)]
    pub(crate) day: NaiveDate,
    /// `am`, `pm`, `night` (slots) or `day` (a ward's admission day).
    pub(crate) session: String,
    /// `slot` or `bed`.
    pub(crate) kind: String,
    /// Slots or beds in all.
    pub(crate) capacity: u32,
    /// Reserved for referrals: at a lead hospital at least the profile's share (QUOTA-1
    /// for slots, QUOTA-2 for beds).
    pub(crate) reserved: u32,
}

/// Opens a pool after the checks (the API's and the console's one way to).
pub(crate) async fn open_for(
    state: &AppState,
    who: &Who,
    input: &PoolInput,
) -> Result<PoolRow, ApiError> {
    let (institution, _) =
        authorize_capacity(state, who, &input.institution_id, &Action::ManagePools).await?;
    let ask = PoolAsk {
        institution,
        department: &input.department,
        day: input.day,
        session: &input.session,
        kind: &input.kind,
        capacity: input.capacity,
        reserved: input.reserved,
    };
    let row = ask.row(yilian_service::today()).map_err(|e| match &e {
        PoolAskError::Code { field, error } => ApiError::invalid_code(*field, error),
        PoolAskError::Department => ApiError::invalid_because("department", &e),
        PoolAskError::Day => ApiError::invalid_because("day", &e),
        _ => ApiError::invalid_because("reserved", &e),
    })?;
    let actor = who.signed_in.actor.user_id.to_string();
    match open_pools(
        &state.store,
        std::slice::from_ref(&row),
        &state.profile,
        &actor,
    )
    .await?
    {
        Ok(()) => Ok(row),
        Err(e @ PoolSetupError::ReservedTooSmall { .. }) => {
            Err(ApiError::invalid_because("reserved", &e))
        }
        Err(e) => Err(ApiError::Conflict(e.to_string())),
    }
}

/// Opens a pool of slots or beds at an institution.
#[utoipa::path(
    post,
    path = "/api/v1/pools",
    tag = "referral",
    request_body = PoolInput,
    responses(
        (status = 201, description = "Opened; the pool's id is `<institution>-<kind>-<department>-<day>-<session>`", body = crate::routes::pools::PoolDto),
        (status = 400, description = "A field does not parse, or the reserved share is below QUOTA-1 (slots) or QUOTA-2 (beds) at a lead hospital", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The institution is not the caller's (audited)", body = ErrorBody),
        (status = 404, description = "No such institution", body = ErrorBody),
        (status = 409, description = "The pool is open already", body = ErrorBody),
    )
)]
pub(crate) async fn open_pool(
    State(state): State<AppState>,
    who: Who,
    Json(input): Json<PoolInput>,
) -> Result<(StatusCode, Json<crate::routes::pools::PoolDto>), ApiError> {
    let row = open_for(&state, &who, &input).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}
