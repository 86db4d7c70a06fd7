//! Referrals through the service layer (issue 4, item 1): load the referral, ask the
//! domain's state machine, and store the events and the new state in one transaction,
//! over the version the decision was made on. Two desks acting at once cannot both win:
//! the loser's write finds a newer version (and its event a taken stream number) and is
//! told to look again. Every write also sets when the referral's clock next fires
//! (`crate::clock` fires it).

use crate::ServiceError;
use chrono::{DateTime, Utc};
use yilian_domain::ids::ReferralId;
use yilian_domain::policy::Profile;
use yilian_domain::referral::{
    Change, Command, Party, Referral, ReferralError, apply, clock, decide,
};
use yilian_store::Store;
use yilian_store::event::{NewEvent, append};
use yilian_store::referral;

/// When the clock next fires for `r` under `profile` (none when REF-5 is switched off).
pub fn next_alarm(r: &Referral, profile: &Profile) -> Option<clock::Alarm> {
    let rule = &profile.rules.ref5;
    if !rule.enabled {
        return None;
    }
    clock::alarm(r, &rule.clocks, profile.calendar())
}

/// The deadline of the stage `r` waits in under `profile` (none when final, or when REF-5
/// is switched off): what desks, managers and the API show.
pub fn deadline(r: &Referral, profile: &Profile) -> Option<DateTime<Utc>> {
    let rule = &profile.rules.ref5;
    if !rule.enabled {
        return None;
    }
    clock::deadline(r, &rule.clocks, profile.calendar())
}

/// Gives `command` to referral `id` (for [`Command::Request`], the id of the new one) as
/// `by`, recorded as done by the user `actor`; `profile` sets its clock. The referral
/// after the move, or the rule that refused it (nothing stored).
pub async fn act(
    store: &Store,
    profile: &Profile,
    id: &ReferralId,
    command: &Command,
    by: &Party,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Result<Referral, ReferralError>, ServiceError> {
    let current = referral::get(store, id).await?;
    let events = match decide(current.as_ref(), command, by, now) {
        Ok(events) => events,
        Err(e) => return Ok(Err(e)),
    };
    let expected = current.as_ref().map_or(0, |r| r.version);
    let mut state = current;
    for e in &events {
        state = Some(apply(state, e));
    }
    let next = state.expect("BUG: decide returned no event for an accepted command");
    let mut tx = store.begin().await?;
    let due_at = next_alarm(&next, profile).map(|a| a.at);
    if !referral::put(&mut tx, &next, expected, due_at).await? {
        return Err(ServiceError::Conflict(format!(
            "referral {id} was changed meanwhile; reload it and try again / 转诊单已被他人更新，请刷新后重试"
        )));
    }
    for e in &events {
        if let Change::Escalated {
            level,
            stage,
            deadline,
            receiver,
            ..
        } = &e.change
        {
            referral::record_overdue(&mut tx, id, *level, *stage, receiver, *deadline, e.at)
                .await?;
        }
        let payload = serde_json::json!({ "by": e.by, "change": e.change });
        append(
            &mut tx,
            &NewEvent {
                stream: format!("referral/{id}"),
                kind: e.change.kind(),
                version: 1,
                payload,
                actor: actor.to_owned(),
                at: e.at,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(next))
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use yilian_domain::ids::{InstitutionId, ResidentId};
    use yilian_domain::referral::{Direction, NewReferral, Status, Urgency};
    use yilian_store::dbtest;

    /// A small demo city in `store`, its first group's lead and a member, and an
    /// up-referral from the member to the lead opened with id `id`.
    pub(crate) async fn city_and_up_referral(
        store: &Store,
        id: &str,
        urgency: Urgency,
    ) -> (yilian_synth::City, InstitutionId, InstitutionId, Command) {
        let city = yilian_synth::demo_city(&yilian_synth::CityParams {
            seed: 1,
            residents: 50,
            grids: 2,
        });
        crate::import::store_city(store, &city.registry, city.residents.clone(), "test")
            .await
            .unwrap();
        let lead = city.registry.consortia[0].lead.clone();
        let member = city
            .registry
            .members_of(&city.registry.consortia[0].id, None)
            .find(|m| m.institution_id != lead)
            .unwrap()
            .institution_id
            .clone();
        let open = Command::Request(NewReferral {
            id: ReferralId::parse(id).unwrap(),
            resident: ResidentId::parse(city.residents[0].id.as_str()).unwrap(),
            from: member.clone(),
            to: lead.clone(),
            direction: Direction::Up,
            urgency,
            reason: "BP not at target twice".into(),
            team: None,
            care_plan: None,
            priority: false,
        });
        (city, lead, member, open)
    }

    dbtest!(
        a_desk_sees_emergencies_then_signed_residents_then_the_rest,
        |store| {
            let profile = Profile::builtin("national").unwrap();
            let (_city, lead, member, open) =
                city_and_up_referral(&store, "F0", Urgency::Routine).await;
            let Command::Request(base) = open else {
                unreachable!()
            };
            let by = Party::Institution(member);
            let now = Utc::now();
            // opened in this order, an hour apart: the plain routine one has the earliest clock
            for (k, (id, urgency, priority)) in [
                ("F-PLAIN", Urgency::Routine, false),
                ("F-SIGNED", Urgency::Routine, true),
                ("F-EMERG", Urgency::Emergency, false),
            ]
            .into_iter()
            .enumerate()
            {
                let new = NewReferral {
                    id: ReferralId::parse(id).unwrap(),
                    urgency,
                    priority,
                    ..base.clone()
                };
                let at = now + chrono::Duration::hours(k as i64);
                act(
                    &store,
                    &profile,
                    &new.id.clone(),
                    &Command::Request(new),
                    &by,
                    "fd",
                    at,
                )
                .await
                .unwrap()
                .unwrap();
            }
            let inbox = referral::list_for(&store, &lead, referral::Side::Received, 10, 10)
                .await
                .unwrap();
            let order: Vec<_> = inbox.iter().map(|r| r.opened.id.as_str()).collect();
            assert_eq!(order, ["F-EMERG", "F-SIGNED", "F-PLAIN"]);
        }
    );

    dbtest!(a_referral_goes_up_and_its_outcome_comes_back, |store| {
        let (_city, lead, member, open) =
            city_and_up_referral(&store, "F1", Urgency::Routine).await;
        let id = ReferralId::parse("F1").unwrap();
        let (s1, h1) = (
            Party::Institution(member.clone()),
            Party::Institution(lead.clone()),
        );
        let now = Utc::now();
        let profile = Profile::builtin("national").unwrap();
        act(&store, &profile, &id, &open, &s1, "fd", now)
            .await
            .unwrap()
            .unwrap();
        // a repeated request changes nothing
        assert_eq!(
            act(&store, &profile, &id, &open, &s1, "fd", now)
                .await
                .unwrap(),
            Err(ReferralError::Exists)
        );
        for (c, by) in [
            (Command::Accept, &h1),
            (
                Command::Schedule {
                    at: now,
                    booking: "k1".into(),
                },
                &h1,
            ),
            (Command::Arrive, &h1),
            (
                Command::Complete {
                    outcome: "stable; back to the team".into(),
                },
                &h1,
            ),
        ] {
            act(&store, &profile, &id, &c, by, "desk", now)
                .await
                .unwrap()
                .unwrap();
        }
        let r = referral::get(&store, &id).await.unwrap().unwrap();
        assert_eq!((r.status, r.version), (Status::Completed, 5));
        let sent = referral::list_for(&store, &member, referral::Side::Sent, 10, 10)
            .await
            .unwrap();
        assert_eq!(sent[0].outcome.as_deref(), Some("stable; back to the team"));
        let events = yilian_store::event::read_after(&store, 0, 1000)
            .await
            .unwrap();
        let kinds: Vec<_> = events
            .iter()
            .filter(|e| e.stream == "referral/F1")
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "ReferralRequested",
                "ReferralAccepted",
                "ReferralScheduled",
                "PatientArrived",
                "ReferralCompleted"
            ]
        );
        assert_eq!(
            referral::receivers_of(&store, &r.opened.resident)
                .await
                .unwrap(),
            vec![lead]
        );
    });
}
