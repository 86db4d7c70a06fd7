//! The city registry (GRID-*, COMP-*): grids, institutions, consortia and their
//! memberships, family-doctor teams and residents, as parsed values that cannot hold an
//! invalid state (a level is 0–3, a membership has a role, a consortium names its lead).

use crate::ids::{ConsortiumId, GridId, InstitutionId, ResidentId, TeamId};
use chrono::NaiveDate;
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

/// Why a code is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}' (expected one of: {expected}) / 未知的{kind}取值 '{value}'")]
pub struct CodeError {
    /// Which enumeration.
    pub kind: &'static str,
    /// What was given.
    pub value: String,
    /// The accepted codes, comma-separated.
    pub expected: String,
}

/// Declares a closed enumeration with its interchange code and its Chinese name, so that
/// parsing, printing and the console all read from one table.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $label:literal { $($(#[$vdoc:meta])* $variant:ident = $code:literal / $zh:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The code used in the interchange format, stored rows and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// The Chinese name shown to people.
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            /// Parses a code.
            pub fn parse(s: &str) -> Result<Self, CodeError> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(CodeError {
                        kind: $label,
                        value: s.to_owned(),
                        expected: [$($code),+].join(", "),
                    }),
                }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use code_enum;

code_enum!(
    /// Kind of a health institution (医疗卫生机构类别).
    InstitutionKind, "institution kind" {
        /// 综合医院
        GeneralHospital = "general_hospital" / "综合医院",
        /// 中医(中西医结合/民族医)医院
        TcmHospital = "tcm_hospital" / "中医医院",
        /// 专科医院
        SpecialtyHospital = "specialty_hospital" / "专科医院",
        /// 妇幼保健院
        MaternalChild = "maternal_child" / "妇幼保健院",
        /// 社区卫生服务中心
        CommunityHealthCenter = "community_health_center" / "社区卫生服务中心",
        /// 社区卫生服务站
        CommunityHealthStation = "community_health_station" / "社区卫生服务站",
        /// 乡镇卫生院
        TownshipHealthCenter = "township_health_center" / "乡镇卫生院",
        /// 村卫生室
        VillageClinic = "village_clinic" / "村卫生室",
        /// 康复医院
        Rehabilitation = "rehabilitation" / "康复医院",
        /// 护理院
        Nursing = "nursing" / "护理院",
        /// 安宁疗护
        Hospice = "hospice" / "安宁疗护机构",
        /// 疾病预防控制中心
        Cdc = "cdc" / "疾病预防控制中心",
        /// 急救中心
        EmergencyCenter = "emergency_center" / "急救中心",
        /// 其他
        Other = "other" / "其他",
    }
);

impl InstitutionKind {
    /// A community or township institution: primary care (基层医疗卫生机构).
    pub fn is_primary_care(self) -> bool {
        matches!(
            self,
            Self::CommunityHealthCenter
                | Self::CommunityHealthStation
                | Self::TownshipHealthCenter
                | Self::VillageClinic
        )
    }
    /// Continuing care after the acute phase (接续性医疗): rehabilitation, nursing, hospice.
    pub fn is_continuing_care(self) -> bool {
        matches!(self, Self::Rehabilitation | Self::Nursing | Self::Hospice)
    }
}

code_enum!(
    /// Ownership (所有制).
    Ownership, "ownership" {
        /// 公立
        Public = "public" / "公立",
        /// 民营
        Private = "private" / "民营",
    }
);

code_enum!(
    /// Grade within a level (等次).
    Grade, "grade" {
        /// 甲等
        Jia = "甲" / "甲等",
        /// 乙等
        Yi = "乙" / "乙等",
        /// 丙等
        Bing = "丙" / "丙等",
    }
);

code_enum!(
    /// A capability an institution offers (used by routing, shared centres and epidemic mode).
    Capability, "capability" {
        /// 发热门诊
        FeverClinic = "fever_clinic" / "发热门诊",
        /// 血液透析
        Dialysis = "dialysis" / "血液透析",
        /// 重症监护
        Icu = "icu" / "重症监护",
        /// 亚重症
        SubIcu = "sub_icu" / "亚重症",
        /// 定点医院
        DesignatedCovid = "designated_covid" / "定点医院",
        /// 亚定点医院
        SubDesignatedCovid = "sub_designated_covid" / "亚定点医院",
        /// 胸痛中心
        ChestPainCenter = "chest_pain_center" / "胸痛中心",
        /// 卒中中心
        StrokeCenter = "stroke_center" / "卒中中心",
        /// 创伤中心
        TraumaCenter = "trauma_center" / "创伤中心",
        /// 咯血中心
        HemoptysisCenter = "hemoptysis_center" / "咯血中心",
        /// 危重孕产妇救治中心
        MaternalCriticalCenter = "maternal_critical_center" / "危重孕产妇救治中心",
        /// 危重儿童和新生儿救治中心
        NeonatalCriticalCenter = "neonatal_critical_center" / "危重儿童和新生儿救治中心",
        /// 医学影像共享中心
        SharedImaging = "shared_imaging" / "医学影像中心",
        /// 医学检验共享中心
        SharedLab = "shared_lab" / "医学检验中心",
        /// 心电诊断共享中心
        SharedEcg = "shared_ecg" / "心电诊断中心",
        /// 病理共享中心
        SharedPathology = "shared_pathology" / "病理诊断中心",
        /// 消毒供应共享中心
        SharedSterileSupply = "shared_sterile_supply" / "消毒供应中心",
        /// 远程医疗中心
        TelemedicineHub = "telemedicine_hub" / "远程医疗中心",
    }
);

code_enum!(
    /// The four kinds of consortium (医联体类型, 002 §三).
    ConsortiumKind, "consortium kind" {
        /// 城市医疗集团 (紧密型城市医疗集团 when tight-knit)
        UrbanMedicalGroup = "urban_medical_group" / "城市医疗集团",
        /// 县域医共体
        CountyMedicalCommunity = "county_medical_community" / "县域医共体",
        /// 专科联盟
        SpecialtyAlliance = "specialty_alliance" / "专科联盟",
        /// 远程医疗协作网
        TelemedicineNetwork = "telemedicine_network" / "远程医疗协作网",
    }
);

impl ConsortiumKind {
    /// Grid consortia serve one grid each (GRID-3); alliances and networks span the city.
    pub fn serves_grid(self) -> bool {
        matches!(self, Self::UrbanMedicalGroup | Self::CountyMedicalCommunity)
    }
}

code_enum!(
    /// An institution's role in a consortium.
    MemberRole, "membership role" {
        /// 牵头医院
        Lead = "lead" / "牵头医院",
        /// 成员单位
        Member = "member" / "成员单位",
        /// 协作单位 (outside the group, COMP-6)
        Collaborator = "collaborator" / "协作单位",
    }
);

code_enum!(
    /// Sex as recorded.
    Sex, "sex" {
        /// 男
        M = "M" / "男",
        /// 女
        F = "F" / "女",
    }
);

/// Hospital level (医院等级): 3 三级, 2 二级, 1 一级, 0 未定级.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Level(u8);

/// A level outside 0–3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("level {0} is not 0–3 / 医院等级 {0} 不在 0–3 之间")]
pub struct LevelError(pub i64);

impl Level {
    /// 三级
    pub const TIER3: Level = Level(3);
    /// 二级
    pub const TIER2: Level = Level(2);
    /// Parses a level 0–3.
    pub fn new(v: i64) -> Result<Self, LevelError> {
        match v {
            0..=3 => Ok(Level(v as u8)),
            _ => Err(LevelError(v)),
        }
    }
    /// The level as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}
impl TryFrom<u8> for Level {
    type Error = LevelError;
    fn try_from(v: u8) -> Result<Self, LevelError> {
        Level::new(i64::from(v))
    }
}
impl From<Level> for u8 {
    fn from(l: Level) -> u8 {
        l.0
    }
}

/// A WGS84 point, validated to lie within ±180 / ±90.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

/// A coordinate outside WGS84's range, or not a number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("coordinate ({lon}, {lat}) outside ±180/±90 / 坐标超出经度 ±180、纬度 ±90 范围")]
pub struct CoordError {
    /// Longitude given.
    pub lon: f64,
    /// Latitude given.
    pub lat: f64,
}

impl LonLat {
    /// Checks the range; NaN and infinities are rejected too.
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
            Ok(LonLat { lon, lat })
        } else {
            Err(CoordError { lon, lat })
        }
    }
    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }
    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }
}

/// An interval of validity (GRID-6): from (inclusive) to (exclusive); open when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Validity {
    /// First day in force.
    pub from: Option<NaiveDate>,
    /// First day no longer in force.
    pub to: Option<NaiveDate>,
}

/// An interval whose end does not come after its start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "effective_to {to} is not after effective_from {from} / 失效日期 {to} 不晚于生效日期 {from}"
)]
pub struct ValidityError {
    /// Start given.
    pub from: NaiveDate,
    /// End given.
    pub to: NaiveDate,
}

impl Validity {
    /// An interval; `to` must come after `from` when both are given.
    pub fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Self, ValidityError> {
        match (from, to) {
            (Some(from), Some(to)) if to <= from => Err(ValidityError { from, to }),
            _ => Ok(Validity { from, to }),
        }
    }
    /// In force on `day`?
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day < t)
    }
}

/// 网格: a part of the city served by one consortium (GRID-1, GRID-3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Id (`G50011301`).
    pub id: GridId,
    /// Name (巴南区网格一).
    pub name: String,
    /// GB/T 2260 district code.
    pub division_code: Option<String>,
    /// Planned resident population (常住人口).
    pub population: Option<u64>,
    /// Its area, already checked for closed rings and self-intersections by the caller.
    pub geometry: MultiPolygon<f64>,
    /// When this shape is in force (GRID-6).
    pub validity: Validity,
}

/// 医疗卫生机构.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Institution {
    /// Id.
    pub id: InstitutionId,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: InstitutionKind,
    /// Level 0–3.
    pub level: Level,
    /// 甲/乙/丙 where graded.
    pub grade: Option<Grade>,
    /// Public or private.
    pub ownership: Ownership,
    /// The grid it sits in; none for city-wide institutions.
    pub grid_id: Option<GridId>,
    /// Location.
    pub location: Option<LonLat>,
    /// Open beds (实际开放床位).
    pub beds: u32,
    /// ICU beds.
    pub icu_beds: u32,
    /// Outpatient slots released per day (号源).
    pub outpatient_slots_per_day: u32,
    /// Capabilities, in the order given.
    pub capabilities: Vec<Capability>,
}

/// 医联体: a consortium, whose lead is part of its identity (exactly one lead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consortium {
    /// Id.
    pub id: ConsortiumId,
    /// Name (by convention lead name + 医疗集团, COMP-7).
    pub name: String,
    /// Kind.
    pub kind: ConsortiumKind,
    /// The grid it serves (grid consortia only).
    pub grid_id: Option<GridId>,
    /// 牵头单位: the one lead.
    pub lead: InstitutionId,
    /// Date founded.
    pub founded_on: Option<NaiveDate>,
    /// Date filed (备案) with the commission (COMP-8).
    pub filed_on: Option<NaiveDate>,
    /// Date of the last periodic evaluation (COMP-9); an extension column of consortia.csv.
    pub evaluated_on: Option<NaiveDate>,
}

/// An institution's place in a consortium, over a period (GRID-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The consortium.
    pub consortium_id: ConsortiumId,
    /// The institution.
    pub institution_id: InstitutionId,
    /// Lead, member or collaborator.
    pub role: MemberRole,
    /// When in force.
    pub validity: Validity,
}

/// 家庭医生签约服务团队.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Id.
    pub id: TeamId,
    /// The primary-care institution hosting the team.
    pub institution_id: InstitutionId,
    /// Name.
    pub name: String,
    /// Head count.
    pub members: u32,
}

/// 常住居民 (pseudonymous in the interchange format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resident {
    /// Pseudonymous id.
    pub id: ResidentId,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Home location, assigned to a grid (GRID-1).
    pub home: LonLat,
    /// ICD-10 codes of chronic conditions.
    pub conditions: Vec<String>,
    /// Currently pregnant.
    pub pregnant: bool,
    /// The grid whose polygon contains the home (none when outside every grid).
    pub grid_id: Option<GridId>,
    /// Family-doctor team if signed (签约).
    pub team_id: Option<TeamId>,
    /// Contract date.
    pub signed_on: Option<NaiveDate>,
}

/// Everything in the registry but the residents, which are too many to hold at once and
/// are streamed instead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Registry {
    /// Grids, ordered by id.
    pub grids: Vec<Grid>,
    /// Institutions, ordered by id.
    pub institutions: Vec<Institution>,
    /// Consortia, ordered by id.
    pub consortia: Vec<Consortium>,
    /// Memberships, ordered by (consortium, institution).
    pub memberships: Vec<Membership>,
    /// Teams, ordered by id.
    pub teams: Vec<Team>,
}

impl Registry {
    /// Looks an institution up by id (the lists are kept sorted by id).
    pub fn institution(&self, id: &InstitutionId) -> Option<&Institution> {
        self.institutions
            .binary_search_by(|i| i.id.cmp(id))
            .ok()
            .map(|k| &self.institutions[k])
    }
    /// Looks a grid up by id.
    pub fn grid(&self, id: &GridId) -> Option<&Grid> {
        self.grids
            .binary_search_by(|g| g.id.cmp(id))
            .ok()
            .map(|k| &self.grids[k])
    }
    /// The memberships of one consortium in force on `day` (all of them when `day` is none).
    pub fn members_of<'a>(
        &'a self,
        consortium: &'a ConsortiumId,
        day: Option<NaiveDate>,
    ) -> impl Iterator<Item = &'a Membership> + 'a {
        self.memberships.iter().filter(move |m| {
            &m.consortium_id == consortium && day.is_none_or(|d| m.validity.contains(d))
        })
    }
    /// Sorts every list by its key, the order the lookups above and the export rely on.
    pub fn sort(&mut self) {
        self.grids.sort_by(|a, b| a.id.cmp(&b.id));
        self.institutions.sort_by(|a, b| a.id.cmp(&b.id));
        self.consortia.sort_by(|a, b| a.id.cmp(&b.id));
        self.memberships.sort_by(|a, b| {
            (&a.consortium_id, &a.institution_id, a.validity.from).cmp(&(
                &b.consortium_id,
                &b.institution_id,
                b.validity.from,
            ))
        });
        self.teams.sort_by(|a, b| a.id.cmp(&b.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in InstitutionKind::ALL {
            assert_eq!(InstitutionKind::parse(k.as_str()), Ok(*k));
        }
        for c in Capability::ALL {
            assert_eq!(Capability::parse(c.as_str()), Ok(*c));
        }
        let err = ConsortiumKind::parse("club").unwrap_err();
        assert!(err.to_string().contains("urban_medical_group"));
    }

    #[test]
    fn level_and_coordinates_are_checked() {
        assert!(Level::new(3).is_ok());
        assert_eq!(Level::new(-1), Err(LevelError(-1)));
        assert!(LonLat::new(181.0, 0.0).is_err());
        assert!(LonLat::new(0.0, f64::NAN).is_err());
        assert!(LonLat::new(106.5, 29.5).is_ok());
    }

    #[test]
    fn validity_is_half_open() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let v = Validity::new(Some(d("2024-01-01")), Some(d("2025-01-01"))).unwrap();
        assert!(v.contains(d("2024-01-01")));
        assert!(!v.contains(d("2025-01-01")));
        assert!(Validity::new(Some(d("2024-01-01")), Some(d("2024-01-01"))).is_err());
    }
}
