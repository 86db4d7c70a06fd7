//! Institutions, grids (as GeoJSON) and consortia: what the API returns, and the body of
//! `PUT /consortia/{id}`, parsed into domain types at the boundary (STYLE 3) so that the
//! service layer only ever sees valid values.

use super::audit::FindingDto;
use super::code_schema;
use crate::error::ApiError;
use crate::limits::{CONSORTIUM_MEMBERS_MAX, NAME_CHARS_MAX};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use yilian_domain::ids::{ConsortiumId, GridId, InstitutionId};
use yilian_domain::registry::{
    Capability, Consortium, ConsortiumKind, Grid, Institution, InstitutionKind, MemberRole,
    Membership, Ownership, Registry, Validity,
};

pub(crate) fn institution_kind_schema() -> Object {
    code_schema(
        "Institution kind (医疗卫生机构类别).",
        InstitutionKind::ALL.iter().map(|k| k.as_str()),
    )
}
fn ownership_schema() -> Object {
    code_schema(
        "Ownership (所有制).",
        Ownership::ALL.iter().map(|k| k.as_str()),
    )
}
fn consortium_kind_schema() -> Object {
    code_schema(
        "Consortium kind (医联体类型).",
        ConsortiumKind::ALL.iter().map(|k| k.as_str()),
    )
}
fn role_schema() -> Object {
    code_schema(
        "Role in the consortium.",
        MemberRole::ALL.iter().map(|k| k.as_str()),
    )
}

/// The grid consortium (urban medical group or county community) that serves `grid`:
/// the first by id when GRID-3 is broken and several claim it (the audit reports that).
pub(crate) fn grid_group<'a>(reg: &'a Registry, grid: &GridId) -> Option<&'a Consortium> {
    reg.consortia
        .iter()
        .find(|c| c.kind.serves_grid() && c.grid_id.as_ref() == Some(grid))
}

/// A health institution (医疗卫生机构).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct InstitutionDto {
    /// Id (unified social credit code or licence number).
    id: String,
    /// Name.
    name: String,
    /// Kind code.
    #[schema(schema_with = institution_kind_schema)]
    kind: &'static str,
    /// Kind in Chinese.
    kind_zh: &'static str,
    /// Level: 3 三级, 2 二级, 1 一级, 0 未定级.
    #[schema(minimum = 0, maximum = 3)]
    level: u8,
    /// Grade within the level: 甲, 乙 or 丙.
    grade: Option<&'static str>,
    /// public or private.
    #[schema(schema_with = ownership_schema)]
    ownership: &'static str,
    /// The grid it sits in; null for city-wide institutions.
    grid_id: Option<String>,
    /// Longitude (WGS84).
    lon: Option<f64>,
    /// Latitude (WGS84).
    lat: Option<f64>,
    /// Open beds (实际开放床位).
    beds: u32,
    /// ICU beds.
    icu_beds: u32,
    /// Outpatient slots released per day (号源).
    outpatient_slots_per_day: u32,
    /// Capability codes (`fever_clinic`, `dialysis` …).
    capabilities: Vec<&'static str>,
}

impl From<&Institution> for InstitutionDto {
    fn from(i: &Institution) -> Self {
        InstitutionDto {
            id: i.id.to_string(),
            name: i.name.clone(),
            kind: i.kind.as_str(),
            kind_zh: i.kind.zh(),
            level: i.level.get(),
            grade: i.grade.map(|g| g.as_str()),
            ownership: i.ownership.as_str(),
            grid_id: i.grid_id.as_ref().map(ToString::to_string),
            lon: i.location.map(|l| l.lon()),
            lat: i.location.map(|l| l.lat()),
            beds: i.beds,
            icu_beds: i.icu_beds,
            outpatient_slots_per_day: i.outpatient_slots_per_day,
            capabilities: i
                .capabilities
                .iter()
                .map(|c| Capability::as_str(*c))
                .collect(),
        }
    }
}

/// An institution's place in a consortium, seen from the institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AffiliationDto {
    /// The consortium.
    consortium_id: String,
    /// Its name.
    consortium_name: String,
    /// lead, member or collaborator.
    #[schema(schema_with = role_schema)]
    role: &'static str,
    /// First day in force.
    effective_from: Option<NaiveDate>,
    /// First day no longer in force.
    effective_to: Option<NaiveDate>,
}

/// An institution with the consortia it belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct InstitutionDetail {
    /// The institution.
    #[serde(flatten)]
    institution: InstitutionDto,
    /// Its memberships, by consortium id.
    consortia: Vec<AffiliationDto>,
}

impl InstitutionDetail {
    pub(crate) fn of(reg: &Registry, i: &Institution) -> Self {
        let consortia = reg
            .memberships
            .iter()
            .filter(|m| m.institution_id == i.id)
            .map(|m| AffiliationDto {
                consortium_id: m.consortium_id.to_string(),
                consortium_name: reg
                    .consortia
                    .iter()
                    .find(|c| c.id == m.consortium_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                role: m.role.as_str(),
                effective_from: m.validity.from,
                effective_to: m.validity.to,
            })
            .collect();
        InstitutionDetail {
            institution: i.into(),
            consortia,
        }
    }
}

/// GeoJSON's `"type": "Feature"`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub(crate) enum FeatureType {
    /// A feature.
    Feature,
}

/// GeoJSON's `"type": "FeatureCollection"`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub(crate) enum FeatureCollectionType {
    /// A collection of features.
    FeatureCollection,
}

/// What a grid feature says besides its shape.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GridProperties {
    /// Id (`G50010501`).
    grid_id: String,
    /// Name (江北区网格一).
    name: String,
    /// GB/T 2260 district code.
    division_code: Option<String>,
    /// Planned resident population (常住人口).
    population: Option<u64>,
    /// Residents whose home lies in the grid (assigned by the registry).
    residents: u64,
    /// The grid consortium serving it (GRID-3); null when none does.
    consortium_id: Option<String>,
    /// Its name.
    consortium_name: Option<String>,
    /// First day the shape is in force.
    effective_from: Option<NaiveDate>,
    /// First day it no longer is.
    effective_to: Option<NaiveDate>,
}

/// A grid (网格) as a GeoJSON Feature whose geometry is a MultiPolygon in WGS84.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GridFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: FeatureType,
    /// The grid id.
    id: String,
    /// A GeoJSON MultiPolygon (RFC 7946), lon/lat.
    #[schema(value_type = Object)]
    geometry: geojson::Geometry,
    /// The grid's attributes.
    properties: GridProperties,
}

impl GridFeature {
    /// `residents` counts homes per grid id.
    pub(crate) fn of(reg: &Registry, g: &Grid, residents: &BTreeMap<String, u64>) -> Self {
        let group = grid_group(reg, &g.id);
        GridFeature {
            kind: FeatureType::Feature,
            id: g.id.to_string(),
            geometry: geojson::Geometry::new(geojson::GeometryValue::from(&g.geometry)),
            properties: GridProperties {
                grid_id: g.id.to_string(),
                name: g.name.clone(),
                division_code: g.division_code.clone(),
                population: g.population,
                residents: residents.get(g.id.as_str()).copied().unwrap_or(0),
                consortium_id: group.map(|c| c.id.to_string()),
                consortium_name: group.map(|c| c.name.clone()),
                effective_from: g.validity.from,
                effective_to: g.validity.to,
            },
        }
    }
}

/// Every grid, as a GeoJSON FeatureCollection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GridCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: FeatureCollectionType,
    /// One feature per grid, by id.
    features: Vec<GridFeature>,
}

impl GridCollection {
    pub(crate) fn new(features: Vec<GridFeature>) -> Self {
        GridCollection {
            kind: FeatureCollectionType::FeatureCollection,
            features,
        }
    }
}

/// A consortium (医联体).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ConsortiumDto {
    /// Id.
    id: String,
    /// Name (lead name + 医疗集团 by convention, COMP-7).
    name: String,
    /// Kind code.
    #[schema(schema_with = consortium_kind_schema)]
    kind: &'static str,
    /// Kind in Chinese.
    kind_zh: &'static str,
    /// The grid it serves (grid consortia only).
    grid_id: Option<String>,
    /// The lead institution (牵头单位).
    lead_institution_id: String,
    /// Date founded.
    founded_on: Option<NaiveDate>,
    /// Date filed (备案) with the commission (COMP-8).
    filed_on: Option<NaiveDate>,
    /// Date of the last evaluation (COMP-9).
    evaluated_on: Option<NaiveDate>,
    /// Memberships recorded, lead included.
    member_count: usize,
}

impl ConsortiumDto {
    pub(crate) fn of(reg: &Registry, c: &Consortium) -> Self {
        ConsortiumDto {
            id: c.id.to_string(),
            name: c.name.clone(),
            kind: c.kind.as_str(),
            kind_zh: c.kind.zh(),
            grid_id: c.grid_id.as_ref().map(ToString::to_string),
            lead_institution_id: c.lead.to_string(),
            founded_on: c.founded_on,
            filed_on: c.filed_on,
            evaluated_on: c.evaluated_on,
            member_count: reg.members_of(&c.id, None).count(),
        }
    }
}

/// A member of a consortium, with what the registry knows of the institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct MemberDto {
    /// The institution.
    institution_id: String,
    /// Its name.
    name: String,
    /// Its kind code.
    #[schema(schema_with = institution_kind_schema)]
    kind: &'static str,
    /// Its level 0–3.
    level: u8,
    /// lead, member or collaborator.
    #[schema(schema_with = role_schema)]
    role: &'static str,
    /// First day in force.
    effective_from: Option<NaiveDate>,
    /// First day no longer in force.
    effective_to: Option<NaiveDate>,
}

/// A consortium with its members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ConsortiumDetail {
    /// The consortium.
    #[serde(flatten)]
    consortium: ConsortiumDto,
    /// Its memberships, lead first, then by institution id.
    members: Vec<MemberDto>,
}

impl ConsortiumDetail {
    pub(crate) fn of(reg: &Registry, c: &Consortium) -> Self {
        let mut members: Vec<MemberDto> = reg
            .members_of(&c.id, None)
            .filter_map(|m| {
                // memberships reference institutions by foreign key, so a miss is a
                // corrupt database; leave the row out rather than fail the page
                let i = reg.institution(&m.institution_id)?;
                Some(MemberDto {
                    institution_id: i.id.to_string(),
                    name: i.name.clone(),
                    kind: i.kind.as_str(),
                    level: i.level.get(),
                    role: m.role.as_str(),
                    effective_from: m.validity.from,
                    effective_to: m.validity.to,
                })
            })
            .collect();
        members.sort_by_key(|m| {
            (
                m.role != MemberRole::Lead.as_str(),
                m.institution_id.clone(),
            )
        });
        ConsortiumDetail {
            consortium: ConsortiumDto::of(reg, c),
            members,
        }
    }
}

/// What `PUT /consortia/{id}` answers when the change is stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PutConsortiumResponse {
    /// true when the consortium did not exist before (201).
    pub(crate) created: bool,
    /// The consortium as stored.
    pub(crate) consortium: ConsortiumDetail,
    /// Findings at warning level: the change is stored, the rules are in principle ones.
    pub(crate) warnings: Vec<FindingDto>,
}

/// The body of `PUT /consortia/{id}`: the consortium's fields and its complete member
/// list (members not listed are removed; the lead is added when not listed).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsortiumInput {
    /// Name (lead name + 医疗集团 by convention, COMP-7); surrounding spaces are trimmed.
    #[schema(
        example = "重庆医科大学附属第一医院医疗集团",
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*\\S[^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    name: String,
    /// Kind code.
    #[schema(schema_with = consortium_kind_schema)]
    kind: String,
    /// The grid it serves (urban medical groups and county communities).
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    grid_id: Option<String>,
    /// The lead institution.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    lead_institution_id: String,
    /// Date founded, YYYY-MM-DD.
    #[serde(default)]
    #[schema(format = Date)]
    founded_on: Option<String>,
    /// Date filed with the commission, YYYY-MM-DD.
    #[serde(default)]
    #[schema(format = Date)]
    filed_on: Option<String>,
    /// Date of the last evaluation, YYYY-MM-DD.
    #[serde(default)]
    #[schema(format = Date)]
    evaluated_on: Option<String>,
    /// Every membership.
    #[serde(default)]
    #[schema(max_items = 2000)]
    members: Vec<MemberInput>,
}

/// One membership in a `PUT /consortia/{id}` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberInput {
    /// The institution.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    institution_id: String,
    /// lead, member or collaborator.
    #[schema(schema_with = role_schema)]
    role: String,
    /// First day in force, YYYY-MM-DD.
    #[serde(default)]
    #[schema(format = Date)]
    effective_from: Option<String>,
    /// First day no longer in force, YYYY-MM-DD.
    #[serde(default)]
    #[schema(format = Date)]
    effective_to: Option<String>,
}

fn parse_date(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::invalid(
                field,
                format!("日期须为 YYYY-MM-DD 格式，收到 '{s}'"),
                format!("a date must be YYYY-MM-DD, got '{s}'"),
            )
        })
    })
    .transpose()
}

impl ConsortiumInput {
    /// The consortium `id` and its memberships, every field checked.
    pub(crate) fn parse(
        self,
        id: &ConsortiumId,
    ) -> Result<(Consortium, Vec<Membership>), ApiError> {
        let name = self.name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > NAME_CHARS_MAX || name.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "name",
                format!("名称须为 1–{NAME_CHARS_MAX} 个字符且不含控制字符"),
                format!("a name must be 1–{NAME_CHARS_MAX} characters without control characters"),
            ));
        }
        if self.members.len() > CONSORTIUM_MEMBERS_MAX {
            return Err(ApiError::invalid(
                "members",
                format!(
                    "成员不得超过 {CONSORTIUM_MEMBERS_MAX} 个，收到 {} 个",
                    self.members.len()
                ),
                format!(
                    "at most {CONSORTIUM_MEMBERS_MAX} members, got {}",
                    self.members.len()
                ),
            ));
        }
        let consortium = Consortium {
            id: id.clone(),
            name: name.to_owned(),
            kind: ConsortiumKind::parse(&self.kind)
                .map_err(|e| ApiError::invalid_code("kind", &e))?,
            grid_id: self
                .grid_id
                .as_deref()
                .map(GridId::parse)
                .transpose()
                .map_err(|e| ApiError::invalid_because("grid_id", &e))?,
            lead: InstitutionId::parse(&self.lead_institution_id)
                .map_err(|e| ApiError::invalid_because("lead_institution_id", &e))?,
            founded_on: parse_date("founded_on", self.founded_on.as_deref())?,
            filed_on: parse_date("filed_on", self.filed_on.as_deref())?,
            evaluated_on: parse_date("evaluated_on", self.evaluated_on.as_deref())?,
        };
        let members = self
            .members
            .into_iter()
            .enumerate()
            .map(|(k, m)| {
                let at = |f: &str| format!("members[{k}].{f}");
                let from = parse_date(&at("effective_from"), m.effective_from.as_deref())?;
                let to = parse_date(&at("effective_to"), m.effective_to.as_deref())?;
                Ok(Membership {
                    consortium_id: id.clone(),
                    institution_id: InstitutionId::parse(&m.institution_id)
                        .map_err(|e| ApiError::invalid_because(at("institution_id"), &e))?,
                    role: MemberRole::parse(&m.role)
                        .map_err(|e| ApiError::invalid_code(at("role"), &e))?,
                    validity: Validity::new(from, to)
                        .map_err(|e| ApiError::invalid_because(at("effective_to"), &e))?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok((consortium, members))
    }
}
