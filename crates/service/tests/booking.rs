//! Booking slots under a storm (issue 4): 64 concurrent clients against one booker on each
//! store, and against two bookers ("two servers", each with its own connection pool) on
//! one PostgreSQL database, booking 2,000 slots of which a third are reserved; then the
//! invariants: no pool over capacity, no public booking in reserved capacity, counters
//! equal to the rows, every booking a client saw confirmed is stored and no other is.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use chrono::{Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};
use yilian_domain::capacity::{BookingError, Channel, Pool, Tranche};
use yilian_domain::ids::{BookingKey, PoolId, ResidentId};
use yilian_domain::policy::Profile;
use yilian_service::booking::{
    BookError, BookRequest, Booker, PoolSetupError, book_batch, open_pools,
};
use yilian_store::capacity::{PoolRow, all_bookings, all_pools};
use yilian_store::{Store, dbtest};
use yilian_synth::{CityParams, demo_city};

const POOLS: usize = 50;
const SLOTS_PER_POOL: u32 = 40;
/// ⌈40 / 3⌉: at least a third, as QUOTA-1 asks of a lead.
const RESERVED_PER_POOL: u32 = 14;
const CLIENTS: usize = 64;
const TRIES_PER_CLIENT: usize = 50;

/// Stores a small city and opens the hot pools at its first lead hospital, the release
/// under way (reserved and public open, nothing returned yet).
async fn city_with_pools(store: &Store) -> Vec<PoolId> {
    let city = demo_city(&CityParams {
        seed: 2,
        residents: 500,
        grids: 2,
    });
    yilian_service::import::store_city(store, &city.registry, city.residents.clone(), "test")
        .await
        .unwrap();
    let lead = city.registry.consortia[0].lead.clone();
    let now = Utc::now();
    let times = yilian_synth::release_under_way(now);
    let rows: Vec<PoolRow> = (0..POOLS)
        .map(|k| PoolRow {
            pool_id: PoolId::parse(&format!("P{k:03}")).unwrap(),
            institution_id: lead.clone(),
            department: format!("dept-{}", k % 20),
            day: (now + Duration::days(2)).date_naive(),
            session: "am".into(),
            pool: Pool::new(SLOTS_PER_POOL, RESERVED_PER_POOL, times).unwrap(),
        })
        .collect();
    let profile = Profile::builtin("national").unwrap();
    open_pools(store, &rows, &profile, "test")
        .await
        .unwrap()
        .unwrap();
    rows.into_iter().map(|r| r.pool_id).collect()
}

fn request(client: usize, n: usize, pools: &[PoolId]) -> BookRequest {
    // a fixed spread: every client hits every pool, 30 % referrals
    let pool = pools[(client * 7 + n * 13) % pools.len()].clone();
    let channel = if (client + n) % 10 < 3 {
        Channel::Referral
    } else {
        Channel::Public
    };
    BookRequest {
        key: BookingKey::parse(&format!("c{client}-{n}")).unwrap(),
        pool,
        resident: ResidentId::parse(&format!("R{client}-{n}")).unwrap(),
        channel,
        by: format!("client{client}"),
    }
}

/// Runs the storm against `bookers` (clients spread over them); returns the keys each
/// client saw confirmed.
async fn storm(bookers: &[Booker], pools: &[PoolId]) -> BTreeSet<String> {
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let booker = bookers[client % bookers.len()].clone();
        let pools = pools.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut confirmed = Vec::new();
            for n in 0..TRIES_PER_CLIENT {
                let req = request(client, n, &pools);
                let result = loop {
                    // a database error stored nothing: retry with the same key
                    match booker.book(req.clone()).await {
                        Ok(r) => break r,
                        Err(_) => tokio::task::yield_now().await,
                    }
                };
                if let Ok(b) = result {
                    assert_eq!(b.key, req.key);
                    // a repeat of a confirmed key answers the same booking
                    if n % 20 == 0 {
                        let again = booker.book(req.clone()).await.unwrap().unwrap();
                        assert_eq!(again, b);
                    }
                    confirmed.push(b.key.to_string());
                }
            }
            confirmed
        }));
    }
    let mut all = BTreeSet::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// The invariants of the issue, read back from the database.
async fn check_invariants(store: &Store, confirmed: &BTreeSet<String>) {
    let pools = all_pools(store).await.unwrap();
    let bookings = all_bookings(store).await.unwrap();
    let mut counted: BTreeMap<(&PoolId, Tranche), u32> = BTreeMap::new();
    for b in &bookings {
        *counted.entry((&b.pool_id, b.tranche)).or_default() += 1;
        assert!(
            !(b.channel == Channel::Public && b.tranche == Tranche::Reserved),
            "a public booking in reserved capacity: {b:?}"
        );
    }
    let mut total = 0;
    for p in &pools {
        let r = counted
            .get(&(&p.pool_id, Tranche::Reserved))
            .copied()
            .unwrap_or(0);
        let o = counted
            .get(&(&p.pool_id, Tranche::Public))
            .copied()
            .unwrap_or(0);
        assert_eq!(
            (r, o),
            (p.pool.booked_reserved(), p.pool.booked_public()),
            "{}",
            p.pool_id
        );
        assert!(r <= p.pool.reserved(), "{}: reserved overbooked", p.pool_id);
        assert!(r + o <= p.pool.capacity(), "{}: overbooked", p.pool_id);
        total += r + o;
    }
    let stored: BTreeSet<String> = bookings.iter().map(|b| b.key.to_string()).collect();
    assert_eq!(&stored, confirmed, "stored bookings = confirmed bookings");
    // 3,200 tries for 2,000 slots spread over every pool: every public tranche sells out
    // (reserved slots no referral asked for stay free until they return)
    let public = POOLS as u32 * (SLOTS_PER_POOL - RESERVED_PER_POOL);
    assert!(total >= public, "{total} booked, {public} public slots");
}

dbtest!(storm_of_64_clients_never_overbooks, |store| {
    let pools = city_with_pools(&store).await;
    let booker = Booker::spawn(store.clone());
    let confirmed = storm(&[booker], &pools).await;
    check_invariants(&store, &confirmed).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_sharing_postgres_never_overbook() {
    let url = yilian_store::testing::pg_database().await;
    let a = Store::connect(&url).await.unwrap();
    let b = Store::connect(&url).await.unwrap();
    let pools = city_with_pools(&a).await;
    let confirmed = storm(&[Booker::spawn(a.clone()), Booker::spawn(b)], &pools).await;
    check_invariants(&a, &confirmed).await;
}

dbtest!(
    each_refusal_names_its_rule_and_a_reused_key_is_caught,
    |store| {
        let pools = city_with_pools(&store).await;
        let now = Utc::now();
        let req = |key: &str, channel| BookRequest {
            key: BookingKey::parse(key).unwrap(),
            pool: pools[0].clone(),
            resident: ResidentId::parse("R1").unwrap(),
            channel,
            by: "test".into(),
        };
        // fill the public tranche (26 slots), then a public booking is refused by QUOTA-1
        let publics: Vec<_> = (0..26)
            .map(|k| req(&format!("p{k}"), Channel::Public))
            .collect();
        let results = book_batch(&store, &publics, now, "t").await.unwrap();
        assert!(results.iter().all(Result::is_ok));
        let more = book_batch(&store, &[req("p26", Channel::Public)], now, "t")
            .await
            .unwrap();
        assert_eq!(
            more[0],
            Err(BookError::Refused(BookingError::ReservedForReferrals))
        );
        // the same request twice in one batch books once; the same key for another booking
        // is refused
        let twice = book_batch(
            &store,
            &[req("r1", Channel::Referral), req("r1", Channel::Referral)],
            now,
            "t",
        )
        .await
        .unwrap();
        assert_eq!(twice[0], twice[1]);
        assert_eq!(twice[0].as_ref().unwrap().tranche, Tranche::Reserved);
        let reused = book_batch(&store, &[req("r1", Channel::Public)], now, "t")
            .await
            .unwrap();
        assert_eq!(
            reused[0],
            Err(BookError::KeyReused(BookingKey::parse("r1").unwrap()))
        );
        // an unknown pool, and a session that has begun
        let mut ghost = req("g", Channel::Public);
        ghost.pool = PoolId::parse("nope").unwrap();
        let late = now + Duration::days(3);
        let r = book_batch(&store, &[ghost, req("late", Channel::Referral)], late, "t")
            .await
            .unwrap();
        assert_eq!(
            r[0],
            Err(BookError::NoSuchPool(PoolId::parse("nope").unwrap()))
        );
        assert_eq!(r[1], Err(BookError::Refused(BookingError::Closed)));
        assert_eq!(all_bookings(&store).await.unwrap().len(), 27);
    }
);

dbtest!(
    a_lead_pool_below_a_third_reserved_is_refused_by_quota_1,
    |store| {
        city_with_pools(&store).await;
        let pools = all_pools(&store).await.unwrap();
        let mut thin = pools[0].clone();
        thin.pool_id = PoolId::parse("thin").unwrap();
        thin.pool = Pool::new(30, 9, *thin.pool.times()).unwrap();
        let profile = Profile::builtin("national").unwrap();
        let r = open_pools(&store, &[thin], &profile, "test").await.unwrap();
        assert!(matches!(
            r,
            Err(PoolSetupError::ReservedTooSmall {
                reserved: 9,
                capacity: 30,
                ..
            })
        ));
    }
);
