//! The console's navigation: which pages a user's roles may use. Each page names the
//! action its route needs, and a link is shown only when the shallow policy check
//! ([`can_attempt`]) lets one of the user's grants do it, so the menu and the guard can
//! never disagree. Residents see their own record only; staff pages are for staff grants.

use crate::i18n::Label;
use yilian_domain::access::{ActionKind, Actor, Role, ScopeKind, can_attempt};

/// One page of the console's menu.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    /// Stable key (`data-nav` in the markup, `pages` in `/api/v1/me`).
    pub(crate) key: &'static str,
    /// Where it is.
    pub(crate) href: &'static str,
    /// Its name.
    pub(crate) label: Label,
    /// What it needs; `None` for pages any staff member may use.
    need: Option<ActionKind>,
    /// For a resident's own account (a grant on a person scope), not for staff.
    own: bool,
}

/// Every page, in menu order.
const PAGES: &[Page] = &[
    Page {
        key: "map",
        href: "/map",
        label: Label::NavMap,
        need: Some(ActionKind::ReadRegistry),
        own: false,
    },
    Page {
        key: "persons",
        href: "/persons",
        label: Label::NavPersons,
        need: Some(ActionKind::ReadPerson),
        own: false,
    },
    Page {
        key: "referrals",
        href: "/referrals",
        label: Label::NavReferrals,
        need: Some(ActionKind::Refer),
        own: false,
    },
    Page {
        key: "pools",
        href: "/pools",
        label: Label::NavPools,
        need: Some(ActionKind::ReadPoolView),
        own: false,
    },
    Page {
        key: "referral-clocks",
        href: "/referral-clocks",
        label: Label::NavReferralClocks,
        need: Some(ActionKind::ReadAggregates),
        own: false,
    },
    Page {
        key: "audit-trail",
        href: "/audit-trail",
        label: Label::NavAuditTrail,
        need: Some(ActionKind::ReadAuditTrail),
        own: false,
    },
    Page {
        key: "users",
        href: "/users",
        label: Label::NavUsers,
        need: Some(ActionKind::ManageUsers),
        own: false,
    },
    Page {
        key: "tokens",
        href: "/tokens",
        label: Label::NavTokens,
        need: None,
        own: false,
    },
    Page {
        key: "me",
        href: "/me",
        label: Label::NavMe,
        need: Some(ActionKind::ReadPerson),
        own: true,
    },
];

/// The actor with only the grants of one side: their own account, or staff.
fn side(actor: &Actor, own: bool) -> Actor {
    Actor {
        user_id: actor.user_id.clone(),
        grants: actor
            .grants
            .iter()
            .filter(|g| (g.scope().kind() == ScopeKind::Person) == own)
            .cloned()
            .collect(),
    }
}

/// The pages `actor` may use, in menu order.
pub(crate) fn pages_of(actor: &Actor) -> Vec<Page> {
    PAGES
        .iter()
        .filter(|p| {
            let who = side(actor, p.own);
            match p.need {
                None => !who.grants.is_empty(),
                Some(kind) => can_attempt(&who, kind).is_ok(),
            }
        })
        .copied()
        .collect()
}

/// The role a home page is made for: the first staff grant's, else the resident's.
pub(crate) fn home_role(actor: &Actor) -> Option<Role> {
    let staff = actor
        .grants
        .iter()
        .find(|g| g.scope().kind() != ScopeKind::Person);
    staff.or(actor.grants.first()).map(|g| g.role())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use yilian_domain::access::{Grant, Scope, UserId};
    use yilian_domain::ids::{ConsortiumId, InstitutionId, ResidentId, TeamId};

    fn keys(grant: Grant) -> Vec<&'static str> {
        let actor = Actor {
            user_id: UserId::parse("u").unwrap(),
            grants: vec![grant],
        };
        pages_of(&actor).iter().map(|p| p.key).collect()
    }

    #[test]
    fn each_role_sees_its_own_pages() {
        let g = |r, s| Grant::new(r, s).unwrap();
        let inst = || Scope::Institution(InstitutionId::parse("H1").unwrap());
        assert_eq!(
            keys(g(Role::CommissionAdmin, Scope::City)),
            ["map", "pools", "referral-clocks", "users", "tokens"]
        );
        assert_eq!(
            keys(g(
                Role::ConsortiumManager,
                Scope::Consortium(ConsortiumId::parse("C1").unwrap())
            )),
            ["map", "pools", "referral-clocks", "tokens"]
        );
        assert_eq!(
            keys(g(Role::ReferralDesk, inst())),
            ["persons", "referrals", "pools", "tokens"]
        );
        assert_eq!(
            keys(g(Role::Doctor, inst())),
            ["persons", "referrals", "tokens"]
        );
        assert_eq!(
            keys(g(Role::SharedCentreStaff, inst())),
            ["persons", "tokens"]
        );
        assert_eq!(
            keys(g(
                Role::FamilyDoctor,
                Scope::Team(TeamId::parse("T1").unwrap())
            )),
            ["persons", "referrals", "tokens"]
        );
        assert_eq!(
            keys(g(Role::Auditor, Scope::City)),
            ["audit-trail", "tokens"]
        );
        assert_eq!(
            keys(g(
                Role::Resident,
                Scope::Person(ResidentId::parse("R1").unwrap())
            )),
            ["me"]
        );
    }
}
