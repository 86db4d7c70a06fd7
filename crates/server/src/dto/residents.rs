//! Residents of a grid, pseudonymous. A page carries the id and what a planner needs to
//! count (sex, birth year, contract), not the home's coordinates, the birth date or the
//! conditions: those are personal data, and serving them waits for authentication and
//! the audited reads of STYLE 12.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;
use yilian_domain::registry::Resident;

/// One resident of a grid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ResidentDto {
    /// Pseudonymous id (never the national ID number).
    pub(crate) id: String,
    /// `M` or `F`.
    sex: &'static str,
    /// Year of birth.
    birth_year: Option<i32>,
    /// The family-doctor team when signed (签约).
    team_id: Option<String>,
    /// The contract date.
    signed_on: Option<NaiveDate>,
}

impl From<&Resident> for ResidentDto {
    fn from(r: &Resident) -> Self {
        ResidentDto {
            id: r.id.to_string(),
            sex: r.sex.as_str(),
            birth_year: r.birth_date.map(|d| d.year()),
            team_id: r.team_id.as_ref().map(ToString::to_string),
            signed_on: r.signed_on,
        }
    }
}

/// A page of residents in id order (keyset paging).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ResidentPage {
    /// Residents after the cursor.
    pub(crate) items: Vec<ResidentDto>,
    /// Pass this as `after` for the next page; null on the last page.
    pub(crate) next: Option<String>,
}
