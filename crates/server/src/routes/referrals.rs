//! Referrals through the API (issue 4, item 1): open one, move it (accept, reject,
//! redirect, schedule, record the arrival, complete, cancel), read it, and list an
//! institution's inbox (received) and outbox (sent). The access policy decides whether the
//! caller may refer this person at all (`refer`, in care); the referral's state machine
//! decides whether the caller's institution may make this move now (the owner rule).
//! A down-referral names the family-doctor team and carries its care plan (REF-1); every
//! referral shows its clock: the current stage's deadline and how far it was escalated.

use crate::AppState;
use crate::access::{Ask, Permit, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::routes::persons::{load_person, resident_id};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yilian_domain::access::{Action, ActionKind, Scope, grants_for};
use yilian_domain::ids::{InstitutionId, ReferralId, TeamId};
use yilian_domain::policy::Profile;
use yilian_domain::referral::care_plan::{CarePlan, FollowUp, Medication};
use yilian_domain::referral::{
    Command, Direction, NewReferral, Party, Referral, ReferralError, Urgency,
};
use yilian_domain::registry::Registry;
use yilian_store::referral::{self, Side};

/// Most open referrals one list returns (a desk's work, most pressing first).
const OPEN_ROWS_MAX: u32 = 500;
/// Most finished referrals one list returns after the open ones (the latest).
const DONE_ROWS_MAX: u32 = 50;

/// A referral as shown.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReferralDto {
    id: String,
    pub(crate) resident_id: String,
    from_institution_id: String,
    pub(crate) to_institution_id: String,
    /// `up`, `down`, `lateral`, `external`.
    direction: &'static str,
    /// `routine`, `urgent`, `emergency`.
    urgency: &'static str,
    pub(crate) reason: String,
    /// `requested`, `accepted`, `rejected`, `scheduled`, `arrived`, `completed`,
    /// `cancelled`, `expired`.
    status: &'static str,
    changed_at: DateTime<Utc>,
    scheduled_at: Option<DateTime<Utc>>,
    /// The outcome and discharge summary returned to the referrer.
    pub(crate) outcome: Option<String>,
    /// The family-doctor team taking the patient over (down-referrals).
    pub(crate) team_id: Option<String>,
    /// What the team needs to take over (down-referrals).
    pub(crate) care_plan: Option<CarePlanDto>,
    /// When the current stage began.
    stage_since: DateTime<Utc>,
    /// The current stage's deadline (REF-5 clocks); none once final.
    pub(crate) deadline: Option<DateTime<Utc>>,
    /// 0: on time; 1: overdue, escalated to the receiver's desk; 2: to the group's manager.
    pub(crate) escalation: u8,
    /// REF-3: a signed resident referred up by primary care (priority consultation,
    /// examination and admission).
    pub(crate) priority: bool,
    version: u32,
}

/// A medication to continue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct MedicationDto {
    #[schema(min_length = 1, max_length = 200)]
    pub(crate) name: String,
    #[schema(min_length = 1, max_length = 200)]
    pub(crate) dose: String,
    #[schema(min_length = 1, max_length = 200)]
    pub(crate) frequency: String,
}

/// A follow-up the team owes the patient.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct FollowUpDto {
    /// By when (China's date).
    pub(crate) due: NaiveDate,
    #[schema(min_length = 1, max_length = 500)]
    pub(crate) task: String,
}

/// A down-referral's care plan (REF-1): diagnosis, medications, plan and at least one
/// follow-up task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct CarePlanDto {
    #[schema(min_length = 1, max_length = 2000)]
    pub(crate) diagnosis: String,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub(crate) medications: Vec<MedicationDto>,
    #[schema(min_length = 1, max_length = 2000)]
    pub(crate) plan: String,
    #[schema(min_items = 1, max_items = 50)]
    pub(crate) follow_ups: Vec<FollowUpDto>,
}

impl From<CarePlan> for CarePlanDto {
    fn from(p: CarePlan) -> Self {
        CarePlanDto {
            diagnosis: p.diagnosis,
            medications: p
                .medications
                .into_iter()
                .map(|m| MedicationDto {
                    name: m.name,
                    dose: m.dose,
                    frequency: m.frequency,
                })
                .collect(),
            plan: p.plan,
            follow_ups: p
                .follow_ups
                .into_iter()
                .map(|f| FollowUpDto {
                    due: f.due,
                    task: f.task,
                })
                .collect(),
        }
    }
}

impl CarePlanDto {
    /// The plan, its texts within the length the schema states.
    fn to_domain(&self) -> Result<CarePlan, ApiError> {
        Ok(CarePlan {
            diagnosis: text("care_plan.diagnosis", &self.diagnosis)?,
            medications: self
                .medications
                .iter()
                .map(|m| {
                    Ok(Medication {
                        name: text("care_plan.medications.name", &m.name)?,
                        dose: text("care_plan.medications.dose", &m.dose)?,
                        frequency: text("care_plan.medications.frequency", &m.frequency)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            plan: text("care_plan.plan", &self.plan)?,
            follow_ups: self
                .follow_ups
                .iter()
                .map(|f| {
                    Ok(FollowUp {
                        due: f.due,
                        task: text("care_plan.follow_ups.task", &f.task)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
        })
    }
}

impl ReferralDto {
    /// The referral as shown, its deadline under `profile`'s clocks.
    pub(crate) fn new(r: Referral, profile: &Profile) -> Self {
        let deadline = yilian_service::referral::deadline(&r, profile);
        let o = r.opened;
        ReferralDto {
            id: o.id.to_string(),
            resident_id: o.resident.to_string(),
            from_institution_id: o.from.to_string(),
            to_institution_id: o.to.to_string(),
            direction: o.direction.as_str(),
            urgency: o.urgency.as_str(),
            reason: o.reason,
            status: r.status.as_str(),
            changed_at: r.changed_at,
            scheduled_at: r.scheduled_at,
            outcome: r.outcome,
            team_id: o.team.map(|t| t.to_string()),
            care_plan: o.care_plan.map(CarePlanDto::from),
            stage_since: r.stage_since,
            deadline,
            escalation: r.escalation,
            priority: o.priority,
            version: r.version,
        }
    }
}

/// A refusal by the referral's rules: a missing part of the input is the caller's to fix
/// (400, naming the field), a move out of turn a conflict with the referral's state (409).
fn refusal(e: &ReferralError) -> ApiError {
    match e {
        ReferralError::CarePlan(p) => ApiError::invalid_because(p.field.clone(), e),
        ReferralError::DownNeedsTeamAndPlan => ApiError::invalid_because("care_plan", e),
        ReferralError::TeamOnlyDown => ApiError::invalid_because("team_id", e),
        ReferralError::ReasonRequired => ApiError::invalid_because("reason", e),
        _ => ApiError::Conflict(e.to_string()),
    }
}

/// The institution a grant acts for: its own, or the host of its team.
pub(crate) fn institution_of(reg: &Registry, scope: &Scope) -> Option<InstitutionId> {
    match scope {
        Scope::Institution(i) => Some(i.clone()),
        Scope::Team(t) => reg
            .teams
            .iter()
            .find(|x| &x.id == t)
            .map(|x| x.institution_id.clone()),
        Scope::City | Scope::Grid(_) | Scope::Consortium(_) | Scope::Person(_) => None,
    }
}

fn party(reg: &Registry, permit: &Permit) -> Result<Party, ApiError> {
    institution_of(reg, permit.grant.scope())
        .map(Party::Institution)
        .ok_or_else(|| ApiError::Internal("BUG: a refer grant names no institution".into()))
}

/// Runs a command on a referral and maps the refusal.
async fn run(
    state: &AppState,
    who: &Who,
    id: &ReferralId,
    command: &Command,
    by: &Party,
) -> Result<Referral, ApiError> {
    let actor = who.signed_in.actor.user_id.to_string();
    yilian_service::referral::act(
        &state.store,
        &state.profile,
        id,
        command,
        by,
        &actor,
        Utc::now(),
    )
    .await?
    .map_err(|e| refusal(&e))
}

/// A referral to open.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ReferralInput {
    /// Its id; one is made when absent. Sending the same id again is refused (409), so a
    /// retried request cannot open two referrals.
    #[schema(max_length = 128)]
    pub(crate) id: Option<String>,
    #[schema(min_length = 1, max_length = 128)]
    pub(crate) resident_id: String,
    #[schema(min_length = 1, max_length = 128)]
    pub(crate) to_institution_id: String,
    /// `up`, `down`, `lateral` or `external`.
    pub(crate) direction: String,
    /// `routine`, `urgent` or `emergency`.
    pub(crate) urgency: String,
    /// Why (clinical summary), 1–2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub(crate) reason: String,
    /// The receiver's family-doctor team that takes the patient over (down-referrals
    /// only; required there).
    #[schema(max_length = 128)]
    pub(crate) team_id: Option<String>,
    /// The care plan (down-referrals only; required there).
    pub(crate) care_plan: Option<CarePlanDto>,
}

/// Longest referral reason or outcome, in characters.
const TEXT_CHARS_MAX: usize = 2_000;

fn text(field: &str, s: &str) -> Result<String, ApiError> {
    if s.chars().count() > TEXT_CHARS_MAX {
        return Err(ApiError::invalid(
            field,
            format!("不得超过 {TEXT_CHARS_MAX} 个字符"),
            format!("at most {TEXT_CHARS_MAX} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// Opens a referral of a person in the caller's care, from the caller's institution.
#[utoipa::path(
    post,
    path = "/api/v1/referrals",
    tag = "referral",
    request_body = ReferralInput,
    responses(
        (status = 201, description = "Opened", body = ReferralDto),
        (status = 400, description = "A field does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such resident or receiving institution", body = ErrorBody),
        (status = 409, description = "The id is taken, the receiver is the referrer, or it is outside the patient's group without being an external referral to a collaborator (COMP-6)", body = ErrorBody),
    )
)]
pub(crate) async fn open_referral(
    State(state): State<AppState>,
    who: Who,
    Json(input): Json<ReferralInput>,
) -> Result<(StatusCode, Json<ReferralDto>), ApiError> {
    let r = open(&state, &who, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(ReferralDto::new(r, &state.profile)),
    ))
}

/// Opens a referral (the API's and the console's one way to).
pub(crate) async fn open(
    state: &AppState,
    who: &Who,
    input: &ReferralInput,
) -> Result<Referral, ApiError> {
    let rid = resident_id("resident_id", &input.resident_id)?;
    let to = InstitutionId::parse(&input.to_institution_id)
        .map_err(|e| ApiError::invalid_because("to_institution_id", &e))?;
    let direction =
        Direction::parse(&input.direction).map_err(|e| ApiError::invalid_code("direction", &e))?;
    let urgency =
        Urgency::parse(&input.urgency).map_err(|e| ApiError::invalid_code("urgency", &e))?;
    let id = match &input.id {
        Some(s) => ReferralId::parse(s).map_err(|e| ApiError::invalid_because("id", &e))?,
        None => {
            let hex = yilian_service::auth::random_hex();
            ReferralId::parse(&format!("F{}", &hex.reveal()[..15])).expect("BUG: a hex id is an id")
        }
    };
    let reason = text("reason", &input.reason)?;
    let care_plan = input
        .care_plan
        .as_ref()
        .map(CarePlanDto::to_domain)
        .transpose()?;
    let team = input
        .team_id
        .as_deref()
        .map(|t| TeamId::parse(t).map_err(|e| ApiError::invalid_because("team_id", &e)))
        .transpose()?;
    let reg = state.registry().await?;
    if reg.institution(&to).is_none() {
        return Err(ApiError::NotFound {
            what: "institution",
            id: to.to_string(),
        });
    }
    if let Some(t) = &team
        && !reg
            .teams
            .iter()
            .any(|x| &x.id == t && x.institution_id == to)
    {
        return Err(ApiError::invalid(
            "team_id",
            format!("团队 {t} 不属于接收机构 {to}"),
            format!("team {t} is not a team of the receiving institution {to}"),
        ));
    }
    let (row, resource) = load_person(state, &reg, &rid).await?;
    let ask = Ask {
        action: &Action::Refer,
        resource: &resource,
        purpose: "referral",
        detail: serde_json::json!({"referral": id.as_str(), "to": to.as_str()}),
    };
    let permit = authorize(state, &reg, who, ask).await?;
    if row.is_none() {
        return Err(ApiError::NotFound {
            what: "resident",
            id: rid.to_string(),
        });
    }
    crate::routes::routing::within_group(&reg, row.as_ref(), &to, direction)?;
    let by = party(&reg, &permit)?;
    let Party::Institution(from) = by.clone() else {
        return Err(ApiError::Internal(
            "BUG: a referrer is an institution".into(),
        ));
    };
    // REF-3: a signed resident referred up by primary care
    let priority = direction == Direction::Up
        && row.as_ref().is_some_and(|p| p.team_id.is_some())
        && reg
            .institution(&from)
            .is_some_and(|i| i.kind.is_primary_care());
    let command = Command::Request(NewReferral {
        id: id.clone(),
        resident: rid,
        from,
        to,
        direction,
        urgency,
        reason,
        team,
        care_plan,
        priority,
    });
    run(state, who, &id, &command, &by).await
}

/// A move of a referral.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ActionInput {
    /// `accept`, `reject`, `redirect`, `schedule`, `arrive`, `complete` or `cancel`.
    pub(crate) command: String,
    /// Why (reject, redirect, cancel).
    #[schema(max_length = 2000)]
    pub(crate) reason: Option<String>,
    /// The new receiver (redirect).
    #[schema(max_length = 128)]
    pub(crate) to: Option<String>,
    /// When the patient is expected (schedule).
    pub(crate) at: Option<DateTime<Utc>>,
    /// The booking that holds the slot or bed (schedule).
    #[schema(max_length = 128)]
    pub(crate) booking: Option<String>,
    /// Outcome and discharge summary (complete).
    #[schema(max_length = 2000)]
    pub(crate) outcome: Option<String>,
}

impl ActionInput {
    fn command(&self) -> Result<Command, ApiError> {
        let need = |field: &str, v: &Option<String>| -> Result<String, ApiError> {
            let s = v.as_deref().ok_or_else(|| {
                ApiError::invalid(
                    field,
                    format!("此操作须填写 {field}"),
                    format!("{field} is required for this command"),
                )
            })?;
            text(field, s)
        };
        Ok(match self.command.as_str() {
            "accept" => Command::Accept,
            "reject" => Command::Reject {
                reason: need("reason", &self.reason)?,
            },
            "redirect" => Command::Redirect {
                to: InstitutionId::parse(&need("to", &self.to)?)
                    .map_err(|e| ApiError::invalid_because("to", &e))?,
                reason: need("reason", &self.reason)?,
            },
            "schedule" => Command::Schedule {
                at: self.at.ok_or_else(|| {
                    ApiError::invalid("at", "预约须填写时间", "schedule needs `at`")
                })?,
                booking: need("booking", &self.booking)?,
            },
            "arrive" => Command::Arrive,
            "complete" => Command::Complete {
                outcome: need("outcome", &self.outcome)?,
            },
            "cancel" => Command::Cancel {
                reason: need("reason", &self.reason)?,
            },
            other => {
                return Err(ApiError::invalid(
                    "command",
                    format!("未知操作 '{other}'"),
                    format!(
                        "unknown command '{other}'; expected accept, reject, redirect, schedule, arrive, complete or cancel"
                    ),
                ));
            }
        })
    }
}

/// Loads a referral and checks the caller may refer its person; returns the referral and
/// the caller's party.
async fn referral_for(
    state: &AppState,
    who: &Who,
    id: &str,
    action: &Action,
) -> Result<(Referral, Party), ApiError> {
    let rid = ReferralId::parse(id).map_err(|e| ApiError::invalid_because("id", &e))?;
    let reg = state.registry().await?;
    let Some(r) = referral::get(&state.store, &rid).await? else {
        return Err(ApiError::NotFound {
            what: "referral",
            id: id.to_owned(),
        });
    };
    let (_, resource) = load_person(state, &reg, &r.opened.resident).await?;
    let ask = Ask {
        action,
        resource: &resource,
        purpose: "referral",
        detail: serde_json::json!({"referral": id}),
    };
    let permit = authorize(state, &reg, who, ask).await?;
    Ok((r, party(&reg, &permit)?))
}

/// Moves a referral; only the party that owns it now may (the receiver answers, schedules,
/// records the arrival and returns the outcome; the referrer may cancel before arrival);
/// an emergency cannot be rejected, only redirected (REF-5).
#[utoipa::path(
    post,
    path = "/api/v1/referrals/{id}/actions",
    tag = "referral",
    params(("id" = String, Path, description = "Referral id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    request_body = ActionInput,
    responses(
        (status = 200, description = "Moved", body = ReferralDto),
        (status = 400, description = "A field does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such referral", body = ErrorBody),
        (status = 409, description = "Refused by the referral's rules (not the owner, wrong status, REF-5), or changed meanwhile", body = ErrorBody),
    )
)]
pub(crate) async fn act(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    Json(input): Json<ActionInput>,
) -> Result<Json<ReferralDto>, ApiError> {
    let r = act_on(&state, &who, &id, &input).await?;
    Ok(Json(ReferralDto::new(r, &state.profile)))
}

/// Moves a referral (the API's and the console's one way to).
pub(crate) async fn act_on(
    state: &AppState,
    who: &Who,
    id: &str,
    input: &ActionInput,
) -> Result<Referral, ApiError> {
    let command = input.command()?;
    let (r, by) = referral_for(state, who, id, &Action::Refer).await?;
    run(state, who, &r.opened.id, &command, &by).await
}

/// One referral (for those caring for its person).
#[utoipa::path(
    get,
    path = "/api/v1/referrals/{id}",
    tag = "referral",
    params(("id" = String, Path, description = "Referral id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    responses(
        (status = 200, description = "The referral", body = ReferralDto),
        (status = 400, description = "The id does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The person is not in the caller's care (audited)", body = ErrorBody),
        (status = 404, description = "No such referral", body = ErrorBody),
    )
)]
pub(crate) async fn get_referral(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<Json<ReferralDto>, ApiError> {
    let (r, _) = referral_for(&state, &who, &id, &Action::ReadPerson).await?;
    Ok(Json(ReferralDto::new(r, &state.profile)))
}

/// Which list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct BoxQuery {
    /// `inbox` (received, the referral desk's) or `outbox` (sent, the referrer's).
    #[param(pattern = "^(inbox|outbox)$")]
    r#box: String,
}

/// The caller's institution's referrals, most recently moved first.
#[utoipa::path(
    get,
    path = "/api/v1/referrals",
    tag = "referral",
    params(BoxQuery),
    responses(
        (status = 200, description = "Referrals", body = [ReferralDto]),
        (status = 400, description = "Not inbox or outbox", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles do not refer", body = ErrorBody),
    )
)]
pub(crate) async fn list_referrals(
    State(state): State<AppState>,
    who: Who,
    Query(q): Query<BoxQuery>,
) -> Result<Json<Vec<ReferralDto>>, ApiError> {
    let side = match q.r#box.as_str() {
        "inbox" => Side::Received,
        "outbox" => Side::Sent,
        other => {
            return Err(ApiError::invalid(
                "box",
                format!("须为 inbox 或 outbox，收到 '{other}'"),
                format!("box is inbox or outbox, got '{other}'"),
            ));
        }
    };
    let list = list(&state, &who, side).await?;
    Ok(Json(
        list.into_iter()
            .map(|r| ReferralDto::new(r, &state.profile))
            .collect(),
    ))
}

/// The referrals of the institutions the caller refers for, on one side (the API's and the
/// console's one way to list them).
pub(crate) async fn list(
    state: &AppState,
    who: &Who,
    side: Side,
) -> Result<Vec<Referral>, ApiError> {
    let reg = state.registry().await?;
    // the institutions the caller's referring grants act for: their lists, nobody else's
    let mut institutions: Vec<InstitutionId> = grants_for(&who.signed_in.actor, ActionKind::Refer)
        .filter_map(|g| institution_of(&reg, g.scope()))
        .collect();
    institutions.sort();
    institutions.dedup();
    let mut out = Vec::new();
    for i in institutions {
        out.extend(referral::list_for(&state.store, &i, side, OPEN_ROWS_MAX, DONE_ROWS_MAX).await?);
    }
    Ok(out)
}
