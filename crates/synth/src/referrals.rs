//! A year of a city's referrals, for the page-latency benchmark and demos (issue 4: "the
//! referral inbox and pool pages render in under 50 ms at p99 with a year of a
//! 1M-resident city's referrals stored").
//!
//! Signed residents are referred up by their team's institution to their grid's lead,
//! chronic patients (hypertension, diabetes) four times as often as others, about 6 % of
//! residents a year in all; two in five completed up-referrals come back down to the team
//! with a care plan. Referrals older than a month are finished (mostly completed, some
//! rejected, cancelled or expired); the last month's are spread over the open stages, so
//! an inbox looks as it does in March, not after a purge. Only the projection is built (the
//! [`Referral`] as its events left it): the pages read nothing else.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use yilian_domain::ids::{InstitutionId, ReferralId, TeamId};
use yilian_domain::referral::care_plan::{CarePlan, FollowUp, Medication};
use yilian_domain::referral::{Direction, NewReferral, Referral, Status, Urgency};
use yilian_domain::registry::MemberRole;

use crate::City;

/// Yearly chance of an up-referral for a signed resident with / without hypertension or
/// diabetes.
const UP_CHRONIC: f64 = 0.3;
const UP_OTHER: f64 = 0.1;
/// Share of completed up-referrals sent back down.
const DOWN_SHARE: f64 = 0.4;

/// The referrals of the year ending at `end`, in id order; the same seed, the same year.
pub fn year_of_referrals(city: &City, seed: u64, end: DateTime<Utc>) -> Vec<Referral> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(11);
    let reg = &city.registry;
    let lead_of_grid: BTreeMap<_, _> = reg
        .consortia
        .iter()
        .filter_map(|c| Some((c.grid_id.clone()?, c.lead.clone())))
        .collect();
    let host_of_team: BTreeMap<_, _> = reg
        .teams
        .iter()
        .map(|t| (t.id.clone(), t.institution_id.clone()))
        .collect();
    // a team hosted by a lead hospital refers nobody up
    let leads: Vec<&InstitutionId> = reg
        .memberships
        .iter()
        .filter(|m| m.role == MemberRole::Lead)
        .map(|m| &m.institution_id)
        .collect();
    let mut out = Vec::new();
    for person in &city.residents {
        let (Some(team), Some(grid)) = (&person.team_id, &person.grid_id) else {
            continue;
        };
        let (Some(host), Some(lead)) = (host_of_team.get(team), lead_of_grid.get(grid)) else {
            continue;
        };
        if leads.contains(&host) {
            continue;
        }
        let chronic = person.conditions.iter().any(|c| c == "I10" || c == "E11");
        if !rng.random_bool(if chronic { UP_CHRONIC } else { UP_OTHER }) {
            continue;
        }
        let opened = end - Duration::minutes(rng.random_range(0..365 * 24 * 60));
        let urgency = match rng.random_range(0..100) {
            0..5 => Urgency::Emergency,
            5..15 => Urgency::Urgent,
            _ => Urgency::Routine,
        };
        let id = |out: &Vec<Referral>| {
            ReferralId::parse(&format!("Y{:07}", out.len() + 1)).expect("BUG: a made id parses")
        };
        let up = NewReferral {
            id: id(&out),
            resident: person.id.clone(),
            from: host.clone(),
            to: lead.clone(),
            direction: Direction::Up,
            urgency,
            reason: if chronic {
                "两次随访血压/血糖未达标 not at target at two follow-ups".into()
            } else {
                "需上级医院进一步诊治 needs specialist work-up".into()
            },
            team: None,
            care_plan: None,
            // every resident referred here is signed, and referred by their team's centre
            priority: true,
        };
        let r = settle(&mut rng, up, opened, end);
        let back_down = r.status == Status::Completed && rng.random_bool(DOWN_SHARE);
        let done_at = r.changed_at;
        out.push(r);
        if back_down && done_at < end {
            let down = NewReferral {
                id: id(&out),
                resident: person.id.clone(),
                from: lead.clone(),
                to: host.clone(),
                direction: Direction::Down,
                urgency: Urgency::Routine,
                reason: "病情稳定，转回社区管理 stable; back to the team".into(),
                team: Some(team.clone()),
                care_plan: Some(plan(team, done_at.date_naive())),
                priority: false,
            };
            out.push(settle(&mut rng, down, done_at, end));
        }
    }
    out
}

/// A care plan of the kind a lead sends down.
fn plan(team: &TeamId, from: NaiveDate) -> CarePlan {
    CarePlan {
        diagnosis: "原发性高血压 2级 primary hypertension, grade 2".into(),
        medications: vec![Medication {
            name: "氨氯地平 amlodipine".into(),
            dose: "5 mg".into(),
            frequency: "每日一次 once daily".into(),
        }],
        plan: format!("{team} 团队随访；低盐饮食，家庭自测血压 home BP log"),
        follow_ups: vec![FollowUp {
            due: from + Duration::days(14),
            task: "复查血压 recheck BP".into(),
        }],
    }
}

/// Where a referral opened at `opened` stands at `end`, with plausible times.
fn settle(
    rng: &mut ChaCha8Rng,
    opened: NewReferral,
    at: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Referral {
    let age = end - at;
    let step =
        |rng: &mut ChaCha8Rng, hours: i64| Duration::minutes(rng.random_range(10..hours * 60));
    let (status, moves) = if age > Duration::days(30) {
        match rng.random_range(0..100) {
            0..3 => (Status::Rejected, 1),
            3..7 => (Status::Cancelled, 1),
            7..10 => (Status::Expired, 2),
            _ => (Status::Completed, 4),
        }
    } else {
        match rng.random_range(0..5) {
            0 => (Status::Requested, 0),
            1 => (Status::Accepted, 1),
            2 => (Status::Scheduled, 2),
            3 => (Status::Arrived, 3),
            _ => (Status::Completed, 4),
        }
    };
    let mut changed = at;
    let mut scheduled_at = None;
    for k in 0..moves {
        changed = (changed + step(rng, 48)).min(end);
        if k == 1 {
            scheduled_at = Some(changed + step(rng, 96));
        }
    }
    Referral {
        opened,
        status,
        changed_at: changed,
        scheduled_at,
        outcome: (status == Status::Completed)
            .then(|| "诊断明确，方案已调整 diagnosis made, regimen adjusted".to_owned()),
        stage_since: changed,
        escalation: 0,
        escalated_at: None,
        version: moves + 1,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use crate::{CityParams, demo_city};

    #[test]
    fn a_year_of_referrals_is_plausible_and_reproducible() {
        let city = demo_city(&CityParams {
            seed: 3,
            residents: 20_000,
            grids: 4,
        });
        let end = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let year = year_of_referrals(&city, 1, end);
        assert_eq!(year, year_of_referrals(&city, 1, end));
        let per_resident = year.len() as f64 / 20_000.0;
        assert!((0.01..0.12).contains(&per_resident), "{per_resident}");
        let down = year
            .iter()
            .filter(|r| r.opened.direction == Direction::Down);
        assert!(down.clone().count() > 0);
        assert!(
            down.clone()
                .all(|r| r.opened.care_plan.is_some() && r.opened.team.is_some())
        );
        assert!(
            year.iter()
                .all(|r| r.changed_at <= end && r.changed_at >= end - Duration::days(366))
        );
        let open = year.iter().filter(|r| !r.status.is_final()).count();
        assert!(
            open > 0 && open < year.len() / 4,
            "{open} of {}",
            year.len()
        );
    }
}
