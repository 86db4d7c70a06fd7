//! Policy profiles: every number of `spec/policy-rules.md` as data, one TOML file per
//! jurisdiction and period (`national`, `liaoning-2023`, `chongqing-2018`), because the
//! rules differ between provinces and change over time while the code that checks them
//! does not. Each `[rules.<ID>]` section carries the rule's thresholds, its severity, the
//! clause it comes from and an `enabled` switch; later rules (QUOTA, REF, PH) become more
//! sections of the same shape.

use super::calendar::{Calendar, OutsideCalendar};
use super::finding::{RuleId, Severity};
use crate::chronic::{DiabetesCriteria, HypertensionCriteria};
use crate::referral::clock::ClockTable;
use crate::registry::{Capability, InstitutionKind, Level};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Why a profile (or calendar) file cannot be used. Each variant names the field, so an
/// administrator editing a copy finds the line to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// Not TOML, or a field is missing, unknown or of the wrong type. The message is the
    /// TOML parser's: it names the field and quotes the line.
    #[error("profile TOML: {message} / 规范文件格式错误")]
    Parse {
        /// The parser's message (line, column, field).
        message: String,
    },
    /// A value parses but makes no sense (a share above 1, a period of 0 months …).
    #[error("profile field `{field}`: {reason} / 规范字段 `{field}` 取值无效")]
    Invalid {
        /// Dotted path of the field (`rules.COMP-8.filing_working_days`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `profile.calendar` names no builtin calendar.
    #[error(
        "profile field `profile.calendar`: unknown calendar '{name}' / 未知的节假日表 '{name}'"
    )]
    UnknownCalendar {
        /// The name given.
        name: String,
    },
}

/// Parses TOML into `T`, keeping the parser's message (which names the field).
pub(crate) fn parse_toml<T: DeserializeOwned>(text: &str) -> Result<T, ProfileError> {
    toml::from_str(text).map_err(|e| ProfileError::Parse {
        message: e.to_string(),
    })
}

/// Severity of a secondary check inside a rule section, which can also be switched off
/// on its own (`off`) while the rule's main check stays on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckLevel {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Do not report.
    Off,
}

impl CheckLevel {
    /// The severity to report with, none when off.
    pub fn severity(self) -> Option<Severity> {
        match self {
            CheckLevel::Error => Some(Severity::Error),
            CheckLevel::Warning => Some(Severity::Warning),
            CheckLevel::Off => None,
        }
    }
}

/// An exact fraction such as the 1/3 of outpatient slots a lead reserves (QUOTA-1),
/// written `"1/3"`: a float would turn 1/3 into 0.333… and make "at least" checks
/// round the wrong way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    numerator: u32,
    denominator: u32,
}

impl Share {
    /// A fraction between 0 and 1 inclusive with a non-zero denominator.
    pub fn new(numerator: u32, denominator: u32) -> Option<Share> {
        (denominator > 0 && numerator <= denominator).then_some(Share {
            numerator,
            denominator,
        })
    }
    /// Numerator.
    pub fn numerator(self) -> u32 {
        self.numerator
    }
    /// Denominator.
    pub fn denominator(self) -> u32 {
        self.denominator
    }
    /// Whether `part` out of `whole` reaches this share, in exact integer arithmetic.
    pub fn is_met_by(self, part: u64, whole: u64) -> bool {
        u128::from(part) * u128::from(self.denominator)
            >= u128::from(whole) * u128::from(self.numerator)
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

impl Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let parsed = s
            .split_once('/')
            .and_then(|(n, dd)| Share::new(n.trim().parse().ok()?, dd.trim().parse().ok()?));
        parsed.ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{s}' is not a fraction like \"1/3\" between 0 and 1"
            ))
        })
    }
}

/// What every rule section offers the audit, whatever its thresholds.
pub trait RuleSection {
    /// The rule this section configures.
    const RULE: RuleId;
    /// Whether the audit runs the rule.
    fn enabled(&self) -> bool;
    /// Severity of the rule's main finding.
    fn severity(&self) -> Severity;
    /// The clause the rule and its numbers come from.
    fn source(&self) -> &str;
}

fn yes() -> bool {
    true
}

/// Declares a rule section: the three fields every section has (`enabled`, `severity`,
/// `source`) followed by the rule's own. Unknown keys are refused so that a typo in an
/// administrator's copy (`filing_working_day`) fails loudly instead of being ignored.
macro_rules! rule_section {
    ($(#[$doc:meta])* $name:ident = $rule:expr, {
        $($(#[$fmeta:meta])* $field:ident : $ty:ty,)*
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// `false` switches the rule off (default `true`).
            #[serde(default = "yes")]
            pub enabled: bool,
            /// Severity of the main finding: "must" (应当) → error, "in principle"
            /// (原则上) → warning.
            pub severity: Severity,
            /// The document and clause (`002 §四(三)`).
            pub source: String,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
        impl RuleSection for $name {
            const RULE: RuleId = $rule;
            fn enabled(&self) -> bool {
                self.enabled
            }
            fn severity(&self) -> Severity {
                self.severity
            }
            fn source(&self) -> &str {
                &self.source
            }
        }
    };
}

rule_section! {
    /// GRID-1: the grids together cover every resident.
    Grid1 = RuleId::Grid1, {
        /// A grid in force in which no resident lives: a planner wants to know, but it
        /// breaks no rule by itself.
        empty_grid: CheckLevel,
        /// Residents whose declared grid differs from the one their home falls in.
        declared_grid_mismatch: CheckLevel,
    }
}

rule_section! {
    /// GRID-2: the city plans at least `min_grids` grids.
    Grid2 = RuleId::Grid2, {
        /// Fewest grids.
        min_grids: u32,
    }
}

rule_section! {
    /// GRID-3: each grid is served by exactly one grid consortium in force.
    Grid3 = RuleId::Grid3, {}
}

rule_section! {
    /// GRID-4: grids do not overlap, except where a consortium mainly serving TCM or
    /// maternal-and-child care is involved.
    Grid4 = RuleId::Grid4, {
        /// Consortia led by these kinds are exempt (002 §三(二)3: 除中医、妇幼等专科服务为主的医联体外).
        exempt_lead_kinds: Vec<InstitutionKind>,
        /// Overlaps up to this area are slivers of digitisation, not planning (km²).
        overlap_tolerance_km2: f64,
    }
}

rule_section! {
    /// COMP-1: who may lead an urban medical group.
    Comp1 = RuleId::Comp1, {
        /// Lowest hospital level of the lead.
        lead_min_level: Level,
        /// Kinds the lead may be.
        lead_kinds: Vec<InstitutionKind>,
    }
}

/// One kind of member an urban group should include (COMP-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberCategory {
    /// Short id used in figures (`tier2_general`).
    pub id: String,
    /// Chinese label for messages.
    pub label_zh: String,
    /// English label for messages.
    pub label_en: String,
    /// Institution kinds in the category.
    pub kinds: Vec<InstitutionKind>,
    /// Lowest level, when the category has one (二级综合性医院).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_level: Option<Level>,
}

rule_section! {
    /// COMP-2: which members an urban medical group includes: members of at least
    /// `min_categories` of the `categories`.
    Comp2 = RuleId::Comp2, {
        /// How many of the categories must be present.
        min_categories: u32,
        /// The categories.
        categories: Vec<MemberCategory>,
    }
}

rule_section! {
    /// COMP-3: county medical community lead, and all primary institutions of its area
    /// as members.
    Comp3 = RuleId::Comp3, {
        /// Kinds the lead may be.
        lead_kinds: Vec<InstitutionKind>,
        /// Kinds of which every institution in the community's grid is a member.
        member_kinds: Vec<InstitutionKind>,
    }
}

rule_section! {
    /// COMP-4: in-city specialty alliance. The cross-province variant (a 三甲 lead whose
    /// specialty is a national key specialty, members in ≥ 2 provinces) is not checked:
    /// the registry records neither provinces nor key specialties.
    Comp4 = RuleId::Comp4, {
        /// Lowest level of the lead.
        lead_min_level: Level,
        /// Fewest member institutions, the lead not counted.
        min_members: u32,
    }
}

rule_section! {
    /// COMP-5: telemedicine network lead.
    Comp5 = RuleId::Comp5, {
        /// Lowest level of the lead (district/county level or higher ≈ tier 2).
        lead_min_level: Level,
        /// Capabilities the lead has (an independent telemedicine office and platform).
        lead_capabilities: Vec<Capability>,
    }
}

rule_section! {
    /// COMP-6: roles. Collaborators sit outside the group; one lead.
    Comp6 = RuleId::Comp6, {
        /// In epidemic mode, a grid consortium without a collaborator of at least
        /// `epidemic_collaborator_min_level`.
        epidemic_collaborator: CheckLevel,
        /// Level of the external collaborator in epidemic mode (高水平三级医院).
        epidemic_collaborator_min_level: Level,
    }
}

rule_section! {
    /// COMP-7: naming. Urban groups, county communities and telemedicine networks are
    /// named "lead name + suffix" (anything may stand between, e.g. 紧密型城市); specialty
    /// alliances "prefix + ×× + suffix".
    Comp7 = RuleId::Comp7, {
        /// Suffixes of an urban medical group's name.
        urban_medical_group_suffixes: Vec<String>,
        /// Suffixes of a county medical community's name.
        county_medical_community_suffixes: Vec<String>,
        /// Suffixes of a telemedicine network's name.
        telemedicine_network_suffixes: Vec<String>,
        /// Suffixes of a specialty alliance's name.
        specialty_alliance_suffixes: Vec<String>,
        /// Prefixes of a specialty alliance's name (国家, 重庆市); empty: not checked.
        specialty_alliance_prefixes: Vec<String>,
    }
}

rule_section! {
    /// COMP-8: the lead files within `filing_working_days` working days of founding.
    Comp8 = RuleId::Comp8, {
        /// Working days allowed (15: 成立后15个工作日内).
        filing_working_days: u32,
        /// When the filing cannot be checked (no founding date, or a date outside the
        /// holiday calendar): said rather than silently skipped.
        unverifiable: CheckLevel,
    }
}

rule_section! {
    /// COMP-9: periodic evaluation.
    Comp9 = RuleId::Comp9, {
        /// Longest time between evaluations, and the age from which a consortium needs one.
        evaluation_period_months: u32,
    }
}

rule_section! {
    /// REF-2: the group's chronic-disease referral criteria (慢性病种分级诊疗标准), which
    /// turn follow-up readings into suggested referrals ([`crate::chronic::assess`]). A
    /// suggestion never blocks anything, so the severity is a warning by convention.
    Ref2 = RuleId::Ref2, {
        /// Hypertension.
        hypertension: HypertensionCriteria,
        /// Type-2 diabetes.
        type2_diabetes: DiabetesCriteria,
    }
}

rule_section! {
    /// QUOTA-1: the lead reserves at least this share of outpatient slots for
    /// family-doctor teams and primary institutions (not audited yet).
    Quota1 = RuleId::Quota1, {
        /// At least this share (1/3).
        reserved_outpatient_share: Share,
    }
}

rule_section! {
    /// QUOTA-2: the lead reserves at least this share of inpatient beds likewise (not
    /// audited yet).
    Quota2 = RuleId::Quota2, {
        /// At least this share (1/4).
        reserved_bed_share: Share,
    }
}

rule_section! {
    /// REF-5: the green channel is timed; the profile extends the clocks to every urgency
    /// so that no referral waits unseen (issue 4: respond, schedule, see the patient,
    /// return the outcome; then escalation).
    Ref5 = RuleId::Ref5, {
        /// The clocks per urgency.
        clocks: ClockTable,
    }
}

/// Every rule section of a profile. All sections are required: a profile that silently
/// inherited a missing rule would audit by numbers nobody chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// GRID-1.
    #[serde(rename = "GRID-1")]
    pub grid1: Grid1,
    /// GRID-2.
    #[serde(rename = "GRID-2")]
    pub grid2: Grid2,
    /// GRID-3.
    #[serde(rename = "GRID-3")]
    pub grid3: Grid3,
    /// GRID-4.
    #[serde(rename = "GRID-4")]
    pub grid4: Grid4,
    /// COMP-1.
    #[serde(rename = "COMP-1")]
    pub comp1: Comp1,
    /// COMP-2.
    #[serde(rename = "COMP-2")]
    pub comp2: Comp2,
    /// COMP-3.
    #[serde(rename = "COMP-3")]
    pub comp3: Comp3,
    /// COMP-4.
    #[serde(rename = "COMP-4")]
    pub comp4: Comp4,
    /// COMP-5.
    #[serde(rename = "COMP-5")]
    pub comp5: Comp5,
    /// COMP-6.
    #[serde(rename = "COMP-6")]
    pub comp6: Comp6,
    /// COMP-7.
    #[serde(rename = "COMP-7")]
    pub comp7: Comp7,
    /// COMP-8.
    #[serde(rename = "COMP-8")]
    pub comp8: Comp8,
    /// COMP-9.
    #[serde(rename = "COMP-9")]
    pub comp9: Comp9,
    /// REF-2.
    #[serde(rename = "REF-2")]
    pub ref2: Ref2,
    /// QUOTA-1.
    #[serde(rename = "QUOTA-1")]
    pub quota1: Quota1,
    /// QUOTA-2.
    #[serde(rename = "QUOTA-2")]
    pub quota2: Quota2,
    /// REF-5.
    #[serde(rename = "REF-5")]
    pub ref5: Ref5,
}

/// The `[profile]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    name: String,
    title_zh: String,
    title_en: String,
    calendar: String,
    #[serde(default)]
    epidemic_mode: bool,
}

/// A profile file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    profile: Meta,
    #[serde(default)]
    documents: BTreeMap<String, String>,
    rules: Rules,
}

/// A policy profile: the rules' numbers for one jurisdiction and period, plus the
/// holiday calendar its working days are counted by.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Short name (`liaoning-2023`), shown in every report.
    pub name: String,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// Epidemic mode (疫情模式, 004): switches on the epidemic checks (COMP-6 external
    /// collaborator). Off by default.
    pub epidemic_mode: bool,
    /// The documents the sources cite, by number (`"002"` → title).
    pub documents: BTreeMap<String, String>,
    /// The rule sections.
    pub rules: Rules,
    calendar_name: String,
    calendar: Calendar,
}

/// The builtin profiles, in the order a console lists them.
const BUILTIN: &[(&str, &str)] = &[
    ("national", include_str!("../../profiles/national.toml")),
    (
        "liaoning-2023",
        include_str!("../../profiles/liaoning-2023.toml"),
    ),
    (
        "chongqing-2018",
        include_str!("../../profiles/chongqing-2018.toml"),
    ),
];

impl Profile {
    /// Parses an administrator's profile file (the caller reads it) and checks every
    /// value; the calendar it names must be a builtin one.
    pub fn from_toml_str(text: &str) -> Result<Profile, ProfileError> {
        let file: ProfileFile = parse_toml(text)?;
        validate(&file)?;
        let calendar = Calendar::builtin(&file.profile.calendar).ok_or_else(|| {
            ProfileError::UnknownCalendar {
                name: file.profile.calendar.clone(),
            }
        })?;
        Ok(Profile {
            name: file.profile.name,
            title_zh: file.profile.title_zh,
            title_en: file.profile.title_en,
            epidemic_mode: file.profile.epidemic_mode,
            documents: file.documents,
            rules: file.rules,
            calendar_name: file.profile.calendar,
            calendar,
        })
    }

    /// A builtin profile by name, none when there is no such profile.
    pub fn builtin(name: &str) -> Option<Profile> {
        Self::builtin_toml(name).map(|text| {
            Profile::from_toml_str(text).expect("BUG: builtin profiles parse (see their tests)")
        })
    }

    /// The text of a builtin profile, comments included, for an administrator to copy.
    pub fn builtin_toml(name: &str) -> Option<&'static str> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// Names of the builtin profiles.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).collect()
    }

    /// Replaces the holiday calendar (an administrator's extended copy, say).
    pub fn with_calendar(mut self, calendar: Calendar) -> Profile {
        self.calendar_name = calendar.name().to_owned();
        self.calendar = calendar;
        self
    }

    /// The holiday calendar's name.
    pub fn calendar_name(&self) -> &str {
        &self.calendar_name
    }

    /// The holiday calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Working days in `(from, to]` under this profile's calendar.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, OutsideCalendar> {
        self.calendar.working_days_between(from, to)
    }

    /// The `n`-th working day after `from` under this profile's calendar.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, OutsideCalendar> {
        self.calendar.add_working_days(from, n)
    }
}

/// Checks what types cannot: ranges, and lists that must not be empty.
fn validate(file: &ProfileFile) -> Result<(), ProfileError> {
    let invalid = |field: &str, reason: String| {
        Err(ProfileError::Invalid {
            field: field.to_owned(),
            reason,
        })
    };
    let meta = &file.profile;
    if meta.name.trim().is_empty() || meta.name.chars().any(char::is_whitespace) {
        return invalid(
            "profile.name",
            format!("'{}' is empty or has spaces", meta.name),
        );
    }
    let r = &file.rules;
    let sources: [(RuleId, &str); 17] = [
        (Grid1::RULE, r.grid1.source()),
        (Grid2::RULE, r.grid2.source()),
        (Grid3::RULE, r.grid3.source()),
        (Grid4::RULE, r.grid4.source()),
        (Comp1::RULE, r.comp1.source()),
        (Comp2::RULE, r.comp2.source()),
        (Comp3::RULE, r.comp3.source()),
        (Comp4::RULE, r.comp4.source()),
        (Comp5::RULE, r.comp5.source()),
        (Comp6::RULE, r.comp6.source()),
        (Comp7::RULE, r.comp7.source()),
        (Comp8::RULE, r.comp8.source()),
        (Comp9::RULE, r.comp9.source()),
        (Ref2::RULE, r.ref2.source()),
        (Quota1::RULE, r.quota1.source()),
        (Quota2::RULE, r.quota2.source()),
        (Ref5::RULE, r.ref5.source()),
    ];
    for (rule, source) in sources {
        if source.trim().is_empty() {
            return invalid(
                &format!("rules.{rule}.source"),
                "every rule cites its document".into(),
            );
        }
    }
    if r.grid2.min_grids == 0 {
        return invalid("rules.GRID-2.min_grids", "must be at least 1".into());
    }
    let tol = r.grid4.overlap_tolerance_km2;
    if !tol.is_finite() || tol < 0.0 {
        return invalid(
            "rules.GRID-4.overlap_tolerance_km2",
            format!("{tol} is not a non-negative area"),
        );
    }
    if r.comp1.lead_kinds.is_empty() {
        return invalid(
            "rules.COMP-1.lead_kinds",
            "must name at least one kind".into(),
        );
    }
    let c2 = &r.comp2;
    if c2.min_categories as usize > c2.categories.len() {
        return invalid(
            "rules.COMP-2.min_categories",
            format!(
                "{} exceeds the {} categories given",
                c2.min_categories,
                c2.categories.len()
            ),
        );
    }
    for (k, cat) in c2.categories.iter().enumerate() {
        if cat.kinds.is_empty() {
            return invalid(
                &format!("rules.COMP-2.categories[{k}].kinds"),
                "must name at least one kind".into(),
            );
        }
        if c2.categories[..k].iter().any(|c| c.id == cat.id) {
            return invalid(
                &format!("rules.COMP-2.categories[{k}].id"),
                format!("'{}' is used twice", cat.id),
            );
        }
    }
    if r.comp3.lead_kinds.is_empty() {
        return invalid(
            "rules.COMP-3.lead_kinds",
            "must name at least one kind".into(),
        );
    }
    if r.comp8.filing_working_days == 0 || r.comp8.filing_working_days > 250 {
        return invalid(
            "rules.COMP-8.filing_working_days",
            format!("{} is not 1–250", r.comp8.filing_working_days),
        );
    }
    if r.comp9.evaluation_period_months == 0 || r.comp9.evaluation_period_months > 120 {
        return invalid(
            "rules.COMP-9.evaluation_period_months",
            format!("{} is not 1–120", r.comp9.evaluation_period_months),
        );
    }
    let ref2 = [
        ("hypertension", r.ref2.hypertension.validate()),
        ("type2_diabetes", r.ref2.type2_diabetes.validate()),
    ];
    for (section, checked) in ref2 {
        if let Err((field, reason)) = checked {
            return invalid(&format!("rules.REF-2.{section}.{field}"), reason);
        }
    }
    let c7 = &r.comp7;
    for (field, list) in [
        (
            "urban_medical_group_suffixes",
            &c7.urban_medical_group_suffixes,
        ),
        (
            "county_medical_community_suffixes",
            &c7.county_medical_community_suffixes,
        ),
        (
            "telemedicine_network_suffixes",
            &c7.telemedicine_network_suffixes,
        ),
        (
            "specialty_alliance_suffixes",
            &c7.specialty_alliance_suffixes,
        ),
    ] {
        if list.is_empty() || list.iter().any(|s| s.is_empty()) {
            return invalid(
                &format!("rules.COMP-7.{field}"),
                "needs at least one non-empty suffix".into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;
    use crate::policy::CALENDAR_CN;

    fn national_text() -> &'static str {
        Profile::builtin_toml("national").unwrap()
    }

    #[test]
    fn builtins_parse_and_carry_their_own_name() {
        assert_eq!(
            Profile::builtin_names(),
            vec!["national", "liaoning-2023", "chongqing-2018"]
        );
        for name in Profile::builtin_names() {
            let text = Profile::builtin_toml(name).unwrap();
            let p = Profile::from_toml_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.name, name);
            assert_eq!(p.calendar_name(), CALENDAR_CN);
            assert!(!p.epidemic_mode, "{name}: epidemic mode is off by default");
            assert_eq!(p.rules.comp8.filing_working_days, 15);
        }
        assert!(Profile::builtin("guangdong-2030").is_none());
    }

    #[test]
    fn profiles_differ_where_the_documents_differ() {
        let national = Profile::builtin("national").unwrap();
        let liaoning = Profile::builtin("liaoning-2023").unwrap();
        let chongqing = Profile::builtin("chongqing-2018").unwrap();
        // COMP-1: 原则上 (Liaoning) vs 应当 (Chongqing 2018)
        assert_eq!(liaoning.rules.comp1.severity, Severity::Warning);
        assert_eq!(chongqing.rules.comp1.severity, Severity::Error);
        assert!(
            !liaoning
                .rules
                .comp1
                .lead_kinds
                .contains(&InstitutionKind::SpecialtyHospital)
        );
        assert!(
            chongqing
                .rules
                .comp1
                .lead_kinds
                .contains(&InstitutionKind::SpecialtyHospital)
        );
        // COMP-2: one of two categories vs two of four kinds
        assert_eq!(liaoning.rules.comp2.min_categories, 1);
        assert_eq!(liaoning.rules.comp2.categories.len(), 2);
        assert_eq!(chongqing.rules.comp2.min_categories, 2);
        assert_eq!(chongqing.rules.comp2.categories.len(), 4);
        // the national default is the Liaoning-style rule
        assert_eq!(national.rules.comp2, liaoning.rules.comp2);
        // COMP-7: Chongqing names its alliances 重庆市…专科联盟
        assert!(
            chongqing
                .rules
                .comp7
                .specialty_alliance_prefixes
                .contains(&"重庆市".to_owned())
        );
        // QUOTA: in the 2023 documents, not in the 2018 plan
        assert_eq!(
            liaoning.rules.quota1.reserved_outpatient_share,
            Share::new(1, 3).unwrap()
        );
        assert_eq!(
            liaoning.rules.quota2.reserved_bed_share,
            Share::new(1, 4).unwrap()
        );
        assert!(!chongqing.rules.quota1.enabled);
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let text = national_text().replace(
            "filing_working_days = 15",
            "filing_working_days = \"fifteen\"",
        );
        let err = Profile::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("filing_working_days"), "{err}");
    }

    #[test]
    fn a_missing_field_names_the_field() {
        let text = national_text().replace("evaluation_period_months = 12\n", "");
        let err = Profile::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("evaluation_period_months"), "{err}");
    }

    #[test]
    fn an_unknown_field_names_the_field() {
        let text = national_text().replace("filing_working_days = 15", "filing_working_day = 15");
        let err = Profile::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("filing_working_day"), "{err}");
    }

    #[test]
    fn a_bad_value_names_the_field() {
        let text = national_text().replace("filing_working_days = 15", "filing_working_days = 0");
        let err = Profile::from_toml_str(&text).unwrap_err();
        assert_eq!(
            err,
            ProfileError::Invalid {
                field: "rules.COMP-8.filing_working_days".into(),
                reason: "0 is not 1–250".into()
            }
        );
        let text = national_text().replace("\"1/3\"", "\"4/3\"");
        let err = Profile::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("reserved_outpatient_share"), "{err}");
        let text = national_text().replace("lead_min_level = 3", "lead_min_level = 4");
        let err = Profile::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains("lead_min_level"), "{err}");
        let text =
            national_text().replace("calendar = \"calendar-cn\"", "calendar = \"calendar-mars\"");
        assert_eq!(
            Profile::from_toml_str(&text).unwrap_err(),
            ProfileError::UnknownCalendar {
                name: "calendar-mars".into()
            }
        );
    }

    #[test]
    fn a_rule_can_be_switched_off_and_its_severity_changed() {
        let text = national_text()
            .replace("[rules.GRID-2]\n", "[rules.GRID-2]\nenabled = false\n")
            .replace(
                "[rules.COMP-2]\nseverity = \"warning\"",
                "[rules.COMP-2]\nseverity = \"error\"",
            );
        let p = Profile::from_toml_str(&text).unwrap();
        assert!(!p.rules.grid2.enabled);
        assert_eq!(p.rules.comp2.severity, Severity::Error);
    }

    #[test]
    fn shares_are_exact() {
        let third = Share::new(1, 3).unwrap();
        assert!(third.is_met_by(1, 3));
        assert!(third.is_met_by(34, 100));
        assert!(!third.is_met_by(33, 100));
        assert!(Share::new(2, 1).is_none());
        assert!(Share::new(1, 0).is_none());
        assert_eq!(third.to_string(), "1/3");
    }

    #[test]
    fn profile_counts_working_days_by_its_calendar() {
        let p = Profile::builtin("national").unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            p.add_working_days(d("2023-09-25"), 15).unwrap(),
            d("2023-10-20")
        );
        assert_eq!(
            p.working_days_between(d("2024-09-30"), d("2024-10-08"))
                .unwrap(),
            1
        );
    }
}
