//! The city dataset interchange format, version 1 (`spec/city-dataset.md`): one folder per
//! city, `grids.geojson` plus CSV tables. Reading is streamed row by row and every problem
//! becomes a [`Diagnostic`] that names file, row and column in Chinese and English; one
//! pass reports all problems it finds, up to [`DIAGNOSTICS_MAX`]. Writing is deterministic
//! (rows sorted by key, floats in their shortest exact form), so export → import → export
//! gives identical files.
//!
//! ```
//! use yilian_interchange::diag::Diagnostics;
//! let mut d = Diagnostics::default();
//! d.error("institutions.csv", Some(3), Some("level"), "等级 7 不在 0–3 之间", "level 7 is not 0–3");
//! assert_eq!(d.error_count(), 1);
//! assert!(d.items()[0].to_string().contains("institutions.csv:3 [level]"));
//! ```

pub mod diag;
pub mod read;
mod table;
pub mod write;

pub use diag::{DIAGNOSTICS_MAX, Diagnostic, Diagnostics};

/// The files of the format, by name.
pub mod files {
    /// Grids (required).
    pub const GRIDS: &str = "grids.geojson";
    /// Institutions (required).
    pub const INSTITUTIONS: &str = "institutions.csv";
    /// Consortia.
    pub const CONSORTIA: &str = "consortia.csv";
    /// Memberships.
    pub const MEMBERSHIPS: &str = "memberships.csv";
    /// Family-doctor teams.
    pub const TEAMS: &str = "teams.csv";
    /// Residents.
    pub const RESIDENTS: &str = "residents.csv";
}
