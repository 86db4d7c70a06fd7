//! Import throughput: a city folder (datagen output) imported into a fresh database, several
//! runs, median rows per second over all rows of the folder (residents dominate).
//!
//! ```text
//! cargo bench -p yilian-service --bench import -- --data DIR [--pg postgres://…/postgres] [--runs 3]
//! ```
//! Estimate written before measuring (STYLE 19): parsing a 70-byte CSV row and assigning
//! its grid cost about 1 µs; a batched upsert into SQLite about 3 µs per row, so roughly
//! 250k rows/s embedded; PostgreSQL pays a network round trip per 1,000-row statement
//! and WAL on the server, so about a third of that.

use std::path::PathBuf;
use std::time::Instant;
use yilian_store::Store;

struct Args {
    data: PathBuf,
    pg: Option<String>,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args {
        data: PathBuf::new(),
        pg: None,
        runs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--data" => a.data = it.next().map(PathBuf::from).expect("--data DIR"),
            "--pg" => a.pg = it.next(),
            "--runs" => a.runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            _ => {} // cargo bench passes --bench
        }
    }
    assert!(
        a.data.join("grids.geojson").exists(),
        "usage: -- --data DIR (a datagen city folder)"
    );
    a
}

fn rows_in(dir: &std::path::Path) -> u64 {
    [
        "institutions.csv",
        "consortia.csv",
        "memberships.csv",
        "teams.csv",
        "residents.csv",
    ]
    .iter()
    .filter_map(|f| std::fs::read(dir.join(f)).ok())
    .map(|b| b.iter().filter(|c| **c == b'\n').count().saturating_sub(1) as u64)
    .sum()
}

async fn fresh(backend: &str, pg: Option<&str>, run: usize, tmp: &std::path::Path) -> Store {
    let url = match backend {
        "sqlite" => tmp
            .join(format!("bench{run}.db"))
            .to_string_lossy()
            .into_owned(),
        _ => yilian_store::testing::pg_database_on(pg.expect("postgres URL")).await,
    };
    Store::connect(&url).await.expect("open the store")
}

#[tokio::main]
async fn main() {
    let a = args();
    let rows = rows_in(&a.data);
    let tmp = tempfile::tempdir().expect("tmp");
    let mut backends = vec!["sqlite"];
    if a.pg.is_some() {
        backends.push("postgres");
    }
    println!(
        "import of {} ({rows} rows), {} runs per store",
        a.data.display(),
        a.runs
    );
    for backend in backends {
        let mut secs = Vec::new();
        for run in 0..a.runs {
            let store = fresh(backend, a.pg.as_deref(), run, tmp.path()).await;
            let t = Instant::now();
            let r = yilian_service::import::import_dir(&store, &a.data, "bench", |_, _| ())
                .await
                .expect("import");
            secs.push(t.elapsed().as_secs_f64());
            assert!(r.changes.residents > 0);
            store.close().await;
        }
        secs.sort_by(f64::total_cmp);
        let median = secs[secs.len() / 2];
        println!(
            "{backend:9} median {median:.2} s (min {:.2}, max {:.2})  {:.0} rows/s",
            secs[0],
            secs[secs.len() - 1],
            rows as f64 / median
        );
    }
}
