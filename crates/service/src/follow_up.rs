//! Follow-up visits and the chronic-disease criteria (REF-2) through the service layer:
//! record a visit (the row and its `FollowUpRecorded` event in one transaction, once per
//! client id), and review a resident's conditions against the profile's criteria with the
//! history read from the store.

use crate::ServiceError;
use chrono::NaiveDate;
use yilian_domain::chronic::{
    ChronicCondition, FOLLOW_UPS_READ_MAX, FollowUp, Patient, Suggestion, assess, conditions_of,
};
use yilian_domain::policy::Ref2;
use yilian_domain::registry::Resident;
use yilian_store::Store;
use yilian_store::event::{NewEvent, append};
use yilian_store::follow_up::{self, FollowUpRow};

/// Records a follow-up (already checked with [`FollowUp::checked`]). A repeat of the same
/// id with the same content returns the stored visit and appends nothing; with different
/// content it is a conflict (STYLE 8). The event carries ids, condition and day only: the
/// feed is read by registry readers, and readings are personal health data that reach a
/// reader only through the access policy.
pub async fn record(store: &Store, row: &FollowUpRow) -> Result<FollowUpRow, ServiceError> {
    let mut tx = store.begin().await?;
    if !follow_up::insert(&mut tx, row).await? {
        let stored = follow_up::get(&mut tx, &row.id)
            .await?
            .expect("BUG: a follow-up id that conflicts is stored");
        tx.rollback().await?;
        return if stored.resident_id == row.resident_id && stored.follow_up == row.follow_up {
            Ok(stored)
        } else {
            Err(ServiceError::Conflict(format!(
                "follow-up {} was recorded with different content / 随访记录 {} 已存在且内容不同",
                row.id, row.id
            )))
        };
    }
    let f = &row.follow_up;
    append(
        &mut tx,
        &NewEvent {
            stream: format!("follow-up/{}", row.resident_id),
            kind: "FollowUpRecorded",
            version: 1,
            payload: serde_json::json!({
                "follow_up_id": row.id,
                "resident_id": row.resident_id,
                "condition": f.condition,
                "on": f.on,
            }),
            actor: row.recorded_by.clone(),
            at: row.recorded_at,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.clone())
}

/// One condition of a resident, reviewed against REF-2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The condition.
    pub condition: ChronicCondition,
    /// The follow-ups read (at most [`FOLLOW_UPS_READ_MAX`]), oldest first.
    pub history: Vec<FollowUp>,
    /// The suggested referral, if a criterion matched.
    pub suggestion: Option<Suggestion>,
}

/// Reviews each condition the resident has (by their ICD-10 codes, or because a follow-up
/// of it was recorded) against the criteria, on `today`.
pub async fn review(
    store: &Store,
    criteria: &Ref2,
    resident: &Resident,
    today: NaiveDate,
) -> Result<Vec<Review>, ServiceError> {
    let known = conditions_of(criteria, &resident.conditions);
    let patient = Patient {
        age_years: resident.birth_date.and_then(|b| today.years_since(b)),
        pregnant: resident.pregnant,
    };
    let mut out = Vec::new();
    for &condition in ChronicCondition::ALL {
        let history: Vec<FollowUp> =
            follow_up::history(store, &resident.id, condition, FOLLOW_UPS_READ_MAX)
                .await?
                .into_iter()
                .map(|r| r.follow_up)
                .collect();
        if history.is_empty() && !known.contains(&condition) {
            continue;
        }
        let suggestion = assess(criteria, condition, &patient, &history);
        out.push(Review {
            condition,
            history,
            suggestion,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use chrono::Utc;
    use yilian_domain::chronic::{BloodPressure, Criterion};
    use yilian_domain::ids::{FollowUpId, ResidentId};
    use yilian_domain::policy::Profile;
    use yilian_domain::referral::Urgency;
    use yilian_domain::registry::{LonLat, Sex};
    use yilian_store::dbtest;

    fn resident() -> Resident {
        Resident {
            id: ResidentId::parse("R1").unwrap(),
            sex: Sex::F,
            birth_date: NaiveDate::from_ymd_opt(1960, 5, 1),
            home: LonLat::new(106.5, 29.5).unwrap(),
            conditions: vec!["I10".into()],
            pregnant: false,
            grid_id: None,
            team_id: None,
            signed_on: None,
        }
    }

    fn visit(id: &str, on: &str, sbp: u16, dbp: u16) -> FollowUpRow {
        FollowUpRow {
            id: FollowUpId::parse(id).unwrap(),
            resident_id: ResidentId::parse("R1").unwrap(),
            follow_up: FollowUp {
                condition: ChronicCondition::Hypertension,
                on: NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap(),
                blood_pressure: Some(BloodPressure::new(sbp, dbp).unwrap()),
                glucose: None,
                at_target: false,
                pregnant_or_lactating: false,
                symptoms: vec![],
            },
            recorded_by: "fd".into(),
            recorded_at: Utc::now(),
        }
    }

    dbtest!(
        two_visits_not_at_target_read_from_history_suggest_a_routine_referral,
        |store| {
            let criteria = Profile::builtin("national").unwrap().rules.ref2;
            let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
            let r = resident();
            // hypertensive, no follow-up yet: reviewed, nothing suggested; not diabetic: absent
            let reviews = review(&store, &criteria, &r, today).await.unwrap();
            assert_eq!(reviews.len(), 1);
            assert_eq!(reviews[0].suggestion, None);
            let first = visit("V1", "2026-10-01", 152, 94);
            record(&store, &first).await.unwrap();
            // the same visit again: stored once, no second event
            record(&store, &first).await.unwrap();
            // the same id with other numbers: refused
            let other = visit("V1", "2026-10-01", 150, 94);
            assert!(matches!(
                record(&store, &other).await,
                Err(ServiceError::Conflict(_))
            ));
            let reviews = review(&store, &criteria, &r, today).await.unwrap();
            assert_eq!(reviews[0].suggestion, None, "one visit is not two");
            record(&store, &visit("V2", "2026-11-01", 148, 88))
                .await
                .unwrap();
            let reviews = review(&store, &criteria, &r, today).await.unwrap();
            assert_eq!(reviews[0].history.len(), 2);
            let s = reviews[0].suggestion.clone().unwrap();
            assert_eq!(
                (s.urgency, s.criterion),
                (Urgency::Routine, Criterion::RoutineNotAtTarget)
            );
            assert!(
                s.explanation_en
                    .contains("2026-10-01 152/94, 2026-11-01 148/88")
            );
            let events = yilian_store::event::read_after(&store, 0, 100)
                .await
                .unwrap();
            let recorded: Vec<_> = events
                .iter()
                .filter(|e| e.kind == "FollowUpRecorded")
                .collect();
            assert_eq!(recorded.len(), 2);
            assert_eq!(recorded[0].stream, "follow-up/R1");
            assert!(recorded[0].payload.get("blood_pressure").is_none());
        }
    );
}
