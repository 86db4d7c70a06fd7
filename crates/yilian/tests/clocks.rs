//! The referral clocks in `yilian serve` (issue 4, item 2): referrals whose deadlines
//! passed while no server ran are escalated (desk, then group manager) and, unanswered,
//! expired by the first server that starts; an emergency is escalated but never expires
//! (REF-5); two servers on one PostgreSQL database fire each clock once; a `kill -9` and a
//! restart fire nothing twice.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

mod common;

use chrono::{Duration, Utc};
use common::{Db, Server};
use yilian_domain::ids::{ReferralId, ResidentId};
use yilian_domain::policy::Profile;
use yilian_domain::referral::{Command, Direction, NewReferral, Party, Status, Urgency};
use yilian_store::Store;
use yilian_store::event::read_after;
use yilian_store::referral;

#[test]
fn clocks_missed_while_no_server_ran_fire_once_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    clocks_fire_once(&tmp, &Db::sqlite(&tmp.path().join("clocks.db")), 1);
}

#[test]
fn clocks_fire_once_with_two_servers_on_postgres() {
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(yilian_store::testing::pg_database());
    let db = Db {
        url,
        key: tmp.path().join("clocks.key"),
    };
    clocks_fire_once(&tmp, &db, 2);
}

/// Kinds of the clock's events per referral stream.
async fn clock_events(store: &Store, id: &str) -> Vec<String> {
    read_after(store, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.stream == format!("referral/{id}") && e.actor == "clock")
        .map(|e| e.kind)
        .collect()
}

fn clocks_fire_once(tmp: &tempfile::TempDir, db: &Db, servers: usize) {
    let out = db.run(&[
        "demo",
        "--no-serve",
        "--residents",
        "300",
        "--grids",
        "2",
        "--seed",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let city = yilian_synth::demo_city(&yilian_synth::CityParams {
        seed: 5,
        residents: 300,
        grids: 2,
    });
    let group = &city.registry.consortia[0];
    let member = city
        .registry
        .members_of(&group.id, None)
        .find(|m| m.institution_id != group.lead)
        .unwrap()
        .institution_id
        .clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(Store::connect(&db.url)).unwrap();
    // opened 40 days ago, while no server ran
    let profile = Profile::builtin("national").unwrap();
    let then = Utc::now() - Duration::days(40);
    for (id, urgency) in [("F-R", Urgency::Routine), ("F-E", Urgency::Emergency)] {
        let open = Command::Request(NewReferral {
            id: ReferralId::parse(id).unwrap(),
            resident: ResidentId::parse(city.residents[0].id.as_str()).unwrap(),
            from: member.clone(),
            to: group.lead.clone(),
            direction: Direction::Up,
            urgency,
            reason: "BP not at target".into(),
            team: None,
            care_plan: None,
            priority: false,
        });
        runtime
            .block_on(yilian_service::referral::act(
                &store,
                &profile,
                &ReferralId::parse(id).unwrap(),
                &open,
                &Party::Institution(member.clone()),
                "fd",
                then,
            ))
            .unwrap()
            .unwrap();
    }
    let env = [("YILIAN_CLOCK_EVERY", "1")];
    let log = tmp.path().join("serve.log");
    let running: Vec<Server> = (0..servers)
        .map(|_| Server::start(db, &log, &env))
        .collect();
    let settled = |store: &Store| {
        runtime.block_on(async {
            let r = referral::get(store, &ReferralId::parse("F-R").unwrap())
                .await
                .unwrap()
                .unwrap();
            let e = referral::get(store, &ReferralId::parse("F-E").unwrap())
                .await
                .unwrap()
                .unwrap();
            r.status == Status::Expired && e.escalation == 2
        })
    };
    let started = std::time::Instant::now();
    while !settled(&store) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the clocks did not fire: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let expected_routine = ["ReferralEscalated", "ReferralEscalated", "ReferralExpired"];
    let expected_emergency = ["ReferralEscalated", "ReferralEscalated"];
    let check = || {
        runtime.block_on(async {
            assert_eq!(clock_events(&store, "F-R").await, expected_routine);
            assert_eq!(
                clock_events(&store, "F-E").await,
                expected_emergency,
                "REF-5: an emergency is escalated, never expired"
            );
            let lead = referral::clock_summary(&store, then)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.institution == group.lead)
                .unwrap();
            assert_eq!(
                (lead.missed, lead.missed_to_manager),
                (2, 2),
                "every missed deadline counts against the lead"
            );
            assert_eq!(
                (lead.open, lead.to_manager),
                (1, 1),
                "the emergency still waits"
            );
        });
    };
    check();
    // kill -9 and restart: nothing fires twice
    for s in running {
        s.kill_9();
    }
    let again = Server::start(db, &log, &env);
    std::thread::sleep(std::time::Duration::from_secs(3));
    check();
    again.stop();
}
