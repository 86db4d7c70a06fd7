#![allow(clippy::unwrap_used)] // a panic is how a test reports
use super::*;
use crate::policy::{Profile, ProfileError};
use proptest::prelude::*;

fn criteria() -> Ref2 {
    Profile::builtin("national").unwrap().rules.ref2
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn bp(on: &str, sbp: u16, dbp: u16, at_target: bool) -> FollowUp {
    FollowUp {
        condition: ChronicCondition::Hypertension,
        on: day(on),
        blood_pressure: Some(BloodPressure::new(sbp, dbp).unwrap()),
        glucose: None,
        at_target,
        pregnant_or_lactating: false,
        symptoms: vec![],
    }
}

fn glucose(on: &str, mmol: f64, at_target: bool) -> FollowUp {
    FollowUp {
        condition: ChronicCondition::Type2Diabetes,
        on: day(on),
        blood_pressure: None,
        glucose: Some(Glucose::from_mmol_l(mmol).unwrap()),
        at_target,
        pregnant_or_lactating: false,
        symptoms: vec![],
    }
}

const ADULT: Patient = Patient {
    age_years: Some(60),
    pregnant: false,
};

fn hyper(history: &[FollowUp]) -> Option<Suggestion> {
    assess(&criteria(), ChronicCondition::Hypertension, &ADULT, history)
}

fn diab(patient: &Patient, history: &[FollowUp]) -> Option<Suggestion> {
    assess(
        &criteria(),
        ChronicCondition::Type2Diabetes,
        patient,
        history,
    )
}

#[test]
fn systolic_boundary_is_inclusive() {
    let s = hyper(&[bp("2026-11-30", 180, 100, true)]).unwrap();
    assert_eq!(
        (s.urgency, s.criterion),
        (Urgency::Emergency, Criterion::EmergencyBloodPressure)
    );
    assert!(
        s.explanation_en.contains("SBP 180 ≥ 180"),
        "{}",
        s.explanation_en
    );
    assert!(s.explanation_zh.contains("REF-2"), "{}", s.explanation_zh);
    assert!(
        s.explanation_zh.contains("收缩压 180 ≥ 180"),
        "{}",
        s.explanation_zh
    );
    assert_eq!(s.direction, Direction::Up);
    assert_eq!(s.recheck_within_days, Some(14));
    // one below, at target: nothing
    assert_eq!(hyper(&[bp("2026-11-30", 179, 89, true)]), None);
}

#[test]
fn diastolic_boundary_is_inclusive_and_both_are_named() {
    let s = hyper(&[bp("2026-11-30", 130, 110, true)]).unwrap();
    assert!(
        s.explanation_en.contains("DBP 110 ≥ 110"),
        "{}",
        s.explanation_en
    );
    let s = hyper(&[bp("2026-11-30", 186, 112, true)]).unwrap();
    assert!(
        s.explanation_en.contains("SBP 186 ≥ 180; DBP 112 ≥ 110"),
        "{}",
        s.explanation_en
    );
    // 179/109 is raised but not an emergency, and one visit is not two
    assert_eq!(hyper(&[bp("2026-11-30", 179, 109, false)]), None);
}

#[test]
fn an_emergency_symptom_matches_whatever_the_numbers() {
    let mut v = bp("2026-11-30", 130, 80, true);
    v.symptoms = vec![Symptom::BlurredVision];
    let s = hyper(&[v]).unwrap();
    assert_eq!(s.criterion, Criterion::EmergencySymptom);
    assert!(s.explanation_zh.contains("视物模糊"));
    // a routine symptom is routine
    let mut v = bp("2026-11-30", 130, 80, true);
    v.symptoms = vec![Symptom::UncontrollableSideEffects];
    let s = hyper(&[v]).unwrap();
    assert_eq!(
        (s.urgency, s.criterion),
        (Urgency::Routine, Criterion::RoutineSymptom)
    );
}

#[test]
fn pregnancy_with_raised_pressure_is_an_emergency() {
    let mut v = bp("2026-11-30", 140, 80, true);
    v.pregnant_or_lactating = true;
    let s = hyper(&[v.clone()]).unwrap();
    assert_eq!(s.criterion, Criterion::EmergencyPregnancyRaisedBp);
    assert!(
        s.explanation_en.contains("SBP 140 ≥ 140"),
        "{}",
        s.explanation_en
    );
    // 139/89 is not raised
    v.blood_pressure = Some(BloodPressure::new(139, 89).unwrap());
    assert_eq!(hyper(&[v]), None);
    // the registry's pregnancy counts too
    let pregnant = Patient {
        age_years: Some(30),
        pregnant: true,
    };
    let s = assess(
        &criteria(),
        ChronicCondition::Hypertension,
        &pregnant,
        &[bp("2026-11-30", 130, 90, true)],
    )
    .unwrap();
    assert_eq!(s.criterion, Criterion::EmergencyPregnancyRaisedBp);
}

#[test]
fn two_consecutive_visits_not_at_target_are_routine() {
    let history = [
        bp("2026-09-01", 150, 95, false),
        bp("2026-10-01", 152, 94, false),
        bp("2026-11-01", 148, 88, false),
    ];
    let s = hyper(&history).unwrap();
    assert_eq!(
        (s.urgency, s.criterion),
        (Urgency::Routine, Criterion::RoutineNotAtTarget)
    );
    // the two latest are named
    assert!(
        s.explanation_en
            .contains("2026-10-01 152/94, 2026-11-01 148/88")
    );
    assert!(!s.explanation_en.contains("2026-09-01"));
    // a visit at target in between breaks the run
    let history = [
        bp("2026-09-01", 150, 95, false),
        bp("2026-10-01", 130, 80, true),
        bp("2026-11-01", 148, 88, false),
    ];
    assert_eq!(hyper(&history), None);
    // readings at 140/90 are not at target even if the doctor ticked "at target"
    let history = [
        bp("2026-10-01", 140, 80, true),
        bp("2026-11-01", 130, 90, true),
    ];
    assert_eq!(
        hyper(&history).unwrap().criterion,
        Criterion::RoutineNotAtTarget
    );
    assert_eq!(hyper(&[]), None);
}

#[test]
fn glucose_boundaries_are_exact() {
    let s = diab(&ADULT, &[glucose("2026-11-30", 16.7, false)]).unwrap();
    assert_eq!(
        (s.urgency, s.criterion),
        (Urgency::Emergency, Criterion::EmergencyGlucoseHigh)
    );
    assert!(
        s.explanation_en.contains("glucose 16.7 ≥ 16.7 mmol/L"),
        "{}",
        s.explanation_en
    );
    assert_eq!(s.recheck_within_days, None);
    assert_eq!(diab(&ADULT, &[glucose("2026-11-30", 16.6, false)]), None);
    let s = diab(&ADULT, &[glucose("2026-11-30", 3.9, true)]).unwrap();
    assert_eq!(s.criterion, Criterion::EmergencyGlucoseLow);
    assert!(s.explanation_zh.contains("血糖 3.9 ≤ 3.9 mmol/L"));
    assert_eq!(diab(&ADULT, &[glucose("2026-11-30", 4.0, true)]), None);
}

#[test]
fn diabetes_routine_criteria() {
    let young = Patient {
        age_years: Some(24),
        pregnant: false,
    };
    let s = diab(&young, &[]).unwrap();
    assert_eq!(s.criterion, Criterion::RoutineYoungAge);
    assert!(s.explanation_en.contains("age 24 < 25"));
    let twenty_five = Patient {
        age_years: Some(25),
        pregnant: false,
    };
    assert_eq!(diab(&twenty_five, &[]), None);
    let unknown_age = Patient {
        age_years: None,
        pregnant: true,
    };
    assert_eq!(
        diab(&unknown_age, &[]).unwrap().criterion,
        Criterion::RoutinePregnancy
    );
    // not at target from 1 Aug to 1 Nov: three months exactly
    let history = [
        glucose("2026-07-01", 7.0, true),
        glucose("2026-08-01", 9.0, false),
        glucose("2026-09-01", 9.5, false),
        glucose("2026-11-01", 9.1, false),
    ];
    let s = diab(&ADULT, &history).unwrap();
    assert_eq!(s.criterion, Criterion::RoutineNotAtTarget);
    assert!(s.explanation_en.contains("from 2026-08-01 to 2026-11-01"));
    // a day short of three months
    let short = [
        glucose("2026-08-01", 9.0, false),
        glucose("2026-10-31", 9.1, false),
    ];
    assert_eq!(diab(&ADULT, &short), None);
    let mut insulin = glucose("2026-11-30", 8.0, true);
    insulin.symptoms = vec![Symptom::InsulinRegimenNeeded];
    assert_eq!(
        diab(&ADULT, &[insulin]).unwrap().criterion,
        Criterion::RoutineSymptom
    );
}

#[test]
fn switched_off_suggests_nothing() {
    let mut c = criteria();
    c.enabled = false;
    let h = [bp("2026-11-30", 200, 120, false)];
    assert_eq!(assess(&c, ChronicCondition::Hypertension, &ADULT, &h), None);
}

#[test]
fn conditions_come_from_icd10_codes() {
    let c = criteria();
    let codes = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        conditions_of(&c, &codes(&["E11.9", "I10"])),
        vec![
            ChronicCondition::Hypertension,
            ChronicCondition::Type2Diabetes
        ]
    );
    assert!(conditions_of(&c, &codes(&["J44", "E10"])).is_empty());
}

#[test]
fn readings_are_checked_with_their_field_named() {
    assert_eq!(
        BloodPressure::new(301, 80),
        Err(ReadingError::Systolic(301))
    );
    assert_eq!(
        BloodPressure::new(120, 19),
        Err(ReadingError::Diastolic(19))
    );
    assert!(
        BloodPressure::new(90, 90)
            .unwrap_err()
            .to_string()
            .starts_with("dbp_mmhg")
    );
    assert!(Glucose::from_mmol_l(16.65).is_err());
    assert!(Glucose::from_mmol_l(f64::NAN).is_err());
    assert!(Glucose::from_mmol_l(0.4).is_err());
    assert_eq!(Glucose::from_mmol_l(16.7).unwrap().tenths(), 167);
    assert_eq!(Glucose::from_mmol_l(5.0).unwrap().to_string(), "5.0");
    let today = day("2026-11-30");
    let mut v = bp("2026-12-01", 120, 80, true);
    assert_eq!(
        v.clone().checked(today),
        Err(ReadingError::InTheFuture(day("2026-12-01")))
    );
    v.on = today;
    v.blood_pressure = None;
    let err = v.checked(today).unwrap_err().to_string();
    assert!(err.starts_with("sbp_mmhg"), "{err}");
    let mut g = glucose("2026-11-30", 6.0, true);
    g.glucose = None;
    g.symptoms = vec![Symptom::Vomiting, Symptom::AlteredConsciousness];
    assert!(g.clone().checked(today).is_err());
    g.glucose = Some(Glucose::from_mmol_l(6.0).unwrap());
    assert_eq!(
        g.checked(today).unwrap().symptoms,
        vec![Symptom::AlteredConsciousness, Symptom::Vomiting]
    );
}

#[test]
fn a_profile_with_bad_criteria_names_the_field() {
    let text = Profile::builtin_toml("national").unwrap();
    let bad = text.replace("raised_sbp_mmhg = 140", "raised_sbp_mmhg = 180");
    assert_eq!(
        Profile::from_toml_str(&bad).unwrap_err(),
        ProfileError::Invalid {
            field: "rules.REF-2.hypertension.raised_sbp_mmhg".into(),
            reason: "180 is not below emergency_sbp_mmhg 180".into()
        }
    );
    let bad = text.replace(
        "emergency_glucose_low_mmol_l = 3.9",
        "emergency_glucose_low_mmol_l = 3.95",
    );
    let err = Profile::from_toml_str(&bad).unwrap_err().to_string();
    assert!(err.contains("emergency_glucose_low_mmol_l"), "{err}");
    let bad = text.replace(
        "routine_symptoms = [\"uncontrollable_side_effects\"",
        "routine_symptoms = [\"vomiting\"",
    );
    assert_eq!(
        Profile::from_toml_str(&bad).unwrap_err(),
        ProfileError::Invalid {
            field: "rules.REF-2.hypertension.routine_symptoms".into(),
            reason: "'vomiting' is an emergency symptom already".into()
        }
    );
    let bad = text.replace(
        "routine_not_at_target_months = 3",
        "routine_not_at_target_months = 0",
    );
    let err = Profile::from_toml_str(&bad).unwrap_err().to_string();
    assert!(
        err.contains("rules.REF-2.type2_diabetes.routine_not_at_target_months"),
        "{err}"
    );
    let bad = text.replace("icd10_prefixes = [\"E11\"]", "icd10_prefixes = []");
    let err = Profile::from_toml_str(&bad).unwrap_err().to_string();
    assert!(
        err.contains("rules.REF-2.type2_diabetes.icd10_prefixes"),
        "{err}"
    );
    let bad = text.replace("\"blurred_vision\"", "\"blurry\"");
    let err = Profile::from_toml_str(&bad).unwrap_err().to_string();
    assert!(err.contains("blurry"), "{err}");
}

proptest! {
    /// A systolic reading at or above the emergency threshold is an emergency; below it, one
    /// visit judged at target with nothing noted suggests nothing.
    #[test]
    fn thresholds_decide(sbp in 60u16..=300, dbp in 30u16..=59) {
        let v = bp("2026-11-30", sbp, dbp, true);
        let s = hyper(std::slice::from_ref(&v));
        // below 180 one visit at target, raised or not, suggests nothing (one is not two)
        let want = (sbp >= 180).then_some(Urgency::Emergency);
        prop_assert_eq!(s.map(|s| s.urgency), want);
    }

    /// Raising a reading never lowers the urgency (emergency > routine > none).
    #[test]
    fn higher_pressure_never_lowers_urgency(
        base in proptest::collection::vec((100u16..=200, 60u16..=95, any::<bool>()), 1..6),
        bump in 0u16..=60,
    ) {
        let rank = |s: Option<Suggestion>| match s.map(|s| s.urgency) {
            None => 0,
            Some(Urgency::Routine | Urgency::Urgent) => 1,
            Some(Urgency::Emergency) => 2,
        };
        let dated = |k: usize| format!("2026-{:02}-01", k + 1);
        let history: Vec<FollowUp> = base
            .iter()
            .enumerate()
            .map(|(k, (s, d, t))| bp(&dated(k), *s, *d, *t))
            .collect();
        let mut bumped = history.clone();
        let last = bumped.last_mut().unwrap();
        let b = last.blood_pressure.unwrap();
        last.blood_pressure = Some(BloodPressure::new((b.sbp_mmhg() + bump).min(300), b.dbp_mmhg()).unwrap());
        prop_assert!(rank(hyper(&bumped)) >= rank(hyper(&history)));
    }

    /// Glucose survives its round trip through mmol/L with one decimal.
    #[test]
    fn glucose_round_trips(t in 5u16..=600) {
        let g = Glucose::from_tenths(t).unwrap();
        prop_assert_eq!(Glucose::from_mmol_l(g.mmol_l()).unwrap(), g);
        prop_assert_eq!(g.to_string().parse::<f64>().unwrap(), g.mmol_l());
    }
}
