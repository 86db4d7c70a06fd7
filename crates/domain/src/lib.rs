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
pub mod ids;
pub mod policy;
pub mod referral;
pub mod registry;
