//! Follow-up visits and the chronic-disease referral suggestion (REF-2) through the API.
//! Recording a visit changes the person's record (`change_person`: the family doctors of
//! the resident's team, doctors with a care relation); reading the suggestion reads it
//! (`read_person`). Both are authorised by the one policy and written to the audit trail.

use crate::AppState;
use crate::access::{Ask, Permit, Purpose, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::routes::persons::{load_person, resident_id};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use yilian_domain::access::Action;
use yilian_domain::chronic::{
    BloodPressure, ChronicCondition, FollowUp, Glucose, Suggestion, Symptom,
};
use yilian_domain::ids::{FollowUpId, ResidentId};
use yilian_domain::registry::{Registry, Resident};
use yilian_service::follow_up::{self, Review};
use yilian_store::follow_up::FollowUpRow;

/// Loads a resident and asks the policy whether the caller may do `action` to them (the
/// refusal, and the allowed access to personal data, go to the audit trail); 404 only
/// after the policy answered, so an outsider cannot probe which ids exist.
pub(crate) async fn authorized_resident(
    state: &AppState,
    who: &Who,
    rid: &ResidentId,
    action: &Action,
    purpose: Purpose,
    detail: serde_json::Value,
) -> Result<(Arc<Registry>, Resident, Permit), ApiError> {
    let reg = state.registry().await?;
    let (row, resource) = load_person(state, &reg, rid).await?;
    let ask = Ask {
        action,
        resource: &resource,
        purpose: purpose.as_str(),
        detail,
    };
    let permit = authorize(state, &reg, who, ask).await?;
    let resident = row.ok_or_else(|| ApiError::NotFound {
        what: "resident",
        id: rid.to_string(),
    })?;
    Ok((reg, resident, permit))
}

/// A follow-up visit to record.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct FollowUpInput {
    /// The visit's id; one is made when absent. The same id with the same content again
    /// stores nothing new; with other content it is refused (409).
    #[schema(max_length = 128)]
    id: Option<String>,
    /// `hypertension` or `type2_diabetes`.
    condition: String,
    /// The day of the visit (China's date), not after today.
    #[schema(value_type = String, format = Date)]
    on: NaiveDate,
    /// Systolic pressure, mmHg (required for hypertension, with `dbp_mmhg`).
    #[schema(minimum = 40, maximum = 300)]
    sbp_mmhg: Option<u16>,
    /// Diastolic pressure, mmHg.
    #[schema(minimum = 20, maximum = 200)]
    dbp_mmhg: Option<u16>,
    /// Blood glucose, mmol/L with at most one decimal (required for type-2 diabetes).
    #[schema(minimum = 0.5, maximum = 60.0)]
    glucose_mmol_l: Option<f64>,
    /// The doctor's judgement: control at target (达标) at this visit.
    at_target: bool,
    /// Pregnant or breast-feeding.
    #[serde(default)]
    pregnant_or_lactating: bool,
    /// What the doctor noted: `altered_consciousness`, `severe_headache_or_dizziness`,
    /// `vomiting`, `blurred_vision`, `chest_pain_or_orthopnoea`,
    /// `uncontrollable_side_effects`, `complications_new_or_worse`,
    /// `recurrent_hypoglycaemia`, `complications_beyond_primary_care`,
    /// `insulin_regimen_needed`.
    #[serde(default)]
    #[schema(max_items = 10)]
    symptoms: Vec<String>,
}

impl FollowUpInput {
    /// The visit as the domain checks it; each error names its field.
    fn parse(&self, today: NaiveDate) -> Result<FollowUp, ApiError> {
        let condition = ChronicCondition::parse(&self.condition)
            .map_err(|e| ApiError::invalid_code("condition", &e))?;
        let blood_pressure = match (self.sbp_mmhg, self.dbp_mmhg) {
            (Some(s), Some(d)) => Some(
                BloodPressure::new(s, d).map_err(|e| ApiError::invalid_because(e.field(), &e))?,
            ),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                return Err(ApiError::invalid(
                    "sbp_mmhg",
                    "收缩压与舒张压须同时填写",
                    "sbp_mmhg and dbp_mmhg go together",
                ));
            }
        };
        let glucose = self
            .glucose_mmol_l
            .map(Glucose::from_mmol_l)
            .transpose()
            .map_err(|e| ApiError::invalid_because("glucose_mmol_l", &e))?;
        let symptoms = self
            .symptoms
            .iter()
            .enumerate()
            .map(|(k, s)| {
                Symptom::parse(s).map_err(|e| ApiError::invalid_code(format!("symptoms[{k}]"), &e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        FollowUp {
            condition,
            on: self.on,
            blood_pressure,
            glucose,
            at_target: self.at_target,
            pregnant_or_lactating: self.pregnant_or_lactating,
            symptoms,
        }
        .checked(today)
        .map_err(|e| ApiError::invalid_because(e.field(), &e))
    }
}

/// A recorded follow-up.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FollowUpDto {
    id: String,
    resident_id: String,
    /// `hypertension` or `type2_diabetes`.
    condition: &'static str,
    #[schema(value_type = String, format = Date)]
    on: NaiveDate,
    sbp_mmhg: Option<u16>,
    dbp_mmhg: Option<u16>,
    glucose_mmol_l: Option<f64>,
    at_target: bool,
    pregnant_or_lactating: bool,
    symptoms: Vec<&'static str>,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
}

impl From<FollowUpRow> for FollowUpDto {
    fn from(r: FollowUpRow) -> Self {
        let f = r.follow_up;
        FollowUpDto {
            id: r.id.to_string(),
            resident_id: r.resident_id.to_string(),
            condition: f.condition.as_str(),
            on: f.on,
            sbp_mmhg: f.blood_pressure.map(BloodPressure::sbp_mmhg),
            dbp_mmhg: f.blood_pressure.map(BloodPressure::dbp_mmhg),
            glucose_mmol_l: f.glucose.map(Glucose::mmol_l),
            at_target: f.at_target,
            pregnant_or_lactating: f.pregnant_or_lactating,
            symptoms: f.symptoms.iter().map(|s| s.as_str()).collect(),
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        }
    }
}

/// Records a follow-up visit of a resident's hypertension or type-2 diabetes: the history
/// the chronic-disease referral criteria (REF-2) read.
#[utoipa::path(
    post,
    path = "/api/v1/residents/{id}/follow-ups",
    tag = "referral",
    params(("id" = String, Path, description = "Resident id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    request_body = FollowUpInput,
    responses(
        (status = 201, description = "Recorded (or the same visit recorded before)", body = FollowUpDto),
        (status = 400, description = "A field does not parse; the error names it", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such resident", body = ErrorBody),
        (status = 409, description = "The id was used for another visit", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(resident = %id))]
pub(crate) async fn record_follow_up(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    Json(input): Json<FollowUpInput>,
) -> Result<(StatusCode, Json<FollowUpDto>), ApiError> {
    let rid = resident_id("id", &id)?;
    let visit = input.parse(yilian_service::today())?;
    let fid = match &input.id {
        Some(s) => FollowUpId::parse(s).map_err(|e| ApiError::invalid_because("id", &e))?,
        None => {
            let hex = yilian_service::auth::random_hex();
            FollowUpId::parse(&format!("V{}", &hex.reveal()[..15])).expect("BUG: a hex id is an id")
        }
    };
    let detail = serde_json::json!({"change": "follow_up", "follow_up": fid.as_str()});
    authorized_resident(
        &state,
        &who,
        &rid,
        &Action::ChangePerson,
        Purpose::ContractCare,
        detail,
    )
    .await?;
    let row = FollowUpRow {
        id: fid,
        resident_id: rid,
        follow_up: visit,
        recorded_by: who.signed_in.actor.user_id.to_string(),
        recorded_at: Utc::now(),
    };
    let stored = follow_up::record(&state.store, &row).await?;
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// One condition reviewed against REF-2.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReviewDto {
    /// `hypertension` or `type2_diabetes`.
    condition: &'static str,
    /// How many follow-ups the criteria read (the latest 24 at most).
    follow_ups: u32,
    /// The suggested referral; none when no criterion matched.
    suggestion: Option<SuggestionDto>,
}

/// A suggested referral.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SuggestionDto {
    /// Always `up`.
    direction: &'static str,
    /// `emergency` (green channel, REF-5) or `routine`.
    urgency: &'static str,
    /// The criterion that matched (`emergency_blood_pressure`, `routine_not_at_target` …).
    criterion: &'static str,
    /// Why, naming REF-2 and the numbers.
    explanation_zh: String,
    /// Why, naming REF-2 and the numbers.
    explanation_en: String,
    /// The referrer checks on the patient within this many days.
    recheck_within_days: Option<u32>,
}

impl From<Suggestion> for SuggestionDto {
    fn from(s: Suggestion) -> Self {
        SuggestionDto {
            direction: s.direction.as_str(),
            urgency: s.urgency.as_str(),
            criterion: s.criterion.as_str(),
            explanation_zh: s.explanation_zh,
            explanation_en: s.explanation_en,
            recheck_within_days: s.recheck_within_days,
        }
    }
}

impl From<Review> for ReviewDto {
    fn from(r: Review) -> Self {
        ReviewDto {
            condition: r.condition.as_str(),
            follow_ups: u32::try_from(r.history.len()).expect("BUG: at most 24 follow-ups read"),
            suggestion: r.suggestion.map(SuggestionDto::from),
        }
    }
}

/// The chronic-disease referral suggestion (REF-2) for a resident: each of their
/// conditions with criteria, and the referral its readings call for, if any.
#[utoipa::path(
    get,
    path = "/api/v1/residents/{id}/referral-suggestions",
    tag = "referral",
    params(("id" = String, Path, description = "Resident id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    responses(
        (status = 200, description = "One review per condition", body = [ReviewDto]),
        (status = 400, description = "The id does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such resident", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(resident = %id))]
pub(crate) async fn get_referral_suggestions(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<Json<Vec<ReviewDto>>, ApiError> {
    let rid = resident_id("id", &id)?;
    let reviews = reviews(&state, &who, &rid).await?;
    Ok(Json(reviews.into_iter().map(ReviewDto::from).collect()))
}

/// A resident's conditions reviewed against REF-2, for a caller who may read them (the
/// API's and the console's one way to).
pub(crate) async fn reviews(
    state: &AppState,
    who: &Who,
    rid: &ResidentId,
) -> Result<Vec<Review>, ApiError> {
    let (_, resident, _) = authorized_resident(
        state,
        who,
        rid,
        &Action::ReadPerson,
        Purpose::ContractCare,
        serde_json::json!({"read": "referral_suggestions"}),
    )
    .await?;
    Ok(follow_up::review(
        &state.store,
        &state.profile.rules.ref2,
        &resident,
        yilian_service::today(),
    )
    .await?)
}
