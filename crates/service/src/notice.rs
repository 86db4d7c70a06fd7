//! The notice projector (issue 4, item 7): follows the event log from its stored cursor
//! and writes, for each event, one notice per party it concerns
//! ([`yilian_domain::notice::concern`]), plus one queued delivery per matching webhook of
//! an institution it concerns. All of one step (notices, parties, deliveries and the new
//! cursor) is one transaction, so a restart carries on where the last commit left off
//! and a replayed event writes nothing twice. Several servers on one PostgreSQL database
//! take turns: the one holding the cursor projects, the others find it busy
//! (`store::notice` explains why the order of ids is then safe to read from).

use crate::ServiceError;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use yilian_domain::ids::InstitutionId;
use yilian_domain::notice::{Audience, Concern, KindFilter, concern};
use yilian_store::Store;
use yilian_store::notice as stored;
use yilian_store::webhook;

/// Events read per step: one step is one transaction, which on SQLite holds the write
/// lock, so it stays short; a backlog is worked off in several steps.
pub const PROJECT_BATCH_MAX: i64 = 500;

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Another server holds the cursor; nothing done.
    Busy,
    /// Read this many events and wrote this many notices (0 events: caught up).
    Read {
        /// Events read.
        events: usize,
        /// Notices written.
        notices: usize,
    },
}

/// One step of the projector at `now` (module docs). An event of a known kind whose
/// payload does not read is an error and the cursor stays before it: skipping it would
/// lose a notice without anyone being told.
pub async fn project(store: &Store, now: DateTime<Utc>) -> Result<Step, ServiceError> {
    let mut tx = store.begin().await?;
    let Some(cursor) = stored::claim_cursor(&mut tx).await? else {
        tx.rollback().await?;
        return Ok(Step::Busy);
    };
    let events = stored::settled_after(&mut tx, cursor, PROJECT_BATCH_MAX).await?;
    let Some(last) = events.last().map(|e| e.cursor) else {
        tx.rollback().await?;
        return Ok(Step::Read {
            events: 0,
            notices: 0,
        });
    };
    // an institution's webhooks, read once per step
    let mut hooks: HashMap<InstitutionId, Vec<(String, KindFilter)>> = HashMap::new();
    let mut notices = 0;
    for e in &events {
        let audiences = match concern(&e.stream, &e.kind, &e.payload)
            .map_err(|err| ServiceError::Internal(err.to_string()))?
        {
            Concern::Nobody => vec![],
            Concern::StreamParties { joins } => {
                stored::add_parties(&mut tx, &e.stream, &joins).await?;
                stored::parties(&mut tx, &e.stream).await?
            }
            Concern::PoolHolders(pools) => stored::pool_holders(&mut tx, &pools)
                .await?
                .into_iter()
                .map(Audience::Institution)
                .collect(),
            Concern::Only(a) => vec![a],
        };
        for a in &audiences {
            let Some(notice_id) = stored::insert_notice(&mut tx, a, e).await? else {
                continue;
            };
            notices += 1;
            let Audience::Institution(i) = a else {
                continue;
            };
            if !hooks.contains_key(i) {
                let subs = webhook::subscribers(&mut tx, i).await?;
                let subs = subs
                    .into_iter()
                    .map(|(id, kinds)| {
                        KindFilter::parse(&kinds)
                            .map(|f| (id.clone(), f))
                            .map_err(|err| {
                                ServiceError::Internal(format!("stored webhook {id}: {err}"))
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                hooks.insert(i.clone(), subs);
            }
            for (id, filter) in &hooks[i] {
                if filter.wants(&e.kind) {
                    webhook::insert_delivery(&mut tx, id, notice_id, now).await?;
                }
            }
        }
    }
    stored::set_cursor(&mut tx, last).await?;
    tx.commit().await?;
    Ok(Step::Read {
        events: events.len(),
        notices,
    })
}

/// Steps until the log is read to its settled end or another server holds the cursor;
/// the notices written.
pub async fn catch_up(store: &Store) -> Result<usize, ServiceError> {
    let mut written = 0;
    loop {
        match project(store, Utc::now()).await? {
            Step::Busy | Step::Read { events: 0, .. } => return Ok(written),
            Step::Read { notices, .. } => written += notices,
        }
    }
}

/// Projects until the log is read to its end, waiting for transactions still running to
/// finish (PostgreSQL), for at most `wait`; the notices written. What a test uses to see
/// the feeds in step with what it just did.
pub async fn settle(store: &Store, wait: std::time::Duration) -> Result<usize, ServiceError> {
    let until = std::time::Instant::now() + wait;
    let mut written = catch_up(store).await?;
    while stored::lag(store).await? > 0 {
        if std::time::Instant::now() > until {
            return Err(ServiceError::Internal(format!(
                "the notice projector did not reach the end of the log within {wait:?}"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        written += catch_up(store).await?;
    }
    Ok(written)
}

/// The newest notice id, watched for live readers: one small query per `every` per
/// server, however many consoles are connected, and the projectors of other servers on
/// the same database are seen too (a wake-up from this process alone would miss those).
#[derive(Debug, Clone)]
pub struct FeedWatch {
    latest: tokio::sync::watch::Receiver<i64>,
}

impl FeedWatch {
    /// Starts the watching task on the current runtime; it ends when every clone of the
    /// watch has been dropped.
    pub fn spawn(store: Store, every: std::time::Duration) -> FeedWatch {
        let (tx, latest) = tokio::sync::watch::channel(0);
        tokio::spawn(async move {
            loop {
                match stored::latest_id(&store).await {
                    Ok(id) => {
                        tx.send_if_modified(|v| std::mem::replace(v, id) != id);
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot read the newest notice"),
                }
                tokio::select! {
                    () = tx.closed() => return,
                    () = tokio::time::sleep(every) => {}
                }
            }
        });
        FeedWatch { latest }
    }

    /// A receiver that wakes when a newer notice exists.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<i64> {
        self.latest.clone()
    }
}

/// Keeps the feeds and the webhooks going in the background of `yilian serve`: one task
/// projects new events every `every`, another delivers what is due, so a slow receiver
/// never holds the feeds back. Errors are logged and the next turn tries again (a step
/// that failed stored nothing).
pub fn spawn_notifier(
    store: Store,
    keyring: std::sync::Arc<crate::identity::Keyring>,
    how: crate::webhook::Delivery,
    every: std::time::Duration,
) {
    let projector = store.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = catch_up(&projector).await {
                tracing::error!(error = %e, "notice projector");
            }
            tokio::time::sleep(every).await;
        }
    });
    tokio::spawn(async move {
        loop {
            match crate::webhook::deliver_due(&store, &keyring, &how, Utc::now()).await {
                Ok(r) if r.dead > 0 => {
                    tracing::warn!(dead = r.dead, "webhook deliveries failed for the last time")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhook deliveries"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use crate::referral::act;
    use yilian_domain::ids::{ReferralId, ResidentId};
    use yilian_domain::referral::{Command, Direction, NewReferral, Party, Urgency};
    use yilian_store::dbtest;

    /// Long enough for the other tests' transactions on the shared test cluster to end.
    pub(crate) const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

    /// A small city, its first consortium's lead and two other members.
    pub(crate) async fn city(
        store: &Store,
    ) -> (InstitutionId, InstitutionId, InstitutionId, ResidentId) {
        let city = yilian_synth::demo_city(&yilian_synth::CityParams {
            seed: 1,
            residents: 50,
            grids: 2,
        });
        crate::import::store_city(store, &city.registry, city.residents.clone(), "test")
            .await
            .unwrap();
        let lead = city.registry.consortia[0].lead.clone();
        let others: Vec<InstitutionId> = city
            .registry
            .members_of(&city.registry.consortia[0].id, None)
            .filter(|m| m.institution_id != lead)
            .map(|m| m.institution_id.clone())
            .take(2)
            .collect();
        let resident = ResidentId::parse(city.residents[0].id.as_str()).unwrap();
        (lead, others[0].clone(), others[1].clone(), resident)
    }

    pub(crate) fn open(
        id: &str,
        from: &InstitutionId,
        to: &InstitutionId,
        who: &ResidentId,
    ) -> Command {
        Command::Request(NewReferral {
            id: ReferralId::parse(id).unwrap(),
            resident: who.clone(),
            from: from.clone(),
            to: to.clone(),
            direction: Direction::Up,
            urgency: Urgency::Routine,
            reason: "BP not at target twice".into(),
            team: None,
            care_plan: None,
            priority: false,
        })
    }

    /// The profile the referrals' clocks are set by.
    pub(crate) fn national() -> yilian_domain::policy::Profile {
        yilian_domain::policy::Profile::builtin("national").unwrap()
    }

    fn inst(i: &InstitutionId) -> Audience {
        Audience::Institution(i.clone())
    }

    async fn kinds(store: &Store, who: &InstitutionId) -> Vec<String> {
        stored::feed(store, &[inst(who)], 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|n| format!("{} {}", n.stream, n.kind))
            .collect()
    }

    dbtest!(
        a_redirected_referral_reaches_every_receiver_it_had,
        |store| {
            let (lead, s1, s2, r) = city(&store).await;
            let id = ReferralId::parse("F1").unwrap();
            let now = Utc::now();
            let by = |i: &InstitutionId| Party::Institution(i.clone());
            act(
                &store,
                &national(),
                &id,
                &open("F1", &s1, &s2, &r),
                &by(&s1),
                "fd",
                now,
            )
            .await
            .unwrap()
            .unwrap();
            // the request concerns both ends; a repeat finds nothing new
            assert_eq!(settle(&store, WAIT).await.unwrap(), 2);
            assert_eq!(
                project(&store, now).await.unwrap(),
                Step::Read {
                    events: 0,
                    notices: 0
                }
            );
            let redirect = Command::Redirect {
                to: lead.clone(),
                reason: "needs a cardiologist".into(),
            };
            act(&store, &national(), &id, &redirect, &by(&s2), "desk", now)
                .await
                .unwrap()
                .unwrap();
            act(
                &store,
                &national(),
                &id,
                &Command::Reject {
                    reason: "no bed".into(),
                },
                &by(&lead),
                "desk",
                now,
            )
            .await
            .unwrap()
            .unwrap();
            assert_eq!(settle(&store, WAIT).await.unwrap(), 6);
            let all = [
                "referral/F1 ReferralRequested",
                "referral/F1 ReferralRedirected",
                "referral/F1 ReferralRejected",
            ];
            // the referrer and the desk that passed it on are told of the rejection too
            assert_eq!(kinds(&store, &s1).await, all);
            assert_eq!(kinds(&store, &s2).await, all);
            assert_eq!(kinds(&store, &lead).await, all[1..]);
            // replayable from any cursor, and only the asked-for party's notices
            let page = stored::feed(&store, &[inst(&s1)], 0, 1).await.unwrap();
            let rest = stored::feed(&store, &[inst(&s1)], page[0].notice_id, 100)
                .await
                .unwrap();
            assert_eq!(rest.len(), 2);
            assert!(
                rest.iter()
                    .all(|n| n.audience == format!("institution:{s1}"))
            );
        }
    );

    dbtest!(
        the_cursor_survives_a_restart_and_a_second_projector_waits,
        |store| {
            let (lead, s1, _, r) = city(&store).await;
            let now = Utc::now();
            let id = ReferralId::parse("F2").unwrap();
            act(
                &store,
                &national(),
                &id,
                &open("F2", &s1, &lead, &r),
                &Party::Institution(s1.clone()),
                "fd",
                now,
            )
            .await
            .unwrap()
            .unwrap();
            // a projector holding the cursor (an open step) makes the other one wait its turn
            let mut holder = store.begin().await.unwrap();
            let held = stored::claim_cursor(&mut holder).await.unwrap();
            assert!(held.is_some());
            if matches!(store, Store::Postgres(_)) {
                assert_eq!(project(&store, now).await.unwrap(), Step::Busy);
            }
            holder.rollback().await.unwrap();
            assert_eq!(settle(&store, WAIT).await.unwrap(), 2);
            // a restart: new connections to the same database find the cursor moved on
            let again = match &store {
                Store::Sqlite(p) => Store::Sqlite(
                    sqlx::SqlitePool::connect_with((*p.connect_options()).clone())
                        .await
                        .unwrap(),
                ),
                Store::Postgres(p) => Store::Postgres(
                    sqlx::PgPool::connect_with((*p.connect_options()).clone())
                        .await
                        .unwrap(),
                ),
            };
            store.close().await;
            assert_eq!(catch_up(&again).await.unwrap(), 0);
            assert_eq!(
                kinds(&again, &lead).await,
                ["referral/F2 ReferralRequested"]
            );
        }
    );

    dbtest!(
        events_nobody_follows_move_the_cursor_and_write_nothing,
        |store| {
            city(&store).await;
            // the import's own event concerns nobody
            assert_eq!(settle(&store, WAIT).await.unwrap(), 0);
            let latest = stored::latest_id(&store).await.unwrap();
            assert_eq!(latest, 0);
            let mut tx = store.begin().await.unwrap();
            let c = stored::claim_cursor(&mut tx).await.unwrap().unwrap();
            assert!(c.event_id > 0, "the cursor moved past the import");
        }
    );
}
