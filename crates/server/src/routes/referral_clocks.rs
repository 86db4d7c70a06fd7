//! The referral clocks as those who answer for the receivers see them (issue 4, item 2):
//! the group's manager (level-2 escalations reach them) and the commission. Per receiving
//! institution: referrals waiting, how many are overdue now and how many went up to the
//! manager, and the deadlines it missed in the period — overdue referrals count against the
//! receiver. Then the overdue referrals themselves, the longest first. Aggregates and
//! referral ids only: no person is named, so `read_aggregates` is the action.

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};
use yilian_domain::access::{Action, ActionKind, Resource, Scope, grants_for};
use yilian_domain::ids::{ConsortiumId, InstitutionId};
use yilian_store::referral::{clock_summary, escalated};

/// Most overdue referrals one answer lists.
const OVERDUE_ROWS_MAX: u32 = 500;
/// The period missed deadlines are counted over, by default and at most.
const DAYS_DEFAULT: u32 = 30;
const DAYS_MAX: u32 = 366;

/// Whose clocks.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ClocksQuery {
    /// A consortium's members; when absent, the caller's own consortium for a manager, the
    /// whole city for the commission.
    #[param(max_length = 128)]
    pub(crate) consortium: Option<String>,
    /// Days over which missed deadlines are counted (1–366, default 30).
    #[param(minimum = 1, maximum = 366)]
    pub(crate) days: Option<u32>,
}

/// One receiver's clocks.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReceiverClocksDto {
    pub(crate) institution_id: String,
    pub(crate) name: String,
    /// Referrals waiting on it.
    pub(crate) open: u64,
    /// Of those, overdue now.
    pub(crate) overdue: u64,
    /// Of those, escalated to the group's manager.
    pub(crate) to_manager: u64,
    /// Deadlines missed in the period.
    pub(crate) missed: u64,
    /// Of those, escalated on to the group's manager.
    pub(crate) missed_to_manager: u64,
}

/// An overdue referral (no person named).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OverdueDto {
    pub(crate) id: String,
    pub(crate) from_institution_id: String,
    pub(crate) to_institution_id: String,
    pub(crate) direction: &'static str,
    pub(crate) urgency: &'static str,
    pub(crate) status: &'static str,
    /// The stage's missed deadline.
    pub(crate) deadline: Option<DateTime<Utc>>,
    /// 1: the receiver's desk was alerted; 2: the group's manager.
    pub(crate) escalation: u8,
}

/// The clocks of a consortium's receivers, or the city's.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClocksDto {
    pub(crate) consortium: Option<String>,
    /// Missed deadlines are counted from here.
    pub(crate) since: DateTime<Utc>,
    pub(crate) receivers: Vec<ReceiverClocksDto>,
    pub(crate) overdue: Vec<OverdueDto>,
}

/// Reads the clocks the caller may see (the API's and the console's one way to).
pub(crate) async fn clocks_of(
    state: &AppState,
    who: &Who,
    q: &ClocksQuery,
) -> Result<ClocksDto, ApiError> {
    let days = q.days.unwrap_or(DAYS_DEFAULT);
    if !(1..=DAYS_MAX).contains(&days) {
        return Err(ApiError::invalid(
            "days",
            format!("须在 1–{DAYS_MAX} 之间"),
            format!("days is 1–{DAYS_MAX}"),
        ));
    }
    let reg = state.registry().await?;
    // without a consortium named, a manager sees their own group, the commission the city
    let own = || {
        let scopes: Vec<Scope> = grants_for(&who.signed_in.actor, ActionKind::ReadAggregates)
            .map(|g| g.scope().clone())
            .collect();
        if scopes.contains(&Scope::City) {
            return None;
        }
        scopes.into_iter().find_map(|s| match s {
            Scope::Consortium(c) => Some(c.to_string()),
            _ => None,
        })
    };
    let consortium = q.consortium.clone().or_else(own);
    let (resource, scope): (Resource, Option<BTreeSet<InstitutionId>>) = match &consortium {
        None => (Resource::Registry, None),
        Some(id) => {
            let cid =
                ConsortiumId::parse(id).map_err(|e| ApiError::invalid_because("consortium", &e))?;
            let Some(c) = reg.consortia.iter().find(|c| c.id == cid) else {
                return Err(ApiError::NotFound {
                    what: "consortium",
                    id: id.clone(),
                });
            };
            let today = yilian_service::today();
            let members = reg
                .members_of(&cid, Some(today))
                .map(|m| m.institution_id.clone())
                .chain([c.lead.clone()])
                .collect();
            let resource = Resource::Consortium {
                id: cid,
                grid: c.grid_id.clone(),
            };
            (resource, Some(members))
        }
    };
    authorize(
        state,
        &reg,
        who,
        Ask::plain(&Action::ReadAggregates, &resource),
    )
    .await?;
    let within = |i: &InstitutionId| scope.as_ref().is_none_or(|s| s.contains(i));
    let since = Utc::now() - Duration::days(i64::from(days));
    let receivers = clock_summary(&state.store, since)
        .await?
        .into_iter()
        .filter(|r| within(&r.institution))
        .map(|r| ReceiverClocksDto {
            name: reg
                .institution(&r.institution)
                .map(|i| i.name.clone())
                .unwrap_or_default(),
            institution_id: r.institution.to_string(),
            open: r.open,
            overdue: r.overdue,
            to_manager: r.to_manager,
            missed: r.missed,
            missed_to_manager: r.missed_to_manager,
        })
        .collect();
    let members: Option<Vec<InstitutionId>> = scope.as_ref().map(|s| s.iter().cloned().collect());
    let overdue = escalated(&state.store, members.as_deref(), OVERDUE_ROWS_MAX)
        .await?
        .into_iter()
        .map(|r| OverdueDto {
            deadline: yilian_service::referral::deadline(&r, &state.profile),
            id: r.opened.id.to_string(),
            from_institution_id: r.opened.from.to_string(),
            to_institution_id: r.opened.to.to_string(),
            direction: r.opened.direction.as_str(),
            urgency: r.opened.urgency.as_str(),
            status: r.status.as_str(),
            escalation: r.escalation,
        })
        .collect();
    Ok(ClocksDto {
        consortium,
        since,
        receivers,
        overdue,
    })
}

/// The referral clocks of a consortium's receivers (its manager) or of the city (the
/// commission): who lets referrals wait.
#[utoipa::path(
    get,
    path = "/api/v1/referral-clocks",
    tag = "referral",
    params(ClocksQuery),
    responses(
        (status = 200, description = "Per receiver, and the overdue referrals", body = ClocksDto),
        (status = 400, description = "A field does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not the caller's consortium, or no aggregates for the role", body = ErrorBody),
        (status = 404, description = "No such consortium", body = ErrorBody),
    )
)]
pub(crate) async fn get_clocks(
    State(state): State<AppState>,
    who: Who,
    Query(q): Query<ClocksQuery>,
) -> Result<Json<ClocksDto>, ApiError> {
    Ok(Json(clocks_of(&state, &who, &q).await?))
}
