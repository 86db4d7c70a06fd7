#![allow(clippy::unwrap_used)] // a panic is how a test reports
use super::*;
use crate::registry::{ConsortiumKind, InstitutionKind, Level, Membership, Ownership, Validity};
use proptest::prelude::*;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const TODAY: &str = "2026-11-30";

fn inst(id: &str, level: i64, caps: &[Capability]) -> Institution {
    Institution {
        id: InstitutionId::parse(id).unwrap(),
        name: format!("{id} hospital"),
        kind: if level >= 2 {
            InstitutionKind::GeneralHospital
        } else {
            InstitutionKind::CommunityHealthCenter
        },
        level: Level::new(level).unwrap(),
        grade: None,
        ownership: Ownership::Public,
        grid_id: None,
        location: None,
        beds: 100,
        icu_beds: 0,
        outpatient_slots_per_day: 100,
        capabilities: caps.to_vec(),
    }
}

fn member(c: &str, i: &str, role: MemberRole, validity: Validity) -> Membership {
    Membership {
        consortium_id: ConsortiumId::parse(c).unwrap(),
        institution_id: InstitutionId::parse(i).unwrap(),
        role,
        validity,
    }
}

/// Group C1 serves grid G1: lead H1 (tier 3, chest pain), members H2 (tier 2) and S1
/// (community), collaborator P1 (provincial, chest pain); C2 serves G2 with lead H9. H3
/// left C1 before today.
fn city() -> Registry {
    let forever = Validity::default();
    let left = Validity::new(None, Some(day("2026-01-01"))).unwrap();
    let mut reg = Registry {
        grids: vec![],
        institutions: vec![
            inst("H1", 3, &[Capability::ChestPainCenter]),
            inst("H2", 2, &[]),
            inst("H3", 3, &[Capability::ChestPainCenter]),
            inst("H9", 3, &[Capability::ChestPainCenter]),
            inst("P1", 3, &[Capability::ChestPainCenter]),
            inst("S1", 1, &[]),
        ],
        consortia: ["C1", "C2"]
            .iter()
            .zip(["G1", "G2"])
            .zip(["H1", "H9"])
            .map(|((c, g), lead)| Consortium {
                id: ConsortiumId::parse(c).unwrap(),
                name: format!("{lead}医疗集团"),
                kind: ConsortiumKind::UrbanMedicalGroup,
                grid_id: Some(GridId::parse(g).unwrap()),
                lead: InstitutionId::parse(lead).unwrap(),
                founded_on: None,
                filed_on: None,
                evaluated_on: None,
            })
            .collect(),
        memberships: vec![
            member("C1", "H1", MemberRole::Lead, forever),
            member("C1", "H2", MemberRole::Member, forever),
            member("C1", "H3", MemberRole::Member, left),
            member("C1", "P1", MemberRole::Collaborator, forever),
            member("C1", "S1", MemberRole::Member, forever),
            member("C2", "H9", MemberRole::Lead, forever),
        ],
        teams: vec![],
    };
    reg.sort();
    reg
}

fn id(s: &str) -> InstitutionId {
    InstitutionId::parse(s).unwrap()
}

fn group(reg: &Registry) -> &Consortium {
    group_of(reg, Some(&GridId::parse("G1").unwrap())).unwrap()
}

fn ids(p: &[Proposal<'_>]) -> Vec<String> {
    p.iter().map(|p| p.institution.id.to_string()).collect()
}

fn cap(reserved: u32, public: u32) -> Capacity {
    Capacity {
        pools: 1,
        reserved,
        public,
    }
}

#[test]
fn lead_then_members_then_collaborators_without_the_referrer() {
    let reg = city();
    let g = group(&reg);
    let need = Need::default();
    let cands = candidates(&reg, g, &need, Some(&id("S1")), day(TODAY));
    let p = rank(
        g,
        cands,
        &HashMap::new(),
        &need,
        Urgency::Routine,
        Some(1),
        7,
    );
    // H3 left the group; S1 is the referrer
    assert_eq!(ids(&p), ["H1", "H2", "P1"]);
    assert_eq!(
        p.iter().map(|p| p.direction).collect::<Vec<_>>(),
        [Direction::Up, Direction::Up, Direction::External]
    );
    assert!(
        p[0].reason_en.starts_with("lead of H1医疗集团"),
        "{}",
        p[0].reason_en
    );
    assert!(p[0].reason_zh.contains("REF-1"));
    assert!(p[2].reason_en.contains("COMP-6"));
    assert!(p[2].reason_zh.contains("协作单位"));
    assert!(
        p[1].reason_en
            .ends_with("free in the next 7 days: 0 reserved, 0 public")
    );
}

#[test]
fn capability_and_department_filter_and_capacity_orders_within_a_tier() {
    let reg = city();
    let g = group(&reg);
    let chest = Need {
        department: None,
        capability: Some(Capability::ChestPainCenter),
    };
    let cands = candidates(&reg, g, &chest, Some(&id("S1")), day(TODAY));
    let p = rank(
        g,
        cands,
        &HashMap::new(),
        &chest,
        Urgency::Routine,
        Some(1),
        7,
    );
    assert_eq!(ids(&p), ["H1", "P1"]);
    assert!(p[0].reason_zh.contains("具备胸痛中心"));

    // members with free slots before members without, more free first
    let mut reg = reg;
    reg.institutions.push(inst("H4", 2, &[]));
    reg.memberships
        .push(member("C1", "H4", MemberRole::Member, Validity::default()));
    reg.sort();
    let g = group(&reg);
    let cardio = Need {
        department: Some("cardiology".into()),
        capability: None,
    };
    let capacity: HashMap<InstitutionId, Capacity> = [
        (id("H1"), cap(0, 0)),
        (id("H2"), cap(1, 0)),
        (id("H4"), cap(3, 2)),
        (id("P1"), cap(9, 9)),
    ]
    .into_iter()
    .collect();
    let cands = candidates(&reg, g, &cardio, None, day(TODAY));
    let p = rank(g, cands, &capacity, &cardio, Urgency::Routine, None, 7);
    // S1 publishes no cardiology pool; the full lead still comes first (REF-1)
    assert_eq!(ids(&p), ["H1", "H4", "H2", "P1"]);
    assert!(p[1].reason_en.contains("publishes cardiology slots"));
    assert!(p[1].reason_zh.contains("空余预留号 3、公开号 2"));
    // an emergency is not held to the department's pools nor reordered by slots (REF-5)
    let cands = candidates(&reg, g, &cardio, None, day(TODAY));
    let p = rank(g, cands, &capacity, &cardio, Urgency::Emergency, None, 7);
    assert_eq!(ids(&p), ["H1", "H2", "H4", "S1", "P1"]);
    assert!(
        p[0].reason_en
            .ends_with("emergency green channel (REF-5): no slot needed")
    );
}

#[test]
fn direction_follows_the_levels() {
    let reg = city();
    let g = group(&reg);
    let need = Need::default();
    // from the tier-2 member: the lead is up, the community centre down
    let p = rank(
        g,
        candidates(&reg, g, &need, Some(&id("H2")), day(TODAY)),
        &HashMap::new(),
        &need,
        Urgency::Routine,
        Some(2),
        7,
    );
    let dir = |i: &str| {
        p.iter()
            .find(|p| p.institution.id == id(i))
            .unwrap()
            .direction
    };
    assert_eq!(dir("H1"), Direction::Up);
    assert_eq!(dir("S1"), Direction::Down);
}

#[test]
fn no_group_without_a_grid_or_a_grid_consortium() {
    let reg = city();
    assert!(group_of(&reg, None).is_none());
    assert!(group_of(&reg, Some(&GridId::parse("G7").unwrap())).is_none());
    assert!(RoutingError::NoGroup.to_string().contains("GRID-3"));
}

#[test]
fn a_referral_leaves_the_group_only_externally_to_a_collaborator() {
    let reg = city();
    let c1 = ConsortiumId::parse("C1").unwrap();
    let today = day(TODAY);
    let check = |to: &str, d: Direction| check_receiver(&reg, &c1, &id(to), d, today);
    assert_eq!(check("H1", Direction::Up), Ok(()));
    assert_eq!(check("S1", Direction::Down), Ok(()));
    assert_eq!(check("P1", Direction::External), Ok(()));
    // another group's lead, with or without "external"
    for d in [Direction::Up, Direction::External] {
        let err = check("H9", d).unwrap_err();
        assert_eq!(
            err,
            RoutingError::OutsideGroup {
                to: id("H9"),
                group: c1.clone()
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("COMP-6") && text.contains("协作单位"),
            "{text}"
        );
    }
    // a former member is outside now
    assert!(matches!(
        check("H3", Direction::Up),
        Err(RoutingError::OutsideGroup { .. })
    ));
    assert!(matches!(
        check("P1", Direction::Up),
        Err(RoutingError::CollaboratorNeedsExternal { .. })
    ));
    assert!(matches!(
        check("H2", Direction::External),
        Err(RoutingError::ExternalInsideGroup { .. })
    ));
    // an unknown group has nobody inside
    let c9 = ConsortiumId::parse("C9").unwrap();
    assert!(check_receiver(&reg, &c9, &id("H1"), Direction::Up, today).is_err());
}

proptest! {
    /// Whatever the capacity, proposals come in tier order, and within a tier no receiver
    /// with free slots follows one without.
    #[test]
    fn tiers_first_then_free_capacity(
        free in proptest::collection::vec((0u32..5, 0u32..5), 6),
    ) {
        let reg = city();
        let g = group(&reg);
        let need = Need::default();
        let capacity: HashMap<InstitutionId, Capacity> = reg
            .institutions
            .iter()
            .zip(&free)
            .map(|(i, (r, p))| (i.id.clone(), cap(*r, *p)))
            .collect();
        let p = rank(g, candidates(&reg, g, &need, None, day(TODAY)), &capacity, &need, Urgency::Routine, None, 7);
        prop_assert_eq!(p[0].institution.id.as_str(), "H1");
        for w in p.windows(2) {
            prop_assert!(w[0].tier <= w[1].tier);
            if w[0].tier == w[1].tier {
                prop_assert!(w[0].capacity.free() >= w[1].capacity.free());
            }
        }
    }
}
