//! Tests of the access policy, given/when/then, and the whole matrix written out
//! literally so that any change to the policy shows up in review.
//!
//! The fixture city has two halves. Grid G1 is served by consortium C1, led by hospital
//! H1, with community centre S1 (hosting team T1) as a member; grid G2 likewise by C2,
//! H2, S2, T2. Resident R1 lives in G1, signed with T1 and cared for by H1 and S1; R3
//! lives in G1 with no team and no care; R2 lives in G2, signed with T2, cared for by H2
//! and S2. Every grant in the matrix is on the G1 side (or the city).

use super::*;
use crate::ids::{ConsortiumId, GridId, InstitutionId, ResidentId, TeamId};
use crate::registry::{
    Consortium, ConsortiumKind, Grid, Institution, InstitutionKind, Level, MemberRole, Membership,
    Ownership, Registry, Team, Validity,
};
use chrono::NaiveDate;
use proptest::prelude::*;

fn grid(s: &str) -> GridId {
    GridId::parse(s).unwrap()
}
fn cons(s: &str) -> ConsortiumId {
    ConsortiumId::parse(s).unwrap()
}
fn inst(s: &str) -> InstitutionId {
    InstitutionId::parse(s).unwrap()
}
fn team(s: &str) -> TeamId {
    TeamId::parse(s).unwrap()
}
fn res(s: &str) -> ResidentId {
    ResidentId::parse(s).unwrap()
}
fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn institution(id: &str, kind: InstitutionKind, grid_id: &str) -> Institution {
    Institution {
        id: inst(id),
        name: id.to_owned(),
        kind,
        level: Level::new(if kind.is_primary_care() { 1 } else { 3 }).unwrap(),
        grade: None,
        ownership: Ownership::Public,
        grid_id: Some(grid(grid_id)),
        location: None,
        beds: 0,
        icu_beds: 0,
        outpatient_slots_per_day: 0,
        capabilities: vec![],
    }
}

fn membership(c: &str, i: &str, role: MemberRole) -> Membership {
    Membership {
        consortium_id: cons(c),
        institution_id: inst(i),
        role,
        validity: Validity::default(),
    }
}

fn registry() -> Registry {
    let mut r = Registry::default();
    for (side, g) in [("1", "G1"), ("2", "G2")] {
        r.grids.push(Grid {
            id: grid(g),
            name: g.to_owned(),
            division_code: None,
            population: None,
            geometry: geo_types::MultiPolygon(vec![]),
            validity: Validity::default(),
        });
        let (h, s, c, t) = (
            format!("H{side}"),
            format!("S{side}"),
            format!("C{side}"),
            format!("T{side}"),
        );
        r.institutions
            .push(institution(&h, InstitutionKind::GeneralHospital, g));
        r.institutions
            .push(institution(&s, InstitutionKind::CommunityHealthCenter, g));
        r.consortia.push(Consortium {
            id: cons(&c),
            name: format!("{h}医疗集团"),
            kind: ConsortiumKind::UrbanMedicalGroup,
            grid_id: Some(grid(g)),
            lead: inst(&h),
            founded_on: None,
            filed_on: None,
            evaluated_on: None,
        });
        r.memberships.push(membership(&c, &h, MemberRole::Lead));
        r.memberships.push(membership(&c, &s, MemberRole::Member));
        r.teams.push(Team {
            id: team(&t),
            institution_id: inst(&s),
            name: t.clone(),
            members: 3,
        });
    }
    r.sort();
    r
}

fn topo() -> CityTopology {
    CityTopology::from_registry(&registry(), day(2025, 6, 30))
}

fn person(id: &str, g: &str, t: Option<&str>, care: &[&str]) -> Resource {
    Resource::Person {
        resident: res(id),
        grid: Some(grid(g)),
        team: t.map(team),
        institutions_with_care: care.iter().map(|i| inst(i)).collect(),
    }
}
fn r1() -> Resource {
    person("R1", "G1", Some("T1"), &["H1", "S1"])
}
fn r3() -> Resource {
    person("R3", "G1", None, &[])
}
fn r2() -> Resource {
    person("R2", "G2", Some("T2"), &["H2", "S2"])
}
fn consortium(side: &str) -> Resource {
    Resource::Consortium {
        id: cons(&format!("C{side}")),
        grid: Some(grid(&format!("G{side}"))),
    }
}
fn capacity(institution: &str) -> Resource {
    Resource::Capacity {
        institution: inst(institution),
    }
}
fn export(scope: Scope) -> Resource {
    Resource::Export { scope }
}

fn feed(scope: Scope) -> Resource {
    Resource::Feed { scope }
}

fn actor(grants: &[(Role, Scope)]) -> Actor {
    Actor {
        user_id: UserId::parse("u-1").unwrap(),
        grants: grants
            .iter()
            .map(|(role, scope)| Grant::new(*role, scope.clone()).unwrap())
            .collect(),
    }
}

fn break_glass() -> Action {
    Action::BreakGlassReadPerson {
        reason: NonEmptyReason::parse("unconscious in the emergency room / 急诊昏迷").unwrap(),
    }
}

fn deny(reason: DenyReason) -> Decision {
    Decision::Deny { reason }
}

fn allowed(d: &Decision) -> (Role, bool, bool) {
    match d {
        Decision::Allow {
            grant,
            masked_identifiers,
            flag_for_review,
        } => (grant.role(), *masked_identifiers, *flag_for_review),
        Decision::Deny { reason } => panic!("denied: {reason}"),
    }
}

// ---------------------------------------------------------------- given / when / then

#[test]
fn given_family_doctor_when_reading_own_team_resident_then_allowed_with_identifiers_shown() {
    // given
    let fd = actor(&[(Role::FamilyDoctor, Scope::Team(team("T1")))]);
    // when
    let read = can(&fd, &Action::ReadPerson, &r1(), &topo());
    let change = can(&fd, &Action::ChangePerson, &r1(), &topo());
    // then
    assert_eq!(allowed(&read), (Role::FamilyDoctor, false, false));
    assert_eq!(allowed(&change), (Role::FamilyDoctor, false, false));
}

#[test]
fn given_family_doctor_when_reading_another_teams_resident_then_out_of_scope() {
    // given
    let fd = actor(&[(Role::FamilyDoctor, Scope::Team(team("T1")))]);
    // when / then: another team's resident, and one of her own grid without a team
    for other in [r2(), r3()] {
        assert_eq!(
            can(&fd, &Action::ReadPerson, &other, &topo()),
            deny(DenyReason::OutOfScope)
        );
        assert_eq!(
            can(&fd, &Action::ChangePerson, &other, &topo()),
            deny(DenyReason::OutOfScope)
        );
    }
}

#[test]
fn given_commission_admin_when_reading_a_person_then_role_may_not() {
    // given: the city-wide administrator, no wildcard
    let admin = actor(&[(Role::CommissionAdmin, Scope::City)]);
    // when / then
    for action in [Action::ReadPerson, Action::ChangePerson, break_glass()] {
        assert_eq!(
            can(&admin, &action, &r1(), &topo()),
            deny(DenyReason::RoleMayNot),
            "{action:?}"
        );
    }
    assert_eq!(
        can(
            &admin,
            &Action::ReadAuditTrail,
            &Resource::AuditTrail,
            &topo()
        ),
        deny(DenyReason::RoleMayNot)
    );
    // but the registry and aggregates, yes
    assert!(can(&admin, &Action::ReadRegistry, &Resource::Registry, &topo()).is_allow());
    assert!(can(&admin, &Action::ReadAggregates, &consortium("2"), &topo()).is_allow());
}

#[test]
fn given_doctor_when_breaking_glass_in_own_consortium_then_allowed_masked_and_flagged() {
    // given: a doctor at H1, and R3 who lives in G1 (served by C1) with no care at H1
    let doctor = actor(&[(Role::Doctor, Scope::Institution(inst("H1")))]);
    assert_eq!(
        can(&doctor, &Action::ReadPerson, &r3(), &topo()),
        deny(DenyReason::OutOfScope)
    );
    // when
    let d = can(&doctor, &break_glass(), &r3(), &topo());
    // then
    assert_eq!(allowed(&d), (Role::Doctor, true, true));
}

#[test]
fn given_doctor_when_breaking_glass_in_other_consortium_then_out_of_scope() {
    // given
    let doctor = actor(&[(Role::Doctor, Scope::Institution(inst("H1")))]);
    // when
    let d = can(&doctor, &break_glass(), &r2(), &topo());
    // then
    assert_eq!(d, deny(DenyReason::OutOfScope));
}

#[test]
fn given_family_doctor_when_breaking_glass_then_her_centres_consortium_counts() {
    // given: T1 is hosted by S1, a member (not the lead) of C1
    let fd = actor(&[(Role::FamilyDoctor, Scope::Team(team("T1")))]);
    // when / then
    assert_eq!(
        allowed(&can(&fd, &break_glass(), &r3(), &topo())),
        (Role::FamilyDoctor, true, true)
    );
    // a person of G2 cared for at H1 is in C1 through that care
    let visitor = person("R4", "G2", None, &["H1"]);
    assert!(can(&fd, &break_glass(), &visitor, &topo()).is_allow());
}

#[test]
fn given_referral_desk_when_reading_a_referred_person_then_identifiers_shown() {
    // given: the desk of H1; R1 was referred to H1
    let desk = actor(&[(Role::ReferralDesk, Scope::Institution(inst("H1")))]);
    // when
    let d = can(&desk, &Action::ReadPerson, &r1(), &topo());
    // then
    assert_eq!(allowed(&d), (Role::ReferralDesk, false, false));
    assert_eq!(
        can(&desk, &Action::ChangePerson, &r1(), &topo()),
        deny(DenyReason::RoleMayNot)
    );
}

#[test]
fn given_referral_desk_when_exporting_another_institution_then_out_of_scope() {
    // given
    let desk = actor(&[(Role::ReferralDesk, Scope::Institution(inst("H1")))]);
    // when
    let own = can(
        &desk,
        &Action::ExportPersons,
        &export(Scope::Institution(inst("H1"))),
        &topo(),
    );
    let other = can(
        &desk,
        &Action::ExportPersons,
        &export(Scope::Institution(inst("H2"))),
        &topo(),
    );
    // then
    assert_eq!(allowed(&own), (Role::ReferralDesk, false, false));
    assert_eq!(other, deny(DenyReason::OutOfScope));
}

#[test]
fn given_consortium_manager_when_touching_consortia_then_only_own_and_never_persons() {
    // given
    let manager = actor(&[(Role::ConsortiumManager, Scope::Consortium(cons("C1")))]);
    // when / then
    for action in [
        Action::ReadRegistry,
        Action::ReadAggregates,
        Action::ChangeConsortium,
    ] {
        assert_eq!(
            allowed(&can(&manager, &action, &consortium("1"), &topo())),
            (Role::ConsortiumManager, true, false)
        );
        assert_eq!(
            can(&manager, &action, &consortium("2"), &topo()),
            deny(DenyReason::OutOfScope)
        );
    }
    assert_eq!(
        can(
            &manager,
            &Action::ReadRegistry,
            &Resource::Registry,
            &topo()
        ),
        deny(DenyReason::OutOfScope)
    );
    assert_eq!(
        can(&manager, &Action::ReadPerson, &r1(), &topo()),
        deny(DenyReason::RoleMayNot)
    );
}

#[test]
fn given_auditor_when_reading_anything_but_the_trail_then_role_may_not() {
    // given
    let auditor = actor(&[(Role::Auditor, Scope::City)]);
    // when / then
    assert_eq!(
        allowed(&can(
            &auditor,
            &Action::ReadAuditTrail,
            &Resource::AuditTrail,
            &topo()
        )),
        (Role::Auditor, true, false)
    );
    for (action, resource) in [
        (Action::ReadRegistry, Resource::Registry),
        (Action::ReadPerson, r1()),
        (Action::ManageUsers, Resource::Users),
        (Action::ExportPersons, export(Scope::City)),
    ] {
        assert_eq!(
            can(&auditor, &action, &resource, &topo()),
            deny(DenyReason::RoleMayNot)
        );
    }
}

#[test]
fn given_resident_when_reading_then_only_self_and_masked() {
    // given
    let me = actor(&[(Role::Resident, Scope::Person(res("R1")))]);
    // when / then
    assert_eq!(
        allowed(&can(&me, &Action::ReadPerson, &r1(), &topo())),
        (Role::Resident, true, false)
    );
    assert_eq!(
        can(&me, &Action::ReadPerson, &r2(), &topo()),
        deny(DenyReason::OutOfScope)
    );
    assert_eq!(
        can(&me, &Action::ChangePerson, &r1(), &topo()),
        deny(DenyReason::RoleMayNot)
    );
}

#[test]
fn given_no_grants_when_asking_anything_then_no_grant() {
    // given: a new or stripped account
    let nobody = actor(&[]);
    // when / then
    assert_eq!(
        can_attempt(&nobody, ActionKind::ReadRegistry),
        Err(DenyReason::NoGrant)
    );
    assert_eq!(
        can(&nobody, &Action::ReadRegistry, &Resource::Registry, &topo()),
        deny(DenyReason::NoGrant)
    );
}

#[test]
fn given_several_grants_when_more_than_one_allows_then_shown_wins_then_order() {
    // given: staff at H1's shared centre (masked) who is also a doctor there (shown)
    let both = actor(&[
        (Role::SharedCentreStaff, Scope::Institution(inst("H1"))),
        (Role::Doctor, Scope::Institution(inst("H1"))),
    ]);
    // when
    let d = can(&both, &Action::ReadPerson, &r1(), &topo());
    // then: the grant that shows identifiers, although listed second
    assert_eq!(allowed(&d), (Role::Doctor, false, false));
    // given two equally good grants, the first is named
    let twice = actor(&[
        (Role::CommissionAdmin, Scope::Grid(grid("G1"))),
        (Role::CommissionAdmin, Scope::City),
    ]);
    let Decision::Allow { grant, .. } =
        can(&twice, &Action::ReadRegistry, &consortium("1"), &topo())
    else {
        panic!("denied")
    };
    assert_eq!(grant.scope(), &Scope::Grid(grid("G1")));
    // and a grant out of scope does not hide one in scope
    let Decision::Allow { grant, .. } =
        can(&twice, &Action::ReadRegistry, &consortium("2"), &topo())
    else {
        panic!("denied")
    };
    assert_eq!(grant.scope(), &Scope::City);
}

#[test]
fn given_an_action_on_the_wrong_kind_of_resource_then_not_applicable() {
    // given
    let admin = actor(&[(Role::CommissionAdmin, Scope::City)]);
    // when / then: a handler bug is denied, not guessed at
    for (action, resource) in [
        (Action::ReadPerson, Resource::Registry),
        (Action::ChangeConsortium, Resource::Registry),
        (Action::ExportRegistry, Resource::Registry),
        (Action::ExportRegistry, export(Scope::Person(res("R1")))),
        (Action::ManageUsers, Resource::AuditTrail),
    ] {
        assert_eq!(
            can(&admin, &action, &resource, &topo()),
            deny(DenyReason::NotApplicable)
        );
    }
}

#[test]
fn given_ids_the_topology_does_not_know_then_out_of_scope() {
    // given: a grid admin and a consortium manager, facing ids of nowhere
    let admin = actor(&[(Role::CommissionAdmin, Scope::Grid(grid("G1")))]);
    let manager = actor(&[(Role::ConsortiumManager, Scope::Consortium(cons("C1")))]);
    // when / then
    for scope in [
        Scope::Consortium(cons("C9")),
        Scope::Institution(inst("H9")),
        Scope::Team(team("T9")),
    ] {
        for a in [&admin, &manager] {
            assert_eq!(
                can(a, &Action::ExportRegistry, &export(scope.clone()), &topo()),
                deny(DenyReason::OutOfScope)
            );
        }
    }
    // an empty topology knows nothing, so break-glass reaches nobody
    let doctor = actor(&[(Role::Doctor, Scope::Institution(inst("H1")))]);
    assert_eq!(
        can(&doctor, &break_glass(), &r3(), &CityTopology::default()),
        deny(DenyReason::OutOfScope)
    );
}

#[test]
fn given_grid_admin_when_consortium_serves_no_grid_then_out_of_scope() {
    // given: a specialty alliance spans the city
    let admin = actor(&[(Role::CommissionAdmin, Scope::Grid(grid("G1")))]);
    let alliance = Resource::Consortium {
        id: cons("A1"),
        grid: None,
    };
    // when / then
    assert_eq!(
        can(&admin, &Action::ReadRegistry, &alliance, &topo()),
        deny(DenyReason::OutOfScope)
    );
    let city = actor(&[(Role::CommissionAdmin, Scope::City)]);
    assert!(can(&city, &Action::ReadRegistry, &alliance, &topo()).is_allow());
}

// ---------------------------------------------------------------- the pieces

#[test]
fn grants_fit_their_roles_only() {
    let scope_of = |kind: ScopeKind| match kind {
        ScopeKind::City => Scope::City,
        ScopeKind::Grid => Scope::Grid(grid("G1")),
        ScopeKind::Consortium => Scope::Consortium(cons("C1")),
        ScopeKind::Institution => Scope::Institution(inst("H1")),
        ScopeKind::Team => Scope::Team(team("T1")),
        ScopeKind::Person => Scope::Person(res("R1")),
    };
    let mut fits = Vec::new();
    for &role in Role::ALL {
        for &kind in ScopeKind::ALL {
            match Grant::new(role, scope_of(kind)) {
                Ok(g) => {
                    assert_eq!((g.role(), g.scope().kind()), (role, kind));
                    fits.push(format!("{role}@{kind}"));
                }
                Err(e) => assert_eq!(e, GrantError::ScopeDoesNotFit { role, scope: kind }),
            }
        }
    }
    assert_eq!(
        fits.join(" "),
        "commission_admin@city commission_admin@grid consortium_manager@consortium \
         referral_desk@institution doctor@institution family_doctor@team \
         shared_centre_staff@institution auditor@city resident@person"
    );
    assert_eq!(
        Grant::new(Role::FamilyDoctor, Scope::City)
            .unwrap_err()
            .to_string(),
        "role family_doctor cannot be granted on a city scope / 家庭医生不能授予在全市范围"
    );
}

#[test]
fn grants_round_trip_through_json_and_a_misfit_is_refused() {
    let g = Grant::new(Role::FamilyDoctor, Scope::Team(team("T1"))).unwrap();
    let json = serde_json::to_string(&g).unwrap();
    assert_eq!(
        json,
        r#"{"role":"family_doctor","scope":{"kind":"team","id":"T1"}}"#
    );
    assert_eq!(serde_json::from_str::<Grant>(&json).unwrap(), g);
    let city = serde_json::to_string(&Grant::new(Role::Auditor, Scope::City).unwrap()).unwrap();
    assert_eq!(city, r#"{"role":"auditor","scope":{"kind":"city"}}"#);
    let misfit = r#"{"role":"family_doctor","scope":{"kind":"city"}}"#;
    assert!(serde_json::from_str::<Grant>(misfit).is_err());
}

#[test]
fn codes_and_ids_round_trip() {
    for &role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Ok(role));
    }
    for &kind in ScopeKind::ALL {
        assert_eq!(ScopeKind::parse(kind.as_str()), Ok(kind));
    }
    assert!(
        Role::parse("admin")
            .unwrap_err()
            .to_string()
            .contains("commission_admin")
    );
    assert_eq!(Scope::Team(team("T1")).to_string(), "team:T1");
    assert_eq!(Scope::City.to_string(), "city");
    assert_eq!(Scope::City.id(), None);
    assert_eq!(UserId::parse("u-1").unwrap().as_str(), "u-1");
    assert!(UserId::parse("").is_err());
    assert!(UserId::parse("a;b").is_err());
}

#[test]
fn break_glass_reasons_are_typed_trimmed_and_kept_out_of_debug() {
    assert_eq!(NonEmptyReason::parse(" \t "), Err(ReasonError::Empty));
    assert_eq!(
        NonEmptyReason::parse(&"长".repeat(REASON_LEN_MAX + 1)),
        Err(ReasonError::TooLong)
    );
    assert!(NonEmptyReason::parse(&"长".repeat(REASON_LEN_MAX)).is_ok());
    assert_eq!(
        NonEmptyReason::parse("first line\nforged entry"),
        Err(ReasonError::ControlCharacter)
    );
    let r = NonEmptyReason::parse("  患者张三昏迷  ").unwrap();
    assert_eq!(r.as_str(), "患者张三昏迷");
    assert_eq!(format!("{r:?}"), "NonEmptyReason(6 chars)");
    let action = Action::BreakGlassReadPerson { reason: r };
    assert!(!format!("{action:?}").contains("张三"));
}

#[test]
fn deny_reasons_are_bilingual() {
    for reason in [
        DenyReason::NotApplicable,
        DenyReason::NoGrant,
        DenyReason::RoleMayNot,
        DenyReason::OutOfScope,
    ] {
        let text = reason.to_string();
        let (en, zh) = text.split_once(" / ").unwrap();
        assert!(en.is_ascii() && !zh.is_ascii(), "{text}");
    }
}

#[test]
fn topology_holds_leads_and_members_in_force_only() {
    // given: a collaborator, a membership that ended, one not yet begun, a doubled row
    let mut r = registry();
    r.institutions
        .push(institution("X1", InstitutionKind::GeneralHospital, "G1"));
    r.memberships
        .push(membership("C1", "X1", MemberRole::Collaborator));
    let mut ended = membership("C2", "S1", MemberRole::Member);
    ended.validity = Validity::new(None, Some(day(2025, 1, 1))).unwrap();
    r.memberships.push(ended);
    let mut later = membership("C2", "H1", MemberRole::Member);
    later.validity = Validity::new(Some(day(2026, 1, 1)), None).unwrap();
    r.memberships.push(later);
    r.memberships
        .retain(|m| !(m.institution_id == inst("H2") && m.role == MemberRole::Lead));
    r.sort();
    // when
    let t = CityTopology::from_registry(&r, day(2025, 6, 30));
    // then
    assert_eq!(t.consortia_of(&inst("H1")), &[cons("C1")]);
    assert_eq!(t.consortia_of(&inst("S1")), &[cons("C1")]);
    assert_eq!(t.consortia_of(&inst("X1")), &[] as &[ConsortiumId]);
    // the lead is a member even when its membership row is left out
    assert_eq!(t.consortia_of(&inst("H2")), &[cons("C2")]);
    assert_eq!(t.consortium_grid(&cons("C1")), Some(&grid("G1")));
    assert_eq!(t.team_institution(&team("T2")), Some(&inst("S2")));
    assert_eq!(t.team_grid(&team("T2")), Some(&grid("G2")));
    assert_eq!(t.institution_grid(&inst("H9")), None);
    // and a year later the pending membership is in force
    let t = CityTopology::from_registry(&r, day(2026, 6, 30));
    assert_eq!(t.consortia_of(&inst("H1")), &[cons("C1"), cons("C2")]);
}

// ---------------------------------------------------------------- the matrix

/// Every grant the matrix walks: each role on each scope kind it fits, on the G1 side.
fn grant_rows() -> Vec<(String, Actor)> {
    let mut rows = Vec::new();
    for &role in Role::ALL {
        for &kind in role.scope_kinds() {
            let scope = match kind {
                ScopeKind::City => Scope::City,
                ScopeKind::Grid => Scope::Grid(grid("G1")),
                ScopeKind::Consortium => Scope::Consortium(cons("C1")),
                ScopeKind::Institution => Scope::Institution(inst("H1")),
                ScopeKind::Team => Scope::Team(team("T1")),
                ScopeKind::Person => Scope::Person(res("R1")),
            };
            rows.push((format!("{role}@{kind}"), actor(&[(role, scope)])));
        }
    }
    rows
}

/// Every action; the match makes a new variant fail to compile here until it is added.
fn all_actions() -> Vec<Action> {
    let actions = vec![
        Action::ReadRegistry,
        Action::ChangeConsortium,
        Action::ReadAggregates,
        Action::ReadPerson,
        Action::ChangePerson,
        Action::ExportRegistry,
        Action::ExportPersons,
        Action::ReadAuditTrail,
        Action::ManageUsers,
        Action::BookSlot,
        Action::Refer,
        break_glass(),
        Action::ReadFeed,
        Action::ManageWebhooks,
        Action::ReadPoolView,
        Action::ManagePools,
    ];
    for a in &actions {
        match a {
            Action::ReadRegistry
            | Action::ChangeConsortium
            | Action::ReadAggregates
            | Action::ReadPerson
            | Action::ChangePerson
            | Action::ExportRegistry
            | Action::ExportPersons
            | Action::ReadAuditTrail
            | Action::ManageUsers
            | Action::BookSlot
            | Action::Refer
            | Action::BreakGlassReadPerson { .. }
            | Action::ReadFeed
            | Action::ManageWebhooks
            | Action::ReadPoolView
            | Action::ManagePools => {}
        }
    }
    actions
}

/// Every resource kind, in scope of the G1-side grants and out of it; groups of columns.
fn resource_columns() -> Vec<Vec<(&'static str, Resource)>> {
    vec![
        vec![("reg", Resource::Registry)],
        vec![("c1", consortium("1")), ("c2", consortium("2"))],
        vec![("p1", r1()), ("p3", r3()), ("p2", r2())],
        vec![("aud", Resource::AuditTrail)],
        vec![("usr", Resource::Users)],
        vec![("cap1", capacity("H1")), ("cap2", capacity("H2"))],
        vec![
            ("city", export(Scope::City)),
            ("g1", export(Scope::Grid(grid("G1")))),
            ("g2", export(Scope::Grid(grid("G2")))),
            ("c1", export(Scope::Consortium(cons("C1")))),
            ("c2", export(Scope::Consortium(cons("C2")))),
            ("h1", export(Scope::Institution(inst("H1")))),
            ("h2", export(Scope::Institution(inst("H2")))),
            ("t1", export(Scope::Team(team("T1")))),
            ("t2", export(Scope::Team(team("T2")))),
            ("r1", export(Scope::Person(res("R1")))),
            ("r2", export(Scope::Person(res("R2")))),
        ],
        vec![
            ("fh1", feed(Scope::Institution(inst("H1")))),
            ("fh2", feed(Scope::Institution(inst("H2")))),
            ("ft1", feed(Scope::Team(team("T1")))),
            ("ft2", feed(Scope::Team(team("T2")))),
            ("fg1", feed(Scope::Grid(grid("G1")))),
        ],
    ]
}

fn cell(d: &Decision) -> char {
    match d {
        Decision::Allow {
            masked_identifiers: false,
            flag_for_review: false,
            ..
        } => 'U',
        Decision::Allow {
            masked_identifiers: true,
            flag_for_review: false,
            ..
        } => 'M',
        Decision::Allow {
            masked_identifiers: true,
            flag_for_review: true,
            ..
        } => 'B',
        Decision::Allow {
            masked_identifiers: false,
            flag_for_review: true,
            ..
        } => 'b',
        Decision::Deny { reason } => match reason {
            DenyReason::NotApplicable => '.',
            DenyReason::NoGrant => '0',
            DenyReason::RoleMayNot => 'x',
            DenyReason::OutOfScope => '-',
        },
    }
}

fn render_matrix() -> String {
    let topo = topo();
    let columns = resource_columns();
    let mut out = format!("{:<32}{:<25}", "grant", "action");
    let headers: Vec<String> = columns
        .iter()
        .map(|group| group.iter().map(|(h, _)| *h).collect::<Vec<_>>().join(" "))
        .collect();
    out.push_str(&headers.join(" | "));
    out.push('\n');
    for (label, actor) in grant_rows() {
        for action in all_actions() {
            let mut line = format!("{label:<32}{:<25}", action.as_str());
            let groups: Vec<String> = columns
                .iter()
                .map(|group| {
                    group
                        .iter()
                        .map(|(h, resource)| {
                            let c = cell(&can(&actor, &action, resource, &topo));
                            format!("{c:<width$}", width = h.len())
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            line.push_str(&groups.join(" | "));
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// U allowed, identifiers shown · M allowed, masked · B break-glass: allowed, masked,
/// flagged for review · - denied, out of scope · x denied, the role may never ·
/// . denied, the action does not apply to the resource kind.
/// Columns: the city registry; consortia C1, C2; persons R1 (team T1, cared for by H1
/// and S1), R3 (lives in G1, no team, no care), R2 (the G2 side); the audit trail; the
/// users; the capacity of H1 and H2; exports of the city, G1, G2, C1, C2, H1, H2, T1, T2,
/// R1, R2; the feeds of H1, H2, T1, T2 and of grid G1 (which has none).
const EXPECTED_MATRIX: &str = "
grant                           action                   reg | c1 c2 | p1 p3 p2 | aud | usr | cap1 cap2 | city g1 g2 c1 c2 h1 h2 t1 t2 r1 r2 | fh1 fh2 ft1 ft2 fg1
commission_admin@city           read_registry            M   | M  M  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           change_consortium        .   | M  M  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           read_aggregates          M   | M  M  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           read_person              .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           change_person            .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | M    M  M  M  M  M  M  M  M  .  .  | .   .   .   .   .
commission_admin@city           export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  x  x  | .   .   .   .   .
commission_admin@city           read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           manage_users             .   | .  .  | .  .  .  | .   | M   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           book_slot                .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           refer                    .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           break_glass_read_person  .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
commission_admin@city           manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
commission_admin@city           read_pool_view           .   | .  .  | .  .  .  | .   | .   | M    M    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@city           manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           read_registry            -   | M  -  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           change_consortium        .   | M  -  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           read_aggregates          -   | M  -  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           read_person              .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           change_person            .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | -    M  -  M  -  M  -  M  -  .  .  | .   .   .   .   .
commission_admin@grid           export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  x  x  | .   .   .   .   .
commission_admin@grid           read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           manage_users             .   | .  .  | .  .  .  | .   | -   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           book_slot                .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           refer                    .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           break_glass_read_person  .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
commission_admin@grid           manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
commission_admin@grid           read_pool_view           .   | .  .  | .  .  .  | .   | .   | M    -    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
commission_admin@grid           manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   read_registry            -   | M  -  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   change_consortium        .   | M  -  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   read_aggregates          -   | M  -  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   read_person              .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   change_person            .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | -    -  -  M  -  M  -  M  -  .  .  | .   .   .   .   .
consortium_manager@consortium   export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  x  x  | .   .   .   .   .
consortium_manager@consortium   read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   manage_users             .   | .  .  | .  .  .  | .   | x   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   book_slot                .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   refer                    .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   break_glass_read_person  .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
consortium_manager@consortium   manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
consortium_manager@consortium   read_pool_view           .   | .  .  | .  .  .  | .   | .   | M    -    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
consortium_manager@consortium   manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       read_registry            x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       change_consortium        .   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       read_aggregates          x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       read_person              .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       change_person            .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  .  .  | .   .   .   .   .
referral_desk@institution       export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | -    -  -  -  -  U  -  -  -  -  -  | .   .   .   .   .
referral_desk@institution       read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       manage_users             .   | .  .  | .  .  .  | .   | x   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       book_slot                .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       refer                    .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       break_glass_read_person  .   | .  .  | B  B  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | M   -   -   -   .
referral_desk@institution       manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | M   -   -   -   .
referral_desk@institution       read_pool_view           .   | .  .  | .  .  .  | .   | .   | M    -    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
referral_desk@institution       manage_pools             .   | .  .  | .  .  .  | .   | .   | M    -    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              read_registry            x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              change_consortium        .   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              read_aggregates          x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              read_person              .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              change_person            .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  .  .  | .   .   .   .   .
doctor@institution              export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  x  x  | .   .   .   .   .
doctor@institution              read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              manage_users             .   | .  .  | .  .  .  | .   | x   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              book_slot                .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              refer                    .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              break_glass_read_person  .   | .  .  | B  B  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | M   -   -   -   .
doctor@institution              manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
doctor@institution              read_pool_view           .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
doctor@institution              manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              read_registry            x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              change_consortium        .   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              read_aggregates          x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              read_person              .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              change_person            .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  .  .  | .   .   .   .   .
family_doctor@team              export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | -    -  -  -  -  -  -  U  -  -  -  | .   .   .   .   .
family_doctor@team              read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              manage_users             .   | .  .  | .  .  .  | .   | x   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              book_slot                .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              refer                    .   | .  .  | U  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              break_glass_read_person  .   | .  .  | B  B  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | -   -   M   -   .
family_doctor@team              manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
family_doctor@team              read_pool_view           .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
family_doctor@team              manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution read_registry            x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution change_consortium        .   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution read_aggregates          x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution read_person              .   | .  .  | M  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution change_person            .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  .  .  | .   .   .   .   .
shared_centre_staff@institution export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  x  x  | .   .   .   .   .
shared_centre_staff@institution read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution manage_users             .   | .  .  | .  .  .  | .   | x   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution book_slot                .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution refer                    .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution break_glass_read_person  .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | M   -   -   -   .
shared_centre_staff@institution manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
shared_centre_staff@institution read_pool_view           .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
shared_centre_staff@institution manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    read_registry            x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    change_consortium        .   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    read_aggregates          x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    read_person              .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    change_person            .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  .  .  | .   .   .   .   .
auditor@city                    export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  x  x  | .   .   .   .   .
auditor@city                    read_audit_trail         .   | .  .  | .  .  .  | M   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    manage_users             .   | .  .  | .  .  .  | .   | x   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    book_slot                .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    refer                    .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    break_glass_read_person  .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
auditor@city                    manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
auditor@city                    read_pool_view           .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
auditor@city                    manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 read_registry            x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 change_consortium        .   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 read_aggregates          x   | x  x  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 read_person              .   | .  .  | M  -  -  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 change_person            .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 export_registry          .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  .  .  | .   .   .   .   .
resident@person                 export_persons           .   | .  .  | .  .  .  | .   | .   | .    .    | x    x  x  x  x  x  x  x  x  x  x  | .   .   .   .   .
resident@person                 read_audit_trail         .   | .  .  | .  .  .  | x   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 manage_users             .   | .  .  | .  .  .  | .   | x   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 book_slot                .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 refer                    .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 break_glass_read_person  .   | .  .  | x  x  x  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 read_feed                .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
resident@person                 manage_webhooks          .   | .  .  | .  .  .  | .   | .   | .    .    | .    .  .  .  .  .  .  .  .  .  .  | x   x   x   x   .
resident@person                 read_pool_view           .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
resident@person                 manage_pools             .   | .  .  | .  .  .  | .   | .   | x    x    | .    .  .  .  .  .  .  .  .  .  .  | .   .   .   .   .
";

#[test]
fn the_whole_matrix_is_as_written() {
    let actual = render_matrix();
    let expected = EXPECTED_MATRIX.trim_start_matches('\n');
    if actual != expected {
        for (a, e) in actual.lines().zip(expected.lines()) {
            if a != e {
                eprintln!("expected: {e}\n  actual: {a}");
            }
        }
        panic!("the policy changed; if on purpose, update EXPECTED_MATRIX to:\n{actual}");
    }
}

#[test]
fn the_shallow_check_agrees_with_the_matrix() {
    // can_attempt denies exactly the (grant, action) rows that are all x and . in the matrix
    let topo = topo();
    let resources: Vec<Resource> = resource_columns()
        .into_iter()
        .flatten()
        .map(|(_, r)| r)
        .collect();
    for (label, actor) in grant_rows() {
        for action in all_actions() {
            let never = resources.iter().all(|r| {
                matches!(
                    can(&actor, &action, r, &topo),
                    Decision::Deny {
                        reason: DenyReason::RoleMayNot | DenyReason::NotApplicable
                    }
                )
            });
            assert_eq!(
                can_attempt(&actor, action.kind()).is_err(),
                never,
                "{label} {}",
                action.as_str()
            );
        }
    }
}

// ---------------------------------------------------------------- several grants

/// Every grant of the matrix, on both sides of the city.
fn all_grants() -> Vec<Grant> {
    let mut grants = Vec::new();
    for (_, actor) in grant_rows() {
        grants.extend(actor.grants);
    }
    for (role, scope) in [
        (Role::CommissionAdmin, Scope::Grid(grid("G2"))),
        (Role::ConsortiumManager, Scope::Consortium(cons("C2"))),
        (Role::ReferralDesk, Scope::Institution(inst("H2"))),
        (Role::Doctor, Scope::Institution(inst("S2"))),
        (Role::FamilyDoctor, Scope::Team(team("T2"))),
        (Role::SharedCentreStaff, Scope::Institution(inst("H2"))),
        (Role::Resident, Scope::Person(res("R2"))),
    ] {
        grants.push(Grant::new(role, scope).unwrap());
    }
    grants
}

proptest! {
    /// Holding several grants is exactly holding each: an actor is allowed when one of
    /// its grants alone would be, with the first grant that shows identifiers (else the
    /// first that allows), and adding grants never turns an allow into a deny.
    #[test]
    fn several_grants_combine_as_each_alone(
        grants in proptest::sample::subsequence(all_grants(), 0..=5).prop_shuffle()
    ) {
        let topo = topo();
        let many = Actor { user_id: UserId::parse("u-2").unwrap(), grants: grants.clone() };
        let reference = actor(&[(Role::CommissionAdmin, Scope::City)]);
        for action in all_actions() {
            for (_, resource) in resource_columns().into_iter().flatten() {
                let combined = can(&many, &action, &resource, &topo);
                let singles: Vec<Decision> = grants
                    .iter()
                    .map(|g| {
                        let one = Actor { user_id: many.user_id.clone(), grants: vec![g.clone()] };
                        can(&one, &action, &resource, &topo)
                    })
                    .collect();
                let shown = singles
                    .iter()
                    .find(|d| matches!(d, Decision::Allow { masked_identifiers: false, .. }));
                let any = singles.iter().find(|d| d.is_allow());
                // whether an action applies to a resource does not depend on the actor
                let not_applicable = can(&reference, &action, &resource, &topo)
                    == deny(DenyReason::NotApplicable);
                let expected = if not_applicable {
                    deny(DenyReason::NotApplicable)
                } else if let Some(d) = shown.or(any) {
                    d.clone()
                } else if grants.is_empty() {
                    deny(DenyReason::NoGrant)
                } else if singles.iter().all(|d| *d == deny(DenyReason::RoleMayNot)) {
                    deny(DenyReason::RoleMayNot)
                } else {
                    deny(DenyReason::OutOfScope)
                };
                prop_assert_eq!(combined, expected, "{} on {:?}", action.as_str(), resource);
            }
        }
    }
}
