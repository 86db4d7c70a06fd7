//! Referral clocks (issue 4, item 2; REF-5): nothing falls into a black hole. Each stage a
//! referral waits in has a deadline set by the profile for its urgency — respond, schedule,
//! see the patient, return the outcome. Past it the clock escalates to the receiver's
//! referral desk (level 1), then to the group's manager (level 2), and the overdue stage
//! counts against the receiver; a referral nobody answers after that expires, so the
//! referrer learns of it and can refer elsewhere. An emergency never expires: it stays
//! escalated until someone acts (REF-5). Each level counts from the missed deadline. A
//! scheduled patient who does not come by the grace period expires the referral (a no-show
//! is nobody's delay).
//!
//! Pure: [`alarm`] says when the clock next fires for a referral and what it does; the
//! service stores that instant so a scheduler finds due referrals with one indexed query,
//! and recomputes it after every move — a restart loses nothing.
//!
//! Working-day spans count by the profile's holiday calendar in China's time zone and end
//! at the close of the last working day, so a request made the afternoon before the National
//! Day holiday is not overdue until the holiday is over.

use super::{Referral, Status};
use crate::policy::Calendar;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A length of time as a profile writes it: `30m`, `4h`, `3d` or `2wd` (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Span {
    /// Minutes.
    Minutes(u32),
    /// Hours.
    Hours(u32),
    /// Calendar days.
    Days(u32),
    /// Working days by the holiday calendar, ending at the close of the last one.
    WorkingDays(u32),
}

/// A span that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a time span: write a positive number and m, h, d or wd (30m, 4h, 3d, 2wd) / 时限格式应为数字加单位"
)]
pub struct BadSpan(String);

impl TryFrom<String> for Span {
    type Error = BadSpan;
    fn try_from(s: String) -> Result<Self, BadSpan> {
        let t = s.trim();
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (n, unit) = t.split_at(digits);
        let n: u32 = n.parse().map_err(|_| BadSpan(s.clone()))?;
        if n == 0 || n > 100_000 {
            return Err(BadSpan(s));
        }
        Ok(match unit {
            "m" => Span::Minutes(n),
            "h" => Span::Hours(n),
            "d" => Span::Days(n),
            "wd" => Span::WorkingDays(n),
            _ => return Err(BadSpan(s)),
        })
    }
}

impl From<Span> for String {
    fn from(s: Span) -> String {
        s.to_string()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Span::Minutes(n) => write!(f, "{n}m"),
            Span::Hours(n) => write!(f, "{n}h"),
            Span::Days(n) => write!(f, "{n}d"),
            Span::WorkingDays(n) => write!(f, "{n}wd"),
        }
    }
}

impl Span {
    /// The instant `self` after `start`.
    ///
    /// Beyond the calendar's last notice (December, before the State Council publishes
    /// next year's) every weekday counts as a working day: a holiday not yet known can
    /// only make the deadline earlier than the official count, so a referral is escalated
    /// early rather than late.
    pub fn after(self, start: DateTime<Utc>, calendar: &Calendar) -> DateTime<Utc> {
        match self {
            Span::Minutes(n) => start + Duration::minutes(i64::from(n)),
            Span::Hours(n) => start + Duration::hours(i64::from(n)),
            Span::Days(n) => start + Duration::days(i64::from(n)),
            Span::WorkingDays(n) => {
                let china = crate::china();
                // midnight is the close of the day before: an escalation fired at a
                // day's close counts its working days from that day, like one made late
                // in it
                let mut day = (start - Duration::nanoseconds(1))
                    .with_timezone(&china)
                    .date_naive();
                let mut left = n;
                while left > 0 {
                    day += Duration::days(1);
                    if is_working_day(calendar, day) {
                        left -= 1;
                    }
                }
                let close = (day + Duration::days(1))
                    .and_hms_opt(0, 0, 0)
                    .expect("BUG: midnight exists")
                    .and_local_timezone(china)
                    .single()
                    .expect("BUG: UTC+8 has no gaps");
                close.with_timezone(&Utc)
            }
        }
    }
}

fn is_working_day(calendar: &Calendar, day: NaiveDate) -> bool {
    calendar
        .is_working_day(day)
        .unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
}

/// The clocks of one urgency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clocks {
    /// From the request (or a redirect) to an answer: accept, reject or redirect.
    pub respond: Span,
    /// From acceptance to a booked time.
    pub schedule: Span,
    /// From the booked time to the patient's arrival; past it the referral expires as a
    /// no-show.
    pub arrival_grace: Span,
    /// From arrival to the outcome returned to the referrer.
    pub outcome: Span,
    /// From the escalation to the desk to the escalation to the group manager.
    pub escalate_after: Span,
    /// From the escalation to the group manager to expiry, for a referral not yet
    /// scheduled; none: it never expires (emergencies).
    #[serde(default)]
    pub expire_after: Option<Span>,
}

/// The clocks of every urgency (a profile's `[rules.REF-5]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockTable {
    /// 急诊 (green channel).
    pub emergency: Clocks,
    /// 加急.
    pub urgent: Clocks,
    /// 常规.
    pub routine: Clocks,
}

impl ClockTable {
    /// The clocks of `urgency`.
    pub fn of(&self, urgency: super::Urgency) -> &Clocks {
        match urgency {
            super::Urgency::Emergency => &self.emergency,
            super::Urgency::Urgent => &self.urgent,
            super::Urgency::Routine => &self.routine,
        }
    }
}

/// What the clock does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fire {
    /// Escalate to this level: 1, the receiver's referral desk; 2, the group's manager.
    Escalate(u8),
    /// End the referral (unanswered after level 2, or a no-show).
    Expire,
}

/// When the clock next fires for a referral, and what it then does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alarm {
    /// The instant.
    pub at: DateTime<Utc>,
    /// The stage's deadline (what escalations report as missed).
    pub deadline: DateTime<Utc>,
    /// What it does.
    pub fire: Fire,
}

/// The deadline of the stage `r` waits in, none when it waits for nothing.
pub fn deadline(r: &Referral, table: &ClockTable, calendar: &Calendar) -> Option<DateTime<Utc>> {
    let c = table.of(r.opened.urgency);
    let (span, from) = match r.status {
        Status::Requested => (c.respond, r.stage_since),
        Status::Accepted => (c.schedule, r.stage_since),
        Status::Scheduled => (c.arrival_grace, r.scheduled_at.unwrap_or(r.stage_since)),
        Status::Arrived => (c.outcome, r.stage_since),
        Status::Rejected | Status::Completed | Status::Cancelled | Status::Expired => {
            return None;
        }
    };
    Some(span.after(from, calendar))
}

/// The clock's next firing for `r` (module docs), none when it will not fire again.
pub fn alarm(r: &Referral, table: &ClockTable, calendar: &Calendar) -> Option<Alarm> {
    let deadline = deadline(r, table, calendar)?;
    let c = table.of(r.opened.urgency);
    let alarm = |at, fire| Some(Alarm { at, deadline, fire });
    if r.status == Status::Scheduled {
        return alarm(deadline, Fire::Expire);
    }
    // each level counts from the missed deadline, not from when a tick noticed it, so a
    // late tick (or a server that was down) does not push the next level later
    let to_manager = c.escalate_after.after(deadline, calendar);
    match r.escalation {
        0 => alarm(deadline, Fire::Escalate(1)),
        1 => alarm(to_manager, Fire::Escalate(2)),
        _ => match (r.status, c.expire_after) {
            (Status::Requested | Status::Accepted, Some(x)) => {
                alarm(x.after(to_manager, calendar), Fire::Expire)
            }
            _ => None,
        },
    }
}

/// What the clock does to `r` at `now`, if it is due.
pub fn due(
    r: &Referral,
    table: &ClockTable,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Option<Alarm> {
    alarm(r, table, calendar).filter(|a| a.at <= now)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use crate::policy::Profile;
    use chrono::TimeZone;

    fn span(s: &str) -> Span {
        Span::try_from(s.to_owned()).unwrap()
    }

    fn china(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        crate::china()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn spans_parse_and_print() {
        for s in ["30m", "4h", "3d", "2wd"] {
            assert_eq!(span(s).to_string(), s);
        }
        for bad in ["", "0h", "4", "h", "4 hours", "-1d", "2w"] {
            assert!(Span::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn working_days_skip_a_holiday_and_end_at_the_close_of_day() {
        let cal = Profile::builtin("national").unwrap().calendar().clone();
        // 2026: 国庆节 1–7 October off. Asked on the afternoon of Wednesday 30 September,
        // the two working days are Thursday 8 and Friday 9 October: due at the close of
        // the 9th, in China's time.
        let asked = china(2026, 9, 30, 16, 30);
        assert_eq!(
            span("2wd").after(asked, &cal),
            china(2026, 10, 10, 0, 0),
            "{}",
            span("2wd").after(asked, &cal)
        );
        // hours are hours, holiday or not
        assert_eq!(span("4h").after(asked, &cal), china(2026, 9, 30, 20, 30));
    }

    #[test]
    fn a_request_just_after_midnight_china_time_counts_from_that_day() {
        let cal = Profile::builtin("national").unwrap().calendar().clone();
        // 00:10 on Thursday 3 December in China is still Wednesday 16:10 UTC
        let asked = china(2026, 12, 3, 0, 10);
        assert_eq!(asked, Utc.with_ymd_and_hms(2026, 12, 2, 16, 10, 0).unwrap());
        assert_eq!(span("1wd").after(asked, &cal), china(2026, 12, 5, 0, 0));
    }

    #[test]
    fn beyond_the_calendar_weekdays_count() {
        let cal = Profile::builtin("national").unwrap().calendar().clone();
        // Thursday 31 December 2026 + 2 working days: Friday 1 and Monday 4 January 2027
        // (2027's notice is not in the calendar; New Year's Day would only move it later)
        let asked = china(2026, 12, 31, 9, 0);
        assert_eq!(span("2wd").after(asked, &cal), china(2027, 1, 5, 0, 0));
    }
}

#[cfg(test)]
mod alarm_tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use crate::ids::{InstitutionId, ReferralId, ResidentId};
    use crate::policy::Profile;
    use crate::referral::{Command, NewReferral, Party, Urgency, apply, decide};
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        crate::china()
            .with_ymd_and_hms(2026, 12, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn opened(urgency: Urgency, when: DateTime<Utc>) -> Referral {
        let new = NewReferral {
            id: ReferralId::parse("F1").unwrap(),
            resident: ResidentId::parse("R1").unwrap(),
            from: InstitutionId::parse("S1").unwrap(),
            to: InstitutionId::parse("H1").unwrap(),
            direction: crate::referral::Direction::Up,
            urgency,
            reason: "r".into(),
            team: None,
            care_plan: None,
            priority: false,
        };
        let by = Party::Institution(new.from.clone());
        apply(
            None,
            &decide(None, &Command::Request(new), &by, when).unwrap()[0],
        )
    }

    /// Fires the clock's alarm (as the scheduler does) and returns the referral after it.
    fn fire(r: Referral, a: Alarm) -> Referral {
        let command = match a.fire {
            Fire::Escalate(level) => Command::Escalate {
                level,
                deadline: a.deadline,
                group: None,
            },
            Fire::Expire => Command::Expire,
        };
        let events = decide(Some(&r), &command, &Party::Clock, a.at).unwrap();
        events.iter().fold(r, |r, e| apply(Some(r), e))
    }

    #[test]
    fn a_routine_referral_nobody_answers_escalates_twice_then_expires() {
        let p = Profile::builtin("national").unwrap();
        let (table, cal) = (&p.rules.ref5.clocks, p.calendar());
        // Tuesday 1 December, 10:00: respond within 2 working days → close of Thursday 3rd
        let r = opened(Urgency::Routine, at(1, 10));
        assert_eq!(due(&r, table, cal, at(3, 23)), None);
        let a = alarm(&r, table, cal).unwrap();
        assert_eq!((a.at, a.fire), (at(4, 0), Fire::Escalate(1)));
        let r = fire(r, a);
        // one working day later (Friday 4th) → close of Friday, to the group manager
        let a = alarm(&r, table, cal).unwrap();
        assert_eq!((a.at, a.fire), (at(5, 0), Fire::Escalate(2)));
        let r = fire(r, a);
        // five working days after that: Mon 7 … Fri 11 → close of Friday 11th
        let a = alarm(&r, table, cal).unwrap();
        assert_eq!((a.at, a.fire), (at(12, 0), Fire::Expire));
        let r = fire(r, a);
        assert_eq!(r.status, Status::Expired);
        assert_eq!(alarm(&r, table, cal), None);
    }

    #[test]
    fn an_emergency_escalates_in_minutes_and_never_expires() {
        let p = Profile::builtin("national").unwrap();
        let (table, cal) = (&p.rules.ref5.clocks, p.calendar());
        let r = opened(Urgency::Emergency, at(1, 10));
        let a = alarm(&r, table, cal).unwrap();
        assert_eq!(a.at, at(1, 10) + Duration::minutes(30));
        let r = fire(r, a);
        let a = alarm(&r, table, cal).unwrap();
        let r = fire(r, a);
        assert_eq!((r.status, r.escalation), (Status::Requested, 2));
        assert_eq!(alarm(&r, table, cal), None, "REF-5: no expiry");
    }

    #[test]
    fn a_scheduled_patient_who_does_not_come_expires_the_referral() {
        let p = Profile::builtin("national").unwrap();
        let (table, cal) = (&p.rules.ref5.clocks, p.calendar());
        let r = opened(Urgency::Routine, at(1, 10));
        let h1 = Party::Institution(InstitutionId::parse("H1").unwrap());
        let mut r = r;
        for c in [
            Command::Accept,
            Command::Schedule {
                at: at(8, 9),
                booking: "b".into(),
            },
        ] {
            let e = decide(Some(&r), &c, &h1, at(1, 11)).unwrap();
            r = apply(Some(r), &e[0]);
        }
        let a = alarm(&r, table, cal).unwrap();
        assert_eq!((a.at, a.fire), (at(9, 9), Fire::Expire));
    }
}
