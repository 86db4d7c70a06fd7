//! Page latency with a year of referrals (issue 4: "the referral inbox and pool pages
//! render in under 50 ms at p99 with a year of a 1M-resident city's referrals stored").
//!
//! Builds the demo city (1,000,000 residents by default), stores it and a year of its
//! referrals (`yilian_synth::year_of_referrals`), then requests each page through the whole
//! router — sign-in by token, access check, queries, rendering — one request at a time, as
//! the referral desk of the busiest lead hospital (its inbox, and the pool view of a month
//! of its slot and bed pools) and as the family doctor of the busiest team, and prints the
//! median and p99 of each.
//!
//! ```text
//! cargo bench -p yilian-server --bench pages -- [--pg postgres://…/postgres] [--residents 1000000] [--requests 300]
//! ```
//!
//! Estimate written before measuring (STYLE 19): the busiest lead receives ~1/20 of
//! ~60,000 referrals a year, so an inbox query reads a few thousand index entries and
//! returns at most 500 rows (~1 ms), and rendering 500 rows of HTML is ~1 ms; the registry
//! load for the access check (a few thousand institutions and teams) dominates at ~5–10 ms.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use std::collections::BTreeMap;
use std::time::Instant;
use tower::ServiceExt;
use yilian_domain::ids::UserId;
use yilian_domain::policy::Profile;
use yilian_server::{AppState, router};
use yilian_service::identity::Keyring;
use yilian_store::Store;
use yilian_synth::{CityParams, demo_city, year_of_referrals};

/// What to measure.
#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to run on instead of SQLite (`postgres://…/postgres`).
    #[arg(long)]
    pg: Option<String>,
    /// Residents of the demo city.
    #[arg(long, default_value_t = 1_000_000)]
    residents: u32,
    /// Timed requests per page.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn args() -> Args {
    <Args as clap::Parser>::parse()
}

async fn token(store: &Store, id: &str, grant: &str) -> String {
    let uid = UserId::parse(id).expect("user id");
    let g = yilian_service::account::parse_grant(grant).expect("grant");
    yilian_service::account::add_user(store, uid.clone(), id.into(), vec![g], None, "bench")
        .await
        .expect("add user");
    let t = yilian_service::auth::create_token(store, &uid, "bench", 1, Utc::now(), "bench")
        .await
        .expect("token")
        .expect("token made");
    t.secret.reveal().to_owned()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let url =
        a.pg.clone()
            .unwrap_or_else(|| dir.path().join("pages.db").to_string_lossy().into_owned());
    let store = Store::connect(&url).await.expect("store");
    let params = CityParams {
        seed: 2026,
        residents: a.residents,
        grids: 20,
    };
    let t = Instant::now();
    let city = demo_city(&params);
    yilian_service::import::store_city(&store, &city.registry, city.residents.clone(), "bench")
        .await
        .expect("import");
    let year = year_of_referrals(&city, 1, Utc::now());
    let profile = Profile::builtin("national").expect("profile");
    let mut tx = store.begin().await.expect("tx");
    for r in &year {
        let due = yilian_service::referral::next_alarm(r, &profile).map(|x| x.at);
        assert!(
            yilian_store::referral::put(&mut tx, r, 0, due)
                .await
                .expect("put")
        );
    }
    tx.commit().await.expect("commit");
    let backend = if a.pg.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "{backend}: {} residents, {} referrals of a year stored in {:.1} s",
        city.residents.len(),
        year.len(),
        t.elapsed().as_secs_f64()
    );

    // the busiest receiver (a lead) and the busiest receiving team
    let mut to_lead: BTreeMap<&str, usize> = BTreeMap::new();
    let mut to_team: BTreeMap<String, usize> = BTreeMap::new();
    for r in &year {
        match &r.opened.team {
            None => *to_lead.entry(r.opened.to.as_str()).or_default() += 1,
            Some(t) => *to_team.entry(t.to_string()).or_default() += 1,
        }
    }
    let (lead, lead_n) = to_lead.iter().max_by_key(|(_, n)| **n).expect("a lead");
    let (team, team_n) = to_team.iter().max_by_key(|(_, n)| **n).expect("a team");
    // a month of the lead's pools: five departments' morning and afternoon sessions (a
    // third reserved) and three wards' beds (a quarter reserved)
    let today = yilian_service::today();
    let lead_id = yilian_domain::ids::InstitutionId::parse(lead).expect("lead id");
    let mut rows = Vec::new();
    for d in 0..30 {
        let day = today + chrono::Duration::days(d);
        let slots = [
            "cardiology",
            "endocrinology",
            "neurology",
            "respiratory",
            "surgery",
        ]
        .into_iter()
        .flat_map(|dept| [(dept, "am"), (dept, "pm")])
        .map(|(dept, session)| (dept, session, "slot", 60, 20));
        let beds = ["ward-1", "ward-2", "ward-3"].map(|w| (w, "day", "bed", 40, 10));
        for (department, session, kind, capacity, reserved) in slots.chain(beds) {
            let ask = yilian_service::capacity::PoolAsk {
                institution: lead_id.clone(),
                department,
                day,
                session,
                kind,
                capacity,
                reserved,
            };
            rows.push(ask.row(today).expect("a pool as asked"));
        }
    }
    yilian_service::booking::open_pools(&store, &rows, &profile, "bench")
        .await
        .expect("open pools")
        .expect("pools pass QUOTA-1/2");
    println!("{} pools opened at {lead}", rows.len());
    let desk = token(&store, "desk", &format!("referral_desk@institution:{lead}")).await;
    let fd = token(&store, "fd", &format!("family_doctor@team:{team}")).await;
    let t = Instant::now();
    let reg = yilian_store::registry::load_registry(&store)
        .await
        .expect("registry");
    println!(
        "registry: {} institutions, {} teams, {} memberships, loaded in {:.2} ms",
        reg.institutions.len(),
        reg.teams.len(),
        reg.memberships.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let app = router(AppState::new(store.clone(), profile, Keyring::generate()));
    let view = format!("/api/v1/pool-view?institution={lead}");
    let pages = [
        ("desk", &desk, "/api/v1/referrals?box=inbox", *lead_n),
        ("desk", &desk, "/referrals", *lead_n),
        ("family doctor", &fd, "/referrals", *team_n),
        ("desk", &desk, view.as_str(), *lead_n),
        ("desk", &desk, "/pools", *lead_n),
    ];
    println!("page | as | referrals received in the year | bytes | median ms | p99 ms");
    for (who, tok, path, n) in pages {
        let mut ms = Vec::with_capacity(a.requests);
        let mut bytes = 0;
        for k in 0..a.requests + 20 {
            let req = Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                .body(Body::empty())
                .expect("request");
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.expect("response");
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .expect("body");
            if k >= 20 {
                ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
            bytes = body.len();
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{path} | {who} | {n} | {bytes} | {:.2} | {:.2}",
            percentile(&ms, 0.5),
            percentile(&ms, 0.99)
        );
    }
}
