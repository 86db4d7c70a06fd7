//! Test support: a fresh store on each backend, and [`dbtest!`](crate::dbtest) to run one
//! test body on both (STYLE 18: the backends drift apart silently otherwise).
//!
//! PostgreSQL comes from `YILIAN_TEST_PG_URL` (the test command `.ci/test` starts a
//! throwaway cluster and sets it); each test gets a database of its own.

use crate::Store;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh SQLite store in a temporary folder that lives as long as the guard.
pub async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = dir.path().join("test.db");
    let store = Store::connect(&url.to_string_lossy())
        .await
        .expect("open sqlite");
    (dir, store)
}

/// The admin URL of the test cluster.
pub fn pg_admin_url() -> String {
    std::env::var("YILIAN_TEST_PG_URL").expect(
        "YILIAN_TEST_PG_URL is not set: run the tests with `.ci/test`, which starts a throwaway \
         PostgreSQL cluster (every store test runs on SQLite and on PostgreSQL)",
    )
}

/// A fresh PostgreSQL database on the test cluster; returns its URL.
pub async fn pg_database() -> String {
    pg_database_on(&pg_admin_url()).await
}

/// A fresh PostgreSQL database on the cluster `admin` (a URL ending in `/DATABASE`)
/// names; returns its URL. Tests and benchmarks each get a database of their own.
pub async fn pg_database_on(admin: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "yilian_t{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos()
    );
    let pool = sqlx::PgPool::connect(admin)
        .await
        .expect("connect to the test cluster");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    match admin.rfind('/') {
        Some(k) => format!("{}/{name}", &admin[..k]),
        None => panic!("the PostgreSQL URL must end in /DATABASE"),
    }
}

/// A fresh PostgreSQL store.
pub async fn postgres() -> Store {
    Store::connect(&pg_database().await)
        .await
        .expect("open postgres")
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Declares a test module whose body runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! dbtest {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (_dir, $store) = $crate::testing::sqlite().await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $store = $crate::testing::postgres().await;
                $body
            }
        }
    };
}
