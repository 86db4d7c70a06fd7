//! What a down-referral (下转) carries to the family-doctor team (issue 4, item 6; REF-1):
//! "down hard" is what users complain of, so a down-referral is refused unless the team
//! gets what it needs to take over — the diagnosis, the medications, the plan and the
//! follow-up tasks — and these travel inside the referral's first event, so the team sees
//! exactly what the hospital sent.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One medication to continue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Medication {
    /// Generic name (氨氯地平).
    pub name: String,
    /// Dose (5 mg).
    pub dose: String,
    /// How often (每日一次, once daily).
    pub frequency: String,
}

/// One follow-up the team owes the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// By when (China's civil date).
    pub due: NaiveDate,
    /// What (复查血压, recheck blood pressure).
    pub task: String,
}

/// The care plan of a down-referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlan {
    /// The diagnosis (诊断明确: the down-referral criterion).
    pub diagnosis: String,
    /// Medications to continue.
    #[serde(default)]
    pub medications: Vec<Medication>,
    /// The treatment and care plan suitable for primary care.
    pub plan: String,
    /// Follow-up tasks, at least one: the team is told when to see the patient.
    pub follow_ups: Vec<FollowUp>,
}

/// Why a care plan is refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "REF-1: the down-referral's care plan is incomplete: {field} {problem_en} / 下转诊疗方案不完整：{field} {problem_zh}"
)]
pub struct CarePlanError {
    /// Dotted field path (`care_plan.follow_ups[1].task`).
    pub field: String,
    /// What is wrong, in English.
    pub problem_en: &'static str,
    /// What is wrong, in Chinese.
    pub problem_zh: &'static str,
}

impl CarePlan {
    /// The plan with its texts trimmed, or the first field that is missing.
    pub fn checked(&self) -> Result<CarePlan, CarePlanError> {
        let empty = |field: String| CarePlanError {
            field,
            problem_en: "is empty",
            problem_zh: "不能为空",
        };
        let need = |field: &str, s: &str| -> Result<String, CarePlanError> {
            let t = s.trim();
            if t.is_empty() {
                Err(empty(format!("care_plan.{field}")))
            } else {
                Ok(t.to_owned())
            }
        };
        if self.follow_ups.is_empty() {
            return Err(CarePlanError {
                field: "care_plan.follow_ups".into(),
                problem_en: "needs at least one task",
                problem_zh: "至少需要一项随访任务",
            });
        }
        let medications = self
            .medications
            .iter()
            .enumerate()
            .map(|(k, m)| {
                Ok(Medication {
                    name: need(&format!("medications[{k}].name"), &m.name)?,
                    dose: need(&format!("medications[{k}].dose"), &m.dose)?,
                    frequency: need(&format!("medications[{k}].frequency"), &m.frequency)?,
                })
            })
            .collect::<Result<_, _>>()?;
        let follow_ups = self
            .follow_ups
            .iter()
            .enumerate()
            .map(|(k, f)| {
                Ok(FollowUp {
                    due: f.due,
                    task: need(&format!("follow_ups[{k}].task"), &f.task)?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(CarePlan {
            diagnosis: need("diagnosis", &self.diagnosis)?,
            medications,
            plan: need("plan", &self.plan)?,
            follow_ups,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;

    fn plan() -> CarePlan {
        CarePlan {
            diagnosis: " 原发性高血压 2级 ".into(),
            medications: vec![Medication {
                name: "氨氯地平".into(),
                dose: "5 mg".into(),
                frequency: "每日一次".into(),
            }],
            plan: "低盐饮食，家庭自测血压".into(),
            follow_ups: vec![FollowUp {
                due: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
                task: "复查血压".into(),
            }],
        }
    }

    #[test]
    fn a_complete_plan_is_kept_trimmed() {
        assert_eq!(plan().checked().unwrap().diagnosis, "原发性高血压 2级");
    }

    #[test]
    fn each_missing_part_is_named() {
        let mut p = plan();
        p.follow_ups.clear();
        assert_eq!(p.checked().unwrap_err().field, "care_plan.follow_ups");
        let mut p = plan();
        p.medications[0].dose = " ".into();
        let e = p.checked().unwrap_err();
        assert_eq!(e.field, "care_plan.medications[0].dose");
        assert!(e.to_string().contains("REF-1"), "{e}");
        let mut p = plan();
        p.plan = String::new();
        assert_eq!(p.checked().unwrap_err().field, "care_plan.plan");
    }
}
