//! The audit of the stored city against a policy profile on a day (GRID-*, COMP-*).

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::dto::audit::AuditReportDto;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use axum::extract::State;
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;
use yilian_domain::access::{Action, Resource};
use yilian_domain::policy::Profile;

/// Parameters of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// A builtin profile, or the server's own; the server's profile when absent.
    #[param(schema_with = profile_schema)]
    profile: Option<String>,
    /// The day audited, YYYY-MM-DD; today (UTC) when absent.
    #[param(format = Date)]
    date: Option<String>,
}

fn profile_schema() -> utoipa::openapi::schema::Object {
    crate::dto::code_schema("Policy profile (政策规范).", Profile::builtin_names())
}

/// The profile a request names: the server's own when it names none or names it, else
/// a builtin one.
pub(crate) fn profile_named(
    state: &AppState,
    name: Option<&str>,
) -> Result<Arc<Profile>, ApiError> {
    match name {
        None => Ok(state.profile.clone()),
        Some(n) if n == state.profile.name => Ok(state.profile.clone()),
        Some(n) => Profile::builtin(n).map(Arc::new).ok_or_else(|| {
            let names = Profile::builtin_names().join(", ");
            ApiError::invalid(
                "profile",
                format!("未知的政策规范 '{n}'，可选：{names}"),
                format!("unknown profile '{n}'; expected one of: {names}"),
            )
        }),
    }
}

/// The audit report, in the JSON contract the CLI and the fixtures share.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Findings in report order", body = AuditReportDto),
        (status = 400, description = "Unknown profile or malformed date", body = ErrorBody),
    )
)]
pub(crate) async fn get_audit(
    State(state): State<AppState>,
    who: Who,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditReportDto>, ApiError> {
    let reg = state.registry().await?;
    let ask = Ask::plain(&Action::ReadAggregates, &Resource::Registry);
    authorize(&state, &reg, &who, ask).await?;
    let profile = profile_named(&state, q.profile.as_deref())?;
    let day = match q.date.as_deref() {
        None => yilian_service::today(),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::invalid(
                "date",
                format!("日期须为 YYYY-MM-DD 格式，收到 '{s}'"),
                format!("a date must be YYYY-MM-DD, got '{s}'"),
            )
        })?,
    };
    let report = yilian_service::audit::run_audit(&state.store, &profile, day).await?;
    Ok(Json(report.into()))
}
