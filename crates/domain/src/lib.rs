//! yilian's pure core: the registry of a city's grids, institutions and consortia, the
//! policy profiles that hold every number of `spec/policy-rules.md`, and the rules that
//! audit a layout against them. Nothing here does I/O, so every rule tests in microseconds.
//!
//! ```
//! use yilian_domain::registry::{InstitutionKind, Level};
//! assert_eq!(InstitutionKind::parse("general_hospital"), Ok(InstitutionKind::GeneralHospital));
//! assert!(Level::new(4).is_err());
//! ```
#![warn(missing_docs)]

pub mod access;
pub mod capacity;
pub mod chronic;
pub mod ids;
pub mod notice;
pub mod policy;
pub mod referral;
pub mod registry;
pub mod routing;

/// China's time zone (UTC+8, no daylight saving): civil dates, deadlines and sessions are
/// China's, whatever the server's clock zone.
pub fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("BUG: +08:00 is a valid offset")
}
