//! The audit report's JSON contract (the domain's `AuditReport`, compared byte for byte by
//! the CLI and the fixtures) as schema'd DTOs. The conversions move every field, and a
//! test checks that a converted report serialises exactly as the domain's does.

use super::code_schema;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use yilian_domain::policy::{
    AuditReport, Finding, RuleId, Severity, Subject, SubjectKind, Summary,
};

fn rule_schema() -> Object {
    code_schema(
        "Rule id of spec/policy-rules.md.",
        RuleId::ALL.iter().map(|r| r.as_str()),
    )
}

/// `error` for a broken "must" (应当) rule, `warning` for an "in principle" (原则上) one.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SeverityDto {
    /// A must-rule broke: writes that cause it are refused with 422.
    Error,
    /// An in-principle rule broke: shown, never blocking.
    Warning,
}

impl From<Severity> for SeverityDto {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Error => SeverityDto::Error,
            Severity::Warning => SeverityDto::Warning,
        }
    }
}

/// What kind of thing a finding is about.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SubjectKindDto {
    /// 网格
    Grid,
    /// 医联体
    Consortium,
    /// 医疗卫生机构
    Institution,
    /// 全市
    City,
}

impl From<SubjectKind> for SubjectKindDto {
    fn from(k: SubjectKind) -> Self {
        match k {
            SubjectKind::Grid => SubjectKindDto::Grid,
            SubjectKind::Consortium => SubjectKindDto::Consortium,
            SubjectKind::Institution => SubjectKindDto::Institution,
            SubjectKind::City => SubjectKindDto::City,
        }
    }
}

/// The thing a finding is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SubjectDto {
    /// grid, consortium, institution or city.
    kind: SubjectKindDto,
    /// Its id (`city` for the city).
    id: String,
    /// Its registered name.
    name: String,
}

impl From<Subject> for SubjectDto {
    fn from(s: Subject) -> Self {
        SubjectDto {
            kind: s.kind.into(),
            id: s.id,
            name: s.name,
        }
    }
}

/// One broken rule about one subject.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct FindingDto {
    /// The rule broken.
    #[schema(schema_with = rule_schema)]
    pub(crate) rule: &'static str,
    /// Error or warning.
    pub(crate) severity: SeverityDto,
    /// What it is about.
    pub(crate) subject: SubjectDto,
    /// The finding in Chinese.
    pub(crate) message_zh: String,
    /// The finding in English.
    pub(crate) message_en: String,
    /// The numbers behind the finding, keys snake_case and sorted.
    #[schema(value_type = Object)]
    pub(crate) figures: Map<String, Value>,
    /// The clause the rule comes from (`002 §四(三)`).
    pub(crate) source: String,
}

impl From<Finding> for FindingDto {
    fn from(f: Finding) -> Self {
        FindingDto {
            rule: f.rule.as_str(),
            severity: f.severity.into(),
            subject: f.subject.into(),
            message_zh: f.message_zh,
            message_en: f.message_en,
            figures: f.figures,
            source: f.source,
        }
    }
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub(crate) struct SummaryDto {
    /// Findings at error level.
    errors: u32,
    /// Findings at warning level.
    warnings: u32,
}

impl From<Summary> for SummaryDto {
    fn from(s: Summary) -> Self {
        SummaryDto {
            errors: s.errors,
            warnings: s.warnings,
        }
    }
}

/// An audit of the registry against a profile on a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AuditReportDto {
    /// The profile audited against.
    profile: String,
    /// Findings ordered by rule, then subject id.
    findings: Vec<FindingDto>,
    /// Counts by severity.
    summary: SummaryDto,
}

impl From<AuditReport> for AuditReportDto {
    fn from(r: AuditReport) -> Self {
        AuditReportDto {
            profile: r.profile,
            findings: r.findings.into_iter().map(FindingDto::from).collect(),
            summary: r.summary.into(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;
    use yilian_domain::policy::{GeoFacts, Profile, audit};
    use yilian_domain::registry::Registry;

    #[test]
    fn the_dto_serialises_exactly_as_the_contract() {
        let profile = Profile::builtin("national").unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        let mut facts = GeoFacts::default();
        facts.outside_all_grids.count = 3;
        let report = audit(&Registry::default(), &facts, &profile, day);
        assert!(!report.findings.is_empty());
        let contract = serde_json::to_string(&report).unwrap();
        let ours = serde_json::to_string(&AuditReportDto::from(report)).unwrap();
        assert_eq!(ours, contract);
    }
}
