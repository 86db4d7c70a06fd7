//! The audit trail for auditors (issue 3, item 4): searched by actor, person, action,
//! outcome and flag, oldest first, paged by sequence number. Reading the trail is itself
//! recorded in it.

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yilian_domain::access::{Action, Resource};
use yilian_domain::ids::ResidentId;
use yilian_store::audit_trail::{AuditEntry, PageSize, SearchFilter};

/// What to look for; every field narrows.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TrailQuery {
    /// Done by this actor (a user id).
    #[param(max_length = 128)]
    pub(crate) actor: Option<String>,
    /// About this resident.
    #[param(max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub(crate) person: Option<String>,
    /// This action (`read_person`, `login`, `export_persons` …).
    #[param(max_length = 64)]
    pub(crate) action: Option<String>,
    /// Only entries flagged for review (`true`) or not (`false`).
    pub(crate) flagged: Option<bool>,
    /// Entries after this sequence number (the `next` of the previous page).
    #[param(minimum = 0)]
    pub(crate) after: Option<i64>,
    /// Entries per page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<u32>,
}

/// One page of the trail.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TrailPage {
    /// Entries, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub(crate) items: Vec<AuditEntry>,
    /// Pass as `after` for the next page.
    pub(crate) next: i64,
}

/// Runs an auditor's search, authorised and itself audited.
pub(crate) async fn search(
    state: &AppState,
    who: &Who,
    q: &TrailQuery,
) -> Result<TrailPage, ApiError> {
    let blank = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let person = blank(&q.person)
        .map(|p| ResidentId::parse(&p))
        .transpose()
        .map_err(|e| ApiError::invalid_because("person", &e))?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid(
            "after",
            "游标不得为负数",
            "the cursor cannot be negative",
        ));
    }
    let limit = PageSize::new(q.limit.unwrap_or(100))
        .map_err(|e| ApiError::invalid_because("limit", &e))?;
    let filter = SearchFilter {
        actor: blank(&q.actor),
        person,
        action: blank(&q.action),
        from: None,
        to: None,
        flagged: q.flagged,
    };
    let reg = state.registry().await?;
    let ask = Ask {
        action: &Action::ReadAuditTrail,
        resource: &Resource::AuditTrail,
        purpose: "audit",
        detail: serde_json::json!({"actor": filter.actor, "person": filter.person, "action": filter.action, "flagged": filter.flagged}),
    };
    authorize(state, &reg, who, ask).await?;
    let items = yilian_service::audit_trail::search(&state.store, &filter, after, limit).await?;
    let next = items.last().map_or(after, |e| e.seq);
    Ok(TrailPage { items, next })
}

/// Searches the audit trail (auditors only).
#[utoipa::path(
    get,
    path = "/api/v1/audit-trail",
    tag = "access",
    params(TrailQuery),
    responses(
        (status = 200, description = "Entries after the cursor", body = TrailPage),
        (status = 400, description = "A filter does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an auditor", body = ErrorBody),
    )
)]
pub(crate) async fn search_trail(
    State(state): State<AppState>,
    who: Who,
    Query(q): Query<TrailQuery>,
) -> Result<Json<TrailPage>, ApiError> {
    Ok(Json(search(&state, &who, &q).await?))
}
