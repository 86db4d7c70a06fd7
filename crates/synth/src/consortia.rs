//! The consortia, laid out to comply with the national defaults of `policy-rules.md`: one
//! urban medical group per grid (GRID-3) led by the grid's tier-3 general hospital (COMP-1)
//! with its tier-2 hospitals and primary care as members (COMP-2) and a university hospital
//! as collaborator (COMP-6); two in-city specialty alliances with at least 20 members
//! (COMP-4); a telemedicine network led by a hospital with a telemedicine hub that covers
//! every community and township centre (COMP-5, SHARE-3); names by convention (COMP-7);
//! filed 3–14 calendar days after founding, so within 15 working days whatever the
//! holidays (COMP-8); evaluated in the 12 months before [`crate::AS_OF`] (COMP-9).

use crate::institutions::{Plan, Tier};
use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use yilian_domain::ids::{ConsortiumId, GridId, InstitutionId};
use yilian_domain::registry::{
    Capability, Consortium, ConsortiumKind, InstitutionKind, MemberRole, Membership, Validity,
};

/// Members an in-city specialty alliance needs at least (COMP-4).
const ALLIANCE_MEMBERS_MIN: usize = 20;

pub(crate) const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("BUG: not a calendar date"),
    }
}

fn plus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days))
        .expect("BUG: dates stay within the 2020s")
}

/// Founded on a day of the window, filed 3–14 days later, evaluated in the year before
/// [`crate::AS_OF`].
fn dates(rng: &mut ChaCha8Rng, from: NaiveDate, window_days: u64) -> [NaiveDate; 3] {
    let founded = plus(from, rng.random_range(0..=window_days));
    let filed = plus(founded, rng.random_range(3..=14));
    let evaluated = plus(ymd(2025, 11, 10), rng.random_range(0..=344));
    [founded, filed, evaluated]
}

struct Out {
    consortia: Vec<Consortium>,
    memberships: Vec<Membership>,
}

impl Out {
    fn add(
        &mut self,
        name: String,
        kind: ConsortiumKind,
        grid_id: Option<GridId>,
        lead: &InstitutionId,
        [founded, filed, evaluated]: [NaiveDate; 3],
        rows: impl IntoIterator<Item = (InstitutionId, MemberRole)>,
    ) {
        let id = ConsortiumId::parse(&format!("C{:03}", self.consortia.len() + 1))
            .expect("BUG: C### is a valid id");
        let validity = Validity {
            from: Some(founded),
            to: None,
        };
        self.memberships.push(Membership {
            consortium_id: id.clone(),
            institution_id: lead.clone(),
            role: MemberRole::Lead,
            validity,
        });
        self.memberships
            .extend(rows.into_iter().map(|(institution_id, role)| Membership {
                consortium_id: id.clone(),
                institution_id,
                role,
                validity,
            }));
        self.consortia.push(Consortium {
            id,
            name,
            kind,
            grid_id,
            lead: lead.clone(),
            founded_on: Some(founded),
            filed_on: Some(filed),
            evaluated_on: Some(evaluated),
        });
    }
}

/// Builds the consortia and their memberships.
pub(crate) fn build(rng: &mut ChaCha8Rng, plan: &Plan) -> (Vec<Consortium>, Vec<Membership>) {
    let id = |i: usize| plan.list[i].inst.id.clone();
    let name = |i: usize| plan.list[i].inst.name.clone();
    let mut out = Out {
        consortia: Vec::new(),
        memberships: Vec::new(),
    };
    let [uni1, uni2] = plan.city.university;

    // one urban medical group per grid, founded after the city's pilot plan of July 2023
    for (g, gp) in plan.grids.iter().enumerate() {
        let lead = &plan.list[gp.lead];
        let mut rows: Vec<(InstitutionId, MemberRole)> = gp
            .tier2
            .iter()
            .chain(&gp.primary)
            .chain(gp.private.iter().filter(|&&i| plan.list[i].member))
            .map(|&i| (id(i), MemberRole::Member))
            .collect();
        let (first, second) = if g % 2 == 0 {
            (uni1, uni2)
        } else {
            (uni2, uni1)
        };
        rows.push((id(first), MemberRole::Collaborator));
        if rng.random_bool(0.5) {
            rows.push((id(second), MemberRole::Collaborator));
        }
        let when = dates(rng, ymd(2023, 8, 1), 140);
        out.add(
            format!("{}医疗集团", lead.inst.name),
            ConsortiumKind::UrbanMedicalGroup,
            lead.inst.grid_id.clone(),
            &lead.inst.id,
            when,
            rows,
        );
    }

    let leads: Vec<usize> = plan.grids.iter().map(|gp| gp.lead).collect();
    let of_kind = |kinds: &[InstitutionKind]| -> Vec<usize> {
        plan.list
            .iter()
            .enumerate()
            .filter(|(_, p)| p.tier == Tier::Primary && kinds.contains(&p.inst.kind))
            .map(|(i, _)| i)
            .collect()
    };
    let tier2_with = |pred: &dyn Fn(usize) -> bool| -> Vec<usize> {
        plan.grids
            .iter()
            .flat_map(|gp| gp.tier2.iter().copied())
            .filter(|&i| pred(i))
            .collect()
    };

    // specialty alliances: the hospitals of the specialty, topped up with primary care
    let mut alliance = |rng: &mut ChaCha8Rng,
                        title: &str,
                        lead: usize,
                        mut members: Vec<usize>,
                        fill: Vec<usize>| {
        let target = rng.random_range(ALLIANCE_MEMBERS_MIN + 4..=ALLIANCE_MEMBERS_MIN + 16);
        let mut fill = fill;
        fill.shuffle(rng);
        let missing = target.saturating_sub(members.len());
        let mut extra: Vec<usize> = fill.into_iter().take(missing).collect();
        extra.sort_unstable();
        members.extend(extra);
        let when = dates(rng, ymd(2023, 3, 1), 120);
        out.add(
            title.to_owned(),
            ConsortiumKind::SpecialtyAlliance,
            None,
            &id(lead),
            when,
            members.into_iter().map(|i| (id(i), MemberRole::Member)),
        );
    };
    let mut cardio = leads.clone();
    cardio.extend(tier2_with(&|i| {
        plan.list[i]
            .inst
            .capabilities
            .contains(&Capability::ChestPainCenter)
    }));
    cardio.push(plan.city.emergency);
    alliance(
        rng,
        "重庆市心血管专科联盟",
        uni1,
        cardio,
        of_kind(&[InstitutionKind::CommunityHealthCenter]),
    );
    let mut tcm = tier2_with(&|i| plan.list[i].inst.kind == InstitutionKind::TcmHospital);
    tcm.extend(leads.iter().copied());
    alliance(
        rng,
        "重庆市中医专科联盟",
        plan.city.tcm,
        tcm,
        of_kind(&[
            InstitutionKind::CommunityHealthCenter,
            InstitutionKind::TownshipHealthCenter,
        ]),
    );

    // the telemedicine network: every lead, tier-2 hospital, community and township centre
    let mut tele = leads.clone();
    tele.extend(tier2_with(&|_| true));
    tele.extend(of_kind(&[
        InstitutionKind::CommunityHealthCenter,
        InstitutionKind::TownshipHealthCenter,
    ]));
    let when = dates(rng, ymd(2023, 4, 1), 90);
    out.add(
        format!("{}远程医疗协作网", name(uni2)),
        ConsortiumKind::TelemedicineNetwork,
        None,
        &id(uni2),
        when,
        tele.into_iter().map(|i| (id(i), MemberRole::Member)),
    );
    (out.consortia, out.memberships)
}
