//! Access (issue 3): who may see and do what, and the personal identifiers whose display
//! depends on it. This is the pure core only: the national ID and phone number newtypes,
//! which can never print themselves in clear by accident, and the one access policy
//! ([`can`]) that the server calls once per request. Password hashing, sessions, tokens,
//! the keyed hash and encryption of identifiers, and the audit trail's storage belong to
//! the store and server layers, which build an [`Actor`] from their rows and ask [`can`].
//!
//! ```
//! use chrono::NaiveDate;
//! use yilian_domain::access::{
//!     Action, ActionKind, Actor, CityTopology, Decision, DenyReason, Grant, IdCardNo, Resource, Role,
//!     Scope, UserId, can,
//! };
//! use yilian_domain::ids::{ResidentId, TeamId};
//!
//! // An ID number is checked once, at the boundary, and prints masked from then on.
//! let today = NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
//! let id = IdCardNo::parse("11010519491231002x", today).expect("textbook example");
//! assert_eq!(id.to_string(), "110105********002X");
//! assert_eq!(format!("{id:?}"), "IdCardNo(110105********002X)");
//!
//! // A family doctor reads her own team's residents, in clear, and nobody else's.
//! let team = TeamId::parse("T1").expect("id");
//! let actor = Actor {
//!     user_id: UserId::parse("u-42").expect("id"),
//!     grants: vec![Grant::new(Role::FamilyDoctor, Scope::Team(team.clone())).expect("fits")],
//! };
//! let person = |t: &TeamId| Resource::Person {
//!     resident: ResidentId::parse("R1").expect("id"),
//!     grid: None,
//!     team: Some(t.clone()),
//!     institutions_with_care: vec![],
//! };
//! let topo = CityTopology::default();
//! let decision = can(&actor, &Action::ReadPerson, &person(&team), &topo);
//! assert!(matches!(decision, Decision::Allow { masked_identifiers: false, .. }));
//! let other = TeamId::parse("T2").expect("id");
//! assert_eq!(
//!     can(&actor, &Action::ReadPerson, &person(&other), &topo),
//!     Decision::Deny { reason: DenyReason::OutOfScope }
//! );
//! ```

mod id_card;
mod login;
mod phone;
mod policy;

pub use id_card::{IdCardError, IdCardNo, compose_id_card};
pub use login::{
    FAILURES_BEFORE_LOCK, LOCK_FIRST_MIN, LOCK_MAX_MIN, PASSWORD_CLASSES_MIN, PASSWORD_LEN_MAX,
    PASSWORD_LEN_MIN, Password, PasswordError, Throttle,
};
pub use phone::{PhoneError, PhoneKind, PhoneNo};
pub use policy::{
    Action, ActionKind, Actor, CityTopology, Decision, DenyReason, Grant, GrantError,
    NonEmptyReason, REASON_LEN_MAX, ReasonError, Resource, Role, Scope, ScopeKind, Topology,
    UserId, can, can_attempt, grants_for,
};

#[cfg(test)]
mod policy_tests;
