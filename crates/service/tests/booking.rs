//! Booking slots under a storm (issue 4): 64 concurrent clients against one booker on each
//! store, and against two bookers ("two servers", each with its own connection pool) on
//! one PostgreSQL database, booking 2,000 slots of which a third are reserved; then the
//! invariants: no pool over capacity, no public booking in reserved capacity, counters
//! equal to the rows, every booking a client saw confirmed is stored and no other is.
//! Then each bad input of a booking's life: a full tranche, a hold that expired, the
//! same request twice, a cancel after the start, a no-show before it; bed pools; and two
//! sweeps racing on one PostgreSQL database.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use chrono::{Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};
use yilian_domain::capacity::{
    BED_ARRIVAL_DEFAULT_S, BookingError, BookingStatus, Change, ChangeError, Channel, HoldError,
    Pool, PoolKind, SLOT_HOLD_TTL_DEFAULT_S, Tranche,
};
use yilian_domain::ids::{BookingKey, PoolId, ResidentId};
use yilian_domain::policy::Profile;
use yilian_service::booking::{
    BookError, BookRequest, Booker, Mode, PoolSetupError, book_batch, open_pools,
};
use yilian_service::capacity::{ChangeFailure, change, pool_view, sweep};
use yilian_store::capacity::{Days, PoolRow, all_bookings, all_pools};
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
        mode: Mode::Book,
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
            mode: Mode::Book,
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

fn ask(key: &str, pool: &PoolId, channel: Channel, mode: Mode) -> BookRequest {
    BookRequest {
        key: BookingKey::parse(key).unwrap(),
        pool: pool.clone(),
        resident: ResidentId::parse(&format!("R-{key}")).unwrap(),
        channel,
        by: "test".into(),
        mode,
    }
}

const HOLD: Mode = Mode::Hold { until: None };

async fn pool_of(store: &Store, id: &PoolId) -> Pool {
    all_pools(store)
        .await
        .unwrap()
        .into_iter()
        .find(|p| &p.pool_id == id)
        .unwrap()
        .pool
}

async fn events_of(store: &Store, kind: &str) -> usize {
    yilian_store::event::read_after(store, 0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

dbtest!(
    holds_count_against_capacity_and_a_hold_that_expired_is_refused,
    |store| {
        let pools = city_with_pools(&store).await;
        let p = &pools[0];
        let now = Utc::now();
        // holds take the public tranche like bookings: the next public request is refused
        let holds: Vec<_> = (0..26)
            .map(|k| ask(&format!("h{k}"), p, Channel::Public, HOLD))
            .collect();
        let held = book_batch(&store, &holds, now, "t").await.unwrap();
        assert!(
            held.iter()
                .all(|r| r.as_ref().unwrap().status == BookingStatus::Held)
        );
        let more = book_batch(
            &store,
            &[ask("x", p, Channel::Public, Mode::Book)],
            now,
            "t",
        )
        .await
        .unwrap();
        assert_eq!(
            more[0],
            Err(BookError::Refused(BookingError::ReservedForReferrals))
        );
        // the same hold request twice: one hold
        let again = book_batch(&store, &holds[..1], now, "t").await.unwrap();
        assert_eq!(again[0], held[0]);
        // a deadline beyond the slot maximum is refused, naming the field
        let far = Mode::Hold {
            until: Some(now + Duration::hours(2)),
        };
        let r = book_batch(&store, &[ask("far", p, Channel::Referral, far)], now, "t")
            .await
            .unwrap();
        assert!(matches!(&r[0], Err(BookError::Hold(HoldError::TooLong(_)))));
        assert!(r[0].as_ref().unwrap_err().to_string().contains("until"));
        // confirmed in time: booked; the hold event and the confirmation are events
        let key = |k: &str| BookingKey::parse(k).unwrap();
        let b = change(&store, &key("h0"), Change::Confirm, now, "test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(b.status, BookingStatus::Booked);
        // a hold that expired: refused, and nothing changes
        let late = now + Duration::seconds(SLOT_HOLD_TTL_DEFAULT_S);
        let r = change(&store, &key("h1"), Change::Confirm, late, "test")
            .await
            .unwrap();
        assert!(matches!(
            r,
            Err(ChangeFailure::Refused(ChangeError::HoldExpired(_)))
        ));
        assert_eq!(pool_of(&store, p).await.booked_public(), 26);
        // the sweep releases the 25 open holds once
        assert_eq!(sweep(&store, late).await.unwrap(), 25);
        assert_eq!(sweep(&store, late).await.unwrap(), 0);
        assert_eq!(pool_of(&store, p).await.booked_public(), 1);
        assert_eq!(events_of(&store, "HoldsPlaced").await, 1);
        assert_eq!(events_of(&store, "HoldConfirmed").await, 1);
        assert_eq!(events_of(&store, "HoldsExpired").await, 1);
        let r = change(&store, &key("h1"), Change::Confirm, late, "test")
            .await
            .unwrap();
        assert_eq!(
            r,
            Err(ChangeFailure::Refused(ChangeError::Status(
                BookingStatus::Expired
            )))
        );
        let ghost = change(&store, &key("ghost"), Change::Cancel, now, "test")
            .await
            .unwrap();
        assert_eq!(ghost, Err(ChangeFailure::NoSuchBooking(key("ghost"))));
    }
);

dbtest!(
    cancel_returns_capacity_before_the_start_and_no_show_counts_wasted,
    |store| {
        let pools = city_with_pools(&store).await;
        let p = &pools[0];
        let now = Utc::now();
        let reqs = [
            ask("a", p, Channel::Referral, Mode::Book),
            ask("b", p, Channel::Referral, Mode::Book),
        ];
        book_batch(&store, &reqs, now, "t").await.unwrap();
        let key = |k: &str| BookingKey::parse(k).unwrap();
        let c = change(&store, &key("a"), Change::Cancel, now, "test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.status, BookingStatus::Cancelled);
        assert_eq!(pool_of(&store, p).await.booked_reserved(), 1);
        // cancelling twice gives nothing back twice
        let again = change(&store, &key("a"), Change::Cancel, now, "test")
            .await
            .unwrap();
        assert_eq!(again, Ok(c));
        assert_eq!(pool_of(&store, p).await.booked_reserved(), 1);
        let starts = pool_of(&store, p).await.times().starts_at;
        // a no-show before the start, a cancel after it: refused
        let early = change(&store, &key("b"), Change::NoShow, now, "test")
            .await
            .unwrap();
        assert_eq!(
            early,
            Err(ChangeFailure::Refused(ChangeError::NotStarted(starts)))
        );
        let after = change(&store, &key("b"), Change::Cancel, starts, "test")
            .await
            .unwrap();
        assert_eq!(
            after,
            Err(ChangeFailure::Refused(ChangeError::Started(starts)))
        );
        let ns = change(&store, &key("b"), Change::NoShow, starts, "test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ns.status, BookingStatus::NoShow);
        assert_eq!(events_of(&store, "BookingCancelled").await, 1);
        assert_eq!(events_of(&store, "NoShowRecorded").await, 1);
        // the view: 40 slots, 14 reserved; once started, all 40 unused or not attended
        let inst = all_pools(&store).await.unwrap()[0].institution_id.clone();
        let day = all_pools(&store).await.unwrap()[0].day;
        let view = pool_view(&store, &inst, Days::one(day), starts)
            .await
            .unwrap();
        let line = view.iter().find(|l| l.department == "dept-0").unwrap();
        // dept-0 holds pools P000, P020, P040: 120 slots, 42 reserved
        assert_eq!(line.figures.capacity, 120);
        assert_eq!(line.figures.reserved, 42);
        assert_eq!(line.figures.used_by_referrals, 0);
        // the no-show's reserved slot was used (and wasted): 41 returned
        assert_eq!(line.figures.returned, 41);
        assert_eq!(line.figures.wasted, 120);
        // before the return time nothing is returned or wasted yet; a no-show is no use
        let before = pool_view(&store, &inst, Days::one(day), now).await.unwrap();
        let line = before.iter().find(|l| l.department == "dept-0").unwrap();
        assert_eq!(
            (
                line.figures.returned,
                line.figures.wasted,
                line.figures.used_by_referrals
            ),
            (0, 0, 0)
        );
    }
);

dbtest!(a_bed_is_held_until_arrival_or_its_deadline, |store| {
    city_with_pools(&store).await;
    let lead = all_pools(&store).await.unwrap()[0].institution_id.clone();
    let now = Utc::now();
    let times = yilian_synth::release_under_way(now);
    let beds = |id: &str, reserved| PoolRow {
        pool_id: PoolId::parse(id).unwrap(),
        institution_id: lead.clone(),
        department: "心内科病区".into(),
        day: times.starts_at.date_naive(),
        session: "day".into(),
        pool: Pool::of_kind(PoolKind::Bed, 8, reserved, times).unwrap(),
    };
    let profile = Profile::builtin("national").unwrap();
    // QUOTA-2: a lead reserves at least a quarter of its beds
    let thin = open_pools(&store, &[beds("W1", 1)], &profile, "test")
        .await
        .unwrap();
    assert!(matches!(
        &thin,
        Err(PoolSetupError::ReservedTooSmall {
            rule: "QUOTA-2",
            ..
        })
    ));
    assert!(thin.unwrap_err().to_string().starts_with("QUOTA-2"));
    open_pools(&store, &[beds("W1", 2)], &profile, "test")
        .await
        .unwrap()
        .unwrap();
    let again = open_pools(&store, &[beds("W1", 2)], &profile, "test")
        .await
        .unwrap();
    assert_eq!(
        again,
        Err(PoolSetupError::AlreadyOpen(PoolId::parse("W1").unwrap()))
    );
    let w = PoolId::parse("W1").unwrap();
    let reqs: Vec<_> = ["in1", "in2", "in3"]
        .iter()
        .map(|k| ask(k, &w, Channel::Referral, HOLD))
        .collect();
    let held = book_batch(&store, &reqs, now, "t").await.unwrap();
    let deadline = held[0].as_ref().unwrap().held_until.unwrap();
    // the stored start (each database keeps its own precision)
    let starts = pool_of(&store, &w).await.times().starts_at;
    assert_eq!(deadline, starts + Duration::seconds(BED_ARRIVAL_DEFAULT_S));
    // two reserved beds, then a public one for the third referral
    assert_eq!(pool_of(&store, &w).await.booked_reserved(), 2);
    let key = |k: &str| BookingKey::parse(k).unwrap();
    let arrival = starts + Duration::hours(1);
    let arrived = change(&store, &key("in1"), Change::Confirm, arrival, "desk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(arrived.status, BookingStatus::Booked);
    // a no-show gives the bed back
    change(&store, &key("in2"), Change::NoShow, arrival, "desk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pool_of(&store, &w).await.booked_reserved(), 1);
    // the deadline passes: the sweep releases the third
    assert_eq!(sweep(&store, deadline).await.unwrap(), 1);
    let pool = pool_of(&store, &w).await;
    assert_eq!((pool.booked_reserved(), pool.booked_public()), (1, 0));
    let view = pool_view(&store, &lead, Days::default(), deadline)
        .await
        .unwrap();
    let line = view.iter().find(|l| l.kind == PoolKind::Bed).unwrap();
    assert_eq!(
        (
            line.figures.capacity,
            line.figures.used_by_referrals,
            line.figures.wasted
        ),
        (8, 1, 7)
    );
});

/// Two servers sweeping one PostgreSQL database at once release each hold once: the
/// counters end equal to the bookings that still take capacity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sweeps_at_once_on_postgres_release_each_hold_once() {
    let url = yilian_store::testing::pg_database().await;
    let a = Store::connect(&url).await.unwrap();
    let b = Store::connect(&url).await.unwrap();
    let pools = city_with_pools(&a).await;
    let now = Utc::now();
    let holds: Vec<_> = (0..400)
        .map(|k| {
            ask(
                &format!("h{k}"),
                &pools[k % pools.len()],
                Channel::Referral,
                HOLD,
            )
        })
        .collect();
    let held = book_batch(&a, &holds, now, "t").await.unwrap();
    let n = held.iter().filter(|r| r.is_ok()).count();
    let late = now + Duration::seconds(SLOT_HOLD_TTL_DEFAULT_S);
    let (x, y) = tokio::join!(sweep(&a, late), sweep(&b, late));
    assert_eq!(x.unwrap() + y.unwrap(), n);
    for p in all_pools(&a).await.unwrap() {
        assert_eq!(
            (p.pool.booked_reserved(), p.pool.booked_public()),
            (0, 0),
            "{}",
            p.pool_id
        );
    }
}
