//! The audit: a registry, its geometric facts and a profile in, findings out. Pure: the
//! same inputs give the same report byte for byte, so the console, the CLI and the
//! fixtures can compare reports.

use super::facts::{GeoFacts, RESIDENT_SAMPLES_MAX};
use super::finding::{AuditReport, Finding, Severity, Subject, SubjectKind, sorted_figures};
use super::profile::{Profile, RuleSection};
use crate::ids::{ConsortiumId, GridId, InstitutionId};
use crate::registry::{
    Consortium, ConsortiumKind, Grid, Institution, InstitutionKind, MemberRole, Registry,
};
use chrono::{Months, NaiveDate};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Audits a whole city against a profile on `today`: the grid rules (GRID-1…4) over the
/// registry and `facts`, then the composition rules (COMP-1…9) over every consortium.
/// Findings come in report order (rule, then subject id).
#[must_use]
pub fn audit(
    registry: &Registry,
    facts: &GeoFacts,
    profile: &Profile,
    today: NaiveDate,
) -> AuditReport {
    let ctx = Ctx {
        reg: registry,
        profile,
        today,
    };
    let mut out = Vec::new();
    grid1(&ctx, facts, &mut out);
    grid2(&ctx, &mut out);
    for grid in registry.grids.iter().filter(|g| g.validity.contains(today)) {
        grid3_grid(&ctx, grid, &mut out);
    }
    for c in &registry.consortia {
        grid3_reference(&ctx, c, &mut out);
    }
    grid4(&ctx, facts, &mut out);
    for c in &registry.consortia {
        consortium_rules(&ctx, c, &mut out);
    }
    AuditReport::new(profile.name.clone(), out)
}

/// The findings about one consortium, for the API to refuse a create or change that
/// breaks a "must" rule (422 when any is an error): COMP-1…9, the grid it names
/// (GRID-3), and its grid's other consortia when it makes two (GRID-3). Overlaps
/// (GRID-4) need geometry and are left to the full audit. An unknown id gives no
/// findings. A consortium founded after `today` is checked as of its founding day, but
/// is not yet counted among its grid's consortia.
#[must_use]
pub fn check_consortium(
    registry: &Registry,
    consortium_id: &ConsortiumId,
    profile: &Profile,
    today: NaiveDate,
) -> Vec<Finding> {
    let Some(c) = registry.consortia.iter().find(|c| &c.id == consortium_id) else {
        return Vec::new();
    };
    let ctx = Ctx {
        reg: registry,
        profile,
        today,
    };
    let mut out = Vec::new();
    grid3_reference(&ctx, c, &mut out);
    if let Some(grid) = c
        .grid_id
        .as_ref()
        .and_then(|g| registry.grid(g))
        .filter(|g| g.validity.contains(today))
        && ctx.serves(c, &grid.id)
    {
        grid3_grid(&ctx, grid, &mut out);
    }
    consortium_rules(&ctx, c, &mut out);
    AuditReport::new(profile.name.clone(), out).findings
}

struct Ctx<'a> {
    reg: &'a Registry,
    profile: &'a Profile,
    today: NaiveDate,
}

impl Ctx<'_> {
    /// A consortium is in force from its founding day (always, when undated).
    fn in_force(&self, c: &Consortium) -> bool {
        c.founded_on.is_none_or(|f| f <= self.today)
    }

    /// Whether `c` is a grid consortium in force serving `grid`.
    fn serves(&self, c: &Consortium, grid: &GridId) -> bool {
        c.kind.serves_grid() && self.in_force(c) && c.grid_id.as_ref() == Some(grid)
    }

    fn serving(&self, grid: &GridId) -> Vec<&Consortium> {
        self.reg
            .consortia
            .iter()
            .filter(|c| self.serves(c, grid))
            .collect()
    }

    fn grid_subject(&self, id: &GridId) -> Subject {
        Subject {
            kind: SubjectKind::Grid,
            id: id.to_string(),
            name: self
                .reg
                .grid(id)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
        }
    }
}

fn consortium_subject(c: &Consortium) -> Subject {
    Subject {
        kind: SubjectKind::Consortium,
        id: c.id.to_string(),
        name: c.name.clone(),
    }
}

/// Pushes a finding of `section`'s rule and source.
fn push<S: RuleSection>(
    out: &mut Vec<Finding>,
    section: &S,
    severity: Severity,
    subject: Subject,
    message_zh: String,
    message_en: String,
    figures: Map<String, Value>,
) {
    out.push(Finding {
        rule: S::RULE,
        severity,
        subject,
        message_zh,
        message_en,
        figures: sorted_figures(figures),
        source: section.source().to_owned(),
    });
}

fn figures<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn kinds_en(kinds: &[InstitutionKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn kind_codes(kinds: &[InstitutionKind]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.as_str()).collect()
}

fn kinds_zh(kinds: &[InstitutionKind]) -> String {
    kinds.iter().map(|k| k.zh()).collect::<Vec<_>>().join("、")
}

fn ids<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

// ---------------------------------------------------------------------------------
// GRID

/// GRID-1: residents outside every grid; grids nobody lives in; declared grids that
/// disagree with the geometry.
fn grid1(ctx: &Ctx<'_>, facts: &GeoFacts, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.grid1;
    if !rule.enabled {
        return;
    }
    let outside = &facts.outside_all_grids;
    if outside.count > 0 {
        push(
            out,
            rule,
            rule.severity,
            Subject::city(),
            format!(
                "{} 名常住居民不在任何网格内（常住居民共 {} 名）",
                outside.count, facts.total_residents
            ),
            format!(
                "{} of {} residents live outside every grid",
                outside.count, facts.total_residents
            ),
            figures([
                ("uncovered_residents", json!(outside.count)),
                ("total_residents", json!(facts.total_residents)),
                (
                    "samples",
                    json!(ids(outside.samples.iter().take(RESIDENT_SAMPLES_MAX))),
                ),
            ]),
        );
    }
    // Without a residents table every grid would look empty: say nothing then.
    if let Some(severity) = rule.empty_grid.severity()
        && facts.total_residents > 0
    {
        for grid in ctx
            .reg
            .grids
            .iter()
            .filter(|g| g.validity.contains(ctx.today))
        {
            if facts.residents_per_grid.get(&grid.id).copied().unwrap_or(0) == 0 {
                push(
                    out,
                    rule,
                    severity,
                    ctx.grid_subject(&grid.id),
                    "网格内没有常住居民，请核对网格边界".to_owned(),
                    "no resident lives in this grid; check its boundary".to_owned(),
                    figures([
                        ("residents", json!(0)),
                        ("planned_population", json!(grid.population)),
                    ]),
                );
            }
        }
    }
    let mismatch = &facts.declared_grid_mismatch;
    if let Some(severity) = rule.declared_grid_mismatch.severity()
        && mismatch.count > 0
    {
        push(
            out,
            rule,
            severity,
            Subject::city(),
            format!(
                "{} 名居民登记的网格与按住址判定的网格不一致",
                mismatch.count
            ),
            format!(
                "{} residents declare a grid other than the one their home lies in",
                mismatch.count
            ),
            figures([
                ("mismatched_residents", json!(mismatch.count)),
                ("total_residents", json!(facts.total_residents)),
                (
                    "samples",
                    json!(ids(mismatch.samples.iter().take(RESIDENT_SAMPLES_MAX))),
                ),
            ]),
        );
    }
}

/// GRID-2: too few grids in force.
fn grid2(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.grid2;
    if !rule.enabled {
        return;
    }
    let grids = ctx
        .reg
        .grids
        .iter()
        .filter(|g| g.validity.contains(ctx.today))
        .count() as u64;
    if grids < u64::from(rule.min_grids) {
        push(
            out,
            rule,
            rule.severity,
            Subject::city(),
            format!(
                "全市规划网格 {grids} 个，原则上不少于 {} 个",
                rule.min_grids
            ),
            format!(
                "the city has {grids} grid(s); in principle at least {}",
                rule.min_grids
            ),
            figures([
                ("grids", json!(grids)),
                ("min_grids", json!(rule.min_grids)),
            ]),
        );
    }
}

/// GRID-3 for one grid in force: exactly one grid consortium serves it.
fn grid3_grid(ctx: &Ctx<'_>, grid: &Grid, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.grid3;
    if !rule.enabled {
        return;
    }
    let serving = ctx.serving(&grid.id);
    let consortia = json!(ids(serving.iter().map(|c| &c.id)));
    match serving.len() {
        1 => {}
        0 => push(
            out,
            rule,
            rule.severity,
            ctx.grid_subject(&grid.id),
            "网格没有负责的城市医疗集团或县域医共体".to_owned(),
            "no urban medical group or county medical community serves this grid".to_owned(),
            figures([("consortia", consortia)]),
        ),
        n => {
            let names_zh: Vec<&str> = serving.iter().map(|c| c.name.as_str()).collect();
            push(
                out,
                rule,
                rule.severity,
                ctx.grid_subject(&grid.id),
                format!("网格由 {n} 个医联体同时负责:{}", names_zh.join("、")),
                format!(
                    "{n} consortia serve this grid: {}",
                    ids(serving.iter().map(|c| &c.id)).join(", ")
                ),
                figures([("consortia", consortia)]),
            );
        }
    }
}

/// GRID-3 for one consortium: a grid consortium names a grid that exists (and is in
/// force while the consortium is).
fn grid3_reference(ctx: &Ctx<'_>, c: &Consortium, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.grid3;
    if !rule.enabled || !c.kind.serves_grid() {
        return;
    }
    let (zh, en, grid) = match &c.grid_id {
        None => (
            format!("{}未指定服务网格", c.kind.zh()),
            format!("this {} names no grid", c.kind.as_str()),
            Value::Null,
        ),
        Some(g) => match ctx.reg.grid(g) {
            None => (
                format!("服务网格 {g} 不存在"),
                format!("serves grid {g}, which does not exist"),
                json!(g.as_str()),
            ),
            Some(grid) if ctx.in_force(c) && !grid.validity.contains(ctx.today) => (
                format!("服务网格 {g} 在 {} 未生效", ctx.today),
                format!("serves grid {g}, which is not in force on {}", ctx.today),
                json!(g.as_str()),
            ),
            Some(_) => return,
        },
    };
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(c),
        zh,
        en,
        figures([("grid_id", grid)]),
    );
}

/// GRID-4: overlapping grids, unless a consortium serving either of them mainly gives
/// TCM or maternal-and-child care (002 §三(二)3 exempts those consortia from the
/// non-overlap rule, so an overlap they are part of is allowed; the lead's kind stands
/// for "mainly").
fn grid4(ctx: &Ctx<'_>, facts: &GeoFacts, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.grid4;
    if !rule.enabled {
        return;
    }
    let mut seen = BTreeSet::new();
    for o in &facts.overlaps {
        let (a, b) = if o.a <= o.b {
            (&o.a, &o.b)
        } else {
            (&o.b, &o.a)
        };
        if a == b || o.area_km2 <= rule.overlap_tolerance_km2 || !seen.insert((a, b)) {
            continue;
        }
        let serving_a = ctx.serving(a);
        let serving_b = ctx.serving(b);
        let exempt = serving_a.iter().chain(&serving_b).any(|c| {
            ctx.reg
                .institution(&c.lead)
                .is_some_and(|lead| rule.exempt_lead_kinds.contains(&lead.kind))
        });
        if exempt {
            continue;
        }
        let area = (o.area_km2 * 1e6).round() / 1e6;
        push(
            out,
            rule,
            rule.severity,
            ctx.grid_subject(a),
            format!("网格 {a} 与网格 {b} 重叠 {:.3} 平方公里", o.area_km2),
            format!("grids {a} and {b} overlap by {:.3} km²", o.area_km2),
            figures([
                ("area_km2", json!(area)),
                ("grid_a", json!(a.as_str())),
                ("grid_b", json!(b.as_str())),
                ("consortia_a", json!(ids(serving_a.iter().map(|c| &c.id)))),
                ("consortia_b", json!(ids(serving_b.iter().map(|c| &c.id)))),
            ]),
        );
    }
}

// ---------------------------------------------------------------------------------
// COMP

/// A consortium as the COMP rules see it: its lead and its memberships in force.
struct View<'a> {
    c: &'a Consortium,
    lead: Option<&'a Institution>,
    /// Members in force (role member), the lead excluded, resolved.
    members: Vec<&'a Institution>,
    /// Roles in force by institution.
    roles: BTreeMap<&'a InstitutionId, BTreeSet<MemberRole>>,
}

fn consortium_rules(ctx: &Ctx<'_>, c: &Consortium, out: &mut Vec<Finding>) {
    // A consortium not yet founded is checked as it will stand on its founding day.
    let day = c.founded_on.map_or(ctx.today, |f| f.max(ctx.today));
    let mut roles: BTreeMap<&InstitutionId, BTreeSet<MemberRole>> = BTreeMap::new();
    for m in ctx.reg.members_of(&c.id, Some(day)) {
        roles.entry(&m.institution_id).or_default().insert(m.role);
    }
    let members = roles
        .iter()
        .filter(|(id, r)| r.contains(&MemberRole::Member) && **id != &c.lead)
        .filter_map(|(id, _)| ctx.reg.institution(id))
        .collect();
    let view = View {
        c,
        lead: ctx.reg.institution(&c.lead),
        members,
        roles,
    };
    comp6(ctx, &view, out);
    if let Some(lead) = view.lead {
        match c.kind {
            ConsortiumKind::UrbanMedicalGroup => {
                comp1(ctx, &view, lead, out);
                comp2(ctx, &view, out);
            }
            ConsortiumKind::CountyMedicalCommunity => comp3(ctx, &view, lead, out),
            ConsortiumKind::SpecialtyAlliance => comp4(ctx, &view, lead, out),
            ConsortiumKind::TelemedicineNetwork => comp5(ctx, &view, lead, out),
        }
        comp7(ctx, &view, lead, out);
    }
    comp8(ctx, c, out);
    comp9(ctx, c, out);
}

fn lead_figures(lead: &Institution) -> [(&'static str, Value); 3] {
    [
        ("lead_id", json!(lead.id.as_str())),
        ("lead_kind", json!(lead.kind.as_str())),
        ("lead_level", json!(lead.level.get())),
    ]
}

/// COMP-1: the lead of an urban medical group.
fn comp1(ctx: &Ctx<'_>, v: &View<'_>, lead: &Institution, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp1;
    if !rule.enabled || (lead.level >= rule.lead_min_level && rule.lead_kinds.contains(&lead.kind))
    {
        return;
    }
    let [id, kind, level] = lead_figures(lead);
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(v.c),
        format!(
            "牵头医院 {}（{} 级{}）不符合要求：应为 {} 级及以上的{}",
            lead.name,
            lead.level.get(),
            lead.kind.zh(),
            rule.lead_min_level.get(),
            kinds_zh(&rule.lead_kinds)
        ),
        format!(
            "lead {} is a level-{} {}; the lead should be a level-{}+ {}",
            lead.id,
            lead.level.get(),
            lead.kind.as_str(),
            rule.lead_min_level.get(),
            kinds_en(&rule.lead_kinds)
        ),
        figures([
            id,
            kind,
            level,
            ("lead_min_level", json!(rule.lead_min_level.get())),
            ("lead_kinds", json!(kind_codes(&rule.lead_kinds))),
        ]),
    );
}

/// COMP-2: the members of an urban medical group cover enough categories.
fn comp2(ctx: &Ctx<'_>, v: &View<'_>, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp2;
    if !rule.enabled {
        return;
    }
    let present: Vec<&super::profile::MemberCategory> = rule
        .categories
        .iter()
        .filter(|cat| {
            v.members
                .iter()
                .any(|m| cat.kinds.contains(&m.kind) && cat.min_level.is_none_or(|l| m.level >= l))
        })
        .collect();
    if present.len() >= rule.min_categories as usize {
        return;
    }
    let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    for m in &v.members {
        *by_kind.entry(m.kind.as_str()).or_default() += 1;
    }
    let labels_zh: Vec<&str> = rule
        .categories
        .iter()
        .map(|c| c.label_zh.as_str())
        .collect();
    let labels_en: Vec<&str> = rule
        .categories
        .iter()
        .map(|c| c.label_en.as_str())
        .collect();
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(v.c),
        format!(
            "成员单位覆盖 {} 类，要求至少 {} 类：{}",
            present.len(),
            rule.min_categories,
            labels_zh.join("、")
        ),
        format!(
            "members cover {} of the categories, at least {} required: {}",
            present.len(),
            rule.min_categories,
            labels_en.join("; ")
        ),
        figures([
            ("members", json!(v.members.len())),
            ("members_by_kind", json!(by_kind)),
            (
                "categories_present",
                json!(present.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()),
            ),
            ("min_categories", json!(rule.min_categories)),
        ]),
    );
}

/// COMP-3: a county medical community's lead kind, and every primary institution of
/// its grid among its members.
fn comp3(ctx: &Ctx<'_>, v: &View<'_>, lead: &Institution, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp3;
    if !rule.enabled {
        return;
    }
    if !rule.lead_kinds.contains(&lead.kind) {
        let [id, kind, level] = lead_figures(lead);
        push(
            out,
            rule,
            rule.severity,
            consortium_subject(v.c),
            format!(
                "牵头单位 {}（{}）应为{}",
                lead.name,
                lead.kind.zh(),
                kinds_zh(&rule.lead_kinds)
            ),
            format!(
                "lead {} is a {}; a county community is led by a {}",
                lead.id,
                lead.kind.as_str(),
                kinds_en(&rule.lead_kinds)
            ),
            figures([
                id,
                kind,
                level,
                ("lead_kinds", json!(kind_codes(&rule.lead_kinds))),
            ]),
        );
    }
    let Some(grid) = &v.c.grid_id else {
        return; // GRID-3 reports the missing grid
    };
    let missing: Vec<&Institution> = ctx
        .reg
        .institutions
        .iter()
        .filter(|i| i.grid_id.as_ref() == Some(grid) && rule.member_kinds.contains(&i.kind))
        .filter(|i| {
            i.id != v.c.lead
                && !v.roles.get(&i.id).is_some_and(|r| {
                    r.contains(&MemberRole::Member) || r.contains(&MemberRole::Lead)
                })
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    let names: Vec<&str> = missing.iter().map(|i| i.name.as_str()).collect();
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(v.c),
        format!(
            "网格 {grid} 内 {} 家基层医疗卫生机构未纳入成员单位：{}",
            missing.len(),
            names.join("、")
        ),
        format!(
            "{} primary institution(s) of grid {grid} are not members: {}",
            missing.len(),
            ids(missing.iter().map(|i| &i.id)).join(", ")
        ),
        figures([
            ("missing", json!(ids(missing.iter().map(|i| &i.id)))),
            ("missing_names", json!(names)),
            ("member_kinds", json!(kind_codes(&rule.member_kinds))),
        ]),
    );
}

/// COMP-4: an in-city specialty alliance has a tier-3 lead and at least N members.
/// Cross-province alliances (三甲 lead with a national key specialty, members in ≥ 2
/// provinces) cannot be told apart or checked: the registry records neither provinces
/// nor key specialties.
fn comp4(ctx: &Ctx<'_>, v: &View<'_>, lead: &Institution, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp4;
    if !rule.enabled {
        return;
    }
    let members = v.members.len() as u64;
    let low_lead = lead.level < rule.lead_min_level;
    let few = members < u64::from(rule.min_members);
    if !low_lead && !few {
        return;
    }
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if low_lead {
        zh.push(format!(
            "牵头医院 {} 为 {} 级，应为 {} 级及以上",
            lead.name,
            lead.level.get(),
            rule.lead_min_level.get()
        ));
        en.push(format!(
            "lead {} is level {}, level {}+ required",
            lead.id,
            lead.level.get(),
            rule.lead_min_level.get()
        ));
    }
    if few {
        zh.push(format!(
            "市内成员单位 {members} 家，应不少于 {} 家（市内唯一或紧缺学科可适当放宽）",
            rule.min_members
        ));
        en.push(format!(
            "{members} member institutions, at least {} required (may be relaxed for a scarce specialty)",
            rule.min_members
        ));
    }
    let [id, kind, level] = lead_figures(lead);
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(v.c),
        zh.join(";"),
        en.join("; "),
        figures([
            id,
            kind,
            level,
            ("lead_min_level", json!(rule.lead_min_level.get())),
            ("members", json!(members)),
            ("min_members", json!(rule.min_members)),
        ]),
    );
}

/// COMP-5: a telemedicine network's lead is district/county level or higher and runs
/// a telemedicine office and platform.
fn comp5(ctx: &Ctx<'_>, v: &View<'_>, lead: &Institution, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp5;
    if !rule.enabled {
        return;
    }
    let missing: Vec<&str> = rule
        .lead_capabilities
        .iter()
        .filter(|cap| !lead.capabilities.contains(cap))
        .map(|cap| cap.as_str())
        .collect();
    let low = lead.level < rule.lead_min_level;
    if missing.is_empty() && !low {
        return;
    }
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if low {
        zh.push(format!(
            "牵头医院 {} 为 {} 级，应为区县级及以上（{} 级及以上）",
            lead.name,
            lead.level.get(),
            rule.lead_min_level.get()
        ));
        en.push(format!(
            "lead {} is level {}, district/county level (level {}+) or higher required",
            lead.id,
            lead.level.get(),
            rule.lead_min_level.get()
        ));
    }
    if !missing.is_empty() {
        let missing_zh: Vec<&str> = rule
            .lead_capabilities
            .iter()
            .filter(|cap| !lead.capabilities.contains(cap))
            .map(|cap| cap.zh())
            .collect();
        zh.push(format!(
            "牵头医院 {} 缺少{}（独立的远程医疗协作管理机构和运行平台）",
            lead.name,
            missing_zh.join("、")
        ));
        en.push(format!(
            "lead {} lacks {} (an independent telemedicine office and platform)",
            lead.id,
            missing.join(", ")
        ));
    }
    let [id, kind, level] = lead_figures(lead);
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(v.c),
        zh.join(";"),
        en.join("; "),
        figures([
            id,
            kind,
            level,
            ("lead_min_level", json!(rule.lead_min_level.get())),
            ("missing_capabilities", json!(missing)),
        ]),
    );
}

/// COMP-6: roles. The lead exists and is the only lead; a collaborator sits outside
/// the group (never its lead or a member); in epidemic mode a grid consortium names a
/// high-level external collaborator.
fn comp6(ctx: &Ctx<'_>, v: &View<'_>, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp6;
    if !rule.enabled {
        return;
    }
    let c = v.c;
    if v.lead.is_none() {
        push(
            out,
            rule,
            rule.severity,
            consortium_subject(c),
            format!("牵头单位 {} 不在机构名录中", c.lead),
            format!("lead {} is not in the registry", c.lead),
            figures([("lead_id", json!(c.lead.as_str()))]),
        );
    }
    for (id, roles) in &v.roles {
        let name = ctx.reg.institution(id).map_or("", |i| i.name.as_str());
        if roles.contains(&MemberRole::Lead) && *id != &c.lead {
            push(
                out,
                rule,
                rule.severity,
                consortium_subject(c),
                format!(
                    "{name}（{id}）登记为牵头医院，但本医联体的牵头单位是 {}：只能有一个牵头单位",
                    c.lead
                ),
                format!(
                    "{id} is registered as lead, but the consortium's lead is {}: there is one lead",
                    c.lead
                ),
                figures([
                    ("institution_id", json!(id.as_str())),
                    ("lead_id", json!(c.lead.as_str())),
                ]),
            );
        }
        let inside = *id == &c.lead
            || roles.contains(&MemberRole::Lead)
            || roles.contains(&MemberRole::Member);
        if roles.contains(&MemberRole::Collaborator) && inside {
            let role = if *id == &c.lead || roles.contains(&MemberRole::Lead) {
                MemberRole::Lead
            } else {
                MemberRole::Member
            };
            push(
                out,
                rule,
                rule.severity,
                consortium_subject(c),
                format!(
                    "{name}（{id}）既是协作单位又是本医联体的{}：协作单位应在集团外部",
                    role.zh()
                ),
                format!(
                    "{id} is both a collaborator and the consortium's {}: collaborators sit outside the group",
                    role.as_str()
                ),
                figures([
                    ("institution_id", json!(id.as_str())),
                    (
                        "roles",
                        json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()),
                    ),
                ]),
            );
        }
    }
    if ctx.profile.epidemic_mode
        && c.kind.serves_grid()
        && let Some(severity) = rule.epidemic_collaborator.severity()
    {
        let has = v.roles.iter().any(|(id, roles)| {
            roles.contains(&MemberRole::Collaborator)
                && *id != &c.lead
                && ctx
                    .reg
                    .institution(id)
                    .is_some_and(|i| i.level >= rule.epidemic_collaborator_min_level)
        });
        if !has {
            push(
                out,
                rule,
                severity,
                consortium_subject(c),
                format!(
                    "疫情模式下未明确 {} 级及以上医院作为外部协作医院",
                    rule.epidemic_collaborator_min_level.get()
                ),
                format!(
                    "epidemic mode: no level-{}+ hospital named as external collaborator",
                    rule.epidemic_collaborator_min_level.get()
                ),
                figures([(
                    "collaborator_min_level",
                    json!(rule.epidemic_collaborator_min_level.get()),
                )]),
            );
        }
    }
}

/// COMP-7: the name follows the convention of its kind.
fn comp7(ctx: &Ctx<'_>, v: &View<'_>, lead: &Institution, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp7;
    if !rule.enabled {
        return;
    }
    let name = v.c.name.as_str();
    let (prefixes, suffixes): (Vec<&str>, &[String]) = match v.c.kind {
        ConsortiumKind::UrbanMedicalGroup => {
            (vec![lead.name.as_str()], &rule.urban_medical_group_suffixes)
        }
        ConsortiumKind::CountyMedicalCommunity => (
            vec![lead.name.as_str()],
            &rule.county_medical_community_suffixes,
        ),
        ConsortiumKind::TelemedicineNetwork => (
            vec![lead.name.as_str()],
            &rule.telemedicine_network_suffixes,
        ),
        ConsortiumKind::SpecialtyAlliance => (
            rule.specialty_alliance_prefixes
                .iter()
                .map(String::as_str)
                .collect(),
            &rule.specialty_alliance_suffixes,
        ),
    };
    let prefix_ok = prefixes.is_empty() || prefixes.iter().any(|p| name.starts_with(p));
    let suffix_ok = suffixes.iter().any(|s| name.ends_with(s.as_str()));
    if prefix_ok && suffix_ok {
        return;
    }
    let first = suffixes.first().map_or("", String::as_str);
    let expected = match v.c.kind {
        ConsortiumKind::SpecialtyAlliance => {
            let p = prefixes.first().copied().unwrap_or("");
            format!("{p}××{first}")
        }
        _ => format!("{}{first}", lead.name),
    };
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(v.c),
        format!("名称“{name}”不符合命名规范，应为“{expected}”"),
        format!("name '{name}' does not follow the convention '{expected}'"),
        figures([
            ("name", json!(name)),
            ("expected", json!(expected)),
            ("prefixes", json!(prefixes)),
            ("suffixes", json!(suffixes)),
        ]),
    );
}

/// COMP-8: filed within N working days of founding. A filing still within its
/// deadline gives no finding; one that cannot be checked says so.
fn comp8(ctx: &Ctx<'_>, c: &Consortium, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp8;
    if !rule.enabled {
        return;
    }
    let limit = rule.filing_working_days;
    let unverifiable = |out: &mut Vec<Finding>, zh: String, en: String| {
        if let Some(severity) = rule.unverifiable.severity() {
            push(
                out,
                rule,
                severity,
                consortium_subject(c),
                zh,
                en,
                figures([
                    ("founded_on", json!(c.founded_on)),
                    ("filed_on", json!(c.filed_on)),
                    ("limit_working_days", json!(limit)),
                ]),
            );
        }
    };
    let Some(founded) = c.founded_on else {
        unverifiable(
            out,
            "未登记成立日期，无法核查备案时限".to_owned(),
            "no founding date: the filing deadline cannot be checked".to_owned(),
        );
        return;
    };
    let deadline = match ctx.profile.add_working_days(founded, limit) {
        Ok(d) => d,
        Err(e) => {
            unverifiable(
                out,
                format!("无法核查备案时限：{} 不在节假日表年份内", e.date),
                format!("the filing deadline cannot be checked: {e}"),
            );
            return;
        }
    };
    match c.filed_on {
        Some(filed) if filed > deadline => {
            let taken = ctx.profile.working_days_between(founded, filed).ok();
            let taken_zh =
                taken.map_or_else(|| "超过".to_owned(), |t| format!("{t} 个工作日，超过"));
            let taken_en = taken.map_or_else(String::new, |t| format!("{t} working days, "));
            push(
                out,
                rule,
                rule.severity,
                consortium_subject(c),
                format!(
                    "{founded} 成立，{filed} 备案，用时 {taken_zh} {limit} 个工作日的时限（截止 {deadline}）"
                ),
                format!(
                    "founded {founded}, filed {filed}: {taken_en}beyond the {limit}-working-day limit (deadline {deadline})"
                ),
                figures([
                    ("founded_on", json!(founded)),
                    ("filed_on", json!(filed)),
                    ("deadline", json!(deadline)),
                    ("limit_working_days", json!(limit)),
                    ("working_days_taken", json!(taken)),
                ]),
            );
        }
        Some(_) => {}
        None if ctx.today > deadline => {
            let elapsed = ctx.profile.working_days_between(founded, ctx.today).ok();
            push(
                out,
                rule,
                rule.severity,
                consortium_subject(c),
                format!(
                    "{founded} 成立，至今未备案，已超过 {limit} 个工作日的时限（截止 {deadline}）"
                ),
                format!(
                    "founded {founded} and not filed; the {limit}-working-day deadline passed on {deadline}"
                ),
                figures([
                    ("founded_on", json!(founded)),
                    ("filed_on", Value::Null),
                    ("deadline", json!(deadline)),
                    ("limit_working_days", json!(limit)),
                    ("working_days_elapsed", json!(elapsed)),
                ]),
            );
        }
        None => {}
    }
}

/// COMP-9: evaluated within the last period, once older than a period. Undated
/// consortia are left to COMP-8, which reports the missing founding date.
fn comp9(ctx: &Ctx<'_>, c: &Consortium, out: &mut Vec<Finding>) {
    let rule = &ctx.profile.rules.comp9;
    if !rule.enabled {
        return;
    }
    let Some(last) = c.evaluated_on.or(c.founded_on) else {
        return;
    };
    let months = rule.evaluation_period_months;
    let Some(due) = last.checked_add_months(Months::new(months)) else {
        return; // beyond chrono's calendar: nothing is due in this era
    };
    if ctx.today <= due {
        return;
    }
    let (zh, en) = match c.evaluated_on {
        Some(e) => (
            format!("最近一次评估在 {e}，已超过 {months} 个月（应于 {due} 前再次评估）"),
            format!("last evaluated {e}, more than {months} months ago (due by {due})"),
        ),
        None => (
            format!("成立已超过 {months} 个月，未登记评估（应于 {due} 前评估）"),
            format!("older than {months} months and never evaluated (due by {due})"),
        ),
    };
    push(
        out,
        rule,
        rule.severity,
        consortium_subject(c),
        zh,
        en,
        figures([
            ("founded_on", json!(c.founded_on)),
            ("evaluated_on", json!(c.evaluated_on)),
            ("due_on", json!(due)),
            ("period_months", json!(months)),
        ]),
    );
}
