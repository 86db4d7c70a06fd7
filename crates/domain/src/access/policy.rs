//! The one access policy (issue 3, STYLE 12): [`can`] decides every request, for the API,
//! the console and exports alike, so that the rules are in one place that a reviewer
//! (and an MLPS 2.0 assessor) can read. It denies by default, has no wildcard for any
//! administrator, and is pure: what it needs to know about the registry comes in through
//! [`Topology`], so a decision tests in microseconds.
//!
//! A user holds [`Grant`]s: a [`Role`] on a [`Scope`]. A request is an [`Action`] on a
//! [`Resource`]. [`can`] returns the grant that allows it, and whether identifiers (ID
//! and phone numbers) must be shown masked, or the reason it is denied. The server calls
//! [`can_attempt`] before it loads anything (the shallow role check) and [`can`] once
//! the resource's row is loaded (the deep scope check), and writes the audit event from
//! the [`Decision`].
//!
//! # The matrix
//!
//! Each role may be granted only on the scope kinds in brackets ([`Role::scope_kinds`]).
//! A cell names what must hold for the grant to allow the action; `—` means the role may
//! never do it, whatever the scope. Identifiers are masked unless the cell says *shown*.
//!
//! | action (resource kinds) | commission admin (city, grid) | consortium manager (consortium) | referral desk (institution) | doctor (institution) | family doctor (team) | shared-centre staff (institution) | auditor (city) | resident (person) |
//! |---|---|---|---|---|---|---|---|---|
//! | read registry (registry, consortium) | within | within | — | — | — | — | — | — |
//! | change consortium (consortium) | within | within | — | — | — | — | — | — |
//! | read aggregates (registry, consortium) | within | within | — | — | — | — | — | — |
//! | read person (person) | — | — | in care, *shown* | in care, *shown* | own team, *shown* | in care | — | self |
//! | change person (person) | — | — | — | in care, *shown* | own team, *shown* | — | — | — |
//! | export registry (export, not of a person) | within | within | — | — | — | — | — | — |
//! | export persons (export) | — | — | within, *shown* | — | within, *shown* | — | — | — |
//! | read audit trail (audit trail) | — | — | — | — | — | — | within | — |
//! | manage users (users) | within | — | — | — | — | — | — | — |
//! | book slot (person) | — | — | in care, *shown* | in care, *shown* | own team, *shown* | — | — | — |
//! | refer (person) | — | — | in care, *shown* | in care, *shown* | own team, *shown* | — | — | — |
//! | break-glass read person (person) | — | — | own consortium, flagged | own consortium, flagged | own consortium, flagged | — | — | — |
//! | read feed (feed) | — | — | within | within | within | within | — | — |
//! | manage webhooks (feed) | — | — | within | — | — | — | — | — |
//! | read pool view (capacity) | within | within | within | — | — | — | — | — |
//! | manage pools (capacity) | — | — | within | — | — | — | — | — |
//!
//! *Within* means the resource lies inside the grant's scope:
//!
//! | resource | city | grid G | consortium C | institution I | team T | person P |
//! |---|---|---|---|---|---|---|
//! | registry, audit trail, users | yes | no | no | no | no | no |
//! | consortium X | yes | X serves G | X = C | no | no | no |
//! | person | yes | lives in G | in C (below) | has care at I | signed with T | is P |
//! | capacity of institution X | yes | X is in G | X leads or is a member of C | X = I | no | no |
//! | export of scope S | yes | S is G, or a consortium serving G, or an institution or team in G | S is C, or a member of C, or a team hosted by one | S is I, or a team hosted by I | S is T | S is P |
//! | feed of scope S | — | — | — | S is I, or a team hosted by I | S is T | — |
//!
//! *In care* is *within* for a person and an institution scope: the institution is in
//! the person's `institutions_with_care` (referred to it, or treated there). A person is
//! in consortium C when C serves the grid they live in, or their team, or an institution
//! caring for them, is a lead or member of C. *Own consortium* (break-glass) means a
//! consortium the grant's institution (or the team's host institution) leads or belongs
//! to. Break-glass needs a typed reason ([`NonEmptyReason`]) and is always flagged for
//! review; identifiers stay masked, since a person the actor has no care relation with
//! is identified by the card in front of them, not by the record.
//!
//! When several grants allow, [`can`] returns the first that shows identifiers, else the
//! first that allows, so the answer is the most useful one and does not depend on
//! anything but the grants' order. When none allows, the reason is, in order: the action
//! does not apply to the resource kind, the actor holds no grant, no role of theirs may
//! ever do it, or the resource is outside every scope that may.

pub use crate::ids::UserId;
use crate::ids::{ConsortiumId, GridId, InstitutionId, ResidentId, TeamId};
use crate::registry::{CodeError, MemberRole, Registry};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

crate::registry::code_enum!(
    /// What a user does for the consortia; always granted on a [`Scope`].
    Role, "role" {
        /// 卫健委管理员: the city-wide (or one grid's) registry and aggregates.
        CommissionAdmin = "commission_admin" / "卫健委管理员",
        /// 医联体管理者: one consortium's registry entry and aggregates.
        ConsortiumManager = "consortium_manager" / "医联体管理者",
        /// 转诊中心: an institution's referral desk; the persons referred to it.
        ReferralDesk = "referral_desk" / "转诊中心",
        /// 医生: a doctor of an institution; the persons in its care.
        Doctor = "doctor" / "医生",
        /// 家庭医生: a member of a family-doctor team; the residents signed with it.
        FamilyDoctor = "family_doctor" / "家庭医生",
        /// 共享中心人员: staff of a shared centre (imaging, lab, ECG …) at an institution.
        SharedCentreStaff = "shared_centre_staff" / "共享中心人员",
        /// 审计员: reads the audit trail and nothing else (separation of duties, MLPS 2.0).
        Auditor = "auditor" / "审计员",
        /// 居民: a resident reading their own record.
        Resident = "resident" / "居民",
    }
);

crate::registry::code_enum!(
    /// The kind of a [`Scope`], as stored beside its id.
    ScopeKind, "scope kind" {
        /// 全市
        City = "city" / "全市",
        /// 网格
        Grid = "grid" / "网格",
        /// 医联体
        Consortium = "consortium" / "医联体",
        /// 医疗卫生机构
        Institution = "institution" / "机构",
        /// 家庭医生团队
        Team = "team" / "团队",
        /// 本人
        Person = "person" / "本人",
    }
);

impl Role {
    /// The scope kinds this role may be granted on: a role's duties have one natural
    /// unit, and a grant on another kind would be either meaningless or a wildcard.
    pub fn scope_kinds(self) -> &'static [ScopeKind] {
        match self {
            Role::CommissionAdmin => &[ScopeKind::City, ScopeKind::Grid],
            Role::ConsortiumManager => &[ScopeKind::Consortium],
            Role::ReferralDesk | Role::Doctor | Role::SharedCentreStaff => {
                &[ScopeKind::Institution]
            }
            Role::FamilyDoctor => &[ScopeKind::Team],
            Role::Auditor => &[ScopeKind::City],
            Role::Resident => &[ScopeKind::Person],
        }
    }
}

/// Where a grant applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// The whole city.
    City,
    /// One grid.
    Grid(GridId),
    /// One consortium.
    Consortium(ConsortiumId),
    /// One institution.
    Institution(InstitutionId),
    /// One family-doctor team.
    Team(TeamId),
    /// One resident (their own account).
    Person(ResidentId),
}

impl Scope {
    /// Its kind.
    pub fn kind(&self) -> ScopeKind {
        match self {
            Scope::City => ScopeKind::City,
            Scope::Grid(_) => ScopeKind::Grid,
            Scope::Consortium(_) => ScopeKind::Consortium,
            Scope::Institution(_) => ScopeKind::Institution,
            Scope::Team(_) => ScopeKind::Team,
            Scope::Person(_) => ScopeKind::Person,
        }
    }
    /// The id of what it names; none for the city.
    pub fn id(&self) -> Option<&str> {
        match self {
            Scope::City => None,
            Scope::Grid(id) => Some(id.as_str()),
            Scope::Consortium(id) => Some(id.as_str()),
            Scope::Institution(id) => Some(id.as_str()),
            Scope::Team(id) => Some(id.as_str()),
            Scope::Person(id) => Some(id.as_str()),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id() {
            None => f.write_str(self.kind().as_str()),
            Some(id) => write!(f, "{}:{id}", self.kind()),
        }
    }
}

/// Why a role cannot be granted on a scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// The scope's kind is not one of [`Role::scope_kinds`].
    #[error("role {role} cannot be granted on a {scope} scope / {}不能授予在{}范围", .role.zh(), .scope.zh())]
    ScopeDoesNotFit {
        /// The role asked for.
        role: Role,
        /// The kind of scope given.
        scope: ScopeKind,
    },
}

/// A role granted on a scope, checked to fit ([`Role::scope_kinds`]) when made, so that a
/// stored row can never become, say, a family doctor for the whole city.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "GrantRow")]
pub struct Grant {
    role: Role,
    scope: Scope,
}

/// A grant as read, before its fit is checked.
#[derive(Deserialize)]
struct GrantRow {
    role: Role,
    scope: Scope,
}

impl TryFrom<GrantRow> for Grant {
    type Error = GrantError;
    fn try_from(row: GrantRow) -> Result<Self, GrantError> {
        Grant::new(row.role, row.scope)
    }
}

impl Grant {
    /// Grants `role` on `scope` if the scope's kind fits the role.
    pub fn new(role: Role, scope: Scope) -> Result<Self, GrantError> {
        if role.scope_kinds().contains(&scope.kind()) {
            Ok(Grant { role, scope })
        } else {
            Err(GrantError::ScopeDoesNotFit {
                role,
                scope: scope.kind(),
            })
        }
    }
    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// The scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// Who is asking: the user and every grant they hold, as the server read them from the
/// session's or token's rows for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user_id: UserId,
    /// Their grants; none means every request is denied.
    pub grants: Vec<Grant>,
}

/// Longest break-glass reason accepted, in characters: a sentence or two, which is what
/// a reviewer reads; a longer text is more likely pasted than typed.
pub const REASON_LEN_MAX: usize = 500;

/// Why a text cannot be a break-glass reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReasonError {
    /// Nothing but white space.
    #[error("a reason is required / 必须填写理由")]
    Empty,
    /// Longer than [`REASON_LEN_MAX`] characters.
    #[error(
        "the reason is longer than {REASON_LEN_MAX} characters / 理由超过 {REASON_LEN_MAX} 个字符"
    )]
    TooLong,
    /// A control character (a line break among them): the reason is one line in the
    /// audit trail and must not forge the look of another entry.
    #[error("the reason contains a control character / 理由含控制字符")]
    ControlCharacter,
}

/// The reason a user typed for a break-glass read, trimmed and non-empty. `Debug` prints
/// only its length: staff may name the patient or the diagnosis in it, so it belongs in
/// the audit trail, not in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct NonEmptyReason(String);

impl NonEmptyReason {
    /// Trims white space and checks what is left: non-empty, at most [`REASON_LEN_MAX`]
    /// characters, no control characters.
    pub fn parse(s: &str) -> Result<Self, ReasonError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ReasonError::Empty);
        }
        if s.chars().count() > REASON_LEN_MAX {
            return Err(ReasonError::TooLong);
        }
        if s.chars().any(char::is_control) {
            return Err(ReasonError::ControlCharacter);
        }
        Ok(NonEmptyReason(s.to_owned()))
    }
    /// The reason as typed (trimmed), for the audit trail.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NonEmptyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NonEmptyReason({} chars)", self.0.chars().count())
    }
}

/// What a request does. Break-glass carries its reason, so that one cannot be asked for
/// without the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Read the registry: grids, institutions, consortia, teams (no persons).
    ReadRegistry,
    /// Create or change a consortium and its memberships.
    ChangeConsortium,
    /// Read aggregate figures (counts, indicators), never rows about persons.
    ReadAggregates,
    /// Read a person's record.
    ReadPerson,
    /// Change a person's record.
    ChangePerson,
    /// Export registry tables of a scope.
    ExportRegistry,
    /// Export the person records of a scope.
    ExportPersons,
    /// Read or search the audit trail.
    ReadAuditTrail,
    /// Create, change, disable user accounts and their grants.
    ManageUsers,
    /// Book an outpatient slot for a person (号源预约): a referral when the grant is on a
    /// family-doctor team or a primary institution (QUOTA-1), else a public booking.
    BookSlot,
    /// Open or move a referral of a person (转诊: request, accept, schedule, complete …);
    /// the referral's own state machine then says which party may make which move.
    Refer,
    /// Read a person's record without a care relation, in an emergency (破窗访问).
    BreakGlassReadPerson {
        /// Why, as typed by the user; goes to the audit trail.
        reason: NonEmptyReason,
    },
    /// Read the notices of an institution or team (通知): the events that concern it,
    /// from a cursor or pushed live. Notices name streams and kinds, never a person's data.
    ReadFeed,
    /// Subscribe an institution's systems to its notices (webhooks), and see and retry
    /// the deliveries that failed.
    ManageWebhooks,
    /// Read an institution's pool view: reserved, used, returned and wasted capacity per
    /// department and day (QUOTA-3). Counts only, no person.
    ReadPoolView,
    /// Open an institution's slot and bed pools and record the no-shows of its bookings:
    /// the receiver's desk runs its own capacity.
    ManagePools,
}

crate::registry::code_enum!(
    /// An [`Action`] without its data: what a route names as its need, and what the
    /// shallow check ([`can_attempt`]) and the audit trail record.
    ActionKind, "action" {
        /// [`Action::ReadRegistry`]
        ReadRegistry = "read_registry" / "查看登记信息",
        /// [`Action::ChangeConsortium`]
        ChangeConsortium = "change_consortium" / "变更医联体",
        /// [`Action::ReadAggregates`]
        ReadAggregates = "read_aggregates" / "查看统计",
        /// [`Action::ReadPerson`]
        ReadPerson = "read_person" / "查看个人档案",
        /// [`Action::ChangePerson`]
        ChangePerson = "change_person" / "修改个人档案",
        /// [`Action::ExportRegistry`]
        ExportRegistry = "export_registry" / "导出登记信息",
        /// [`Action::ExportPersons`]
        ExportPersons = "export_persons" / "导出个人档案",
        /// [`Action::ReadAuditTrail`]
        ReadAuditTrail = "read_audit_trail" / "查看审计日志",
        /// [`Action::ManageUsers`]
        ManageUsers = "manage_users" / "管理用户",
        /// [`Action::BookSlot`]
        BookSlot = "book_slot" / "预约号源",
        /// [`Action::Refer`]
        Refer = "refer" / "转诊",
        /// [`Action::BreakGlassReadPerson`]
        BreakGlassReadPerson = "break_glass_read_person" / "紧急查看个人档案",
        /// [`Action::ReadFeed`]
        ReadFeed = "read_feed" / "查看通知",
        /// [`Action::ManageWebhooks`]
        ManageWebhooks = "manage_webhooks" / "管理推送",
        /// [`Action::ReadPoolView`]
        ReadPoolView = "read_pool_view" / "查看号源床位统计",
        /// [`Action::ManagePools`]
        ManagePools = "manage_pools" / "管理号源床位池",
    }
);

impl Action {
    /// Its kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::ReadRegistry => ActionKind::ReadRegistry,
            Action::ChangeConsortium => ActionKind::ChangeConsortium,
            Action::ReadAggregates => ActionKind::ReadAggregates,
            Action::ReadPerson => ActionKind::ReadPerson,
            Action::ChangePerson => ActionKind::ChangePerson,
            Action::ExportRegistry => ActionKind::ExportRegistry,
            Action::ExportPersons => ActionKind::ExportPersons,
            Action::ReadAuditTrail => ActionKind::ReadAuditTrail,
            Action::ManageUsers => ActionKind::ManageUsers,
            Action::BookSlot => ActionKind::BookSlot,
            Action::Refer => ActionKind::Refer,
            Action::BreakGlassReadPerson { .. } => ActionKind::BreakGlassReadPerson,
            Action::ReadFeed => ActionKind::ReadFeed,
            Action::ManageWebhooks => ActionKind::ManageWebhooks,
            Action::ReadPoolView => ActionKind::ReadPoolView,
            Action::ManagePools => ActionKind::ManagePools,
        }
    }
    /// The code stored in audit events and shown in the matrix.
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }
}

/// What a request touches, with the facts the policy needs about it, taken by the server
/// from the rows it loaded for the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The city-wide registry (and the city-wide aggregates).
    Registry,
    /// One consortium's registry entry (and its aggregates).
    Consortium {
        /// Which.
        id: ConsortiumId,
        /// The grid it serves; none for alliances and networks.
        grid: Option<GridId>,
    },
    /// One person's record.
    Person {
        /// Who.
        resident: ResidentId,
        /// The grid they live in; none when their home is outside every grid.
        grid: Option<GridId>,
        /// The family-doctor team they signed with, if any.
        team: Option<TeamId>,
        /// The institutions with a care relation to them: referred to, or treating them.
        institutions_with_care: Vec<InstitutionId>,
    },
    /// The audit trail.
    AuditTrail,
    /// The user accounts and their grants.
    Users,
    /// An export of everything of one kind within a scope.
    Export {
        /// What the export covers.
        scope: Scope,
    },
    /// The notices of one institution or team, and its webhooks.
    Feed {
        /// Whose.
        scope: Scope,
    },
    /// An institution's slot and bed pools, their bookings' counts and figures (no person).
    Capacity {
        /// Whose.
        institution: InstitutionId,
    },
}

/// What the policy needs to know about the registry, answered without I/O. Each answer
/// holds on one day (memberships change, GRID-6), chosen by whoever builds it. An id it
/// does not know answers none, which denies.
pub trait Topology {
    /// The grid a consortium serves (grid consortia only).
    fn consortium_grid(&self, consortium: &ConsortiumId) -> Option<&GridId>;
    /// The consortia an institution leads or is a member of (collaborators are outside).
    fn consortia_of(&self, institution: &InstitutionId) -> &[ConsortiumId];
    /// The institution hosting a team.
    fn team_institution(&self, team: &TeamId) -> Option<&InstitutionId>;
    /// The grid an institution sits in; none for city-wide institutions.
    fn institution_grid(&self, institution: &InstitutionId) -> Option<&GridId>;
    /// The grid of the institution hosting a team.
    fn team_grid(&self, team: &TeamId) -> Option<&GridId> {
        self.team_institution(team)
            .and_then(|i| self.institution_grid(i))
    }
}

/// The [`Topology`] of a loaded [`Registry`] on one day: the server holds the registry
/// (without residents) in memory anyway, so it builds this once per registry change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CityTopology {
    consortium_grid: HashMap<ConsortiumId, GridId>,
    consortia_of: HashMap<InstitutionId, Vec<ConsortiumId>>,
    team_institution: HashMap<TeamId, InstitutionId>,
    institution_grid: HashMap<InstitutionId, GridId>,
}

impl CityTopology {
    /// The topology on `day`: memberships in force that day, leads and members only
    /// (a collaborator is outside the group, COMP-6), each consortium's lead always.
    pub fn from_registry(registry: &Registry, day: NaiveDate) -> Self {
        let mut topo = CityTopology::default();
        for c in &registry.consortia {
            if let Some(grid) = &c.grid_id {
                topo.consortium_grid.insert(c.id.clone(), grid.clone());
            }
            topo.consortia_of
                .entry(c.lead.clone())
                .or_default()
                .push(c.id.clone());
        }
        for m in &registry.memberships {
            if matches!(m.role, MemberRole::Lead | MemberRole::Member) && m.validity.contains(day) {
                topo.consortia_of
                    .entry(m.institution_id.clone())
                    .or_default()
                    .push(m.consortium_id.clone());
            }
        }
        for list in topo.consortia_of.values_mut() {
            list.sort();
            list.dedup();
        }
        for t in &registry.teams {
            topo.team_institution
                .insert(t.id.clone(), t.institution_id.clone());
        }
        for i in &registry.institutions {
            if let Some(grid) = &i.grid_id {
                topo.institution_grid.insert(i.id.clone(), grid.clone());
            }
        }
        topo
    }
}

impl Topology for CityTopology {
    fn consortium_grid(&self, consortium: &ConsortiumId) -> Option<&GridId> {
        self.consortium_grid.get(consortium)
    }
    fn consortia_of(&self, institution: &InstitutionId) -> &[ConsortiumId] {
        self.consortia_of
            .get(institution)
            .map_or(&[], Vec::as_slice)
    }
    fn team_institution(&self, team: &TeamId) -> Option<&InstitutionId> {
        self.team_institution.get(team)
    }
    fn institution_grid(&self, institution: &InstitutionId) -> Option<&GridId> {
        self.institution_grid.get(institution)
    }
}

/// Why a request is denied; shown to the user and written to the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenyReason {
    /// The action is not one that can be done to this kind of resource (a caller's
    /// mistake, denied rather than guessed at).
    #[error("this action does not apply to this kind of resource / 此操作不适用于该类资源")]
    NotApplicable,
    /// The account holds no grant.
    #[error("no role is granted to this account / 该账号未被授予任何角色")]
    NoGrant,
    /// None of the account's roles may ever do this, whatever the scope.
    #[error("none of this account's roles may do this / 该账号的角色均无权执行此操作")]
    RoleMayNot,
    /// A role may do this, but the resource is outside every scope it is granted on.
    #[error("outside the scope this account's roles are granted on / 超出该账号角色的授权范围")]
    OutOfScope,
}

/// The policy's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow {
        /// The grant that allows it, for the audit event's role and scope.
        grant: Grant,
        /// Show ID and phone numbers masked; false only where the role needs them.
        masked_identifiers: bool,
        /// Flag the audit event for review (break-glass).
        flag_for_review: bool,
    },
    /// Refuse.
    Deny {
        /// Why.
        reason: DenyReason,
    },
}

impl Decision {
    /// Allowed?
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
}

/// The grants of `actor` whose role may ever do `action`: the shallow check, grant by grant,
/// for callers that act through one of them (the institutions a user refers for).
pub fn grants_for(actor: &Actor, action: ActionKind) -> impl Iterator<Item = &Grant> {
    actor
        .grants
        .iter()
        .filter(move |g| rule(g.role, action).is_some())
}

/// The shallow check, before anything is loaded: does the actor hold any grant whose
/// role may ever do `action`? Denying here keeps a request that can never succeed from
/// reaching the database (and from learning, by timing, whether an id exists).
/// [`can`] starts with the same check, so the two never disagree.
pub fn can_attempt(actor: &Actor, action: ActionKind) -> Result<(), DenyReason> {
    if actor.grants.is_empty() {
        return Err(DenyReason::NoGrant);
    }
    if grants_for(actor, action).next().is_some() {
        Ok(())
    } else {
        Err(DenyReason::RoleMayNot)
    }
}

/// The policy: may `actor` do `action` to `resource`? See the module's matrix.
pub fn can(actor: &Actor, action: &Action, resource: &Resource, topo: &impl Topology) -> Decision {
    if !applies(action, resource) {
        return Decision::Deny {
            reason: DenyReason::NotApplicable,
        };
    }
    if let Err(reason) = can_attempt(actor, action.kind()) {
        return Decision::Deny { reason };
    }
    let mut first: Option<(&Grant, Rule)> = None;
    for grant in &actor.grants {
        let Some(rule) = rule(grant.role, action.kind()) else {
            continue;
        };
        let reached = match rule.reach {
            Reach::Within => within(&grant.scope, resource, topo),
            Reach::OwnConsortium => in_own_consortium(&grant.scope, resource, topo),
        };
        if !reached {
            continue;
        }
        if !rule.masked {
            return allow(grant, rule);
        }
        first.get_or_insert((grant, rule));
    }
    match first {
        Some((grant, rule)) => allow(grant, rule),
        None => Decision::Deny {
            reason: DenyReason::OutOfScope,
        },
    }
}

fn allow(grant: &Grant, rule: Rule) -> Decision {
    Decision::Allow {
        grant: grant.clone(),
        masked_identifiers: rule.masked,
        flag_for_review: rule.flag,
    }
}

/// What must hold between a grant's scope and the resource.
#[derive(Debug, Clone, Copy)]
enum Reach {
    /// The resource lies within the scope.
    Within,
    /// The person belongs to a consortium of the scope's institution.
    OwnConsortium,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
struct Rule {
    reach: Reach,
    masked: bool,
    flag: bool,
}

const MASKED: Option<Rule> = Some(Rule {
    reach: Reach::Within,
    masked: true,
    flag: false,
});
const SHOWN: Option<Rule> = Some(Rule {
    reach: Reach::Within,
    masked: false,
    flag: false,
});
const BREAK_GLASS: Option<Rule> = Some(Rule {
    reach: Reach::OwnConsortium,
    masked: true,
    flag: true,
});
const NEVER: Option<Rule> = None;

/// The matrix as code: every role lists every action, so a new action or role does not
/// compile until each pair is decided.
fn rule(role: Role, action: ActionKind) -> Option<Rule> {
    use ActionKind as A;
    match role {
        Role::CommissionAdmin => match action {
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ExportRegistry
            | A::ManageUsers
            | A::ReadPoolView => MASKED,
            A::ReadPerson
            | A::ChangePerson
            | A::ExportPersons
            | A::ReadAuditTrail
            | A::BookSlot
            | A::Refer
            | A::BreakGlassReadPerson
            | A::ReadFeed
            | A::ManageWebhooks
            | A::ManagePools => NEVER,
        },
        Role::ConsortiumManager => match action {
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ExportRegistry
            | A::ReadPoolView => MASKED,
            A::ReadPerson
            | A::ChangePerson
            | A::ExportPersons
            | A::ReadAuditTrail
            | A::ManageUsers
            | A::BookSlot
            | A::Refer
            | A::BreakGlassReadPerson
            | A::ReadFeed
            | A::ManageWebhooks
            | A::ManagePools => NEVER,
        },
        Role::ReferralDesk => match action {
            A::ReadFeed | A::ManageWebhooks | A::ReadPoolView | A::ManagePools => MASKED,
            A::ReadPerson | A::ExportPersons | A::BookSlot | A::Refer => SHOWN,
            A::BreakGlassReadPerson => BREAK_GLASS,
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ChangePerson
            | A::ExportRegistry
            | A::ReadAuditTrail
            | A::ManageUsers => NEVER,
        },
        Role::Doctor => match action {
            A::ReadFeed => MASKED,
            A::ReadPerson | A::ChangePerson | A::BookSlot | A::Refer => SHOWN,
            A::BreakGlassReadPerson => BREAK_GLASS,
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ExportRegistry
            | A::ExportPersons
            | A::ReadAuditTrail
            | A::ManageUsers
            | A::ManageWebhooks
            | A::ReadPoolView
            | A::ManagePools => NEVER,
        },
        Role::FamilyDoctor => match action {
            A::ReadFeed => MASKED,
            A::ReadPerson | A::ChangePerson | A::ExportPersons | A::BookSlot | A::Refer => SHOWN,
            A::BreakGlassReadPerson => BREAK_GLASS,
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ExportRegistry
            | A::ReadAuditTrail
            | A::ManageUsers
            | A::ManageWebhooks
            | A::ReadPoolView
            | A::ManagePools => NEVER,
        },
        Role::SharedCentreStaff => match action {
            A::ReadFeed => MASKED,
            A::ReadPerson => MASKED,
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ChangePerson
            | A::ExportRegistry
            | A::ExportPersons
            | A::ReadAuditTrail
            | A::ManageUsers
            | A::BookSlot
            | A::Refer
            | A::BreakGlassReadPerson
            | A::ManageWebhooks
            | A::ReadPoolView
            | A::ManagePools => NEVER,
        },
        Role::Auditor => match action {
            A::ReadAuditTrail => MASKED,
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ReadPerson
            | A::ChangePerson
            | A::ExportRegistry
            | A::ExportPersons
            | A::ManageUsers
            | A::BookSlot
            | A::Refer
            | A::BreakGlassReadPerson
            | A::ReadFeed
            | A::ManageWebhooks
            | A::ReadPoolView
            | A::ManagePools => NEVER,
        },
        Role::Resident => match action {
            A::ReadPerson => MASKED,
            A::ReadRegistry
            | A::ChangeConsortium
            | A::ReadAggregates
            | A::ChangePerson
            | A::ExportRegistry
            | A::ExportPersons
            | A::ReadAuditTrail
            | A::ManageUsers
            | A::BookSlot
            | A::Refer
            | A::BreakGlassReadPerson
            | A::ReadFeed
            | A::ManageWebhooks
            | A::ReadPoolView
            | A::ManagePools => NEVER,
        },
    }
}

/// Which resource kinds an action can be done to.
fn applies(action: &Action, resource: &Resource) -> bool {
    match action {
        Action::ReadRegistry | Action::ReadAggregates => {
            matches!(resource, Resource::Registry | Resource::Consortium { .. })
        }
        Action::ChangeConsortium => matches!(resource, Resource::Consortium { .. }),
        Action::ReadPerson
        | Action::ChangePerson
        | Action::BookSlot
        | Action::Refer
        | Action::BreakGlassReadPerson { .. } => {
            matches!(resource, Resource::Person { .. })
        }
        // Registry tables have no rows for a single person.
        Action::ExportRegistry => {
            matches!(resource, Resource::Export { scope } if scope.kind() != ScopeKind::Person)
        }
        Action::ExportPersons => matches!(resource, Resource::Export { .. }),
        Action::ReadAuditTrail => matches!(resource, Resource::AuditTrail),
        Action::ManageUsers => matches!(resource, Resource::Users),
        // only institutions and teams have feeds
        Action::ReadFeed | Action::ManageWebhooks => matches!(
            resource,
            Resource::Feed {
                scope: Scope::Institution(_) | Scope::Team(_)
            }
        ),
        Action::ReadPoolView | Action::ManagePools => matches!(resource, Resource::Capacity { .. }),
    }
}

/// Does `resource` lie within `scope`? (The module's second table.)
fn within(scope: &Scope, resource: &Resource, topo: &impl Topology) -> bool {
    match resource {
        Resource::Registry | Resource::AuditTrail | Resource::Users => {
            matches!(scope, Scope::City)
        }
        Resource::Consortium { id, grid } => match scope {
            Scope::City => true,
            Scope::Grid(g) => grid.as_ref() == Some(g),
            Scope::Consortium(c) => c == id,
            Scope::Institution(_) | Scope::Team(_) | Scope::Person(_) => false,
        },
        Resource::Person {
            resident,
            grid,
            team,
            institutions_with_care,
        } => match scope {
            Scope::City => true,
            Scope::Grid(g) => grid.as_ref() == Some(g),
            Scope::Consortium(c) => person_in_consortium(
                c,
                grid.as_ref(),
                team.as_ref(),
                institutions_with_care,
                topo,
            ),
            Scope::Institution(i) => institutions_with_care.contains(i),
            Scope::Team(t) => team.as_ref() == Some(t),
            Scope::Person(p) => p == resident,
        },
        Resource::Export { scope: inner } | Resource::Feed { scope: inner } => {
            scope_contains(scope, inner, topo)
        }
        Resource::Capacity { institution } => {
            scope_contains(scope, &Scope::Institution(institution.clone()), topo)
        }
    }
}

/// Does scope `outer` contain scope `inner`? Persons are not in the topology, so only a
/// person scope contains a person scope.
fn scope_contains(outer: &Scope, inner: &Scope, topo: &impl Topology) -> bool {
    match (outer, inner) {
        (Scope::City, _) => true,
        (Scope::Grid(g), Scope::Grid(h)) => g == h,
        (Scope::Grid(g), Scope::Consortium(c)) => topo.consortium_grid(c) == Some(g),
        (Scope::Grid(g), Scope::Institution(i)) => topo.institution_grid(i) == Some(g),
        (Scope::Grid(g), Scope::Team(t)) => topo.team_grid(t) == Some(g),
        (Scope::Grid(_), Scope::City | Scope::Person(_)) => false,
        (Scope::Consortium(c), Scope::Consortium(d)) => c == d,
        (Scope::Consortium(c), Scope::Institution(i)) => topo.consortia_of(i).contains(c),
        (Scope::Consortium(c), Scope::Team(t)) => topo
            .team_institution(t)
            .is_some_and(|i| topo.consortia_of(i).contains(c)),
        (Scope::Consortium(_), Scope::City | Scope::Grid(_) | Scope::Person(_)) => false,
        (Scope::Institution(i), Scope::Institution(j)) => i == j,
        (Scope::Institution(i), Scope::Team(t)) => topo.team_institution(t) == Some(i),
        (
            Scope::Institution(_),
            Scope::City | Scope::Grid(_) | Scope::Consortium(_) | Scope::Person(_),
        ) => false,
        (Scope::Team(t), Scope::Team(u)) => t == u,
        (
            Scope::Team(_),
            Scope::City
            | Scope::Grid(_)
            | Scope::Consortium(_)
            | Scope::Institution(_)
            | Scope::Person(_),
        ) => false,
        (Scope::Person(p), Scope::Person(q)) => p == q,
        (
            Scope::Person(_),
            Scope::City
            | Scope::Grid(_)
            | Scope::Consortium(_)
            | Scope::Institution(_)
            | Scope::Team(_),
        ) => false,
    }
}

/// Is a person in consortium `c`: living in its grid, or signed with a team hosted by
/// one of its leads or members, or cared for by one of them?
fn person_in_consortium(
    c: &ConsortiumId,
    grid: Option<&GridId>,
    team: Option<&TeamId>,
    care: &[InstitutionId],
    topo: &impl Topology,
) -> bool {
    let in_c = |i: &InstitutionId| topo.consortia_of(i).contains(c);
    grid.is_some_and(|g| topo.consortium_grid(c) == Some(g))
        || team
            .and_then(|t| topo.team_institution(t))
            .is_some_and(in_c)
        || care.iter().any(in_c)
}

/// Break-glass reach: is the person in a consortium that the scope's institution (or the
/// team's host institution) leads or belongs to?
fn in_own_consortium(scope: &Scope, resource: &Resource, topo: &impl Topology) -> bool {
    let Resource::Person {
        grid,
        team,
        institutions_with_care,
        ..
    } = resource
    else {
        return false;
    };
    let home = match scope {
        Scope::Institution(i) => Some(i),
        Scope::Team(t) => topo.team_institution(t),
        Scope::City | Scope::Grid(_) | Scope::Consortium(_) | Scope::Person(_) => None,
    };
    home.is_some_and(|i| {
        topo.consortia_of(i).iter().any(|c| {
            person_in_consortium(
                c,
                grid.as_ref(),
                team.as_ref(),
                institutions_with_care,
                topo,
            )
        })
    })
}
