//! What an audit says: findings, each citing its rule and document, and the report that
//! gathers them. The report's JSON is a stable contract (the API, the CLI and the
//! end-to-end fixtures compare it byte for byte), so field names and order live here only.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// Declares the rule ids with their code, so that parsing, printing and ordering read
/// from one table; declaration order is the report order (GRID before COMP, COMP-2
/// before COMP-10), which string order would get wrong.
macro_rules! rule_ids {
    ($($(#[$doc:meta])* $variant:ident = $code:literal),+ $(,)?) => {
        /// A rule of `spec/policy-rules.md`, cited by every finding and profile section.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum RuleId {
            $($(#[$doc])* $variant),+
        }
        impl RuleId {
            /// Every rule id, in report order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),+];
            /// The id as written in the spec (`GRID-4`).
            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $code),+ }
            }
            /// Parses an id as written in the spec.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($code => Some(RuleId::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

rule_ids! {
    /// Grids cover every resident.
    Grid1 = "GRID-1",
    /// At least N grids, in principle.
    Grid2 = "GRID-2",
    /// Exactly one grid consortium per grid.
    Grid3 = "GRID-3",
    /// Grids do not overlap (TCM / maternal-child consortia excepted).
    Grid4 = "GRID-4",
    /// Urban medical group lead.
    Comp1 = "COMP-1",
    /// Urban medical group members.
    Comp2 = "COMP-2",
    /// County medical community lead and members.
    Comp3 = "COMP-3",
    /// Specialty alliance lead and size.
    Comp4 = "COMP-4",
    /// Telemedicine network lead.
    Comp5 = "COMP-5",
    /// Roles: one lead, collaborators outside the group.
    Comp6 = "COMP-6",
    /// Naming convention.
    Comp7 = "COMP-7",
    /// Filing within N working days.
    Comp8 = "COMP-8",
    /// Periodic evaluation.
    Comp9 = "COMP-9",
    /// Chronic-disease referral criteria (suggestions, never findings of the audit).
    Ref2 = "REF-2",
    /// Outpatient slots reserved for primary care (not audited yet; the profile holds it).
    Quota1 = "QUOTA-1",
    /// Inpatient beds reserved for primary care (not audited yet; the profile holds it).
    Quota2 = "QUOTA-2",
    /// Green channel: emergency referrals are never refused and are timed; the profile
    /// holds every urgency's referral clocks.
    Ref5 = "REF-5",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RuleId::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown rule id '{s}'")))
    }
}

/// How bad a finding is. Only two levels exist on purpose: a "must" (应当/必须) rule
/// breaks as an error, an "in principle" (原则上) rule as a warning; an informational
/// level would be noise that nobody acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A "must" rule is broken; the API refuses the change (422).
    Error,
    /// An "in principle" rule is broken; shown, never blocking.
    Warning,
}

impl Severity {
    /// `error` / `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
    /// 错误 / 警告.
    pub fn zh(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        }
    }
}

/// What kind of thing a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// A grid (网格).
    Grid,
    /// A consortium (医联体).
    Consortium,
    /// An institution (医疗卫生机构).
    Institution,
    /// The whole city (全市).
    City,
}

impl SubjectKind {
    /// The code used in the JSON contract.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Grid => "grid",
            SubjectKind::Consortium => "consortium",
            SubjectKind::Institution => "institution",
            SubjectKind::City => "city",
        }
    }
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            SubjectKind::Grid => "网格",
            SubjectKind::Consortium => "医联体",
            SubjectKind::Institution => "机构",
            SubjectKind::City => "全市",
        }
    }
}

/// The id every city-level finding carries: the registry holds one city, so its subject
/// needs no real id, only a stable one that expected-findings files can name.
pub const CITY_SUBJECT_ID: &str = "city";

/// The thing a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// grid, consortium, institution or city.
    pub kind: SubjectKind,
    /// Its id ([`CITY_SUBJECT_ID`] for the city).
    pub id: String,
    /// Its name, as registered.
    pub name: String,
}

impl Subject {
    /// The city as a whole.
    pub fn city() -> Self {
        Subject {
            kind: SubjectKind::City,
            id: CITY_SUBJECT_ID.to_owned(),
            name: "全市".to_owned(),
        }
    }
}

/// One broken rule about one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule broken.
    pub rule: RuleId,
    /// Error or warning (from the profile).
    pub severity: Severity,
    /// What it is about.
    pub subject: Subject,
    /// The finding in Chinese.
    pub message_zh: String,
    /// The finding in English.
    pub message_en: String,
    /// The numbers behind it, so that a reader can check the message and a console can
    /// chart it without parsing prose. Keys are snake_case and sorted.
    pub figures: Map<String, Value>,
    /// The clause the rule comes from (`002 §四(三)`), copied from the profile.
    pub source: String,
}

impl Finding {
    /// Whether a "must" rule broke (the API answers 422 on create/change).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The report order: rule, then subject id; the rest only breaks ties so that two
    /// runs over the same registry print the same bytes.
    pub(crate) fn order_key(&self) -> (RuleId, &str, SubjectKind, Severity, &str) {
        (
            self.rule,
            &self.subject.id,
            self.subject.kind,
            self.severity,
            &self.message_en,
        )
    }
}

/// Sorts figures by key whatever map serde_json was built with (`preserve_order` would
/// otherwise keep insertion order), so the JSON contract never depends on a feature flag.
pub(crate) fn sorted_figures(figures: Map<String, Value>) -> Map<String, Value> {
    let mut pairs: Vec<(String, Value)> = figures.into_iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs.into_iter().collect()
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Findings with severity error.
    pub errors: u32,
    /// Findings with severity warning.
    pub warnings: u32,
}

/// The result of an audit: the profile used, the findings in report order, and counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Name of the profile audited against.
    pub profile: String,
    /// Findings ordered by rule, then subject id.
    pub findings: Vec<Finding>,
    /// Counts by severity.
    pub summary: Summary,
}

/// Language of a rendering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// 中文 (the default: the users are Chinese health commissions).
    #[default]
    Zh,
    /// English.
    En,
}

impl AuditReport {
    /// Builds a report: sorts the findings into report order and counts them, so no
    /// caller can hand out an unsorted or miscounted report.
    pub fn new(profile: impl Into<String>, mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let mut summary = Summary::default();
        for f in &findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
            }
        }
        AuditReport {
            profile: profile.into(),
            findings,
            summary,
        }
    }

    /// Whether any "must" rule broke.
    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }

    /// A plain-text table (rule, severity, subject, message) for terminals and logs.
    /// Columns are padded by display width, CJK characters counting 2, so that Chinese
    /// names line up in a monospace font without a width crate.
    pub fn to_table(&self, lang: Lang) -> String {
        let header: [&str; 4] = match lang {
            Lang::Zh => ["规则", "级别", "对象", "说明"],
            Lang::En => ["rule", "severity", "subject", "message"],
        };
        let rows: Vec<[String; 4]> = self
            .findings
            .iter()
            .map(|f| {
                let (severity, kind, message) = match lang {
                    Lang::Zh => (f.severity.zh(), f.subject.kind.zh(), &f.message_zh),
                    Lang::En => (f.severity.as_str(), f.subject.kind.as_str(), &f.message_en),
                };
                let subject = if f.subject.kind == SubjectKind::City {
                    kind.to_owned()
                } else if f.subject.name.is_empty() || f.subject.name == f.subject.id {
                    format!("{kind} {}", f.subject.id)
                } else {
                    format!("{kind} {} {}", f.subject.id, f.subject.name)
                };
                [
                    f.rule.as_str().to_owned(),
                    severity.to_owned(),
                    subject,
                    message.clone(),
                ]
            })
            .collect();
        let mut widths = header.map(display_width);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(display_width(cell));
            }
        }
        let mut out = String::new();
        push_row(&mut out, &header.map(str::to_owned), &widths);
        let rule: [String; 4] = widths.map(|w| "-".repeat(w));
        push_row(&mut out, &rule, &widths);
        for row in &rows {
            push_row(&mut out, row, &widths);
        }
        let s = self.summary;
        match lang {
            Lang::Zh => out.push_str(&format!(
                "共 {} 个错误，{} 个警告（规范：{}）\n",
                s.errors, s.warnings, self.profile
            )),
            Lang::En => out.push_str(&format!(
                "{} error(s), {} warning(s) (profile {})\n",
                s.errors, s.warnings, self.profile
            )),
        }
        out
    }
}

fn push_row(out: &mut String, cells: &[String; 4], widths: &[usize; 4]) {
    let last = cells.len() - 1;
    for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
        out.push_str(cell);
        if k < last {
            out.push_str(&" ".repeat(w.saturating_sub(display_width(cell)) + 2));
        }
    }
    out.push('\n');
}

/// Width of `s` in a monospace terminal: East Asian wide and fullwidth characters count
/// 2, everything else 1. The ranges are the wide blocks of UAX #11 that Chinese text
/// uses (Hangul and CJK extensions included); ambiguous-width characters count 1.
pub fn display_width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x2FFFD
            | 0x30000..=0x3FFFD
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;

    fn sample() -> AuditReport {
        let mut figures = Map::new();
        figures.insert("area_km2".into(), Value::from(1.077));
        figures.insert("grid_b".into(), Value::from("G03"));
        AuditReport::new(
            "national",
            vec![
                Finding {
                    rule: RuleId::Comp1,
                    severity: Severity::Warning,
                    subject: Subject {
                        kind: SubjectKind::Consortium,
                        id: "C02".into(),
                        name: "样例区中心医院医疗集团".into(),
                    },
                    message_zh: "牵头医院为二级".into(),
                    message_en: "lead is tier 2".into(),
                    figures: Map::new(),
                    source: "001 §三(一)2".into(),
                },
                Finding {
                    rule: RuleId::Grid4,
                    severity: Severity::Error,
                    subject: Subject {
                        kind: SubjectKind::Grid,
                        id: "G02".into(),
                        name: "样例区网格二".into(),
                    },
                    message_zh: "网格重叠".into(),
                    message_en: "grids overlap".into(),
                    figures,
                    source: "002 §三(二)3".into(),
                },
            ],
        )
    }

    #[test]
    fn json_contract_is_pinned() {
        let json = serde_json::to_string_pretty(&sample()).unwrap();
        let expected = r#"{
  "profile": "national",
  "findings": [
    {
      "rule": "GRID-4",
      "severity": "error",
      "subject": {
        "kind": "grid",
        "id": "G02",
        "name": "样例区网格二"
      },
      "message_zh": "网格重叠",
      "message_en": "grids overlap",
      "figures": {
        "area_km2": 1.077,
        "grid_b": "G03"
      },
      "source": "002 §三(二)3"
    },
    {
      "rule": "COMP-1",
      "severity": "warning",
      "subject": {
        "kind": "consortium",
        "id": "C02",
        "name": "样例区中心医院医疗集团"
      },
      "message_zh": "牵头医院为二级",
      "message_en": "lead is tier 2",
      "figures": {},
      "source": "001 §三(一)2"
    }
  ],
  "summary": {
    "errors": 1,
    "warnings": 1
  }
}"#;
        assert_eq!(json, expected);
        let back: AuditReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn rule_ids_order_by_declaration_and_round_trip() {
        assert!(RuleId::Grid4 < RuleId::Comp1);
        for r in RuleId::ALL {
            assert_eq!(RuleId::parse(r.as_str()), Some(*r));
        }
        assert_eq!(RuleId::parse("COMP-99"), None);
        assert!(serde_json::from_str::<RuleId>("\"GRID-9\"").is_err());
    }

    #[test]
    fn cjk_counts_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("网格"), 4);
        assert_eq!(display_width("G01 网格一"), 10);
        assert_eq!(display_width("(共"), 3);
        assert_eq!(display_width("\u{FF08}共\u{FF09}"), 6); // fullwidth parentheses
    }

    #[test]
    fn a_city_subject_is_named_once() {
        let mut f = sample().findings[0].clone();
        f.subject = Subject::city();
        let table = AuditReport::new("national", vec![f]).to_table(Lang::Zh);
        let row = table.lines().nth(2).unwrap();
        assert!(row.starts_with("GRID-4  错误  全市  "), "{row}");
    }

    #[test]
    fn table_columns_line_up() {
        let table = sample().to_table(Lang::Zh);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("规则"));
        // the message column starts at the same display column on every row
        let col = |line: &str, needle: &str| {
            let at = line.find(needle).unwrap();
            display_width(&line[..at])
        };
        assert_eq!(col(lines[2], "网格重叠"), col(lines[3], "牵头医院为二级"));
        assert_eq!(col(lines[0], "说明"), col(lines[2], "网格重叠"));
        assert_eq!(lines[4], "共 1 个错误，1 个警告（规范：national）");
        let en = sample().to_table(Lang::En);
        assert!(en.starts_with("rule"));
        assert!(en.contains("GRID-4  error"));
        assert!(en.ends_with("1 error(s), 1 warning(s) (profile national)\n"));
    }
}
