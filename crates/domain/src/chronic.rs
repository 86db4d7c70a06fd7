//! Chronic-disease referral criteria (慢性病种分级诊疗标准, REF-2): a family doctor's
//! follow-up readings of a hypertensive or type-2 diabetic patient turned into a suggested
//! up-referral, with the criterion that matched and the numbers that made it match. The
//! thresholds are the profile's (`[rules.REF-2.hypertension]`, `[rules.REF-2.type2_diabetes]`),
//! because each group defines its own criteria (000) and the defaults are national practice,
//! not a seed's text. Pure: the history comes in as a slice, the answer goes out as a value.
//!
//! Emergency criteria look at the latest follow-up (what the doctor sees now); routine
//! ones at the history (two consecutive visits not at target, months not at target).
//!
//! ```
//! use chrono::NaiveDate;
//! use yilian_domain::chronic::*;
//! use yilian_domain::policy::Profile;
//! use yilian_domain::referral::Urgency;
//! let criteria = Profile::builtin("national").unwrap().rules.ref2;
//! let visit = FollowUp {
//!     condition: ChronicCondition::Hypertension,
//!     on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
//!     blood_pressure: Some(BloodPressure::new(186, 100).unwrap()),
//!     glucose: None,
//!     at_target: false,
//!     pregnant_or_lactating: false,
//!     symptoms: vec![],
//! };
//! let patient = Patient { age_years: Some(67), pregnant: false };
//! let s = assess(&criteria, ChronicCondition::Hypertension, &patient, &[visit]).unwrap();
//! assert_eq!(s.urgency, Urgency::Emergency);
//! assert!(s.explanation_en.contains("SBP 186 ≥ 180"), "{}", s.explanation_en);
//! ```

use crate::policy::Ref2;
use crate::referral::{Direction, Urgency};
use crate::registry::CodeError;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

crate::registry::code_enum!(
    /// A chronic condition with referral criteria in the profile.
    ChronicCondition, "chronic condition" {
        /// 高血压 (ICD-10 I10–I15)
        Hypertension = "hypertension" / "高血压",
        /// 2型糖尿病 (ICD-10 E11)
        Type2Diabetes = "type2_diabetes" / "2型糖尿病",
    }
);

crate::registry::code_enum!(
    /// What the doctor noted at a follow-up besides the numbers. Which of them call for an
    /// emergency or a routine referral is the profile's choice, per condition.
    Symptom, "symptom" {
        /// 意识改变
        AlteredConsciousness = "altered_consciousness" / "意识改变",
        /// 剧烈头痛或头晕
        SevereHeadacheOrDizziness = "severe_headache_or_dizziness" / "剧烈头痛或头晕",
        /// 恶心呕吐
        Vomiting = "vomiting" / "恶心呕吐",
        /// 视物模糊
        BlurredVision = "blurred_vision" / "视物模糊",
        /// 胸痛或端坐呼吸
        ChestPainOrOrthopnoea = "chest_pain_or_orthopnoea" / "胸痛或端坐呼吸",
        /// 药物不良反应难以控制
        UncontrollableSideEffects = "uncontrollable_side_effects" / "药物不良反应难以控制",
        /// 出现新的并发症或原有并发症加重
        ComplicationsNewOrWorse = "complications_new_or_worse" / "并发症新发或加重",
        /// 反复发生低血糖
        RecurrentHypoglycaemia = "recurrent_hypoglycaemia" / "反复发生低血糖",
        /// 并发症超出基层处置能力
        ComplicationsBeyondPrimaryCare = "complications_beyond_primary_care" / "并发症超出基层处置能力",
        /// 需要启用或调整胰岛素方案
        InsulinRegimenNeeded = "insulin_regimen_needed" / "需要启用或调整胰岛素治疗",
    }
);

crate::registry::code_enum!(
    /// Which criterion of REF-2 matched.
    Criterion, "criterion" {
        /// Blood pressure at or above the emergency threshold.
        EmergencyBloodPressure = "emergency_blood_pressure" / "血压达到急诊转诊标准",
        /// Glucose at or above the high emergency threshold.
        EmergencyGlucoseHigh = "emergency_glucose_high" / "血糖过高",
        /// Glucose at or below the low emergency threshold.
        EmergencyGlucoseLow = "emergency_glucose_low" / "血糖过低",
        /// A symptom the profile treats as an emergency.
        EmergencySymptom = "emergency_symptom" / "急症表现",
        /// Pregnancy or lactation with raised blood pressure.
        EmergencyPregnancyRaisedBp = "emergency_pregnancy_raised_bp" / "妊娠或哺乳期血压升高",
        /// Consecutive follow-ups not at target.
        RoutineNotAtTarget = "routine_not_at_target" / "连续随访未达标",
        /// Younger than the profile's age.
        RoutineYoungAge = "routine_young_age" / "发病年龄过轻",
        /// Pregnancy or lactation.
        RoutinePregnancy = "routine_pregnancy" / "妊娠或哺乳期",
        /// A symptom the profile treats as a reason for a routine referral.
        RoutineSymptom = "routine_symptom" / "需转诊的临床情况",
    }
);

/// Sensible bounds of a reading; outside them it is a typing error, not a patient.
const SBP_MMHG: std::ops::RangeInclusive<u16> = 40..=300;
/// Diastolic bounds.
const DBP_MMHG: std::ops::RangeInclusive<u16> = 20..=200;
/// Glucose bounds, in tenths of mmol/L (0.5–60.0).
const GLUCOSE_TENTHS: std::ops::RangeInclusive<u16> = 5..=600;
/// Most follow-ups of one condition the routine criteria look back over (the store reads
/// this many, newest first): two years of monthly visits, more than any default needs.
pub const FOLLOW_UPS_READ_MAX: u32 = 24;

/// Why a reading cannot be recorded; each names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadingError {
    /// Systolic pressure outside 40–300 mmHg.
    #[error("sbp_mmhg: {0} is outside 40–300 / 收缩压 {0} 不在 40–300 mmHg 之间")]
    Systolic(u16),
    /// Diastolic pressure outside 20–200 mmHg.
    #[error("dbp_mmhg: {0} is outside 20–200 / 舒张压 {0} 不在 20–200 mmHg 之间")]
    Diastolic(u16),
    /// Diastolic not below systolic.
    #[error("dbp_mmhg: {dbp} is not below the systolic {sbp} / 舒张压 {dbp} 不低于收缩压 {sbp}")]
    DiastolicNotBelowSystolic {
        /// Systolic.
        sbp: u16,
        /// Diastolic.
        dbp: u16,
    },
    /// Glucose outside 0.5–60.0 mmol/L, not a number, or with more than one decimal.
    #[error(
        "glucose_mmol_l: {0} is not 0.5–60.0 with at most one decimal / 血糖 {0} 须为 0.5–60.0 mmol/L，至多一位小数"
    )]
    Glucose(String),
    /// A follow-up of this condition needs this reading.
    #[error("{field}: a {condition} follow-up records it / {condition}随访须填写 {field}")]
    Missing {
        /// The field.
        field: &'static str,
        /// The condition's code.
        condition: &'static str,
    },
    /// A follow-up dated after today.
    #[error("on: {0} is in the future / 随访日期 {0} 晚于今天")]
    InTheFuture(NaiveDate),
}

impl ReadingError {
    /// The input field at fault, for an API error that names it.
    pub fn field(&self) -> &'static str {
        match self {
            ReadingError::Systolic(_) => "sbp_mmhg",
            ReadingError::Diastolic(_) | ReadingError::DiastolicNotBelowSystolic { .. } => {
                "dbp_mmhg"
            }
            ReadingError::Glucose(_) => "glucose_mmol_l",
            ReadingError::Missing { field, .. } => field,
            ReadingError::InTheFuture(_) => "on",
        }
    }
}

/// A blood pressure reading in mmHg, systolic above diastolic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BloodPressure {
    sbp_mmhg: u16,
    dbp_mmhg: u16,
}

impl BloodPressure {
    /// Checks both against their bounds and each other.
    pub fn new(sbp_mmhg: u16, dbp_mmhg: u16) -> Result<Self, ReadingError> {
        if !SBP_MMHG.contains(&sbp_mmhg) {
            return Err(ReadingError::Systolic(sbp_mmhg));
        }
        if !DBP_MMHG.contains(&dbp_mmhg) {
            return Err(ReadingError::Diastolic(dbp_mmhg));
        }
        if dbp_mmhg >= sbp_mmhg {
            return Err(ReadingError::DiastolicNotBelowSystolic {
                sbp: sbp_mmhg,
                dbp: dbp_mmhg,
            });
        }
        Ok(BloodPressure { sbp_mmhg, dbp_mmhg })
    }
    /// Systolic, mmHg.
    pub fn sbp_mmhg(self) -> u16 {
        self.sbp_mmhg
    }
    /// Diastolic, mmHg.
    pub fn dbp_mmhg(self) -> u16 {
        self.dbp_mmhg
    }
}

/// Blood glucose, held in tenths of mmol/L: readings and thresholds (16.7, 3.9) are written
/// with one decimal, and comparing integers makes "≥ 16.7" exact at the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Glucose(u16);

impl Glucose {
    /// From mmol/L with at most one decimal, within 0.5–60.0.
    pub fn from_mmol_l(x: f64) -> Result<Self, ReadingError> {
        let tenths = x * 10.0;
        let rounded = tenths.round();
        if !x.is_finite() || (tenths - rounded).abs() > 1e-6 {
            return Err(ReadingError::Glucose(x.to_string()));
        }
        // finite and a whole number of tenths: the cast is exact within the bounds checked
        let t = rounded as i64;
        match u16::try_from(t) {
            Ok(t) if GLUCOSE_TENTHS.contains(&t) => Ok(Glucose(t)),
            _ => Err(ReadingError::Glucose(x.to_string())),
        }
    }
    /// From tenths of mmol/L (as stored).
    pub fn from_tenths(t: u16) -> Result<Self, ReadingError> {
        if GLUCOSE_TENTHS.contains(&t) {
            Ok(Glucose(t))
        } else {
            Err(ReadingError::Glucose(format!("{}.{}", t / 10, t % 10)))
        }
    }
    /// Tenths of mmol/L.
    pub fn tenths(self) -> u16 {
        self.0
    }
    /// mmol/L.
    pub fn mmol_l(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for Glucose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

impl Serialize for Glucose {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.mmol_l())
    }
}

impl<'de> Deserialize<'de> for Glucose {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        Glucose::from_mmol_l(x).map_err(serde::de::Error::custom)
    }
}

/// One follow-up visit (随访) of one condition, as the family doctor records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Which condition the visit followed up.
    pub condition: ChronicCondition,
    /// The day of the visit (China's civil date).
    pub on: NaiveDate,
    /// Blood pressure, required for hypertension.
    pub blood_pressure: Option<BloodPressure>,
    /// Blood glucose, required for type-2 diabetes.
    pub glucose: Option<Glucose>,
    /// The doctor's judgement: control at target (达标) at this visit.
    pub at_target: bool,
    /// Pregnant or breast-feeding at the visit (lactation is not in the registry).
    pub pregnant_or_lactating: bool,
    /// What the doctor noted, each once, in code order.
    pub symptoms: Vec<Symptom>,
}

impl FollowUp {
    /// Checks what a visit must carry (the reading its condition is followed up by, a date
    /// not after `today`) and puts the symptoms in code order, each once.
    pub fn checked(mut self, today: NaiveDate) -> Result<FollowUp, ReadingError> {
        if self.on > today {
            return Err(ReadingError::InTheFuture(self.on));
        }
        let missing = match self.condition {
            ChronicCondition::Hypertension if self.blood_pressure.is_none() => Some("sbp_mmhg"),
            ChronicCondition::Type2Diabetes if self.glucose.is_none() => Some("glucose_mmol_l"),
            ChronicCondition::Hypertension | ChronicCondition::Type2Diabetes => None,
        };
        if let Some(field) = missing {
            return Err(ReadingError::Missing {
                field,
                condition: self.condition.as_str(),
            });
        }
        self.symptoms.sort();
        self.symptoms.dedup();
        Ok(self)
    }
}

/// REF-2 criteria for hypertension (profile defaults after national primary-care practice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HypertensionCriteria {
    /// ICD-10 codes (prefixes) that make a resident hypertensive (`I10` … `I15`).
    pub icd10_prefixes: Vec<String>,
    /// Emergency when systolic ≥ this.
    pub emergency_sbp_mmhg: u16,
    /// Emergency when diastolic ≥ this.
    pub emergency_dbp_mmhg: u16,
    /// Symptoms that make a referral an emergency.
    pub emergency_symptoms: Vec<Symptom>,
    /// Raised (not at target) when systolic ≥ this.
    pub raised_sbp_mmhg: u16,
    /// Raised (not at target) when diastolic ≥ this.
    pub raised_dbp_mmhg: u16,
    /// Emergency when pregnant or lactating with raised blood pressure.
    pub emergency_if_pregnant_with_raised_bp: bool,
    /// Routine when this many consecutive follow-ups, the latest included, are not at target.
    pub routine_consecutive_not_at_target: u32,
    /// Symptoms that call for a routine referral.
    pub routine_symptoms: Vec<Symptom>,
    /// The referrer checks on the patient within this many days of the referral.
    pub recheck_within_days: u32,
}

/// REF-2 criteria for type-2 diabetes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiabetesCriteria {
    /// ICD-10 codes (prefixes) that make a resident a type-2 diabetic (`E11`).
    pub icd10_prefixes: Vec<String>,
    /// Emergency when glucose ≥ this (mmol/L).
    pub emergency_glucose_high_mmol_l: Glucose,
    /// Emergency when glucose ≤ this (mmol/L).
    pub emergency_glucose_low_mmol_l: Glucose,
    /// Emergency when systolic ≥ this.
    pub emergency_sbp_mmhg: u16,
    /// Emergency when diastolic ≥ this.
    pub emergency_dbp_mmhg: u16,
    /// Symptoms that make a referral an emergency.
    pub emergency_symptoms: Vec<Symptom>,
    /// Routine when younger than this (years).
    pub routine_age_below_years: u32,
    /// Routine when pregnant or lactating.
    pub routine_if_pregnant: bool,
    /// Routine when follow-ups have not been at target for at least this many months
    /// (the first and the latest of the trailing run of visits not at target this far apart).
    pub routine_not_at_target_months: u32,
    /// Symptoms that call for a routine referral.
    pub routine_symptoms: Vec<Symptom>,
}

/// What a profile says about a section's values, as (field under the section, reason).
type Invalid = (String, String);

fn check_symptoms(emergency: &[Symptom], routine: &[Symptom]) -> Result<(), Invalid> {
    match routine.iter().find(|s| emergency.contains(s)) {
        Some(s) => Err((
            "routine_symptoms".into(),
            format!("'{s}' is an emergency symptom already"),
        )),
        None => Ok(()),
    }
}

fn check_prefixes(prefixes: &[String]) -> Result<(), Invalid> {
    if prefixes.is_empty() || prefixes.iter().any(|p| p.trim().is_empty()) {
        return Err((
            "icd10_prefixes".into(),
            "needs at least one non-empty ICD-10 code".into(),
        ));
    }
    Ok(())
}

fn check_bp(field: &str, v: u16, range: &std::ops::RangeInclusive<u16>) -> Result<(), Invalid> {
    if range.contains(&v) {
        Ok(())
    } else {
        Err((
            field.into(),
            format!("{v} is outside {}–{}", range.start(), range.end()),
        ))
    }
}

impl HypertensionCriteria {
    /// Ranges and orderings the types cannot say; the error names the field.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_prefixes(&self.icd10_prefixes)?;
        check_bp("emergency_sbp_mmhg", self.emergency_sbp_mmhg, &SBP_MMHG)?;
        check_bp("emergency_dbp_mmhg", self.emergency_dbp_mmhg, &DBP_MMHG)?;
        check_bp("raised_sbp_mmhg", self.raised_sbp_mmhg, &SBP_MMHG)?;
        check_bp("raised_dbp_mmhg", self.raised_dbp_mmhg, &DBP_MMHG)?;
        if self.raised_sbp_mmhg >= self.emergency_sbp_mmhg {
            return Err((
                "raised_sbp_mmhg".into(),
                format!(
                    "{} is not below emergency_sbp_mmhg {}",
                    self.raised_sbp_mmhg, self.emergency_sbp_mmhg
                ),
            ));
        }
        if self.raised_dbp_mmhg >= self.emergency_dbp_mmhg {
            return Err((
                "raised_dbp_mmhg".into(),
                format!(
                    "{} is not below emergency_dbp_mmhg {}",
                    self.raised_dbp_mmhg, self.emergency_dbp_mmhg
                ),
            ));
        }
        if !(1..=FOLLOW_UPS_READ_MAX).contains(&self.routine_consecutive_not_at_target) {
            return Err((
                "routine_consecutive_not_at_target".into(),
                format!(
                    "{} is not 1–{FOLLOW_UPS_READ_MAX}",
                    self.routine_consecutive_not_at_target
                ),
            ));
        }
        if !(1..=365).contains(&self.recheck_within_days) {
            return Err((
                "recheck_within_days".into(),
                format!("{} is not 1–365", self.recheck_within_days),
            ));
        }
        check_symptoms(&self.emergency_symptoms, &self.routine_symptoms)
    }
    fn raised(&self, bp: BloodPressure) -> bool {
        bp.sbp_mmhg >= self.raised_sbp_mmhg || bp.dbp_mmhg >= self.raised_dbp_mmhg
    }
}

impl DiabetesCriteria {
    /// Ranges and orderings the types cannot say; the error names the field.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_prefixes(&self.icd10_prefixes)?;
        check_bp("emergency_sbp_mmhg", self.emergency_sbp_mmhg, &SBP_MMHG)?;
        check_bp("emergency_dbp_mmhg", self.emergency_dbp_mmhg, &DBP_MMHG)?;
        if self.emergency_glucose_low_mmol_l >= self.emergency_glucose_high_mmol_l {
            return Err((
                "emergency_glucose_low_mmol_l".into(),
                format!(
                    "{} is not below emergency_glucose_high_mmol_l {}",
                    self.emergency_glucose_low_mmol_l, self.emergency_glucose_high_mmol_l
                ),
            ));
        }
        if !(1..=120).contains(&self.routine_age_below_years) {
            return Err((
                "routine_age_below_years".into(),
                format!("{} is not 1–120", self.routine_age_below_years),
            ));
        }
        if !(1..=24).contains(&self.routine_not_at_target_months) {
            return Err((
                "routine_not_at_target_months".into(),
                format!("{} is not 1–24", self.routine_not_at_target_months),
            ));
        }
        check_symptoms(&self.emergency_symptoms, &self.routine_symptoms)
    }
}

/// What the criteria need to know about the patient besides the follow-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patient {
    /// Age in whole years today; none when the birth date is unknown.
    pub age_years: Option<u32>,
    /// Pregnant, as the registry says.
    pub pregnant: bool,
}

/// A suggested referral: where, how soon, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The condition whose criterion matched.
    pub condition: ChronicCondition,
    /// Always up: the criteria send patients to a higher level.
    pub direction: Direction,
    /// Emergency (green channel, REF-5) or routine.
    pub urgency: Urgency,
    /// The criterion that matched first (emergencies before routine ones).
    pub criterion: Criterion,
    /// Why, in Chinese, naming REF-2 and the numbers.
    pub explanation_zh: String,
    /// Why, in English, naming REF-2 and the numbers.
    pub explanation_en: String,
    /// The referrer checks on the patient within this many days (hypertension).
    pub recheck_within_days: Option<u32>,
}

/// Which of the resident's ICD-10 codes fall under a condition with criteria, each once,
/// in code order.
pub fn conditions_of(criteria: &Ref2, icd10: &[String]) -> Vec<ChronicCondition> {
    let matches = |prefixes: &[String]| {
        icd10
            .iter()
            .any(|c| prefixes.iter().any(|p| c.trim().starts_with(p.as_str())))
    };
    let mut out = Vec::new();
    if matches(&criteria.hypertension.icd10_prefixes) {
        out.push(ChronicCondition::Hypertension);
    }
    if matches(&criteria.type2_diabetes.icd10_prefixes) {
        out.push(ChronicCondition::Type2Diabetes);
    }
    out
}

/// A match in the making: the criterion and the figures, in both languages.
struct Hit {
    urgency: Urgency,
    criterion: Criterion,
    zh: String,
    en: String,
}

fn hit(urgency: Urgency, criterion: Criterion, zh: String, en: String) -> Option<Hit> {
    Some(Hit {
        urgency,
        criterion,
        zh,
        en,
    })
}

/// "SBP 186 ≥ 180; DBP 112 ≥ 110", the parts that reach their thresholds.
fn bp_at_or_above(bp: BloodPressure, sbp_min: u16, dbp_min: u16) -> Option<(String, String)> {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if bp.sbp_mmhg >= sbp_min {
        zh.push(format!("收缩压 {} ≥ {sbp_min}", bp.sbp_mmhg));
        en.push(format!("SBP {} ≥ {sbp_min}", bp.sbp_mmhg));
    }
    if bp.dbp_mmhg >= dbp_min {
        zh.push(format!("舒张压 {} ≥ {dbp_min}", bp.dbp_mmhg));
        en.push(format!("DBP {} ≥ {dbp_min}", bp.dbp_mmhg));
    }
    (!zh.is_empty()).then(|| (zh.join("；"), en.join("; ")))
}

fn symptom_hit(
    urgency: Urgency,
    criterion: Criterion,
    noted: &[Symptom],
    listed: &[Symptom],
) -> Option<Hit> {
    let found: Vec<Symptom> = noted
        .iter()
        .copied()
        .filter(|s| listed.contains(s))
        .collect();
    if found.is_empty() {
        return None;
    }
    let zh: Vec<&str> = found.iter().map(|s| s.zh()).collect();
    let en: Vec<&str> = found.iter().map(|s| s.as_str()).collect();
    hit(urgency, criterion, zh.join("、"), en.join(", "))
}

fn bp_text(bp: Option<BloodPressure>) -> String {
    bp.map_or_else(
        || "—".to_owned(),
        |b| format!("{}/{}", b.sbp_mmhg, b.dbp_mmhg),
    )
}

fn hypertension(c: &HypertensionCriteria, patient: &Patient, history: &[FollowUp]) -> Option<Hit> {
    let latest = history.last()?;
    if let Some((zh, en)) = latest
        .blood_pressure
        .and_then(|bp| bp_at_or_above(bp, c.emergency_sbp_mmhg, c.emergency_dbp_mmhg))
    {
        return hit(
            Urgency::Emergency,
            Criterion::EmergencyBloodPressure,
            zh,
            en,
        );
    }
    if let Some(h) = symptom_hit(
        Urgency::Emergency,
        Criterion::EmergencySymptom,
        &latest.symptoms,
        &c.emergency_symptoms,
    ) {
        return Some(h);
    }
    let pregnant = patient.pregnant || latest.pregnant_or_lactating;
    if c.emergency_if_pregnant_with_raised_bp
        && pregnant
        && let Some((zh, en)) = latest
            .blood_pressure
            .and_then(|bp| bp_at_or_above(bp, c.raised_sbp_mmhg, c.raised_dbp_mmhg))
    {
        return hit(
            Urgency::Emergency,
            Criterion::EmergencyPregnancyRaisedBp,
            format!("妊娠或哺乳期，{zh}"),
            format!("pregnant or lactating, {en}"),
        );
    }
    let n = c.routine_consecutive_not_at_target as usize;
    let not_at_target =
        |f: &FollowUp| !f.at_target || f.blood_pressure.is_some_and(|b| c.raised(b));
    if history.len() >= n && history[history.len() - n..].iter().all(not_at_target) {
        let visits: Vec<String> = history[history.len() - n..]
            .iter()
            .map(|f| format!("{} {}", f.on, bp_text(f.blood_pressure)))
            .collect();
        let (sbp, dbp) = (c.raised_sbp_mmhg, c.raised_dbp_mmhg);
        return hit(
            Urgency::Routine,
            Criterion::RoutineNotAtTarget,
            format!(
                "连续 {n} 次随访未达标（目标 < {sbp}/{dbp}）：{}",
                visits.join("，")
            ),
            format!(
                "{n} consecutive follow-ups not at target (≥ {sbp}/{dbp} or judged so): {}",
                visits.join(", ")
            ),
        );
    }
    symptom_hit(
        Urgency::Routine,
        Criterion::RoutineSymptom,
        &latest.symptoms,
        &c.routine_symptoms,
    )
}

fn diabetes(c: &DiabetesCriteria, patient: &Patient, history: &[FollowUp]) -> Option<Hit> {
    let latest = history.last();
    if let Some(g) = latest.and_then(|f| f.glucose) {
        let (high, low) = (
            c.emergency_glucose_high_mmol_l,
            c.emergency_glucose_low_mmol_l,
        );
        if g >= high {
            return hit(
                Urgency::Emergency,
                Criterion::EmergencyGlucoseHigh,
                format!("血糖 {g} ≥ {high} mmol/L"),
                format!("glucose {g} ≥ {high} mmol/L"),
            );
        }
        if g <= low {
            return hit(
                Urgency::Emergency,
                Criterion::EmergencyGlucoseLow,
                format!("血糖 {g} ≤ {low} mmol/L"),
                format!("glucose {g} ≤ {low} mmol/L"),
            );
        }
    }
    if let Some((zh, en)) = latest
        .and_then(|f| f.blood_pressure)
        .and_then(|bp| bp_at_or_above(bp, c.emergency_sbp_mmhg, c.emergency_dbp_mmhg))
    {
        return hit(
            Urgency::Emergency,
            Criterion::EmergencyBloodPressure,
            zh,
            en,
        );
    }
    let noted = latest.map_or(&[][..], |f| f.symptoms.as_slice());
    if let Some(h) = symptom_hit(
        Urgency::Emergency,
        Criterion::EmergencySymptom,
        noted,
        &c.emergency_symptoms,
    ) {
        return Some(h);
    }
    if let Some(age) = patient.age_years.filter(|a| *a < c.routine_age_below_years) {
        let below = c.routine_age_below_years;
        return hit(
            Urgency::Routine,
            Criterion::RoutineYoungAge,
            format!("年龄 {age} < {below} 岁"),
            format!("age {age} < {below}"),
        );
    }
    if c.routine_if_pregnant
        && (patient.pregnant || latest.is_some_and(|f| f.pregnant_or_lactating))
    {
        return hit(
            Urgency::Routine,
            Criterion::RoutinePregnancy,
            "妊娠或哺乳期".into(),
            "pregnant or lactating".into(),
        );
    }
    let run_start = history
        .iter()
        .rev()
        .take_while(|f| !f.at_target)
        .last()
        .map(|f| f.on);
    if let (Some(first), Some(last)) = (run_start, latest) {
        let months = c.routine_not_at_target_months;
        if first
            .checked_add_months(Months::new(months))
            .is_some_and(|due| due <= last.on)
        {
            return hit(
                Urgency::Routine,
                Criterion::RoutineNotAtTarget,
                format!("自 {first} 至 {} 随访均未达标（≥ {months} 个月）", last.on),
                format!(
                    "not at target at every follow-up from {first} to {} (≥ {months} months)",
                    last.on
                ),
            );
        }
    }
    symptom_hit(
        Urgency::Routine,
        Criterion::RoutineSymptom,
        noted,
        &c.routine_symptoms,
    )
}

/// REF-2: does the patient's history of `condition` call for an up-referral? `history` holds
/// that condition's follow-ups, oldest first. None when no criterion matches (or the
/// profile switched REF-2 off); else the first matching criterion, emergencies first.
pub fn assess(
    criteria: &Ref2,
    condition: ChronicCondition,
    patient: &Patient,
    history: &[FollowUp],
) -> Option<Suggestion> {
    if !criteria.enabled {
        return None;
    }
    debug_assert!(
        history.windows(2).all(|w| w[0].on <= w[1].on),
        "history is oldest first"
    );
    let h = match condition {
        ChronicCondition::Hypertension => hypertension(&criteria.hypertension, patient, history),
        ChronicCondition::Type2Diabetes => diabetes(&criteria.type2_diabetes, patient, history),
    }?;
    let (kind_zh, kind_en) = match h.urgency {
        Urgency::Emergency => ("急诊上转", "emergency up-referral"),
        Urgency::Routine | Urgency::Urgent => ("常规上转", "routine up-referral"),
    };
    let recheck_within_days = match condition {
        ChronicCondition::Hypertension => Some(criteria.hypertension.recheck_within_days),
        ChronicCondition::Type2Diabetes => None,
    };
    Some(Suggestion {
        condition,
        direction: Direction::Up,
        urgency: h.urgency,
        criterion: h.criterion,
        explanation_zh: format!(
            "REF-2 {}{}（{}）：{}",
            condition.zh(),
            kind_zh,
            h.criterion.zh(),
            h.zh
        ),
        explanation_en: format!(
            "REF-2 {}, {kind_en} ({}): {}",
            condition.as_str().replace('_', " "),
            h.criterion.as_str().replace('_', " "),
            h.en
        ),
        recheck_within_days,
    })
}

#[cfg(test)]
mod tests;
