//! Given a small registry, when audited, then exactly the expected findings: one test
//! per check, each starting from a city that breaks no rule and changing one thing.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use super::*;
use crate::ids::{ConsortiumId, GridId, InstitutionId};
use crate::registry::{
    Capability, Consortium, ConsortiumKind, Grid, Institution, InstitutionKind, Level, MemberRole,
    Membership, Ownership, Registry, Validity,
};
use chrono::NaiveDate;
use geo_types::MultiPolygon;
use serde_json::json;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const TODAY: &str = "2025-06-30";

fn grid(id: &str, name: &str) -> Grid {
    Grid {
        id: GridId::parse(id).unwrap(),
        name: name.into(),
        division_code: None,
        population: Some(1000),
        geometry: MultiPolygon::new(vec![]),
        validity: Validity::default(),
    }
}

fn inst(
    id: &str,
    name: &str,
    kind: InstitutionKind,
    level: i64,
    grid: Option<&str>,
) -> Institution {
    Institution {
        id: InstitutionId::parse(id).unwrap(),
        name: name.into(),
        kind,
        level: Level::new(level).unwrap(),
        grade: None,
        ownership: Ownership::Public,
        grid_id: grid.map(|g| GridId::parse(g).unwrap()),
        location: None,
        beds: 100,
        icu_beds: 0,
        outpatient_slots_per_day: 100,
        capabilities: vec![],
    }
}

fn cons(id: &str, name: &str, kind: ConsortiumKind, grid: Option<&str>, lead: &str) -> Consortium {
    Consortium {
        id: ConsortiumId::parse(id).unwrap(),
        name: name.into(),
        kind,
        grid_id: grid.map(|g| GridId::parse(g).unwrap()),
        lead: InstitutionId::parse(lead).unwrap(),
        founded_on: Some(d("2025-01-06")),
        filed_on: Some(d("2025-01-10")),
        evaluated_on: None,
    }
}

fn mem(c: &str, i: &str, role: MemberRole) -> Membership {
    Membership {
        consortium_id: ConsortiumId::parse(c).unwrap(),
        institution_id: InstitutionId::parse(i).unwrap(),
        role,
        validity: Validity::default(),
    }
}

/// A city that breaks no rule: two grids, an urban medical group on G1 and a county
/// medical community on G2, both founded and filed in January 2025.
fn clean() -> (Registry, GeoFacts) {
    use InstitutionKind::*;
    use MemberRole::*;
    let mut reg = Registry {
        grids: vec![grid("G1", "城区网格"), grid("G2", "县域网格")],
        institutions: vec![
            inst("I1", "甲市人民医院", GeneralHospital, 3, Some("G1")),
            inst("I2", "甲市第二人民医院", GeneralHospital, 2, Some("G1")),
            inst(
                "I3",
                "甲街道社区卫生服务中心",
                CommunityHealthCenter,
                1,
                Some("G1"),
            ),
            inst("I4", "乙县人民医院", GeneralHospital, 2, Some("G2")),
            inst("I5", "乙县一镇卫生院", TownshipHealthCenter, 1, Some("G2")),
            inst("I6", "乙县二镇卫生院", TownshipHealthCenter, 1, Some("G2")),
            inst("I7", "乙县一村卫生室", VillageClinic, 0, Some("G2")),
        ],
        consortia: vec![
            cons(
                "C1",
                "甲市人民医院医疗集团",
                ConsortiumKind::UrbanMedicalGroup,
                Some("G1"),
                "I1",
            ),
            cons(
                "C2",
                "乙县人民医院医共体",
                ConsortiumKind::CountyMedicalCommunity,
                Some("G2"),
                "I4",
            ),
        ],
        memberships: vec![
            mem("C1", "I1", Lead),
            mem("C1", "I2", Member),
            mem("C1", "I3", Member),
            mem("C2", "I4", Lead),
            mem("C2", "I5", Member),
            mem("C2", "I6", Member),
        ],
        teams: vec![],
    };
    reg.sort();
    let facts = GeoFacts {
        total_residents: 10,
        residents_per_grid: [
            (GridId::parse("G1").unwrap(), 6),
            (GridId::parse("G2").unwrap(), 4),
        ]
        .into_iter()
        .collect(),
        ..GeoFacts::default()
    };
    (reg, facts)
}

fn national() -> Profile {
    Profile::builtin("national").unwrap()
}

fn run(reg: &Registry, facts: &GeoFacts) -> AuditReport {
    audit(reg, facts, &national(), d(TODAY))
}

/// The one finding of a report, with its rule, severity and subject checked.
fn only(
    report: &AuditReport,
    rule: RuleId,
    severity: Severity,
    kind: SubjectKind,
    id: &str,
) -> Finding {
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let f = report.findings[0].clone();
    assert_eq!(
        (f.rule, f.severity, f.subject.kind, f.subject.id.as_str()),
        (rule, severity, kind, id),
        "{f:#?}"
    );
    f
}

fn consortium_mut<'a>(reg: &'a mut Registry, id: &str) -> &'a mut Consortium {
    reg.consortia
        .iter_mut()
        .find(|c| c.id.as_str() == id)
        .unwrap()
}

fn institution_mut<'a>(reg: &'a mut Registry, id: &str) -> &'a mut Institution {
    reg.institutions
        .iter_mut()
        .find(|i| i.id.as_str() == id)
        .unwrap()
}

#[test]
fn a_clean_city_has_no_findings() {
    let (reg, facts) = clean();
    let report = run(&reg, &facts);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(
        report.summary,
        Summary {
            errors: 0,
            warnings: 0
        }
    );
    assert_eq!(report.profile, "national");
}

// GRID-1 ---------------------------------------------------------------------------

#[test]
fn grid1_residents_outside_every_grid_are_an_error() {
    let (reg, mut facts) = clean();
    facts.total_residents = 12;
    for id in ["R11", "R12"] {
        facts
            .outside_all_grids
            .push(crate::ids::ResidentId::parse(id).unwrap());
    }
    let f = only(
        &run(&reg, &facts),
        RuleId::Grid1,
        Severity::Error,
        SubjectKind::City,
        "city",
    );
    assert_eq!(f.figures["uncovered_residents"], json!(2));
    assert_eq!(f.figures["total_residents"], json!(12));
    assert_eq!(f.figures["samples"], json!(["R11", "R12"]));
    assert_eq!(f.source, "001 §三(一)1; 004 §二(一)");
}

#[test]
fn grid1_a_grid_nobody_lives_in_is_a_warning() {
    let (reg, mut facts) = clean();
    facts
        .residents_per_grid
        .remove(&GridId::parse("G2").unwrap());
    only(
        &run(&reg, &facts),
        RuleId::Grid1,
        Severity::Warning,
        SubjectKind::Grid,
        "G2",
    );
    // without any residents loaded, no grid is called empty
    let report = run(&reg, &GeoFacts::default());
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn grid1_declared_grid_mismatch_is_a_warning() {
    let (reg, mut facts) = clean();
    facts
        .declared_grid_mismatch
        .push(crate::ids::ResidentId::parse("R3").unwrap());
    let f = only(
        &run(&reg, &facts),
        RuleId::Grid1,
        Severity::Warning,
        SubjectKind::City,
        "city",
    );
    assert_eq!(f.figures["mismatched_residents"], json!(1));
}

#[test]
fn grid1_switched_off_says_nothing() {
    let (reg, mut facts) = clean();
    facts
        .outside_all_grids
        .push(crate::ids::ResidentId::parse("R11").unwrap());
    let mut p = national();
    p.rules.grid1.enabled = false;
    assert!(audit(&reg, &facts, &p, d(TODAY)).findings.is_empty());
}

// GRID-2 ---------------------------------------------------------------------------

#[test]
fn grid2_one_grid_is_a_warning() {
    let (mut reg, mut facts) = clean();
    reg.grids.retain(|g| g.id.as_str() == "G1");
    reg.consortia.retain(|c| c.id.as_str() == "C1");
    reg.memberships.retain(|m| m.consortium_id.as_str() == "C1");
    facts
        .residents_per_grid
        .remove(&GridId::parse("G2").unwrap());
    let f = only(
        &run(&reg, &facts),
        RuleId::Grid2,
        Severity::Warning,
        SubjectKind::City,
        "city",
    );
    assert_eq!(f.figures["grids"], json!(1));
    assert_eq!(f.figures["min_grids"], json!(2));
}

#[test]
fn grid2_counts_only_grids_in_force() {
    let (mut reg, facts) = clean();
    reg.grids[1].validity = Validity::new(None, Some(d("2025-01-01"))).unwrap();
    let report = run(&reg, &facts);
    // G2 has lapsed: one grid left, and C2 now names a grid not in force
    let rules: Vec<(RuleId, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.subject.id.as_str()))
        .collect();
    assert_eq!(rules, vec![(RuleId::Grid2, "city"), (RuleId::Grid3, "C2")]);
}

// GRID-3 ---------------------------------------------------------------------------

#[test]
fn grid3_a_grid_without_a_consortium_is_an_error() {
    let (mut reg, mut facts) = clean();
    reg.grids.push(grid("G3", "新区网格"));
    reg.sort();
    facts
        .residents_per_grid
        .insert(GridId::parse("G3").unwrap(), 5);
    only(
        &run(&reg, &facts),
        RuleId::Grid3,
        Severity::Error,
        SubjectKind::Grid,
        "G3",
    );
}

#[test]
fn grid3_two_consortia_on_one_grid_are_an_error_naming_both() {
    let (mut reg, facts) = clean();
    reg.institutions.push(inst(
        "I8",
        "甲市中心医院",
        InstitutionKind::GeneralHospital,
        3,
        Some("G1"),
    ));
    reg.consortia.push(cons(
        "C3",
        "甲市中心医院医疗集团",
        ConsortiumKind::UrbanMedicalGroup,
        Some("G1"),
        "I8",
    ));
    reg.memberships.push(mem("C3", "I8", MemberRole::Lead));
    reg.memberships.push(mem("C3", "I2", MemberRole::Member));
    reg.sort();
    let f = only(
        &run(&reg, &facts),
        RuleId::Grid3,
        Severity::Error,
        SubjectKind::Grid,
        "G1",
    );
    assert_eq!(f.figures["consortia"], json!(["C1", "C3"]));
    assert!(
        f.message_zh.contains("甲市中心医院医疗集团"),
        "{}",
        f.message_zh
    );
    // a group founded after today does not serve the grid yet
    consortium_mut(&mut reg, "C3").founded_on = Some(d("2025-09-01"));
    consortium_mut(&mut reg, "C3").filed_on = None;
    assert!(run(&reg, &facts).findings.is_empty());
}

#[test]
fn grid3_a_consortium_naming_an_unknown_grid_is_an_error() {
    let (mut reg, mut facts) = clean();
    consortium_mut(&mut reg, "C2").grid_id = Some(GridId::parse("G9").unwrap());
    facts.residents_per_grid.clear();
    facts.total_residents = 0;
    let report = run(&reg, &facts);
    let got: Vec<(RuleId, SubjectKind, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.subject.kind, f.subject.id.as_str()))
        .collect();
    // G2 is left without a consortium, and C2 names a grid that does not exist
    assert_eq!(
        got,
        vec![
            (RuleId::Grid3, SubjectKind::Consortium, "C2"),
            (RuleId::Grid3, SubjectKind::Grid, "G2"),
        ]
    );
    assert_eq!(report.findings[0].figures["grid_id"], json!("G9"));
}

#[test]
fn grid3_ignores_alliances_and_networks() {
    let (mut reg, facts) = clean();
    let mut n = cons(
        "N1",
        "甲市人民医院远程医疗协作网",
        ConsortiumKind::TelemedicineNetwork,
        None,
        "I1",
    );
    n.filed_on = Some(d("2025-01-10"));
    reg.consortia.push(n);
    institution_mut(&mut reg, "I1")
        .capabilities
        .push(Capability::TelemedicineHub);
    reg.sort();
    assert!(run(&reg, &facts).findings.is_empty());
}

// GRID-4 ---------------------------------------------------------------------------

fn overlap(a: &str, b: &str, area_km2: f64) -> GridOverlap {
    GridOverlap {
        a: GridId::parse(a).unwrap(),
        b: GridId::parse(b).unwrap(),
        area_km2,
    }
}

#[test]
fn grid4_overlapping_grids_are_an_error_with_the_area() {
    let (reg, mut facts) = clean();
    facts.overlaps.push(overlap("G2", "G1", 1.2345678));
    let f = only(
        &run(&reg, &facts),
        RuleId::Grid4,
        Severity::Error,
        SubjectKind::Grid,
        "G1",
    );
    assert_eq!(f.figures["area_km2"], json!(1.234568));
    assert_eq!(f.figures["grid_b"], json!("G2"));
    assert_eq!(f.figures["consortia_a"], json!(["C1"]));
    assert!(f.message_en.contains("1.235 km²"), "{}", f.message_en);
    // the same pair twice is one finding; slivers under the tolerance are none
    facts.overlaps.push(overlap("G1", "G2", 1.2345678));
    assert_eq!(run(&reg, &facts).findings.len(), 1);
    facts.overlaps = vec![overlap("G1", "G2", 0.0005)];
    assert!(run(&reg, &facts).findings.is_empty());
}

#[test]
fn grid4_tcm_and_maternal_child_consortia_may_overlap() {
    let (mut reg, mut facts) = clean();
    facts.overlaps.push(overlap("G1", "G2", 2.0));
    institution_mut(&mut reg, "I4").kind = InstitutionKind::TcmHospital;
    assert!(run(&reg, &facts).findings.is_empty());
    institution_mut(&mut reg, "I4").kind = InstitutionKind::MaternalChild;
    assert!(run(&reg, &facts).findings.is_empty());
    let mut p = national();
    p.rules.grid4.exempt_lead_kinds.clear();
    assert_eq!(audit(&reg, &facts, &p, d(TODAY)).findings.len(), 1);
}

// COMP-1 ---------------------------------------------------------------------------

#[test]
fn comp1_a_tier2_lead_is_a_warning_in_principle() {
    let (mut reg, facts) = clean();
    institution_mut(&mut reg, "I1").level = Level::TIER2;
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp1,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["lead_level"], json!(2));
    assert_eq!(f.source, "001 §三(一)2");
    // Chongqing 2018 says 应当: an error
    let report = audit(
        &reg,
        &facts,
        &Profile::builtin("chongqing-2018").unwrap(),
        d(TODAY),
    );
    only(
        &report,
        RuleId::Comp1,
        Severity::Error,
        SubjectKind::Consortium,
        "C1",
    );
}

#[test]
fn comp1_a_specialty_hospital_lead_depends_on_the_profile() {
    let (mut reg, facts) = clean();
    institution_mut(&mut reg, "I1").kind = InstitutionKind::SpecialtyHospital;
    only(
        &run(&reg, &facts),
        RuleId::Comp1,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    let report = audit(
        &reg,
        &facts,
        &Profile::builtin("chongqing-2018").unwrap(),
        d(TODAY),
    );
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

// COMP-2 ---------------------------------------------------------------------------

#[test]
fn comp2_no_tier2_general_and_no_continuing_care_is_a_warning() {
    let (mut reg, facts) = clean();
    reg.memberships
        .retain(|m| m.institution_id.as_str() != "I2");
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp2,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(
        f.figures["members_by_kind"],
        json!({"community_health_center": 1})
    );
    assert_eq!(f.figures["categories_present"], json!([]));
    // a nursing home is continuing care: enough under the national rule
    reg.institutions.push(inst(
        "I9",
        "甲市护理院",
        InstitutionKind::Nursing,
        1,
        Some("G1"),
    ));
    reg.memberships.push(mem("C1", "I9", MemberRole::Member));
    reg.sort();
    assert!(run(&reg, &facts).findings.is_empty());
}

#[test]
fn comp2_chongqing_2018_wants_two_of_four_kinds() {
    let (mut reg, facts) = clean();
    let cq = Profile::builtin("chongqing-2018").unwrap();
    // I2 (county hospital) + I3 (community): two kinds
    assert!(audit(&reg, &facts, &cq, d(TODAY)).findings.is_empty());
    reg.memberships
        .retain(|m| m.institution_id.as_str() != "I2");
    let f = only(
        &audit(&reg, &facts, &cq, d(TODAY)),
        RuleId::Comp2,
        Severity::Error,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["categories_present"], json!(["community_health"]));
    assert_eq!(f.figures["min_categories"], json!(2));
}

#[test]
fn comp2_counts_only_memberships_in_force() {
    let (mut reg, facts) = clean();
    for m in reg
        .memberships
        .iter_mut()
        .filter(|m| m.institution_id.as_str() == "I2")
    {
        m.validity = Validity::new(None, Some(d("2025-03-01"))).unwrap();
    }
    only(
        &run(&reg, &facts),
        RuleId::Comp2,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
}

// COMP-3 ---------------------------------------------------------------------------

#[test]
fn comp3_a_township_centre_left_out_is_a_warning_naming_it() {
    let (mut reg, facts) = clean();
    reg.memberships
        .retain(|m| m.institution_id.as_str() != "I6");
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp3,
        Severity::Warning,
        SubjectKind::Consortium,
        "C2",
    );
    assert_eq!(f.figures["missing"], json!(["I6"]));
    assert!(f.message_zh.contains("乙县二镇卫生院"), "{}", f.message_zh);
}

#[test]
fn comp3_a_lead_of_the_wrong_kind_is_a_warning() {
    let (mut reg, facts) = clean();
    institution_mut(&mut reg, "I4").kind = InstitutionKind::SpecialtyHospital;
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp3,
        Severity::Warning,
        SubjectKind::Consortium,
        "C2",
    );
    assert_eq!(f.figures["lead_kind"], json!("specialty_hospital"));
}

// COMP-4 ---------------------------------------------------------------------------

fn with_alliance(members: usize, lead_level: i64) -> Registry {
    let (mut reg, _) = clean();
    reg.institutions.push(inst(
        "H1",
        "甲医科大学附属医院",
        InstitutionKind::GeneralHospital,
        lead_level,
        None,
    ));
    reg.consortia.push(cons(
        "A1",
        "甲市心血管专科联盟",
        ConsortiumKind::SpecialtyAlliance,
        None,
        "H1",
    ));
    reg.memberships.push(mem("A1", "H1", MemberRole::Lead));
    for k in 0..members {
        let id = format!("M{k:02}");
        reg.institutions.push(inst(
            &id,
            &format!("成员医院{k}"),
            InstitutionKind::GeneralHospital,
            2,
            None,
        ));
        reg.memberships.push(mem("A1", &id, MemberRole::Member));
    }
    reg.sort();
    reg
}

#[test]
fn comp4_an_alliance_under_twenty_members_is_a_warning() {
    let (_, facts) = clean();
    let f = only(
        &run(&with_alliance(3, 3), &facts),
        RuleId::Comp4,
        Severity::Warning,
        SubjectKind::Consortium,
        "A1",
    );
    assert_eq!(f.figures["members"], json!(3));
    assert_eq!(f.figures["min_members"], json!(20));
    assert!(run(&with_alliance(20, 3), &facts).findings.is_empty());
    let f = only(
        &run(&with_alliance(20, 2), &facts),
        RuleId::Comp4,
        Severity::Warning,
        SubjectKind::Consortium,
        "A1",
    );
    assert_eq!(f.figures["lead_level"], json!(2));
}

// COMP-5 ---------------------------------------------------------------------------

#[test]
fn comp5_a_lead_without_a_telemedicine_hub_is_an_error() {
    let (mut reg, facts) = clean();
    reg.consortia.push(cons(
        "N1",
        "甲市人民医院远程医疗协作网",
        ConsortiumKind::TelemedicineNetwork,
        None,
        "I1",
    ));
    reg.memberships.push(mem("N1", "I1", MemberRole::Lead));
    reg.memberships.push(mem("N1", "I3", MemberRole::Member));
    reg.sort();
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp5,
        Severity::Error,
        SubjectKind::Consortium,
        "N1",
    );
    assert_eq!(
        f.figures["missing_capabilities"],
        json!(["telemedicine_hub"])
    );
    institution_mut(&mut reg, "I1")
        .capabilities
        .push(Capability::TelemedicineHub);
    assert!(run(&reg, &facts).findings.is_empty());
    institution_mut(&mut reg, "I1").level = Level::new(1).unwrap();
    let report = run(&reg, &facts);
    // a level-1 lead fails COMP-5, and as an urban group lead COMP-1 too
    let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::Comp1, RuleId::Comp5]);
}

// COMP-6 ---------------------------------------------------------------------------

#[test]
fn comp6_a_collaborator_that_is_also_the_lead_is_an_error() {
    let (mut reg, facts) = clean();
    for m in reg
        .memberships
        .iter_mut()
        .filter(|m| m.institution_id.as_str() == "I1")
    {
        m.role = MemberRole::Collaborator;
    }
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp6,
        Severity::Error,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["institution_id"], json!("I1"));
}

#[test]
fn comp6_a_collaborator_that_is_also_a_member_is_an_error() {
    let (mut reg, facts) = clean();
    let mut twice = mem("C1", "I2", MemberRole::Collaborator);
    twice.validity = Validity::new(Some(d("2025-02-01")), None).unwrap();
    reg.memberships.push(twice);
    reg.sort();
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp6,
        Severity::Error,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["roles"], json!(["member", "collaborator"]));
}

#[test]
fn comp6_a_second_lead_is_an_error() {
    let (mut reg, facts) = clean();
    for m in reg
        .memberships
        .iter_mut()
        .filter(|m| m.institution_id.as_str() == "I2")
    {
        m.role = MemberRole::Lead;
    }
    let report = run(&reg, &facts);
    // I2 no longer counts as a member either, so COMP-2 follows
    let got: Vec<(RuleId, Severity)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            (RuleId::Comp2, Severity::Warning),
            (RuleId::Comp6, Severity::Error)
        ]
    );
    assert_eq!(report.findings[1].figures["institution_id"], json!("I2"));
}

#[test]
fn comp6_a_lead_missing_from_the_registry_is_an_error() {
    let (mut reg, facts) = clean();
    consortium_mut(&mut reg, "C1").lead = InstitutionId::parse("I404").unwrap();
    let report = run(&reg, &facts);
    let got: Vec<(RuleId, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.message_en.as_str()))
        .collect();
    assert!(
        got.contains(&(RuleId::Comp6, "lead I404 is not in the registry")),
        "{got:#?}"
    );
}

#[test]
fn comp6_epidemic_mode_wants_a_tier3_collaborator() {
    let (mut reg, facts) = clean();
    let mut p = national();
    p.epidemic_mode = true;
    let report = audit(&reg, &facts, &p, d(TODAY));
    assert_eq!(report.findings.len(), 2, "{:#?}", report.findings);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.rule == RuleId::Comp6 && f.severity == Severity::Warning)
    );
    reg.institutions.push(inst(
        "P1",
        "省人民医院",
        InstitutionKind::GeneralHospital,
        3,
        None,
    ));
    reg.memberships
        .push(mem("C1", "P1", MemberRole::Collaborator));
    reg.memberships
        .push(mem("C2", "P1", MemberRole::Collaborator));
    reg.sort();
    assert!(audit(&reg, &facts, &p, d(TODAY)).findings.is_empty());
    // off by default
    reg.memberships
        .retain(|m| m.role != MemberRole::Collaborator);
    assert!(run(&reg, &facts).findings.is_empty());
}

// COMP-7 ---------------------------------------------------------------------------

#[test]
fn comp7_a_name_off_the_convention_is_a_warning() {
    let (mut reg, facts) = clean();
    consortium_mut(&mut reg, "C1").name = "甲市健康联盟".into();
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp7,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["expected"], json!("甲市人民医院医疗集团"));
    // words between the lead's name and the suffix are fine
    consortium_mut(&mut reg, "C1").name = "甲市人民医院紧密型城市医疗集团".into();
    assert!(run(&reg, &facts).findings.is_empty());
    consortium_mut(&mut reg, "C2").name = "乙县人民医院医疗共同体".into();
    assert!(run(&reg, &facts).findings.is_empty());
}

#[test]
fn comp7_chongqing_alliances_start_with_the_city() {
    let (_, facts) = clean();
    let mut reg = with_alliance(20, 3);
    let cq = Profile::builtin("chongqing-2018").unwrap();
    let f = only(
        &audit(&reg, &facts, &cq, d(TODAY)),
        RuleId::Comp7,
        Severity::Warning,
        SubjectKind::Consortium,
        "A1",
    );
    assert_eq!(f.figures["expected"], json!("国家××专科联盟"));
    consortium_mut(&mut reg, "A1").name = "重庆市心血管专科联盟".into();
    assert!(audit(&reg, &facts, &cq, d(TODAY)).findings.is_empty());
    // the national profile knows no province and checks only the suffix
    assert!(run(&reg, &facts).findings.is_empty());
}

// COMP-8 ---------------------------------------------------------------------------

#[test]
fn comp8_filed_on_the_16th_working_day_is_an_error() {
    let (mut reg, facts) = clean();
    let c = consortium_mut(&mut reg, "C1");
    c.founded_on = Some(d("2023-09-25"));
    c.filed_on = Some(d("2023-10-23"));
    c.evaluated_on = Some(d("2025-01-01"));
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp8,
        Severity::Error,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["working_days_taken"], json!(16));
    assert_eq!(f.figures["limit_working_days"], json!(15));
    assert_eq!(f.figures["deadline"], json!("2023-10-20"));
    assert_eq!(f.figures["founded_on"], json!("2023-09-25"));
    assert_eq!(f.source, "002 §四(三)");
    // the 15th working day is in time
    consortium_mut(&mut reg, "C1").filed_on = Some(d("2023-10-20"));
    assert!(run(&reg, &facts).findings.is_empty());
}

#[test]
fn comp8_not_filed_after_the_deadline_is_an_error_and_before_it_nothing() {
    let (mut reg, facts) = clean();
    let c = consortium_mut(&mut reg, "C1");
    c.founded_on = Some(d("2025-06-03"));
    c.filed_on = None;
    // 15 working days from 3 June 2025 end on 24 June (no holiday in between)
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp8,
        Severity::Error,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["deadline"], json!("2025-06-24"));
    assert_eq!(f.figures["working_days_elapsed"], json!(19));
    let report = audit(&reg, &facts, &national(), d("2025-06-24"));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn comp8_unverifiable_filings_are_said() {
    let (mut reg, facts) = clean();
    consortium_mut(&mut reg, "C1").founded_on = None;
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp8,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    assert!(
        f.message_en.contains("no founding date"),
        "{}",
        f.message_en
    );
    let c = consortium_mut(&mut reg, "C1");
    c.founded_on = Some(d("2017-05-02"));
    c.filed_on = Some(d("2017-05-10"));
    c.evaluated_on = Some(d("2025-01-01"));
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp8,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    assert!(
        f.message_en.contains("outside the holiday calendar"),
        "{}",
        f.message_en
    );
    let mut p = national();
    p.rules.comp8.unverifiable = CheckLevel::Off;
    assert!(audit(&reg, &facts, &p, d(TODAY)).findings.is_empty());
}

// COMP-9 ---------------------------------------------------------------------------

#[test]
fn comp9_no_evaluation_within_twelve_months_is_a_warning() {
    let (mut reg, facts) = clean();
    let c = consortium_mut(&mut reg, "C1");
    c.founded_on = Some(d("2022-03-01"));
    c.filed_on = Some(d("2022-03-08"));
    c.evaluated_on = Some(d("2023-05-01"));
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp9,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["due_on"], json!("2024-05-01"));
    consortium_mut(&mut reg, "C1").evaluated_on = None;
    let f = only(
        &run(&reg, &facts),
        RuleId::Comp9,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
    assert_eq!(f.figures["due_on"], json!("2023-03-01"));
    consortium_mut(&mut reg, "C1").evaluated_on = Some(d("2024-07-01"));
    assert!(run(&reg, &facts).findings.is_empty());
}

#[test]
fn comp9_a_young_consortium_needs_no_evaluation_yet() {
    let (mut reg, facts) = clean();
    consortium_mut(&mut reg, "C1").founded_on = Some(d("2024-06-30"));
    consortium_mut(&mut reg, "C1").filed_on = Some(d("2024-07-05"));
    assert!(run(&reg, &facts).findings.is_empty());
    let report = audit(&reg, &facts, &national(), d("2025-07-01"));
    only(
        &report,
        RuleId::Comp9,
        Severity::Warning,
        SubjectKind::Consortium,
        "C1",
    );
}

// check_consortium, ordering -------------------------------------------------------

#[test]
fn check_consortium_reports_one_consortium_and_its_grid() {
    let (mut reg, _) = clean();
    institution_mut(&mut reg, "I4").kind = InstitutionKind::SpecialtyHospital; // C2: COMP-3
    reg.institutions.push(inst(
        "I8",
        "甲市中心医院",
        InstitutionKind::GeneralHospital,
        3,
        Some("G1"),
    ));
    reg.consortia.push(cons(
        "C3",
        "甲市中心医院医疗集团",
        ConsortiumKind::UrbanMedicalGroup,
        Some("G1"),
        "I8",
    ));
    reg.memberships.push(mem("C3", "I8", MemberRole::Lead));
    reg.memberships.push(mem("C3", "I2", MemberRole::Member));
    reg.memberships
        .push(mem("C3", "I8", MemberRole::Collaborator));
    reg.sort();
    let profile = national();
    let found = check_consortium(
        &reg,
        &ConsortiumId::parse("C3").unwrap(),
        &profile,
        d(TODAY),
    );
    let got: Vec<(RuleId, &str, bool)> = found
        .iter()
        .map(|f| (f.rule, f.subject.id.as_str(), f.is_error()))
        .collect();
    assert_eq!(
        got,
        vec![(RuleId::Grid3, "G1", true), (RuleId::Comp6, "C3", true)]
    );
    let c2 = check_consortium(
        &reg,
        &ConsortiumId::parse("C2").unwrap(),
        &profile,
        d(TODAY),
    );
    assert_eq!(c2.len(), 1);
    assert_eq!(c2[0].rule, RuleId::Comp3);
    assert!(
        check_consortium(
            &reg,
            &ConsortiumId::parse("C404").unwrap(),
            &profile,
            d(TODAY)
        )
        .is_empty()
    );
}

#[test]
fn findings_come_in_rule_then_subject_order_and_repeat_exactly() {
    let (mut reg, mut facts) = clean();
    consortium_mut(&mut reg, "C2").name = "乙县联盟".into();
    consortium_mut(&mut reg, "C1").name = "甲市联盟".into();
    institution_mut(&mut reg, "I1").level = Level::TIER2;
    facts.overlaps.push(overlap("G1", "G2", 3.0));
    facts
        .outside_all_grids
        .push(crate::ids::ResidentId::parse("R99").unwrap());
    let a = run(&reg, &facts);
    let order: Vec<(RuleId, &str)> = a
        .findings
        .iter()
        .map(|f| (f.rule, f.subject.id.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            (RuleId::Grid1, "city"),
            (RuleId::Grid4, "G1"),
            (RuleId::Comp1, "C1"),
            (RuleId::Comp7, "C1"),
            (RuleId::Comp7, "C2"),
        ]
    );
    assert_eq!(
        a.summary,
        Summary {
            errors: 2,
            warnings: 3
        }
    );
    let b = run(&reg, &facts);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}
