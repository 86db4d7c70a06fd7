//! yilian's storage: one event log and the current-state tables, on SQLite (embedded, the
//! default) or PostgreSQL (the server). Every command writes its events and its state in
//! one transaction, so the log is the audit trail and the input of every projection.
//!
//! Both backends run the same SQL text where the dialects agree (`$1` placeholders work on
//! both); the [`with_tx!`] macro instantiates one body for each backend, so no query is
//! written twice.

pub mod account;
pub mod audit_trail;
pub mod capacity;
pub mod error;
pub mod event;
pub mod follow_up;
pub mod identity;
pub mod notice;
pub mod referral;
pub mod registry;
pub mod session;
mod sql;
pub mod webhook;

pub use error::StoreError;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// How long a SQLite writer waits for the lock before giving up (LIBRARIES.md: mandatory
/// under concurrency).
const SQLITE_BUSY_TIMEOUT_MS: u64 = 5_000;
/// Connections per pool; a SQLite file has one writer at a time anyway.
const POOL_CONNECTIONS_MAX: u32 = 8;

/// A connected database with its migrations applied.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite in WAL mode.
    Sqlite(SqlitePool),
    /// A PostgreSQL server.
    Postgres(PgPool),
}

/// An open transaction on either backend.
pub enum Tx {
    /// SQLite, begun with `BEGIN IMMEDIATE` so the write lock is taken up front.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs one body against whichever backend a [`Tx`] (or a [`Store`]) holds: `$c` is bound
/// to a `&mut` connection of the concrete type, so `sqlx::query(..).execute(&mut *$c)`
/// compiles for both.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Same as [`with_tx!`] on a pool, for reads outside a transaction.
#[macro_export]
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($p) => $body,
            $crate::Store::Postgres($p) => $body,
        }
    };
}

impl Store {
    /// Opens `url`: `postgres://…`/`postgresql://…` for a server, `sqlite:PATH` or a plain
    /// path for an embedded file (created when missing). Runs the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(POOL_CONNECTIONS_MAX)
                .connect_with(opts)
                .await?;
            Store::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or(url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: every commit reaches the disk before it is acknowledged, so a
                // confirmed booking survives a power cut too; bulk imports are one
                // transaction, so they pay one sync, not one per row
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS));
            let pool = SqlitePoolOptions::new()
                .max_connections(POOL_CONNECTIONS_MAX)
                .connect_with(opts)
                .await?;
            Store::Sqlite(pool)
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Store::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Begins a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Closes the pool, waiting for connections to return.
    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}

impl Tx {
    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
    /// Rolls back (also what dropping does, said out loud).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
