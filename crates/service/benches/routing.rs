//! Routing one patient on a city of a million residents: read the resident (primary key),
//! pick the grid group's receivers from the registry held in memory, read their slot pools
//! of the coming week in one indexed query, rank them. On SQLite and, given `--pg`, on
//! PostgreSQL; every lead and tier-2 member publishes a month of pools in 8 departments
//! and two sessions a day.
//!
//! ```text
//! cargo bench -p yilian-service --bench routing -- [--pg postgres://…/postgres] [--residents 1000000] [--calls 2000]
//! ```
//!
//! Estimate written before measuring (STYLE 19): the registry part is a scan of one
//! group's few dozen memberships, microseconds; the resident read is one B-tree lookup
//! (~20 µs embedded, ~100 µs over a local socket); the pools query reads a group's ~40
//! receivers × 7 days × 16 pools ≈ 1,000 index entries of which the department keeps
//! ~60 rows: ~0.3 ms on SQLite and ~0.5 ms on PostgreSQL. So about 0.5 ms a routing,
//! 2,000 routings/s on one connection, p99 under 2 ms.

use chrono::{Days, Utc};
use std::time::Instant;
use yilian_domain::capacity::Pool;
use yilian_domain::ids::PoolId;
use yilian_domain::policy::Profile;
use yilian_domain::referral::Urgency;
use yilian_domain::registry::{Level, MemberRole, Registry};
use yilian_domain::routing::Need;
use yilian_service::booking::open_pools;
use yilian_service::routing::{RouteRequest, propose};
use yilian_store::Store;
use yilian_store::capacity::PoolRow;
use yilian_synth::{CityParams, demo_city};

const DEPARTMENTS: [&str; 8] = [
    "cardiology",
    "endocrinology",
    "neurology",
    "respiratory",
    "nephrology",
    "orthopaedics",
    "gynaecology",
    "paediatrics",
];
const POOL_DAYS: u64 = 30;

/// What to measure.
#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to run on as well (`postgres://…/postgres`).
    #[arg(long)]
    pg: Option<String>,
    /// Residents of the demo city.
    #[arg(long, default_value_t = 1_000_000)]
    residents: u32,
    /// Timed routings per store.
    #[arg(long, default_value_t = 2_000)]
    calls: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn args() -> Args {
    <Args as clap::Parser>::parse()
}

/// The city, stored, with a month of pools at every lead and tier-2 member; returns the
/// residents' ids.
async fn prepare(store: &Store, residents: u32) -> Vec<yilian_domain::ids::ResidentId> {
    let city = demo_city(&CityParams {
        seed: 11,
        residents,
        grids: 8,
    });
    let ids = city.residents.iter().map(|r| r.id.clone()).collect();
    yilian_service::import::store_city(store, &city.registry, city.residents, "bench")
        .await
        .expect("city");
    let reg = &city.registry;
    let today = Utc::now().date_naive();
    let times = yilian_synth::release_under_way(Utc::now());
    let mut rows = Vec::new();
    for m in reg
        .memberships
        .iter()
        .filter(|m| m.role != MemberRole::Collaborator)
    {
        let inst = reg.institution(&m.institution_id).expect("member");
        if inst.level < Level::TIER2 {
            continue;
        }
        for d in 0..POOL_DAYS {
            for dept in DEPARTMENTS {
                for session in ["am", "pm"] {
                    rows.push(PoolRow {
                        pool_id: PoolId::parse(&format!("{}-{dept}-{d}-{session}", inst.id))
                            .expect("id"),
                        institution_id: inst.id.clone(),
                        department: dept.into(),
                        day: today.checked_add_days(Days::new(d)).expect("day"),
                        session: session.into(),
                        pool: Pool::new(30, 10, times).expect("pool"),
                    });
                }
            }
        }
    }
    rows.sort_by(|a, b| a.pool_id.cmp(&b.pool_id));
    rows.dedup_by(|a, b| a.pool_id == b.pool_id);
    println!("  {} pools", rows.len());
    let profile = Profile::builtin("national").expect("profile");
    open_pools(store, &rows, &profile, "bench")
        .await
        .expect("db")
        .expect("QUOTA-1 met");
    ids
}

async fn bench(label: &str, store: &Store, a: &Args) {
    println!("{label}: storing a city of {} residents …", a.residents);
    let ids = prepare(store, a.residents).await;
    // the registry is held in memory (the server's to cache); the resident and the pools
    // are read per routing
    let reg: Registry = yilian_store::registry::load_registry(store)
        .await
        .expect("registry");
    for department in [Some("cardiology"), None] {
        let mut lat_us = Vec::with_capacity(a.calls);
        let mut proposals = 0usize;
        let start = Instant::now();
        for k in 0..a.calls {
            let id = &ids[(k * 7_919) % ids.len()];
            let t = Instant::now();
            let r = yilian_store::registry::get_resident(store, id)
                .await
                .expect("db")
                .expect("resident");
            let req = RouteRequest {
                grid: r.grid_id.as_ref(),
                need: Need {
                    department: department.map(str::to_owned),
                    capability: None,
                },
                urgency: Urgency::Routine,
                referrer: None,
            };
            let routes = propose(store, &reg, &req, Utc::now())
                .await
                .expect("db")
                .expect("group");
            proposals += routes.proposals.len();
            lat_us.push(t.elapsed().as_micros() as u64);
        }
        let secs = start.elapsed().as_secs_f64();
        lat_us.sort_unstable();
        let pct = |p: f64| lat_us[((lat_us.len() as f64 * p) as usize).min(lat_us.len() - 1)];
        println!(
            "  department {:<12} {:>6.0} routings/s  p50 {:>5} µs  p99 {:>5} µs  ({:.1} receivers each)",
            department.unwrap_or("(any)"),
            a.calls as f64 / secs,
            pct(0.50),
            pct(0.99),
            proposals as f64 / a.calls as f64,
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = Store::connect(&dir.path().join("routing.db").to_string_lossy())
        .await
        .expect("sqlite");
    bench("SQLite", &sqlite, &a).await;
    if let Some(admin) = &a.pg {
        let url = yilian_store::testing::pg_database_on(admin).await;
        let pg = Store::connect(&url).await.expect("postgres");
        bench("PostgreSQL", &pg, &a).await;
    }
}
