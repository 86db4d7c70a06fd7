//! A person's record (issue 3, item 3): read by those in their care, found by the ID card
//! in front of a desk, opened in an emergency with a typed reason (break-glass), and
//! exported per team or institution. Every one of these goes through
//! [`authorize`](crate::access::authorize) and lands in the audit trail, allowed or not;
//! identifiers are masked unless the policy says the role needs them.
//!
//! A resident that does not exist is judged as one with no grid, team or care relation,
//! so that a caller outside the scope gets the same 403 whether or not the id exists:
//! guessing ids across scopes tells nothing.

use crate::AppState;
use crate::access::{Ask, Permit, Purpose, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use utoipa::{IntoParams, ToSchema};
use yilian_domain::access::{Action, IdCardNo, NonEmptyReason, PhoneNo, Resource, Scope};
use yilian_domain::ids::{GridId, InstitutionId, ResidentId, TeamId};
use yilian_domain::registry::{Registry, Resident};
use yilian_service::identity::{self, Identity};
use yilian_store::registry::{self, ResidentFilter};

/// Most rows one export returns: a team or an institution has thousands, a grid tens of
/// thousands; past this the caller narrows the scope.
pub(crate) const EXPORT_ROWS_MAX: u32 = 100_000;

/// A person's record as a caller may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PersonDto {
    /// Pseudonymous id.
    pub(crate) id: String,
    /// `M` or `F`.
    pub(crate) sex: &'static str,
    /// Date of birth.
    pub(crate) birth_date: Option<NaiveDate>,
    /// The grid the home lies in.
    pub(crate) grid_id: Option<String>,
    /// The family-doctor team signed with.
    pub(crate) team_id: Option<String>,
    /// The contract date.
    pub(crate) signed_on: Option<NaiveDate>,
    /// ICD-10 codes of chronic conditions.
    pub(crate) conditions: Vec<String>,
    /// Currently pregnant.
    pub(crate) pregnant: bool,
    /// The national ID number, masked (`110105********002X`) unless the role needs it.
    pub(crate) id_card: Option<String>,
    /// The phone number, masked likewise.
    pub(crate) phone: Option<String>,
    /// The name, masked to its first character likewise.
    pub(crate) name: Option<String>,
    /// Whether the identifiers above are masked.
    pub(crate) masked: bool,
}

/// A name with all but its first character hidden.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().map(String::from).unwrap_or_default();
    first + &"*".repeat(chars.count())
}

impl PersonDto {
    fn of(r: &Resident, ident: Option<&Identity>, permit: &Permit) -> PersonDto {
        let masked = permit.masked;
        PersonDto {
            id: r.id.to_string(),
            sex: r.sex.as_str(),
            birth_date: r.birth_date,
            grid_id: r.grid_id.as_ref().map(ToString::to_string),
            team_id: r.team_id.as_ref().map(ToString::to_string),
            signed_on: r.signed_on,
            conditions: r.conditions.clone(),
            pregnant: r.pregnant,
            id_card: ident.map(|i| {
                if masked {
                    i.id_card.masked()
                } else {
                    i.id_card.reveal().to_owned()
                }
            }),
            phone: ident.and_then(|i| i.phone.as_ref()).map(|p| {
                if masked {
                    p.masked()
                } else {
                    p.reveal().to_owned()
                }
            }),
            name: ident
                .and_then(|i| i.name.as_deref())
                .map(|n| if masked { mask_name(n) } else { n.to_owned() }),
            masked,
        }
    }
}

/// A person's row (none when the id is unknown) and the policy's view of them: where they
/// live, their team, and who cares for them (the institution hosting their team, and every
/// institution they have been referred to; encounters will add more).
pub(crate) async fn load_person(
    state: &AppState,
    reg: &Registry,
    id: &ResidentId,
) -> Result<(Option<Resident>, Resource), ApiError> {
    let r = registry::get_resident(&state.store, id).await?;
    let team = r.as_ref().and_then(|r| r.team_id.clone());
    let mut care: Vec<InstitutionId> = team
        .as_ref()
        .and_then(|t| reg.teams.iter().find(|x| &x.id == t))
        .map(|t| vec![t.institution_id.clone()])
        .unwrap_or_default();
    care.extend(yilian_store::referral::receivers_of(&state.store, id).await?);
    let resource = Resource::Person {
        resident: id.clone(),
        grid: r.as_ref().and_then(|r| r.grid_id.clone()),
        team,
        institutions_with_care: care,
    };
    Ok((r, resource))
}

/// Loads a person's record for `action`, authorised and audited; the one path by which the
/// API and the console read a person.
pub(crate) async fn read_person(
    state: &AppState,
    who: &Who,
    id: &ResidentId,
    action: &Action,
    purpose: Purpose,
) -> Result<PersonDto, ApiError> {
    let reg = state.registry().await?;
    let (row, resource) = load_person(state, &reg, id).await?;
    let ask = Ask {
        action,
        resource: &resource,
        purpose: purpose.as_str(),
        detail: serde_json::Value::Null,
    };
    let permit = authorize(state, &reg, who, ask).await?;
    let Some(r) = row else {
        return Err(ApiError::NotFound {
            what: "resident",
            id: id.to_string(),
        });
    };
    let ident = identity::identity_of(&state.store, &state.keyring, id).await?;
    Ok(PersonDto::of(&r, ident.as_ref(), &permit))
}

pub(crate) fn resident_id(field: &str, s: &str) -> Result<ResidentId, ApiError> {
    ResidentId::parse(s).map_err(|e| ApiError::invalid_because(field, &e))
}

/// Why a record is read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PurposeQuery {
    /// `treatment` (default), `referral`, `contract_care`, `public_health` or `own_record`.
    #[param(value_type = Option<String>)]
    purpose: Option<Purpose>,
}

/// One person's record (`ReadPerson`): for those caring for them, and the resident.
#[utoipa::path(
    get,
    path = "/api/v1/residents/{id}",
    tag = "persons",
    params(("id" = String, Path, description = "Resident id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"), PurposeQuery),
    responses(
        (status = 200, description = "The record", body = PersonDto),
        (status = 400, description = "The id does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the caller's scope (audited)", body = ErrorBody),
        (status = 404, description = "No such resident", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(resident = %id))]
pub(crate) async fn get_person(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    Query(q): Query<PurposeQuery>,
) -> Result<Json<PersonDto>, ApiError> {
    let rid = resident_id("id", &id)?;
    let purpose = q.purpose.unwrap_or(Purpose::Treatment);
    Ok(Json(
        read_person(&state, &who, &rid, &Action::ReadPerson, purpose).await?,
    ))
}

/// A break-glass request: the reason is required and recorded.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct BreakGlassInput {
    /// Why the record must be opened without a care relation (500 characters at most).
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
}

/// Opens a record in an emergency without a care relation (破窗访问): allowed to doctors,
/// desks and family doctors within their own consortium, with a typed reason, always
/// flagged for an auditor's review; identifiers stay masked.
#[utoipa::path(
    post,
    path = "/api/v1/residents/{id}/break-glass",
    tag = "persons",
    params(("id" = String, Path, description = "Resident id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    request_body = BreakGlassInput,
    responses(
        (status = 200, description = "The record (flagged for review)", body = PersonDto),
        (status = 400, description = "No reason, or the id does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the caller's consortium (audited)", body = ErrorBody),
        (status = 404, description = "No such resident", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(resident = %id))]
pub(crate) async fn break_glass(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    Json(body): Json<BreakGlassInput>,
) -> Result<Json<PersonDto>, ApiError> {
    let rid = resident_id("id", &id)?;
    let reason =
        NonEmptyReason::parse(&body.reason).map_err(|e| ApiError::invalid_because("reason", &e))?;
    let action = Action::BreakGlassReadPerson { reason };
    Ok(Json(
        read_person(&state, &who, &rid, &action, Purpose::Treatment).await?,
    ))
}

/// A resident's identifiers, as typed at a desk.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct IdentityInput {
    /// The 18-character national ID number (GB 11643).
    #[schema(min_length = 18, max_length = 18)]
    id_card: String,
    /// A mobile (`13812341234`) or landline with area code (`010-62345678`).
    #[schema(max_length = 20)]
    phone: Option<String>,
    /// The name.
    #[schema(max_length = 50)]
    name: Option<String>,
}

/// Longest name accepted, in characters.
const NAME_CHARS_MAX: usize = 50;

impl IdentityInput {
    fn parse(&self) -> Result<Identity, ApiError> {
        let id_card = IdCardNo::parse(self.id_card.trim(), yilian_service::today())
            .map_err(|e| ApiError::invalid_because("id_card", &e))?;
        let phone = self
            .phone
            .as_deref()
            .map(|p| PhoneNo::parse(p.trim()))
            .transpose()
            .map_err(|e| ApiError::invalid_because("phone", &e))?;
        let name = match self.name.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) if n.chars().count() > NAME_CHARS_MAX || n.chars().any(char::is_control) => {
                return Err(ApiError::invalid(
                    "name",
                    format!("姓名须为不超过 {NAME_CHARS_MAX} 个可打印字符"),
                    format!("a name is at most {NAME_CHARS_MAX} printable characters"),
                ));
            }
            Some(n) => Some(n.to_owned()),
        };
        Ok(Identity {
            id_card,
            phone,
            name,
        })
    }
}

/// Records a resident's ID number, phone and name (`ChangePerson`), sealed at rest.
#[utoipa::path(
    put,
    path = "/api/v1/residents/{id}/identity",
    tag = "persons",
    params(("id" = String, Path, description = "Resident id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    request_body = IdentityInput,
    responses(
        (status = 200, description = "Recorded; the record as the caller may see it", body = PersonDto),
        (status = 400, description = "An invalid ID or phone number", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the caller's scope (audited)", body = ErrorBody),
        (status = 404, description = "No such resident", body = ErrorBody),
        (status = 409, description = "The ID number belongs to another resident", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(resident = %id))]
pub(crate) async fn put_identity(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    Json(body): Json<IdentityInput>,
) -> Result<Json<PersonDto>, ApiError> {
    let rid = resident_id("id", &id)?;
    let ident = body.parse()?;
    let reg = state.registry().await?;
    let (row, resource) = load_person(&state, &reg, &rid).await?;
    let ask = Ask {
        action: &Action::ChangePerson,
        resource: &resource,
        purpose: Purpose::Treatment.as_str(),
        detail: serde_json::json!({"change": "identity"}),
    };
    let permit = authorize(&state, &reg, &who, ask).await?;
    let actor = who.signed_in.actor.user_id.to_string();
    identity::put_identity(&state.store, &state.keyring, &rid, &ident, &actor).await?;
    let r = row.ok_or_else(|| ApiError::NotFound {
        what: "resident",
        id: rid.to_string(),
    })?;
    Ok(Json(PersonDto::of(&r, Some(&ident), &permit)))
}

/// Finding a resident by the ID card in front of the desk.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LookupInput {
    /// The 18-character national ID number.
    #[schema(min_length = 18, max_length = 18)]
    id_card: String,
    /// Why (`treatment` by default).
    #[schema(value_type = Option<String>)]
    purpose: Option<Purpose>,
}

/// Finds a resident by national ID number (matched by its keyed hash; the number is
/// never stored or logged in clear) and reads their record like `GET /residents/{id}`.
/// A POST, so that the number is not in a URL.
#[utoipa::path(
    post,
    path = "/api/v1/residents/lookup",
    tag = "persons",
    request_body = LookupInput,
    responses(
        (status = 200, description = "The record", body = PersonDto),
        (status = 400, description = "Not a valid ID number", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the caller's scope (audited)", body = ErrorBody),
        (status = 404, description = "No resident has this ID number", body = ErrorBody),
    )
)]
pub(crate) async fn lookup(
    State(state): State<AppState>,
    who: Who,
    Json(body): Json<LookupInput>,
) -> Result<Json<PersonDto>, ApiError> {
    let id = IdCardNo::parse(body.id_card.trim(), yilian_service::today())
        .map_err(|e| ApiError::invalid_because("id_card", &e))?;
    let found = identity::find_by_id_card(&state.store, &state.keyring, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: "resident",
            id: id.masked(),
        })?;
    let purpose = body.purpose.unwrap_or(Purpose::Treatment);
    Ok(Json(
        read_person(&state, &who, &found, &Action::ReadPerson, purpose).await?,
    ))
}

/// The scope of an export, `KIND:ID`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportQuery {
    /// `team:T0001`, `institution:H0001` or `grid:G01`.
    #[param(
        min_length = 3,
        max_length = 140,
        pattern = "^(team|institution|grid):[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    scope: String,
}

pub(crate) fn export_scope(s: &str) -> Result<Scope, ApiError> {
    let bad = || {
        ApiError::invalid(
            "scope",
            format!("导出范围须为 team:ID、institution:ID 或 grid:ID，收到 '{s}'"),
            format!("an export scope is team:ID, institution:ID or grid:ID, got '{s}'"),
        )
    };
    let (kind, id) = s.split_once(':').ok_or_else(bad)?;
    let because = |e: &dyn std::fmt::Display| ApiError::invalid_because("scope", &e.to_string());
    Ok(match kind {
        "team" => Scope::Team(TeamId::parse(id).map_err(|e| because(&e))?),
        "institution" => Scope::Institution(InstitutionId::parse(id).map_err(|e| because(&e))?),
        "grid" => Scope::Grid(GridId::parse(id).map_err(|e| because(&e))?),
        _ => return Err(bad()),
    })
}

/// The residents an export of `scope` covers: signed with the team, with a team hosted by
/// the institution, or living in the grid.
async fn export_rows(
    state: &AppState,
    reg: &Registry,
    scope: &Scope,
) -> Result<Vec<Resident>, ApiError> {
    let teams: Vec<&TeamId> = match scope {
        Scope::Team(t) => vec![t],
        Scope::Institution(i) => reg
            .teams
            .iter()
            .filter(|t| &t.institution_id == i)
            .map(|t| &t.id)
            .collect(),
        _ => vec![],
    };
    let filters: Vec<ResidentFilter<'_>> = match scope {
        Scope::Grid(g) => vec![ResidentFilter {
            grid: Some(g),
            team: None,
        }],
        _ => teams
            .iter()
            .map(|t| ResidentFilter {
                grid: None,
                team: Some(t),
            })
            .collect(),
    };
    let mut rows = Vec::new();
    for f in filters {
        let left = EXPORT_ROWS_MAX + 1 - rows.len() as u32;
        rows.extend(registry::residents_page(&state.store, f, None, left).await?);
        if rows.len() > EXPORT_ROWS_MAX as usize {
            return Err(ApiError::invalid(
                "scope",
                format!("导出超过 {EXPORT_ROWS_MAX} 行，请缩小范围"),
                format!("the export is larger than {EXPORT_ROWS_MAX} rows; narrow the scope"),
            ));
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

/// The residents of a team, an institution (its teams) or a grid as CSV (`ExportPersons`),
/// with identifiers shown or masked as the caller's role allows; audited.
#[utoipa::path(
    get,
    path = "/api/v1/exports/residents",
    tag = "persons",
    params(ExportQuery),
    responses(
        (status = 200, description = "CSV: resident_id,sex,birth_date,grid_id,team_id,signed_on,id_card,phone", body = String, content_type = "text/csv"),
        (status = 400, description = "The scope does not parse, or the export is too large", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Another team's or institution's export (audited)", body = ErrorBody),
    )
)]
pub(crate) async fn export_residents(
    State(state): State<AppState>,
    who: Who,
    Query(q): Query<ExportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = export_scope(&q.scope)?;
    let reg = state.registry().await?;
    let resource = Resource::Export {
        scope: scope.clone(),
    };
    let ask = Ask {
        action: &Action::ExportPersons,
        resource: &resource,
        purpose: Purpose::ContractCare.as_str(),
        detail: serde_json::json!({"scope": scope.to_string()}),
    };
    let permit = authorize(&state, &reg, &who, ask).await?;
    let rows = export_rows(&state, &reg, &scope).await?;
    let mut out =
        String::from("resident_id,sex,birth_date,grid_id,team_id,signed_on,id_card,phone\n");
    for r in &rows {
        let ident = identity::identity_of(&state.store, &state.keyring, &r.id).await?;
        let p = PersonDto::of(r, ident.as_ref(), &permit);
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            p.id,
            p.sex,
            p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            p.grid_id.unwrap_or_default(),
            p.team_id.unwrap_or_default(),
            p.signed_on.map(|d| d.to_string()).unwrap_or_default(),
            p.id_card.unwrap_or_default(),
            p.phone.unwrap_or_default(),
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out))
}
