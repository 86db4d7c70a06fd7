//! Booking an outpatient slot (issue 4, item 4): the caller books a person into a slot
//! pool; a referral when the caller's grant is on a family-doctor team or a primary
//! institution (QUOTA-1 reserves a tranche for exactly those), otherwise a public
//! booking. The request goes through the group commit ([`Booker`]): the answer comes
//! after the commit that stored it, and the same idempotency key sent again answers the
//! same booking.
//!
//! [`Booker`]: yilian_service::booking::Booker

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::routes::persons::{load_person, resident_id};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yilian_domain::access::{Action, Grant, Scope};
use yilian_domain::capacity::Channel;
use yilian_domain::ids::{BookingKey, PoolId};
use yilian_domain::registry::{InstitutionKind, Registry};
use yilian_service::booking::{BookError, BookRequest, Mode};
use yilian_store::capacity::BookingRow;

/// A booking to make.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct BookingInput {
    /// The client's idempotency key: send the same key again after a timeout or a crash
    /// and get the same booking, never a second one.
    #[schema(min_length = 1, max_length = 128)]
    pub(crate) key: String,
    /// The slot pool.
    #[schema(min_length = 1, max_length = 128)]
    pub(crate) pool_id: String,
    /// The person booked.
    #[schema(min_length = 1, max_length = 128)]
    pub(crate) resident_id: String,
}

/// A booking made (or held).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BookingDto {
    key: String,
    pool_id: String,
    resident_id: String,
    /// `referral` or `public`.
    channel: &'static str,
    /// `reserved` or `public`: the part of the pool it used.
    tranche: &'static str,
    booked_by: String,
    booked_at: DateTime<Utc>,
    /// `held`, `booked`, `cancelled`, `no_show` or `expired`.
    status: &'static str,
    /// For a hold: its deadline (kept once confirmed).
    held_until: Option<DateTime<Utc>>,
}

impl From<BookingRow> for BookingDto {
    fn from(b: BookingRow) -> Self {
        BookingDto {
            key: b.key.to_string(),
            pool_id: b.pool_id.to_string(),
            resident_id: b.resident_id.to_string(),
            channel: b.channel.as_str(),
            tranche: b.tranche.as_str(),
            booked_by: b.booked_by,
            booked_at: b.booked_at,
            status: b.status.as_str(),
            held_until: b.held_until,
        }
    }
}

/// Primary care books referrals (QUOTA-1: the reserved tranche is for family-doctor
/// teams and primary institutions); everyone else books publicly.
fn channel_of(reg: &Registry, grant: &Grant) -> Channel {
    let primary = match grant.scope() {
        Scope::Team(_) => true,
        Scope::Institution(i) => reg.institution(i).is_some_and(|x| {
            matches!(
                x.kind,
                InstitutionKind::CommunityHealthCenter
                    | InstitutionKind::CommunityHealthStation
                    | InstitutionKind::TownshipHealthCenter
                    | InstitutionKind::VillageClinic
            )
        }),
        _ => false,
    };
    if primary {
        Channel::Referral
    } else {
        Channel::Public
    }
}

/// Books a slot for a person in the caller's care.
#[utoipa::path(
    post,
    path = "/api/v1/bookings",
    tag = "referral",
    request_body = BookingInput,
    responses(
        (status = 201, description = "Booked (or, for a repeated key, the booking made the first time)", body = BookingDto),
        (status = 400, description = "A field does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such pool or resident", body = ErrorBody),
        (status = 409, description = "Refused by the pool's rules (full; QUOTA-1 reserved for referrals; QUOTA-3 not released yet; closed) or the key was used for another booking", body = ErrorBody),
    )
)]
pub(crate) async fn book(
    State(state): State<AppState>,
    who: Who,
    Json(input): Json<BookingInput>,
) -> Result<(StatusCode, Json<BookingDto>), ApiError> {
    let b = book_for(&state, &who, &input).await?;
    Ok((StatusCode::CREATED, Json(b.into())))
}

/// Books a slot (the API's and the console's one way to).
pub(crate) async fn book_for(
    state: &AppState,
    who: &Who,
    input: &BookingInput,
) -> Result<BookingRow, ApiError> {
    place(state, who, input, Mode::Book).await
}

/// Books or holds a slot or bed, after the deep check on the person.
pub(crate) async fn place(
    state: &AppState,
    who: &Who,
    input: &BookingInput,
    mode: Mode,
) -> Result<BookingRow, ApiError> {
    let key = BookingKey::parse(&input.key).map_err(|e| ApiError::invalid_because("key", &e))?;
    let pool =
        PoolId::parse(&input.pool_id).map_err(|e| ApiError::invalid_because("pool_id", &e))?;
    let rid = resident_id("resident_id", &input.resident_id)?;
    let reg = state.registry().await?;
    let (row, resource) = load_person(state, &reg, &rid).await?;
    let ask = Ask {
        action: &Action::BookSlot,
        resource: &resource,
        purpose: "referral",
        detail: serde_json::json!({"pool": pool.as_str(), "key": key.as_str()}),
    };
    let permit = authorize(state, &reg, who, ask).await?;
    if row.is_none() {
        return Err(ApiError::NotFound {
            what: "resident",
            id: rid.to_string(),
        });
    }
    let request = BookRequest {
        key,
        pool,
        resident: rid,
        channel: channel_of(&reg, &permit.grant),
        by: who.signed_in.actor.user_id.to_string(),
        mode,
    };
    match state.booker.book(request).await? {
        Ok(b) => Ok(b),
        Err(BookError::NoSuchPool(p)) => Err(ApiError::NotFound {
            what: "pool",
            id: p.to_string(),
        }),
        Err(BookError::Hold(e)) => Err(ApiError::invalid_because("until", &e)),
        Err(e) => Err(ApiError::Conflict(e.to_string())),
    }
}
