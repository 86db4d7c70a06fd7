//! `kill -9` mid-storm (issue 4): 64 clients book over HTTP into 50 pools of 40 slots (a
//! third reserved), on SQLite, on PostgreSQL, and on two servers sharing one PostgreSQL
//! database; the servers are killed without warning while they book, one is restarted, and
//! every client retries the request it had in flight with the same idempotency key. Then: no pool over capacity, no public booking in reserved
//! capacity, counters equal to the rows, every booking a client saw confirmed is stored,
//! and no booking is stored that no client saw confirmed.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

mod common;

use chrono::{Duration, Utc};
use common::{Db, Server, http};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use yilian_domain::capacity::{Channel, Pool, Tranche};
use yilian_domain::ids::PoolId;
use yilian_domain::policy::Profile;
use yilian_domain::registry::MemberRole;
use yilian_store::Store;
use yilian_store::capacity::{PoolRow, all_bookings, all_pools};

const CLIENTS: usize = 64;
const POOLS: usize = 50;

/// What one client saw: the keys confirmed, and the one in flight when the server died.
struct Seen {
    confirmed: Vec<String>,
    in_flight: Option<(String, String, String)>,
}

fn body(key: &str, pool: &str, resident: &str) -> String {
    format!("{{\"key\": \"{key}\", \"pool_id\": \"{pool}\", \"resident_id\": \"{resident}\"}}")
}

#[test]
fn kill_9_mid_storm_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    storm_kill_restart(&tmp, &Db::sqlite(&tmp.path().join("crash.db")), 1);
}

#[test]
fn kill_9_mid_storm_on_postgres() {
    let tmp = tempfile::tempdir().unwrap();
    storm_kill_restart(&tmp, &pg(&tmp), 1);
}

/// Two `yilian serve` processes on one PostgreSQL database, the clients split between
/// them, both killed mid-storm.
#[test]
fn kill_9_mid_storm_with_two_servers_on_postgres() {
    let tmp = tempfile::tempdir().unwrap();
    storm_kill_restart(&tmp, &pg(&tmp), 2);
}

/// A fresh PostgreSQL database.
fn pg(tmp: &tempfile::TempDir) -> Db {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(yilian_store::testing::pg_database());
    Db {
        url,
        key: tmp.path().join("crash.key"),
    }
}

/// The storm on `servers` servers, the kill, the restart and the retries, then the
/// invariants (module docs).
fn storm_kill_restart(tmp: &tempfile::TempDir, db: &Db, servers: usize) {
    let out = db.run(&[
        "demo",
        "--no-serve",
        "--residents",
        "1500",
        "--grids",
        "4",
        "--seed",
        "9",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let city = yilian_synth::demo_city(&yilian_synth::CityParams {
        seed: 9,
        residents: 1500,
        grids: 4,
    });

    // the pools, at the first group's lead; a family doctor of a member team books
    let group = &city.registry.consortia[0];
    let members: Vec<_> = city
        .registry
        .members_of(&group.id, None)
        .filter(|m| m.role == MemberRole::Member)
        .map(|m| m.institution_id.clone())
        .collect();
    let team = city
        .registry
        .teams
        .iter()
        .filter(|t| members.contains(&t.institution_id))
        .max_by_key(|t| {
            city.residents
                .iter()
                .filter(|r| r.team_id.as_ref() == Some(&t.id))
                .count()
        })
        .unwrap();
    let people: Vec<String> = city
        .residents
        .iter()
        .filter(|r| r.team_id.as_ref() == Some(&team.id))
        .map(|r| r.id.to_string())
        .collect();
    assert!(!people.is_empty());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool_ids: Vec<String> = runtime.block_on(async {
        let store = Store::connect(&db.url).await.unwrap();
        let now = Utc::now();
        let times = yilian_synth::release_under_way(now);
        let rows: Vec<PoolRow> = (0..POOLS)
            .map(|k| PoolRow {
                pool_id: PoolId::parse(&format!("P{k:02}")).unwrap(),
                institution_id: group.lead.clone(),
                department: format!("dept-{k}"),
                day: (now + Duration::days(2)).date_naive(),
                session: "am".into(),
                pool: Pool::new(40, 14, times).unwrap(),
            })
            .collect();
        let profile = Profile::builtin("national").unwrap();
        yilian_service::booking::open_pools(&store, &rows, &profile, "test")
            .await
            .unwrap()
            .unwrap();
        store.close().await;
        rows.iter().map(|r| r.pool_id.to_string()).collect()
    });
    let grant = format!("family_doctor@team:{}", team.id);
    let out = db.run(&["user", "add", "fd", "--name", "家庭医生", "--grant", &grant]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = db.run(&["token", "create", "fd", "--name", "storm"]);
    let token = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();

    let log = tmp.path().join("server.log");
    let running: Vec<Server> = (0..servers).map(|_| Server::start(db, &log, &[])).collect();
    let ports: Vec<u16> = running.iter().map(|s| s.port).collect();

    // the storm: each client books until the server goes away under it
    let started = Arc::new(Barrier::new(CLIENTS + 1));
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (token, pools, people) = (token.clone(), pool_ids.clone(), people.clone());
        let port = ports[c % servers];
        let (started, answered, stop) = (started.clone(), answered.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            started.wait();
            let mut seen = Seen {
                confirmed: Vec::new(),
                in_flight: None,
            };
            for n in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let key = format!("c{c}-{n}");
                let pool = pools[(c * 7 + n * 13) % pools.len()].clone();
                let person = people[(c + n) % people.len()].clone();
                match http(
                    port,
                    "POST",
                    "/api/v1/bookings",
                    &token,
                    &body(&key, &pool, &person),
                ) {
                    Ok((201, _)) => {
                        seen.confirmed.push(key);
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok((409, _)) => {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok((status, b)) => panic!("{status}: {b}"),
                    Err(_) => {
                        // the server died with this request in flight: committed or not
                        seen.in_flight = Some((key, pool, person));
                        break;
                    }
                }
            }
            seen
        }));
    }
    started.wait();
    // kill once a good part of the 2,000 slots is booked, while the rest is in flight
    let t0 = std::time::Instant::now();
    while answered.load(Ordering::Relaxed) < 600 {
        assert!(t0.elapsed().as_secs() < 120, "the storm did not get going");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for s in running {
        s.kill_9();
    }
    stop.store(true, Ordering::Relaxed);
    let seen: Vec<Seen> = clients.into_iter().map(|t| t.join().unwrap()).collect();
    let in_flight = seen.iter().filter(|s| s.in_flight.is_some()).count();
    assert!(in_flight > 0, "the kill caught requests in flight");

    // restart one server; every client retries its request in flight there, same key
    let port = ports[0];
    let server = Server::start_on(db, &log, &[], port);
    let mut confirmed: BTreeSet<String> = BTreeSet::new();
    for s in &seen {
        confirmed.extend(s.confirmed.iter().cloned());
        if let Some((key, pool, person)) = &s.in_flight {
            let (status, b) = http(
                port,
                "POST",
                "/api/v1/bookings",
                &token,
                &body(key, pool, person),
            )
            .unwrap();
            match status {
                201 => {
                    confirmed.insert(key.clone());
                }
                409 => {}
                _ => panic!("{status}: {b}"),
            }
        }
    }
    server.stop();

    // the invariants, read from the database
    runtime.block_on(async {
        let store = Store::connect(&db.url).await.unwrap();
        let pools = all_pools(&store).await.unwrap();
        let bookings = all_bookings(&store).await.unwrap();
        for p in &pools {
            let of = |t: Tranche| {
                bookings
                    .iter()
                    .filter(|b| b.pool_id == p.pool_id && b.tranche == t)
                    .count() as u32
            };
            assert_eq!(
                (of(Tranche::Reserved), of(Tranche::Public)),
                (p.pool.booked_reserved(), p.pool.booked_public()),
                "{}: counters = rows",
                p.pool_id
            );
            assert!(p.pool.booked_reserved() <= p.pool.reserved());
            assert!(p.pool.booked_reserved() + p.pool.booked_public() <= p.pool.capacity());
        }
        assert!(
            bookings
                .iter()
                .all(|b| !(b.channel == Channel::Public && b.tranche == Tranche::Reserved)),
            "no public booking in reserved capacity"
        );
        let stored: BTreeSet<String> = bookings.iter().map(|b| b.key.to_string()).collect();
        assert_eq!(stored, confirmed, "stored = confirmed, after the retries");
        assert!(stored.len() >= 600);
    });
}
