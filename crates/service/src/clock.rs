//! The referral clock's scheduler (issue 4, item 2): finds the referrals whose clock is
//! due and fires it — escalates to the receiver's desk, then to the group's manager, or
//! expires — through the same [`crate::referral::act`] as every other move, as the party
//! [`Party::Clock`].
//!
//! Nothing is kept in memory: each referral's next firing instant is stored with it, so a
//! restarted server picks up where the last one stopped, and a firing missed while no
//! server ran happens at the next tick. Several servers may tick on one database: two
//! firings of one referral race on its version and the loser skips it, so a clock fires
//! once.

use crate::ServiceError;
use crate::referral::{act, next_alarm};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use std::time::Duration;
use yilian_domain::ids::{ConsortiumId, InstitutionId};
use yilian_domain::policy::Profile;
use yilian_domain::referral::clock::{Fire, due};
use yilian_domain::referral::{Command, Party};
use yilian_domain::registry::{MemberRole, Registry};
use yilian_store::Store;
use yilian_store::referral;

/// Most referrals one tick fires; the next tick takes the rest.
const TICK_MAX: u32 = 500;

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    /// Referrals escalated.
    pub escalated: u32,
    /// Referrals expired.
    pub expired: u32,
    /// Referrals another move (a user, another server) got to first.
    pub skipped: u32,
    /// Referrals whose stored instant was stale (the profile changed) and was reset.
    pub rescheduled: u32,
}

/// The group whose manager hears of `institution`'s overdue referrals: the grid group it
/// leads or belongs to on `day` (any group when it serves no grid).
pub fn group_of_receiver(
    reg: &Registry,
    institution: &InstitutionId,
    day: NaiveDate,
) -> Option<ConsortiumId> {
    let mine: Vec<_> = reg
        .memberships
        .iter()
        .filter(|m| {
            &m.institution_id == institution
                && matches!(m.role, MemberRole::Lead | MemberRole::Member)
                && m.validity.contains(day)
        })
        .collect();
    let serves_grid = |id: &ConsortiumId| {
        reg.consortia
            .iter()
            .any(|c| &c.id == id && c.kind.serves_grid())
    };
    mine.iter()
        .find(|m| serves_grid(&m.consortium_id))
        .or(mine.first())
        .map(|m| m.consortium_id.clone())
}

/// Fires every clock due at `now` (at most [`TICK_MAX`]).
pub async fn tick(
    store: &Store,
    profile: &Profile,
    now: DateTime<Utc>,
) -> Result<Tick, ServiceError> {
    let mut out = Tick::default();
    let ids = referral::due(store, now, TICK_MAX).await?;
    if ids.is_empty() {
        return Ok(out);
    }
    let reg = yilian_store::registry::load_registry(store).await?;
    let today = now.with_timezone(&yilian_domain::china()).date_naive();
    for id in ids {
        let Some(r) = referral::get(store, &id).await? else {
            continue;
        };
        let rule = &profile.rules.ref5;
        let alarm = rule
            .enabled
            .then(|| due(&r, &rule.clocks, profile.calendar(), now))
            .flatten();
        let Some(alarm) = alarm else {
            referral::set_due(store, &id, r.version, next_alarm(&r, profile).map(|a| a.at)).await?;
            out.rescheduled += 1;
            continue;
        };
        let command = match alarm.fire {
            Fire::Escalate(level) => Command::Escalate {
                level,
                deadline: alarm.deadline,
                group: group_of_receiver(&reg, &r.opened.to, today),
            },
            Fire::Expire => Command::Expire,
        };
        match act(store, profile, &id, &command, &Party::Clock, "clock", now).await {
            Ok(Ok(_)) => match alarm.fire {
                Fire::Escalate(_) => out.escalated += 1,
                Fire::Expire => out.expired += 1,
            },
            // moved meanwhile: its move set the clock afresh
            Ok(Err(_)) | Err(ServiceError::Conflict(_)) => out.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Runs [`tick`] every `every` until the process ends (`yilian serve`'s scheduler). A
/// failed tick is logged and tried again at the next one.
pub fn spawn_scheduler(
    store: Store,
    profile: Arc<Profile>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match tick(&store, &profile, Utc::now()).await {
                Ok(t) if t != Tick::default() => tracing::info!(
                    escalated = t.escalated,
                    expired = t.expired,
                    skipped = t.skipped,
                    rescheduled = t.rescheduled,
                    "referral clocks fired"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "referral clock tick failed; trying again"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use crate::referral::tests::city_and_up_referral;
    use chrono::TimeZone;
    use yilian_domain::ids::ReferralId;
    use yilian_domain::referral::{Status, Urgency};
    use yilian_store::dbtest;

    fn china(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        yilian_domain::china()
            .with_ymd_and_hms(2026, 12, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A small city and an up-referral `id` opened at 10:00 on Tuesday 1 December 2026;
    /// the city, the receiving lead and the id.
    async fn opened(
        store: &Store,
        profile: &Profile,
        id: &str,
        urgency: Urgency,
    ) -> (yilian_synth::City, InstitutionId, ReferralId) {
        let (city, lead, member, open) = city_and_up_referral(store, id, urgency).await;
        let id = ReferralId::parse(id).unwrap();
        let by = Party::Institution(member);
        act(store, profile, &id, &open, &by, "fd", china(1, 10, 0))
            .await
            .unwrap()
            .unwrap();
        (city, lead, id)
    }

    dbtest!(
        an_unanswered_referral_escalates_to_the_desk_then_the_group_then_expires,
        |store| {
            let profile = Profile::builtin("national").unwrap();
            // Tuesday 1 December 10:00: the answer is due at the close of Thursday 3rd
            let (city, lead, id) = opened(&store, &profile, "F1", Urgency::Routine).await;
            assert_eq!(
                tick(&store, &profile, china(3, 23, 59)).await.unwrap(),
                Tick::default()
            );
            let t = tick(&store, &profile, china(4, 0, 5)).await.unwrap();
            assert_eq!(t.escalated, 1);
            let r = referral::get(&store, &id).await.unwrap().unwrap();
            assert_eq!((r.status, r.escalation), (Status::Requested, 1));
            // the same instant again: nothing more is due
            assert_eq!(
                tick(&store, &profile, china(4, 0, 5)).await.unwrap(),
                Tick::default()
            );
            // a working day later the group's manager hears of it
            let t = tick(&store, &profile, china(5, 0, 10)).await.unwrap();
            assert_eq!(t.escalated, 1, "{t:?}");
            let events = yilian_store::event::read_after(&store, 0, 1000)
                .await
                .unwrap();
            let escalated: Vec<_> = events
                .iter()
                .filter(|e| e.kind == "ReferralEscalated")
                .map(|e| e.payload["change"].clone())
                .collect();
            assert_eq!(escalated.len(), 2);
            assert_eq!(escalated[1]["level"], 2);
            assert_eq!(
                escalated[1]["group"].as_str(),
                Some(city.registry.consortia[0].id.as_str()),
                "level 2 names the receiver's group"
            );
            // both missed deadlines count against the lead
            let lead_row = referral::clock_summary(&store, china(1, 0, 0))
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.institution == lead)
                .unwrap();
            assert_eq!(
                (
                    lead_row.open,
                    lead_row.to_manager,
                    lead_row.missed,
                    lead_row.missed_to_manager
                ),
                (1, 1, 1, 1)
            );
            // five working days on, nobody answered: it expires and the referrer can see it
            let t = tick(&store, &profile, china(12, 0, 1)).await.unwrap();
            assert_eq!(t.expired, 1);
            let r = referral::get(&store, &id).await.unwrap().unwrap();
            assert_eq!(r.status, Status::Expired);
            assert!(
                referral::due(&store, china(31, 0, 0), 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    );

    dbtest!(
        a_move_resets_the_clock_and_two_schedulers_fire_it_once,
        |store| {
            let profile = Profile::builtin("national").unwrap();
            let (_city, lead, id) = opened(&store, &profile, "F2", Urgency::Emergency).await;
            // two servers tick at the same instant, 31 minutes on: one escalation
            let at = china(1, 10, 31);
            let (a, b) = tokio::join!(tick(&store, &profile, at), tick(&store, &profile, at));
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.escalated + b.escalated, 1, "{a:?} {b:?}");
            let r = referral::get(&store, &id).await.unwrap().unwrap();
            assert_eq!((r.escalation, r.version), (1, 2));
            // the desk accepts: a new stage, on time again
            act(
                &store,
                &profile,
                &id,
                &Command::Accept,
                &Party::Institution(lead),
                "desk",
                china(1, 10, 40),
            )
            .await
            .unwrap()
            .unwrap();
            let r = referral::get(&store, &id).await.unwrap().unwrap();
            assert_eq!(r.escalation, 0);
            assert_eq!(
                tick(&store, &profile, china(1, 11, 0)).await.unwrap(),
                Tick::default()
            );
            // scheduling is due 2 hours after acceptance
            assert_eq!(
                tick(&store, &profile, china(1, 12, 41))
                    .await
                    .unwrap()
                    .escalated,
                1
            );
        }
    );
}
