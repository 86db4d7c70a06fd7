//! Policy: the rules of `spec/policy-rules.md` (GRID-*, COMP-*) checked against a city's
//! registry. The numbers live in profiles ([`Profile`]: `national`, `liaoning-2023`,
//! `chongqing-2018`, or an administrator's copy) because they differ between provinces
//! and years; the audit ([`audit`]) is pure, so a whole city audits in a test.
//!
//! ```
//! use chrono::NaiveDate;
//! use yilian_domain::policy::{audit, GeoFacts, Profile, RuleId};
//! use yilian_domain::registry::Registry;
//!
//! let profile = Profile::builtin("national").expect("builtin profile");
//! let today = NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
//! let report = audit(&Registry::default(), &GeoFacts::default(), &profile, today);
//! // an empty city plans fewer than 2 grids: GRID-2, in principle, a warning
//! assert_eq!(report.findings.len(), 1);
//! assert_eq!(report.findings[0].rule, RuleId::Grid2);
//! assert_eq!((report.summary.errors, report.summary.warnings), (0, 1));
//!
//! // filing deadlines count official working days (COMP-8)
//! let founded = NaiveDate::from_ymd_opt(2023, 9, 25).expect("date");
//! let deadline = profile.add_working_days(founded, 15).expect("2023 is in the table");
//! assert_eq!(deadline, NaiveDate::from_ymd_opt(2023, 10, 20).expect("date"));
//! ```

mod audit;
mod calendar;
mod facts;
mod finding;
mod profile;

pub use audit::{audit, check_consortium};
pub use calendar::{CALENDAR_CN, Calendar, OutsideCalendar};
pub use facts::{GeoFacts, GridOverlap, RESIDENT_SAMPLES_MAX, ResidentSample};
pub use finding::{
    AuditReport, CITY_SUBJECT_ID, Finding, Lang, RuleId, Severity, Subject, SubjectKind, Summary,
    display_width,
};
pub use profile::{
    CheckLevel, Comp1, Comp2, Comp3, Comp4, Comp5, Comp6, Comp7, Comp8, Comp9, Grid1, Grid2, Grid3,
    Grid4, MemberCategory, Profile, ProfileError, Quota1, Quota2, Ref2, Ref5, RuleSection, Rules,
    Share,
};

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod fixture_tests;
