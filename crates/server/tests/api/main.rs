//! The API tests: one binary (STYLE 15), every request in-process through
//! `tower::ServiceExt::oneshot`, every test that touches the database run on SQLite and
//! on PostgreSQL (`yilian_store::dbtest!`). `YILIAN_TEST_PG_URL` names the PostgreSQL
//! test cluster.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

mod access;
mod audit;
mod bookings;
mod capacity;
mod console;
mod consortia;
mod docs;
mod errors;
mod events;
mod feed;
mod follow_ups;
mod helpers;
mod referrals;
mod registry;
mod routing;
