//! yilian's service layer: each function loads what it needs from the store, asks the pure
//! core (domain, geo) for a decision, and writes the state with its events in one
//! transaction. The CLI and the HTTP server both call these, so a rule is enforced the
//! same way whichever door a request came through.

pub mod account;
pub mod audit;
pub mod audit_trail;
pub mod auth;
pub mod booking;
pub mod capacity;
pub mod clock;
pub mod consortium;
pub mod error;
pub mod export;
pub mod follow_up;
pub mod identity;
pub mod import;
pub mod locate;
pub mod notice;
pub mod referral;
pub mod registry_cache;
pub mod routing;
pub mod webhook;

pub use error::ServiceError;

/// Who did something, as written into the event log: a user id, or `cli:<os user>`.
pub fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// Today in China: deadlines, validity and the audit day are civil dates there, whatever
/// the server's clock zone.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&yilian_domain::china())
        .date_naive()
}

/// An instant as a person in China reads it (`2026-11-30 06:53:38`), for pages and reports.
pub fn china_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&yilian_domain::china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}
