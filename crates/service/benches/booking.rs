//! Booking throughput during a release storm: 64 clients booking into 50 hot pools, 70 %
//! public and 30 % referral, with the capacity and reserved-share checks and durable
//! commits, through the group-commit [`Booker`]; on SQLite and, given `--pg`, on
//! PostgreSQL with one booker and with two ("two servers", each with its own connection
//! pool). The pools are large (200,000 slots, a third reserved) so that every request
//! books, as in the pgbench anchor's throughput scenario; the invariants are checked
//! after each run.
//!
//! ```text
//! cargo bench -p yilian-service --bench booking -- [--pg postgres://…/postgres] [--clients 64] [--seconds 10] [--runs 3]
//! ```
//!
//! Estimate written before measuring (STYLE 19): a batch of ~64 bookings costs one
//! durable commit (~1–2 ms of fsync on this disk) plus ~10 µs a booking of SQL on SQLite
//! and ~3 statements per batch on PostgreSQL, so about 25,000–40,000 bookings/s embedded
//! and 20,000–30,000/s on PostgreSQL; latency is a batch or two, a few milliseconds.

use chrono::{Duration, Utc};
use std::time::{Duration as StdDuration, Instant};
use yilian_domain::capacity::{Channel, Pool};
use yilian_domain::ids::{BookingKey, PoolId, ResidentId};
use yilian_domain::policy::Profile;
use yilian_service::booking::{BookRequest, Booker, Mode, open_pools};
use yilian_store::Store;
use yilian_store::capacity::{PoolRow, all_bookings, all_pools};
use yilian_synth::{CityParams, demo_city};

const HOT_POOLS: usize = 50;
const POOL_SLOTS: u32 = 200_000;
const POOL_RESERVED: u32 = 66_667;

/// What to measure.
#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to run on as well (`postgres://…/postgres`).
    #[arg(long)]
    pg: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Runs per setup.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn args() -> Args {
    <Args as clap::Parser>::parse()
}

/// A small city and the hot pools at its first lead hospital, release under way.
async fn prepare(store: &Store) -> Vec<PoolId> {
    let city = demo_city(&CityParams {
        seed: 3,
        residents: 200,
        grids: 2,
    });
    yilian_service::import::store_city(store, &city.registry, city.residents, "bench")
        .await
        .expect("city");
    let now = Utc::now();
    let times = yilian_synth::release_under_way(now);
    let lead = city.registry.consortia[0].lead.clone();
    let rows: Vec<PoolRow> = (0..HOT_POOLS)
        .map(|k| PoolRow {
            pool_id: PoolId::parse(&format!("HOT{k:02}")).expect("id"),
            institution_id: lead.clone(),
            department: format!("dept-{k}"),
            day: (now + Duration::days(2)).date_naive(),
            session: "am".into(),
            pool: Pool::new(POOL_SLOTS, POOL_RESERVED, times).expect("pool"),
        })
        .collect();
    let profile = Profile::builtin("national").expect("profile");
    open_pools(store, &rows, &profile, "bench")
        .await
        .expect("db")
        .expect("QUOTA-1 met");
    rows.into_iter().map(|r| r.pool_id).collect()
}

/// One run: `clients` tasks over `bookers` until the deadline; returns bookings and the
/// latencies in microseconds.
async fn run(
    bookers: &[Booker],
    pools: &[PoolId],
    clients: usize,
    seconds: u64,
) -> (u64, Vec<u32>, f64) {
    let start = Instant::now();
    let deadline = start + StdDuration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let booker = bookers[c % bookers.len()].clone();
        let pools = pools.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut booked = 0u64;
            // a per-client linear congruential stream: the same choices every run
            let mut x = (c as u64 + 1).wrapping_mul(6_364_136_223_846_793_005);
            let mut n = 0u64;
            while Instant::now() < deadline {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let pool = pools[((x >> 33) % pools.len() as u64) as usize].clone();
                let channel = if (x >> 20) % 10 < 3 {
                    Channel::Referral
                } else {
                    Channel::Public
                };
                let req = BookRequest {
                    key: BookingKey::parse(&format!("b{c}-{n}")).expect("key"),
                    pool,
                    resident: ResidentId::parse(&format!("R{c}-{n}")).expect("id"),
                    channel,
                    by: "bench".into(),
                    mode: Mode::Book,
                };
                n += 1;
                let t = Instant::now();
                let result = booker.book(req).await.expect("database");
                lat.push(t.elapsed().as_micros() as u32);
                if result.is_ok() {
                    booked += 1;
                }
            }
            (booked, lat)
        }));
    }
    let mut booked = 0;
    let mut lat = Vec::new();
    for t in tasks {
        let (b, l) = t.await.expect("client");
        booked += b;
        lat.extend(l);
    }
    (booked, lat, start.elapsed().as_secs_f64())
}

/// Counters equal the rows and nothing is over capacity.
async fn verify(store: &Store, booked: u64) {
    let pools = all_pools(store).await.expect("pools");
    let rows = all_bookings(store).await.expect("bookings");
    let counted: u64 = pools
        .iter()
        .map(|p| {
            assert!(p.pool.booked_reserved() <= p.pool.reserved());
            assert!(p.pool.booked_reserved() + p.pool.booked_public() <= p.pool.capacity());
            u64::from(p.pool.booked_reserved() + p.pool.booked_public())
        })
        .sum();
    assert_eq!(counted, rows.len() as u64, "counters = rows");
    assert_eq!(counted, booked, "rows = confirmations");
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[k]) / 1000.0
}

#[tokio::main]
async fn main() {
    let a = args();
    let tmp = tempfile::tempdir().expect("tmp");
    let mut setups: Vec<(&str, usize)> = vec![("sqlite", 1)];
    if a.pg.is_some() {
        setups.push(("postgres", 1));
        setups.push(("postgres", 2));
    }
    println!(
        "booking storm: {} clients, {HOT_POOLS} hot pools, 70/30 public/referral, {} s per run, {} runs",
        a.clients, a.seconds, a.runs
    );
    for (backend, servers) in setups {
        let mut rates = Vec::new();
        let mut p50s = Vec::new();
        let mut p99s = Vec::new();
        for r in 0..a.runs {
            let url = match backend {
                "sqlite" => tmp
                    .path()
                    .join(format!("book{r}.db"))
                    .to_string_lossy()
                    .into_owned(),
                _ => yilian_store::testing::pg_database_on(a.pg.as_deref().expect("pg")).await,
            };
            let first = Store::connect(&url).await.expect("store");
            let pools = prepare(&first).await;
            let mut bookers = vec![Booker::spawn(first.clone())];
            for _ in 1..servers {
                bookers.push(Booker::spawn(Store::connect(&url).await.expect("store")));
            }
            let (booked, mut lat, secs) = run(&bookers, &pools, a.clients, a.seconds).await;
            verify(&first, booked).await;
            lat.sort_unstable();
            rates.push(booked as f64 / secs);
            p50s.push(percentile(&lat, 0.50));
            p99s.push(percentile(&lat, 0.99));
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (lo, hi) = (
            rates.iter().copied().fold(f64::INFINITY, f64::min),
            rates.iter().copied().fold(0.0, f64::max),
        );
        println!(
            "{backend:9} {servers} booker(s): median {:.0} bookings/s (min {lo:.0}, max {hi:.0}); latency p50 {:.2} ms, p99 {:.2} ms (medians of runs)",
            median(&mut rates),
            median(&mut p50s),
            median(&mut p99s),
        );
    }
}
