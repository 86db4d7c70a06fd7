//! Routing a referral (issue 4, item 3): who should receive this patient, and may this
//! receiver be referred to at all. Pure: the registry and the free capacity come in, the
//! ordered proposals (or the broken rule) go out.
//!
//! **Order.** The patient's group is the grid consortium serving the grid they live in
//! (GRID-3). Its lead comes first (REF-1: it receives up-referrals and emergencies), then
//! its members, highest level first, then the group's collaborators (COMP-6: outside the
//! group, reached by an external referral). Within each tier, receivers with free slots in
//! the coming days come before those without, more free slots first. A needed capability
//! (chest-pain centre, dialysis …) keeps only those that have it; a needed department
//! keeps only those that publish slot pools for it (the pools are where departments live).
//!
//! **Collaborator rule** ([`check_receiver`], COMP-6): a referral leaves the patient's group
//! only as an `external` referral to one of the group's collaborators; an `external`
//! referral goes to a collaborator and nowhere else.
//!
//! ```
//! use chrono::NaiveDate;
//! use yilian_domain::ids::{ConsortiumId, InstitutionId};
//! use yilian_domain::referral::Direction;
//! use yilian_domain::registry::Registry;
//! use yilian_domain::routing::{RoutingError, check_receiver};
//! let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
//! let group = ConsortiumId::parse("C1").unwrap();
//! let far = InstitutionId::parse("H9").unwrap();
//! let err = check_receiver(&Registry::default(), &group, &far, Direction::Up, day).unwrap_err();
//! assert!(matches!(err, RoutingError::OutsideGroup { .. }));
//! assert!(err.to_string().starts_with("COMP-6"));
//! ```

use crate::capacity::Left;
use crate::ids::{ConsortiumId, GridId, InstitutionId};
use crate::referral::{Direction, Urgency};
use crate::registry::{Capability, Consortium, Institution, MemberRole, Registry};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Why a referral cannot go where it is sent, or no receivers can be proposed. Each names
/// its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoutingError {
    /// GRID-1/GRID-3: the patient lives in no grid, or no grid consortium serves it.
    #[error(
        "GRID-3: the patient's grid has no grid consortium, so there is no group to route in / 患者所在网格无医联体，无法推荐接收机构"
    )]
    NoGroup,
    /// COMP-6: the receiver is neither in the patient's group nor one of its collaborators.
    #[error(
        "COMP-6: {to} is outside the patient's group {group} and not one of its collaborators; a referral leaves the group only as an external referral to a collaborator / {to} 不属于患者所在医联体 {group}，也不是其协作单位：转出集团只能以外转方式转往协作单位"
    )]
    OutsideGroup {
        /// The receiver.
        to: InstitutionId,
        /// The patient's group.
        group: ConsortiumId,
    },
    /// COMP-6: a collaborator sits outside the group and is reached only by an external
    /// referral.
    #[error(
        "COMP-6: {to} is a collaborator outside group {group}: refer with direction external, not {direction} / {to} 是医联体 {group} 的协作单位（集团外），转诊方向须为外转"
    )]
    CollaboratorNeedsExternal {
        /// The receiver.
        to: InstitutionId,
        /// The patient's group.
        group: ConsortiumId,
        /// The direction given.
        direction: Direction,
    },
    /// COMP-6: an external referral goes to a collaborator, and this receiver is in the group.
    #[error(
        "COMP-6: {to} is inside group {group}; an external referral goes to a collaborator outside it / {to} 属于医联体 {group}，外转只能转往集团外的协作单位"
    )]
    ExternalInsideGroup {
        /// The receiver.
        to: InstitutionId,
        /// The patient's group.
        group: ConsortiumId,
    },
}

/// An institution's place relative to the patient's group, in proposal order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// 牵头医院 of the group.
    Lead,
    /// 成员单位 of the group.
    Member,
    /// 协作单位 outside the group (COMP-6).
    Collaborator,
}

/// The grid consortium serving `grid` (GRID-3 says there is one; the first by id when
/// the layout is broken, which the audit reports).
pub fn group_of<'a>(reg: &'a Registry, grid: Option<&GridId>) -> Option<&'a Consortium> {
    let grid = grid?;
    reg.consortia
        .iter()
        .find(|c| c.kind.serves_grid() && c.grid_id.as_ref() == Some(grid))
}

/// Where `institution` stands to `group` on `day`: its lead always, a member or
/// collaborator by a membership in force (a member that is also listed as collaborator,
/// an audit finding, counts as a member).
pub fn tier_of(
    reg: &Registry,
    group: &Consortium,
    institution: &InstitutionId,
    day: NaiveDate,
) -> Option<Tier> {
    if &group.lead == institution {
        return Some(Tier::Lead);
    }
    reg.members_of(&group.id, Some(day))
        .filter(|m| &m.institution_id == institution)
        .map(|m| tier_of_role(m.role))
        .min()
}

/// COMP-6: may a referral of a patient of `group` go to `to` in `direction`? Inside the
/// group any direction but external; to a collaborator only external; elsewhere never.
pub fn check_receiver(
    reg: &Registry,
    group: &ConsortiumId,
    to: &InstitutionId,
    direction: Direction,
    day: NaiveDate,
) -> Result<(), RoutingError> {
    let outside = || RoutingError::OutsideGroup {
        to: to.clone(),
        group: group.clone(),
    };
    let c = reg
        .consortia
        .iter()
        .find(|c| &c.id == group)
        .ok_or_else(outside)?;
    match (tier_of(reg, c, to, day), direction) {
        (None, _) => Err(outside()),
        (Some(Tier::Lead | Tier::Member), Direction::External) => {
            Err(RoutingError::ExternalInsideGroup {
                to: to.clone(),
                group: group.clone(),
            })
        }
        (Some(Tier::Lead | Tier::Member), Direction::Up | Direction::Down | Direction::Lateral) => {
            Ok(())
        }
        (Some(Tier::Collaborator), Direction::External) => Ok(()),
        (Some(Tier::Collaborator), Direction::Up | Direction::Down | Direction::Lateral) => {
            Err(RoutingError::CollaboratorNeedsExternal {
                to: to.clone(),
                group: group.clone(),
                direction,
            })
        }
    }
}

/// What the receiver must offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Need {
    /// A department, matched against the departments of the receivers' slot pools.
    pub department: Option<String>,
    /// A capability the receiver must have.
    pub capability: Option<Capability>,
}

/// A receiver that fits the need, before capacity is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'a> {
    /// The institution.
    pub institution: &'a Institution,
    /// Its place relative to the group.
    pub tier: Tier,
}

/// The group's lead, members and collaborators in force on `day` that have the needed
/// capability, without the referrer itself. The department is checked against capacity in
/// [`rank`], since pools are where departments are recorded.
pub fn candidates<'a>(
    reg: &'a Registry,
    group: &Consortium,
    need: &Need,
    referrer: Option<&InstitutionId>,
    day: NaiveDate,
) -> Vec<Candidate<'a>> {
    let mut tiers: HashMap<&InstitutionId, Tier> = HashMap::new();
    tiers.insert(&group.lead, Tier::Lead);
    for m in reg.members_of(&group.id, Some(day)) {
        let tier = tier_of_role(m.role);
        tiers
            .entry(&m.institution_id)
            .and_modify(|t| *t = (*t).min(tier))
            .or_insert(tier);
    }
    let mut out: Vec<Candidate<'a>> = tiers
        .into_iter()
        .filter(|(id, _)| Some(*id) != referrer)
        .filter_map(|(id, tier)| {
            let institution = reg.institution(id)?;
            let capable = need
                .capability
                .is_none_or(|c| institution.capabilities.contains(&c));
            capable.then_some(Candidate { institution, tier })
        })
        .collect();
    out.sort_by(|a, b| a.institution.id.cmp(&b.institution.id));
    out
}

fn tier_of_role(role: MemberRole) -> Tier {
    match role {
        MemberRole::Lead => Tier::Lead,
        MemberRole::Member => Tier::Member,
        MemberRole::Collaborator => Tier::Collaborator,
    }
}

/// Free slots of one receiver over the coming days, summed over its pools that match
/// the need's department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capacity {
    /// Pools that match (the department's, or all of them).
    pub pools: u32,
    /// Free reserved slots (for referrals from primary care, QUOTA-1).
    pub reserved: u32,
    /// Free public slots.
    pub public: u32,
}

impl Capacity {
    /// Adds one pool's slots left.
    pub fn add(&mut self, left: Left) {
        self.pools += 1;
        self.reserved += left.reserved;
        self.public += left.public;
    }
    /// Free slots of either tranche.
    pub fn free(self) -> u32 {
        self.reserved + self.public
    }
}

/// A proposed receiver, with why and what it has free.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal<'a> {
    /// The receiver.
    pub institution: &'a Institution,
    /// Lead, member or collaborator.
    pub tier: Tier,
    /// The direction a referral to it takes from the referrer (external to a collaborator).
    pub direction: Direction,
    /// Free slots in the coming days.
    pub capacity: Capacity,
    /// Why it is proposed, in Chinese.
    pub reason_zh: String,
    /// Why it is proposed, in English.
    pub reason_en: String,
}

/// The direction from an institution of `from_level` to `to` in `tier`: external to a
/// collaborator, else by hospital level (up to a higher one, down to a lower one).
fn direction(from_level: Option<u8>, to: &Institution, tier: Tier) -> Direction {
    if tier == Tier::Collaborator {
        return Direction::External;
    }
    match from_level.map(|l| to.level.get().cmp(&l)) {
        None | Some(std::cmp::Ordering::Greater) => Direction::Up,
        Some(std::cmp::Ordering::Equal) => Direction::Lateral,
        Some(std::cmp::Ordering::Less) => Direction::Down,
    }
}

/// Orders the candidates (module docs) with their free capacity, and says why each is
/// proposed. With a department, receivers without a pool of it are left out, except for
/// an emergency: the green channel (REF-5) takes the patient without a booked slot, so an
/// emergency is ordered by tier and level alone. `days` is the window the capacity covers,
/// for the reason's text.
pub fn rank<'a>(
    group: &Consortium,
    candidates: Vec<Candidate<'a>>,
    capacity: &HashMap<InstitutionId, Capacity>,
    need: &Need,
    urgency: Urgency,
    referrer_level: Option<u8>,
    days: u32,
) -> Vec<Proposal<'a>> {
    let emergency = urgency == Urgency::Emergency;
    let mut out: Vec<Proposal<'a>> = candidates
        .into_iter()
        .filter_map(|c| {
            let cap = capacity.get(&c.institution.id).copied().unwrap_or_default();
            if need.department.is_some() && cap.pools == 0 && !emergency {
                return None;
            }
            let (mut zh, mut en) = reason(group, &c, cap, need, days);
            if emergency {
                zh.push_str("；急诊绿色通道（REF-5），不待号源");
                en.push_str("; emergency green channel (REF-5): no slot needed");
            }
            Some(Proposal {
                direction: direction(referrer_level, c.institution, c.tier),
                institution: c.institution,
                tier: c.tier,
                capacity: cap,
                reason_zh: zh,
                reason_en: en,
            })
        })
        .collect();
    // an emergency does not wait for a slot: capacity does not reorder it
    let free = |p: &Proposal<'_>| if emergency { 0 } else { p.capacity.free() };
    out.sort_by(|a, b| {
        (a.tier, free(a) == 0, std::cmp::Reverse(free(a)))
            .cmp(&(b.tier, free(b) == 0, std::cmp::Reverse(free(b))))
            .then(b.institution.level.cmp(&a.institution.level))
            .then(a.institution.id.cmp(&b.institution.id))
    });
    out
}

fn reason(
    group: &Consortium,
    c: &Candidate<'_>,
    cap: Capacity,
    need: &Need,
    days: u32,
) -> (String, String) {
    let name = &group.name;
    let (mut zh, mut en) = match c.tier {
        Tier::Lead => (
            vec![format!("{name}的牵头医院，接收上转与急危重症（REF-1）")],
            vec![format!(
                "lead of {name}: receives up-referrals and emergencies (REF-1)"
            )],
        ),
        Tier::Member => (
            vec![format!("{name}的成员单位")],
            vec![format!("member of {name}")],
        ),
        Tier::Collaborator => (
            vec![format!("{name}的协作单位（集团外，COMP-6），须外转")],
            vec![format!(
                "collaborator of {name}, outside the group (COMP-6): external referral"
            )],
        ),
    };
    if let Some(cap) = need.capability {
        zh.push(format!("具备{}", cap.zh()));
        en.push(format!("has {}", cap.as_str().replace('_', " ")));
    }
    if let Some(d) = &need.department {
        zh.push(format!("开放{d}号源"));
        en.push(format!("publishes {d} slots"));
    }
    zh.push(format!(
        "未来 {days} 天空余预留号 {}、公开号 {}",
        cap.reserved, cap.public
    ));
    en.push(format!(
        "free in the next {days} days: {} reserved, {} public",
        cap.reserved, cap.public
    ));
    (zh.join("；"), en.join("; "))
}

#[cfg(test)]
mod tests;
