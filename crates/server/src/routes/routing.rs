//! Routing through the API (issue 4, item 3): for a patient in the caller's care, the
//! receivers proposed in order (the grid group's lead and members, then its
//! collaborators), each with why and its free slots of the coming week. Reading where a
//! person should go reads the person (their grid), so it is authorised as a referral of
//! them (`refer`) and recorded in the audit trail.

use crate::AppState;
use crate::access::{Purpose, Who};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::routes::follow_ups::authorized_resident;
use crate::routes::persons::resident_id;
use crate::routes::referrals::institution_of;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yilian_domain::access::Action;
use yilian_domain::ids::InstitutionId;
use yilian_domain::referral::{Direction, Urgency};
use yilian_domain::registry::{Capability, Registry, Resident};
use yilian_domain::routing::{Need, Proposal, Tier, check_receiver, group_of};
use yilian_service::routing::{ROUTING_DAYS, RouteRequest, propose};

/// Longest department name accepted, in characters.
const DEPARTMENT_CHARS_MAX: usize = 64;

/// Whom to route, and what they need.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RouteQuery {
    /// The patient.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    pub(crate) resident_id: String,
    /// A department the receiver must publish slot pools for (`cardiology`, `内科` …).
    #[param(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    pub(crate) department: Option<String>,
    /// A capability the receiver must have (`chest_pain_center`, `dialysis` …).
    pub(crate) capability: Option<String>,
    /// `routine` (default), `urgent` or `emergency`.
    pub(crate) urgency: Option<String>,
}

impl RouteQuery {
    fn need(&self) -> Result<Need, ApiError> {
        let department = match self.department.as_deref().map(str::trim) {
            None => None,
            Some(d)
                if d.is_empty()
                    || d.chars().count() > DEPARTMENT_CHARS_MAX
                    || d.chars().any(char::is_control) =>
            {
                return Err(ApiError::invalid(
                    "department",
                    format!("须为 1–{DEPARTMENT_CHARS_MAX} 个字符，不含控制字符"),
                    format!("1–{DEPARTMENT_CHARS_MAX} characters without control characters"),
                ));
            }
            Some(d) => Some(d.to_owned()),
        };
        let capability = self
            .capability
            .as_deref()
            .map(Capability::parse)
            .transpose()
            .map_err(|e| ApiError::invalid_code("capability", &e))?;
        Ok(Need {
            department,
            capability,
        })
    }
}

/// A proposed receiver.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProposalDto {
    pub(crate) institution_id: String,
    pub(crate) name: String,
    /// Hospital level 0–3.
    level: u8,
    /// `lead`, `member` or `collaborator` (outside the group, COMP-6).
    pub(crate) tier: &'static str,
    /// The direction a referral to it takes from the caller's institution.
    pub(crate) direction: &'static str,
    /// Slot pools of the coming week that match the department (all when none is asked).
    pools: u32,
    /// Free reserved slots (for referrals from primary care, QUOTA-1) in those pools.
    pub(crate) free_reserved: u32,
    /// Free public slots in those pools.
    pub(crate) free_public: u32,
    /// Why it is proposed.
    pub(crate) reason_zh: String,
    /// Why it is proposed.
    pub(crate) reason_en: String,
}

impl From<Proposal<'_>> for ProposalDto {
    fn from(p: Proposal<'_>) -> Self {
        ProposalDto {
            institution_id: p.institution.id.to_string(),
            name: p.institution.name.clone(),
            level: p.institution.level.get(),
            tier: match p.tier {
                Tier::Lead => "lead",
                Tier::Member => "member",
                Tier::Collaborator => "collaborator",
            },
            direction: p.direction.as_str(),
            pools: p.capacity.pools,
            free_reserved: p.capacity.reserved,
            free_public: p.capacity.public,
            reason_zh: p.reason_zh,
            reason_en: p.reason_en,
        }
    }
}

/// The proposals for one patient.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RoutesDto {
    /// The grid consortium of the patient's grid.
    consortium_id: String,
    /// Its name.
    pub(crate) consortium_name: String,
    /// The days ahead the free slots cover, today included.
    days: u32,
    /// Best first.
    pub(crate) proposals: Vec<ProposalDto>,
}

/// Proposes receivers for a referral of a patient in the caller's care.
#[utoipa::path(
    get,
    path = "/api/v1/referrals/routes",
    tag = "referral",
    params(RouteQuery),
    responses(
        (status = 200, description = "Receivers in order, with reasons and free slots", body = RoutesDto),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such resident", body = ErrorBody),
        (status = 409, description = "The patient's grid has no grid consortium (GRID-3)", body = ErrorBody),
    )
)]
pub(crate) async fn get_routes(
    State(state): State<AppState>,
    who: Who,
    Query(q): Query<RouteQuery>,
) -> Result<Json<RoutesDto>, ApiError> {
    Ok(Json(routes(&state, &who, &q).await?))
}

/// The routes for a query (the API's and the console's one way to them).
pub(crate) async fn routes(
    state: &AppState,
    who: &Who,
    q: &RouteQuery,
) -> Result<RoutesDto, ApiError> {
    let rid = resident_id("resident_id", &q.resident_id)?;
    let need = q.need()?;
    let urgency = match q.urgency.as_deref() {
        None => Urgency::Routine,
        Some(u) => Urgency::parse(u).map_err(|e| ApiError::invalid_code("urgency", &e))?,
    };
    let (reg, resident, permit) = authorized_resident(
        state,
        who,
        &rid,
        &Action::Refer,
        Purpose::Referral,
        serde_json::json!({"read": "referral_routes"}),
    )
    .await?;
    let referrer = institution_of(&reg, permit.grant.scope());
    let req = RouteRequest {
        grid: resident.grid_id.as_ref(),
        need,
        urgency,
        referrer: referrer.as_ref(),
    };
    let routes = propose(&state.store, &reg, &req, Utc::now())
        .await?
        .map_err(|e| ApiError::Conflict(e.to_string()))?;
    Ok(RoutesDto {
        consortium_id: routes.group.id.to_string(),
        consortium_name: routes.group.name.clone(),
        days: ROUTING_DAYS,
        proposals: routes
            .proposals
            .into_iter()
            .map(ProposalDto::from)
            .collect(),
    })
}

/// COMP-6 at the door of every referral: one to an institution outside the patient's group
/// goes only as `external` to one of the group's collaborators. A person outside every
/// grid (a GRID-1 finding) has no group to stay in, and is not held up by the registry's
/// gap (REF-4: no patient is pushed away).
pub(crate) fn within_group(
    reg: &Registry,
    patient: Option<&Resident>,
    to: &InstitutionId,
    direction: Direction,
) -> Result<(), ApiError> {
    let Some(group) = group_of(reg, patient.and_then(|p| p.grid_id.as_ref())) else {
        return Ok(());
    };
    check_receiver(reg, &group.id, to, direction, yilian_service::today())
        .map_err(|e| ApiError::Conflict(e.to_string()))
}
