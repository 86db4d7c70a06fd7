//! Two-way referral (双向转诊) as a state machine (issue 4, item 1): who may move a referral,
//! to where, and what every move records. Pure: [`decide`] takes the referral as it is, a
//! command and who gives it, and returns the events or the rule it breaks; [`apply`] folds
//! an event into the referral and holds no rules (STYLE 6).
//!
//! ```text
//!              ┌──────────── redirect (to another receiver) ────────────┐
//!              ▼                                                        │
//! request ─▶ requested ─▶ accepted ─▶ scheduled ─▶ arrived ─▶ completed │
//!              │  │  └─────────────────────────────────────────────────┘
//!              │  └─▶ rejected (with a reason; never an emergency: REF-5)
//!              └─▶ cancelled (by the referrer, before arrival) · expired (by the clock)
//! ```
//!
//! **Owners.** A referral always has one owner, the party that must act next: the receiver
//! while it is requested, accepted, scheduled or arrived (it answers, schedules, records
//! the arrival, returns the outcome). The referrer may cancel it until the patient
//! arrives. The clock may expire one that waits past its deadline. Nobody else moves it.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use yilian_domain::ids::{InstitutionId, ReferralId, ResidentId};
//! use yilian_domain::referral::*;
//! let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
//! let (from, to) = (InstitutionId::parse("S1").unwrap(), InstitutionId::parse("H1").unwrap());
//! let request = Command::Request(NewReferral {
//!     id: ReferralId::parse("F1").unwrap(),
//!     resident: ResidentId::parse("R1").unwrap(),
//!     from: from.clone(),
//!     to: to.clone(),
//!     direction: Direction::Up,
//!     urgency: Urgency::Emergency,
//!     reason: "SBP 186 / DBP 112".into(),
//!     team: None,
//!     care_plan: None,
//!     priority: false,
//! });
//! let events = decide(None, &request, &Party::Institution(from), at).unwrap();
//! let r = apply(None, &events[0]);
//! assert_eq!(r.status, Status::Requested);
//! // an emergency cannot be rejected (REF-5), only redirected
//! let reject = Command::Reject { reason: "no beds".into() };
//! assert_eq!(
//!     decide(Some(&r), &reject, &Party::Institution(to), at),
//!     Err(ReferralError::EmergencyCannotBeRejected)
//! );
//! ```

pub mod care_plan;
pub mod clock;

use crate::ids::{ConsortiumId, InstitutionId, ReferralId, ResidentId, TeamId};
use crate::registry::CodeError;
use care_plan::{CarePlan, CarePlanError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::registry::code_enum!(
    /// Which way a referral goes.
    Direction, "direction" {
        /// 上转: from primary care to a higher level.
        Up = "up" / "上转",
        /// 下转: from the lead hospital to primary care, with a care plan.
        Down = "down" / "下转",
        /// 平转: between institutions of the same level.
        Lateral = "lateral" / "平转",
        /// 外转: to a collaborator outside the group (a regional medical centre).
        External = "external" / "外转",
    }
);

crate::registry::code_enum!(
    /// How soon: it sets the clocks and, for emergencies, the green channel (REF-5).
    Urgency, "urgency" {
        /// 常规
        Routine = "routine" / "常规",
        /// 加急
        Urgent = "urgent" / "加急",
        /// 急诊（绿色通道）
        Emergency = "emergency" / "急诊",
    }
);

crate::registry::code_enum!(
    /// Where a referral stands.
    Status, "status" {
        /// 待接收
        Requested = "requested" / "待接收",
        /// 已接收
        Accepted = "accepted" / "已接收",
        /// 已拒绝
        Rejected = "rejected" / "已拒绝",
        /// 已预约
        Scheduled = "scheduled" / "已预约",
        /// 已到诊
        Arrived = "arrived" / "已到诊",
        /// 已完成（结果已回传）
        Completed = "completed" / "已完成",
        /// 已取消
        Cancelled = "cancelled" / "已取消",
        /// 已超时
        Expired = "expired" / "已超时",
    }
);

impl Status {
    /// No command moves a referral out of this status.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Rejected | Status::Completed | Status::Cancelled | Status::Expired
        )
    }
}

/// Who gives a command: an institution (its desk or doctors) or the platform's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    /// Staff acting for this institution.
    Institution(InstitutionId),
    /// The clock (deadlines).
    Clock,
}

/// What a new referral carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReferral {
    /// Its id.
    pub id: ReferralId,
    /// Who is referred.
    pub resident: ResidentId,
    /// The referring institution.
    pub from: InstitutionId,
    /// The receiving institution.
    pub to: InstitutionId,
    /// Which way.
    pub direction: Direction,
    /// How soon.
    pub urgency: Urgency,
    /// Why (clinical summary).
    pub reason: String,
    /// The family-doctor team at the receiver that takes the patient over (down-referrals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    /// What the team needs to take over (down-referrals; REF-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_plan: Option<CarePlan>,
    /// REF-3: a signed resident referred up by primary care gets priority consultation,
    /// examination and admission; the receiver's desk sees it first after emergencies.
    #[serde(default)]
    pub priority: bool,
}

/// A command to move a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Open it.
    Request(NewReferral),
    /// The receiver takes it.
    Accept,
    /// The receiver declines it, saying why (never an emergency: REF-5).
    Reject {
        /// Why.
        reason: String,
    },
    /// The receiver passes it to another receiver, saying why.
    Redirect {
        /// The new receiver.
        to: InstitutionId,
        /// Why.
        reason: String,
    },
    /// The receiver gives it a time (a booked slot or bed).
    Schedule {
        /// When the patient is expected.
        at: DateTime<Utc>,
        /// The booking that holds the slot or bed.
        booking: String,
    },
    /// The receiver records the patient's arrival (for a down-referral: the team confirms
    /// its first visit).
    Arrive,
    /// The receiver returns the outcome to the referrer.
    Complete {
        /// Outcome and discharge summary.
        outcome: String,
    },
    /// The referrer withdraws it before arrival, saying why.
    Cancel {
        /// Why.
        reason: String,
    },
    /// The clock ends a referral that waited past its deadline.
    Expire,
    /// The clock escalates a referral whose stage is overdue ([`clock`]).
    Escalate {
        /// 1: to the receiver's referral desk; 2: to the group's manager.
        level: u8,
        /// The deadline that was missed.
        deadline: DateTime<Utc>,
        /// The receiver's group, whose manager level 2 reaches (none outside a group).
        group: Option<ConsortiumId>,
    },
}

/// What happened to a referral: one event per transition, with who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Who moved it.
    pub by: Party,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub change: Change,
}

/// The transition an [`Event`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// `ReferralRequested`.
    Requested(NewReferral),
    /// `ReferralAccepted`.
    Accepted,
    /// `ReferralRejected`.
    Rejected {
        /// Why.
        reason: String,
    },
    /// `ReferralRedirected`.
    Redirected {
        /// The new receiver.
        to: InstitutionId,
        /// Why.
        reason: String,
    },
    /// `ReferralScheduled`.
    Scheduled {
        /// When.
        at: DateTime<Utc>,
        /// The booking.
        booking: String,
    },
    /// `PatientArrived`.
    Arrived,
    /// `ReferralCompleted`.
    Completed {
        /// Outcome and discharge summary.
        outcome: String,
    },
    /// `ReferralCancelled`.
    Cancelled {
        /// Why.
        reason: String,
    },
    /// `ReferralExpired`.
    Expired,
    /// `ReferralEscalated`: a stage is overdue; it counts against `receiver`.
    Escalated {
        /// 1: the receiver's desk; 2: the group's manager.
        level: u8,
        /// The stage that is overdue.
        stage: Status,
        /// Its missed deadline.
        deadline: DateTime<Utc>,
        /// The receiver it counts against.
        receiver: InstitutionId,
        /// The receiver's group (level 2 reaches its manager).
        group: Option<ConsortiumId>,
    },
}

impl Change {
    /// The event's name in the log.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Requested(_) => "ReferralRequested",
            Change::Accepted => "ReferralAccepted",
            Change::Rejected { .. } => "ReferralRejected",
            Change::Redirected { .. } => "ReferralRedirected",
            Change::Scheduled { .. } => "ReferralScheduled",
            Change::Arrived => "PatientArrived",
            Change::Completed { .. } => "ReferralCompleted",
            Change::Cancelled { .. } => "ReferralCancelled",
            Change::Expired => "ReferralExpired",
            Change::Escalated { .. } => "ReferralEscalated",
        }
    }
}

/// A referral as its events left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// What it was opened with (`to` is the current receiver).
    pub opened: NewReferral,
    /// Where it stands.
    pub status: Status,
    /// When it last moved.
    pub changed_at: DateTime<Utc>,
    /// When the patient is expected, once scheduled.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The outcome returned to the referrer, once completed.
    pub outcome: Option<String>,
    /// When the current stage (status) began: its clock runs from here.
    pub stage_since: DateTime<Utc>,
    /// How far the current stage has been escalated (0: not overdue).
    pub escalation: u8,
    /// When it was last escalated.
    pub escalated_at: Option<DateTime<Utc>>,
    /// Events so far.
    pub version: u32,
}

impl Referral {
    /// The party that must act next, if any (module docs).
    pub fn owner(&self) -> Option<Party> {
        (!self.status.is_final()).then(|| Party::Institution(self.opened.to.clone()))
    }
}

/// Why a command is refused. Each variant names the rule it enforces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferralError {
    /// The referral exists already (a repeated request).
    #[error("the referral exists already / 转诊单已存在")]
    Exists,
    /// No such referral.
    #[error("no such referral / 转诊单不存在")]
    Unknown,
    /// The party giving the command is not the one that may.
    #[error("only the current owner may do this / 只有当前负责方可以执行此操作")]
    NotOwner,
    /// REF-5: an emergency referral cannot be rejected, only redirected.
    #[error(
        "REF-5: an emergency referral cannot be rejected, only redirected / 急诊转诊不得拒收，只能改转"
    )]
    EmergencyCannotBeRejected,
    /// The command does not apply in this status.
    #[error("cannot {command} a referral that is {status} / 当前状态不允许此操作")]
    WrongStatus {
        /// The status.
        status: Status,
        /// The command's name.
        command: &'static str,
    },
    /// A reason is required and was empty.
    #[error("a reason is required / 必须填写理由")]
    ReasonRequired,
    /// Redirected to the receiver it is with, or referred to the referrer itself.
    #[error("the receiver must be another institution / 接收方须为其他机构")]
    SameInstitution,
    /// REF-1: a down-referral goes to a family-doctor team with a care plan.
    #[error(
        "REF-1: a down-referral names the family-doctor team and carries a care plan / 下转须指定家庭医生团队并附诊疗方案"
    )]
    DownNeedsTeamAndPlan,
    /// A team is named on a referral that is not a down-referral.
    #[error("only a down-referral goes to a family-doctor team / 仅下转可指定家庭医生团队")]
    TeamOnlyDown,
    /// The care plan misses a part.
    #[error(transparent)]
    CarePlan(#[from] CarePlanError),
    /// An escalation out of turn (not the next level, or beyond the group manager).
    #[error("escalation to level {level} is not the next one / 升级层级不正确")]
    EscalationOutOfTurn {
        /// The level asked for.
        level: u8,
    },
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Request(_) => "request",
        Command::Accept => "accept",
        Command::Reject { .. } => "reject",
        Command::Redirect { .. } => "redirect",
        Command::Schedule { .. } => "schedule",
        Command::Arrive => "record the arrival of",
        Command::Complete { .. } => "complete",
        Command::Cancel { .. } => "cancel",
        Command::Expire => "expire",
        Command::Escalate { .. } => "escalate",
    }
}

fn reason(text: &str) -> Result<String, ReferralError> {
    let t = text.trim();
    if t.is_empty() {
        Err(ReferralError::ReasonRequired)
    } else {
        Ok(t.to_owned())
    }
}

/// May `by` give `command` to the referral `state` (none: not opened yet) at `now`? The
/// events it causes, or the rule it breaks.
pub fn decide(
    state: Option<&Referral>,
    command: &Command,
    by: &Party,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, ReferralError> {
    let event = |change| {
        Ok(vec![Event {
            by: by.clone(),
            at: now,
            change,
        }])
    };
    let Some(r) = state else {
        return match command {
            Command::Request(new) => {
                if by != &Party::Institution(new.from.clone()) {
                    return Err(ReferralError::NotOwner);
                }
                if new.from == new.to {
                    return Err(ReferralError::SameInstitution);
                }
                let mut new = new.clone();
                new.reason = reason(&new.reason)?;
                match (new.direction, &new.team, &new.care_plan) {
                    (Direction::Down, Some(_), Some(plan)) => {
                        new.care_plan = Some(plan.checked()?);
                    }
                    (Direction::Down, _, _) => return Err(ReferralError::DownNeedsTeamAndPlan),
                    (_, Some(_), _) => return Err(ReferralError::TeamOnlyDown),
                    (_, None, _) => {}
                }
                event(Change::Requested(new))
            }
            Command::Accept
            | Command::Reject { .. }
            | Command::Redirect { .. }
            | Command::Schedule { .. }
            | Command::Arrive
            | Command::Complete { .. }
            | Command::Cancel { .. }
            | Command::Expire
            | Command::Escalate { .. } => Err(ReferralError::Unknown),
        };
    };
    let receiver = Party::Institution(r.opened.to.clone());
    let referrer = Party::Institution(r.opened.from.clone());
    let wrong = || {
        Err(ReferralError::WrongStatus {
            status: r.status,
            command: command_name(command),
        })
    };
    let must_be = |who: &Party| {
        if by == who {
            Ok(())
        } else {
            Err(ReferralError::NotOwner)
        }
    };
    if r.status.is_final() {
        return wrong();
    }
    match (r.status, command) {
        (_, Command::Request(_)) => Err(ReferralError::Exists),
        (Status::Requested, Command::Accept) => {
            must_be(&receiver)?;
            event(Change::Accepted)
        }
        (Status::Requested, Command::Reject { reason: why }) => {
            must_be(&receiver)?;
            if r.opened.urgency == Urgency::Emergency {
                return Err(ReferralError::EmergencyCannotBeRejected);
            }
            event(Change::Rejected {
                reason: reason(why)?,
            })
        }
        (Status::Requested | Status::Accepted, Command::Redirect { to, reason: why }) => {
            must_be(&receiver)?;
            if to == &r.opened.to || to == &r.opened.from {
                return Err(ReferralError::SameInstitution);
            }
            event(Change::Redirected {
                to: to.clone(),
                reason: reason(why)?,
            })
        }
        (Status::Accepted, Command::Schedule { at, booking }) => {
            must_be(&receiver)?;
            event(Change::Scheduled {
                at: *at,
                booking: booking.clone(),
            })
        }
        // a team's first visit to a down-referred patient needs no booked slot
        (Status::Scheduled, Command::Arrive) | (Status::Accepted, Command::Arrive) => {
            if r.status == Status::Accepted && r.opened.direction != Direction::Down {
                return wrong();
            }
            must_be(&receiver)?;
            event(Change::Arrived)
        }
        (Status::Arrived, Command::Complete { outcome }) => {
            must_be(&receiver)?;
            event(Change::Completed {
                outcome: reason(outcome)?,
            })
        }
        (
            Status::Requested | Status::Accepted | Status::Scheduled,
            Command::Cancel { reason: why },
        ) => {
            must_be(&referrer)?;
            event(Change::Cancelled {
                reason: reason(why)?,
            })
        }
        (Status::Requested | Status::Accepted | Status::Scheduled, Command::Expire) => {
            must_be(&Party::Clock)?;
            event(Change::Expired)
        }
        (
            Status::Requested | Status::Accepted | Status::Scheduled | Status::Arrived,
            Command::Escalate {
                level,
                deadline,
                group,
            },
        ) => {
            must_be(&Party::Clock)?;
            if *level != r.escalation + 1 || *level > 2 {
                return Err(ReferralError::EscalationOutOfTurn { level: *level });
            }
            event(Change::Escalated {
                level: *level,
                stage: r.status,
                deadline: *deadline,
                receiver: r.opened.to.clone(),
                group: group.clone(),
            })
        }
        (
            Status::Accepted
            | Status::Scheduled
            | Status::Arrived
            | Status::Rejected
            | Status::Completed
            | Status::Cancelled
            | Status::Expired,
            Command::Accept,
        )
        | (
            Status::Accepted
            | Status::Scheduled
            | Status::Arrived
            | Status::Rejected
            | Status::Completed
            | Status::Cancelled
            | Status::Expired,
            Command::Reject { .. },
        )
        | (
            Status::Scheduled
            | Status::Arrived
            | Status::Rejected
            | Status::Completed
            | Status::Cancelled
            | Status::Expired,
            Command::Redirect { .. },
        )
        | (
            Status::Requested
            | Status::Scheduled
            | Status::Arrived
            | Status::Rejected
            | Status::Completed
            | Status::Cancelled
            | Status::Expired,
            Command::Schedule { .. },
        )
        | (
            Status::Requested
            | Status::Arrived
            | Status::Rejected
            | Status::Completed
            | Status::Cancelled
            | Status::Expired,
            Command::Arrive,
        )
        | (
            Status::Requested
            | Status::Accepted
            | Status::Scheduled
            | Status::Rejected
            | Status::Completed
            | Status::Cancelled
            | Status::Expired,
            Command::Complete { .. },
        )
        | (
            Status::Arrived
            | Status::Rejected
            | Status::Completed
            | Status::Cancelled
            | Status::Expired,
            Command::Cancel { .. } | Command::Expire,
        )
        | (
            Status::Rejected | Status::Completed | Status::Cancelled | Status::Expired,
            Command::Escalate { .. },
        ) => wrong(),
    }
}

/// The referral after `event` (none before its first). Holds no rules.
///
/// # Panics
/// When an event other than a request comes first, or a request comes twice: events that
/// [`decide`] never makes.
pub fn apply(state: Option<Referral>, event: &Event) -> Referral {
    let at = event.at;
    let mut r = match (state, &event.change) {
        (None, Change::Requested(new)) => {
            return Referral {
                opened: new.clone(),
                status: Status::Requested,
                changed_at: at,
                scheduled_at: None,
                outcome: None,
                stage_since: at,
                escalation: 0,
                escalated_at: None,
                version: 1,
            };
        }
        (Some(r), Change::Requested(_)) => panic!("BUG: referral {} requested twice", r.opened.id),
        (None, change) => panic!("BUG: {} before the referral exists", change.kind()),
        (Some(r), _) => r,
    };
    match &event.change {
        Change::Requested(_) => unreachable!("handled above"),
        Change::Accepted => r.status = Status::Accepted,
        Change::Rejected { .. } => r.status = Status::Rejected,
        Change::Redirected { to, .. } => {
            r.opened.to = to.clone();
            r.status = Status::Requested;
        }
        Change::Scheduled { at, .. } => {
            r.status = Status::Scheduled;
            r.scheduled_at = Some(*at);
        }
        Change::Arrived => r.status = Status::Arrived,
        Change::Completed { outcome } => {
            r.status = Status::Completed;
            r.outcome = Some(outcome.clone());
        }
        Change::Cancelled { .. } => r.status = Status::Cancelled,
        Change::Expired => r.status = Status::Expired,
        Change::Escalated { level, .. } => {
            r.escalation = *level;
            r.escalated_at = Some(at);
        }
    }
    if !matches!(event.change, Change::Escalated { .. }) {
        // a new stage: its clock starts now, not overdue
        r.stage_since = at;
        r.escalation = 0;
        r.escalated_at = None;
    }
    r.changed_at = at;
    r.version += 1;
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn inst(s: &str) -> InstitutionId {
        InstitutionId::parse(s).unwrap()
    }
    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }
    fn new(urgency: Urgency) -> NewReferral {
        NewReferral {
            id: ReferralId::parse("F1").unwrap(),
            resident: ResidentId::parse("R1").unwrap(),
            from: inst("S1"),
            to: inst("H1"),
            direction: Direction::Up,
            urgency,
            reason: "not at target twice".into(),
            team: None,
            care_plan: None,
            priority: false,
        }
    }
    fn down() -> NewReferral {
        NewReferral {
            from: inst("H1"),
            to: inst("S1"),
            direction: Direction::Down,
            team: Some(TeamId::parse("T1").unwrap()),
            care_plan: Some(CarePlan {
                diagnosis: "高血压 2级".into(),
                medications: vec![],
                plan: "家庭自测血压".into(),
                follow_ups: vec![care_plan::FollowUp {
                    due: chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
                    task: "复查血压".into(),
                }],
            }),
            ..new(Urgency::Routine)
        }
    }
    fn escalate(level: u8) -> Command {
        Command::Escalate {
            level,
            deadline: at(0),
            group: None,
        }
    }
    fn run(cmds: &[(Command, Party)]) -> Result<Referral, ReferralError> {
        let mut state: Option<Referral> = None;
        for (k, (c, by)) in cmds.iter().enumerate() {
            for e in decide(state.as_ref(), c, by, at(k as i64))? {
                state = Some(apply(state, &e));
            }
        }
        Ok(state.unwrap())
    }
    fn s1() -> Party {
        Party::Institution(inst("S1"))
    }
    fn h1() -> Party {
        Party::Institution(inst("H1"))
    }

    #[test]
    fn the_whole_way_up_and_back() {
        let r = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (Command::Accept, h1()),
            (
                Command::Schedule {
                    at: at(48),
                    booking: "k1".into(),
                },
                h1(),
            ),
            (Command::Arrive, h1()),
            (
                Command::Complete {
                    outcome: "controlled; back to the team".into(),
                },
                h1(),
            ),
        ])
        .unwrap();
        assert_eq!(r.status, Status::Completed);
        assert_eq!(r.version, 5);
        assert_eq!(r.outcome.as_deref(), Some("controlled; back to the team"));
        assert_eq!(r.owner(), None);
    }

    #[test]
    fn only_the_owner_moves_it() {
        let err = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (Command::Accept, s1()),
        ]);
        assert_eq!(err, Err(ReferralError::NotOwner));
        let err = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (Command::Cancel { reason: "x".into() }, h1()),
        ]);
        assert_eq!(err, Err(ReferralError::NotOwner));
        let err = run(&[(Command::Request(new(Urgency::Routine)), h1())]);
        assert_eq!(err, Err(ReferralError::NotOwner));
    }

    #[test]
    fn an_emergency_is_redirected_never_rejected() {
        let reject = run(&[
            (Command::Request(new(Urgency::Emergency)), s1()),
            (
                Command::Reject {
                    reason: "no beds".into(),
                },
                h1(),
            ),
        ]);
        assert_eq!(reject, Err(ReferralError::EmergencyCannotBeRejected));
        let r = run(&[
            (Command::Request(new(Urgency::Emergency)), s1()),
            (
                Command::Redirect {
                    to: inst("H2"),
                    reason: "ICU full; H2 has beds".into(),
                },
                h1(),
            ),
        ])
        .unwrap();
        assert_eq!((r.status, r.opened.to.as_str()), (Status::Requested, "H2"));
        assert_eq!(r.owner(), Some(Party::Institution(inst("H2"))));
    }

    #[test]
    fn a_rejection_and_a_cancellation_need_a_reason() {
        let r = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (
                Command::Reject {
                    reason: "  ".into(),
                },
                h1(),
            ),
        ]);
        assert_eq!(r, Err(ReferralError::ReasonRequired));
    }

    #[test]
    fn a_down_referral_goes_to_a_team_with_a_plan_and_the_team_confirms_the_first_visit() {
        let r = run(&[
            (Command::Request(down()), h1()),
            (Command::Accept, s1()),
            (Command::Arrive, s1()),
        ])
        .unwrap();
        assert_eq!(r.status, Status::Arrived);
        assert_eq!(r.opened.care_plan.unwrap().follow_ups[0].task, "复查血压");
        let no_plan = NewReferral {
            care_plan: None,
            priority: false,
            ..down()
        };
        assert_eq!(
            run(&[(Command::Request(no_plan), h1())]),
            Err(ReferralError::DownNeedsTeamAndPlan)
        );
        let no_team = NewReferral {
            team: None,
            ..down()
        };
        assert_eq!(
            run(&[(Command::Request(no_team), h1())]),
            Err(ReferralError::DownNeedsTeamAndPlan)
        );
        let mut bad = down();
        bad.care_plan.as_mut().unwrap().diagnosis = " ".into();
        assert!(matches!(
            run(&[(Command::Request(bad), h1())]),
            Err(ReferralError::CarePlan(e)) if e.field == "care_plan.diagnosis"
        ));
        let team_up = NewReferral {
            team: Some(TeamId::parse("T1").unwrap()),
            ..new(Urgency::Routine)
        };
        assert_eq!(
            run(&[(Command::Request(team_up), s1())]),
            Err(ReferralError::TeamOnlyDown)
        );
        // an up-referral's patient arrives only at a booked time
        let err = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (Command::Accept, h1()),
            (Command::Arrive, h1()),
        ]);
        assert!(
            matches!(err, Err(ReferralError::WrongStatus { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn the_clock_escalates_in_turn_and_a_move_starts_a_fresh_stage() {
        let r = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (escalate(1), Party::Clock),
            (escalate(2), Party::Clock),
        ])
        .unwrap();
        assert_eq!((r.escalation, r.escalated_at), (2, Some(at(2))));
        assert_eq!(r.stage_since, at(0), "an escalation is no new stage");
        assert_eq!(r.status, Status::Requested);
        let err = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (escalate(2), Party::Clock),
        ]);
        assert_eq!(err, Err(ReferralError::EscalationOutOfTurn { level: 2 }));
        let err = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (escalate(1), h1()),
        ]);
        assert_eq!(err, Err(ReferralError::NotOwner));
        let r = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (escalate(1), Party::Clock),
            (Command::Accept, h1()),
        ])
        .unwrap();
        assert_eq!(
            (r.escalation, r.escalated_at, r.stage_since),
            (0, None, at(2))
        );
    }

    #[test]
    fn nothing_moves_a_finished_referral() {
        let err = run(&[
            (Command::Request(new(Urgency::Routine)), s1()),
            (
                Command::Cancel {
                    reason: "patient recovered".into(),
                },
                s1(),
            ),
            (Command::Accept, h1()),
        ]);
        assert_eq!(
            err,
            Err(ReferralError::WrongStatus {
                status: Status::Cancelled,
                command: "accept"
            })
        );
    }

    fn command() -> impl Strategy<Value = (Command, Party)> {
        let party = prop_oneof![
            Just(s1()),
            Just(h1()),
            Just(Party::Institution(inst("H2"))),
            Just(Party::Clock)
        ];
        let cmd = prop_oneof![
            Just(Command::Accept),
            Just(Command::Reject { reason: "r".into() }),
            Just(Command::Redirect {
                to: inst("H2"),
                reason: "r".into()
            }),
            Just(Command::Redirect {
                to: inst("H3"),
                reason: "r".into()
            }),
            Just(Command::Schedule {
                at: at(30),
                booking: "b".into()
            }),
            Just(Command::Arrive),
            Just(Command::Complete {
                outcome: "o".into()
            }),
            Just(Command::Cancel { reason: "r".into() }),
            Just(Command::Expire),
            Just(escalate(1)),
            Just(escalate(2)),
        ];
        (cmd, party)
    }

    proptest! {
        /// Any sequence: an emergency is never rejected, a finished referral never moves
        /// again, the version counts the events, and each accepted command was given by
        /// the party that owned the referral (or the referrer cancelling, or the clock).
        #[test]
        fn invariants_hold_for_any_sequence(
            emergency in any::<bool>(),
            cmds in prop::collection::vec(command(), 0..40),
        ) {
            let urgency = if emergency { Urgency::Emergency } else { Urgency::Routine };
            let mut r = apply(None, &decide(None, &Command::Request(new(urgency)), &s1(), at(0)).unwrap()[0]);
            for (k, (c, by)) in cmds.iter().enumerate() {
                let before = r.clone();
                match decide(Some(&r), c, by, at(k as i64 + 1)) {
                    Ok(events) => {
                        prop_assert!(!before.status.is_final());
                        let owner = before.owner().unwrap();
                        let cancel = matches!(c, Command::Cancel { .. });
                        let expire = matches!(c, Command::Expire | Command::Escalate { .. });
                        let allowed = by == &owner
                            || (cancel && by == &s1())
                            || (expire && by == &Party::Clock);
                        prop_assert!(allowed, "{:?} by {:?}", c, by);
                        for e in &events {
                            r = apply(Some(r), e);
                        }
                        prop_assert_eq!(r.version, before.version + events.len() as u32);
                    }
                    Err(_) => prop_assert_eq!(&r, &before),
                }
                prop_assert!(!(emergency && r.status == Status::Rejected));
                prop_assert!(r.escalation <= 2);
            }
        }
    }
}
