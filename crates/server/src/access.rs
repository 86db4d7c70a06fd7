//! The deep access check and the audit trail's writer for requests (issue 3, items 2 and
//! 4; STYLE 12). Handlers call [`authorize`] once they have loaded the resource's row; it
//! asks the one policy function ([`can`]) and records the request in the audit trail when
//! it touches a person, exports, reads the trail, manages users, or is refused. Reads of
//! the registry (no personal data) are not recorded, so the trail stays a list of what
//! an auditor needs to look at.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::Utc;
use std::net::SocketAddr;
use yilian_domain::access::{
    Action, ActionKind, CityTopology, Decision, DenyReason, Grant, Resource, Scope, can,
};
use yilian_domain::ids::ResidentId;
use yilian_domain::registry::Registry;
use yilian_service::auth::{CredentialError, SignedIn, Via};
use yilian_store::audit_trail::{NewAuditEntry, Outcome};

/// Where a request came from, for the audit trail: the peer address the server saw
/// (a proxy's `X-Forwarded-For` is not trusted: anyone can write it).
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta {
    pub(crate) source: String,
}

impl RequestMeta {
    pub(crate) fn of(parts: &Parts) -> RequestMeta {
        let source = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "in-process".to_owned(), |c| c.0.ip().to_string());
        RequestMeta { source }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(parts
            .extensions
            .get::<RequestMeta>()
            .cloned()
            .unwrap_or_else(|| RequestMeta::of(parts)))
    }
}

/// Why personal data is looked at (数据使用目的), recorded with every read of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Purpose {
    /// Diagnosis and treatment (诊疗).
    Treatment,
    /// A referral (转诊).
    Referral,
    /// Family-doctor contract care and follow-up (签约服务).
    ContractCare,
    /// Public health duties (公共卫生).
    PublicHealth,
    /// The resident reading their own record.
    OwnRecord,
}

impl Purpose {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Purpose::Treatment => "treatment",
            Purpose::Referral => "referral",
            Purpose::ContractCare => "contract_care",
            Purpose::PublicHealth => "public_health",
            Purpose::OwnRecord => "own_record",
        }
    }
}

/// What the policy allowed, for the handler to honour.
#[derive(Debug, Clone)]
pub(crate) struct Permit {
    /// Identifiers must be shown masked.
    pub(crate) masked: bool,
    /// The grant that allowed it.
    pub(crate) grant: Grant,
}

/// The actor's name in the audit trail: the user, so an auditor finds everything one
/// person did under one name.
fn actor_name(who: &SignedIn) -> String {
    who.actor.user_id.to_string()
}

/// Where a request came from: the address, and the token when a system used one.
fn source(who: &SignedIn, meta: &RequestMeta) -> String {
    match &who.via {
        Via::Session { .. } => meta.source.clone(),
        Via::Token { token_id } => format!("{} token:{token_id}", meta.source),
    }
}

/// The role and scope recorded for a refusal: every grant the actor holds.
fn all_grants(grants: &[Grant]) -> (String, String) {
    if grants.is_empty() {
        return ("none".into(), "none".into());
    }
    let roles: Vec<_> = grants.iter().map(|g| g.role().as_str()).collect();
    let scopes: Vec<_> = grants.iter().map(|g| g.scope().to_string()).collect();
    (roles.join(","), scopes.join(","))
}

/// An entry for `action` by `actor` from `source`, with no role, scope, person or reason:
/// the callers fill in what they know.
fn entry(actor: String, source: String, action: &str, outcome: Outcome) -> NewAuditEntry {
    NewAuditEntry {
        at: Utc::now(),
        actor,
        role: "none".into(),
        scope: "none".into(),
        action: action.to_owned(),
        person: None,
        purpose: "none".into(),
        reason: None,
        flagged: false,
        source,
        outcome,
        detail: serde_json::Value::Null,
    }
}

/// Is this worth an audit entry when allowed (module docs)? A notice names a stream and
/// a kind, never a person, so reading a feed is not recorded (a live console reconnects
/// every few minutes). A booking is recorded once,
/// in the event log's `SlotsBooked` (who booked whom into which pool), committed with the
/// booking itself: a second, separately committed record per booking would bind a
/// release storm to one audit commit per booking. Refused bookings are in the trail. The
/// pool view holds counts, no person, like the aggregates.
fn audited_when_allowed(kind: ActionKind) -> bool {
    !matches!(
        kind,
        ActionKind::ReadRegistry
            | ActionKind::ReadAggregates
            | ActionKind::BookSlot
            | ActionKind::ReadFeed
            | ActionKind::ReadPoolView
    )
}

fn person_of(resource: &Resource) -> Option<ResidentId> {
    match resource {
        Resource::Person { resident, .. } => Some(resident.clone()),
        Resource::Export {
            scope: Scope::Person(p),
        } => Some(p.clone()),
        _ => None,
    }
}

/// The signed-in caller of a request and where it came from: what a handler that
/// authorises needs.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    pub(crate) signed_in: SignedIn,
    pub(crate) meta: RequestMeta,
}

impl<S: Send + Sync> FromRequestParts<S> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Caller(signed_in) = Caller::from_request_parts(parts, state).await?;
        let meta = RequestMeta::from_request_parts(parts, state).await?;
        Ok(Who { signed_in, meta })
    }
}

/// One question to the policy: an action on a resource, why, and what else to record.
#[derive(Debug)]
pub(crate) struct Ask<'a> {
    pub(crate) action: &'a Action,
    pub(crate) resource: &'a Resource,
    pub(crate) purpose: &'a str,
    pub(crate) detail: serde_json::Value,
}

impl<'a> Ask<'a> {
    /// An action on a resource with no purpose (registry reads, management).
    pub(crate) fn plain(action: &'a Action, resource: &'a Resource) -> Self {
        Ask {
            action,
            resource,
            purpose: "management",
            detail: serde_json::Value::Null,
        }
    }
}

/// The deep check: may the caller do the action on the resource, with the registry `reg`
/// telling who belongs where today? Records the request in the audit trail (module docs)
/// before answering; a refusal is a 403 naming the reason.
pub(crate) async fn authorize(
    state: &AppState,
    reg: &Registry,
    caller: &Who,
    ask: Ask<'_>,
) -> Result<Permit, ApiError> {
    let Ask {
        action,
        resource,
        purpose,
        detail,
    } = ask;
    let topo = CityTopology::from_registry(reg, yilian_service::today());
    let who = &caller.signed_in;
    let meta = &caller.meta;
    let decision = can(&who.actor, action, resource, &topo);
    let (role, scope, outcome, flagged) = match &decision {
        Decision::Allow {
            grant,
            flag_for_review,
            ..
        } => (
            grant.role().as_str().to_owned(),
            grant.scope().to_string(),
            Outcome::Allowed,
            *flag_for_review,
        ),
        Decision::Deny { .. } => {
            let (r, s) = all_grants(&who.actor.grants);
            (r, s, Outcome::Denied, false)
        }
    };
    let reason = match action {
        Action::BreakGlassReadPerson { reason } => Some(reason.as_str().to_owned()),
        _ => None,
    };
    if outcome == Outcome::Denied || audited_when_allowed(action.kind()) {
        let e = NewAuditEntry {
            role,
            scope,
            person: person_of(resource),
            purpose: purpose.to_owned(),
            reason,
            flagged,
            detail,
            ..entry(actor_name(who), source(who, meta), action.as_str(), outcome)
        };
        yilian_service::audit_trail::record(&state.store, &e).await?;
    }
    match decision {
        Decision::Allow {
            masked_identifiers,
            grant,
            ..
        } => Ok(Permit {
            masked: masked_identifiers,
            grant,
        }),
        Decision::Deny { reason } => Err(ApiError::Forbidden(reason)),
    }
}

/// Records a request refused by the shallow check (no role of the caller may do it).
pub(crate) async fn record_shallow_refusal(
    state: &AppState,
    meta: &RequestMeta,
    who: &SignedIn,
    kind: ActionKind,
    reason: DenyReason,
) -> Result<(), ApiError> {
    let (role, scope) = all_grants(&who.actor.grants);
    let e = NewAuditEntry {
        role,
        scope,
        detail: serde_json::json!({"deny": format!("{reason:?}")}),
        ..entry(
            actor_name(who),
            source(who, meta),
            kind.as_str(),
            Outcome::Denied,
        )
    };
    yilian_service::audit_trail::record(&state.store, &e).await?;
    Ok(())
}

/// Records a bearer token that was refused (unknown, expired, revoked, or its account
/// disabled): a system retrying with a dead credential shows up here.
pub(crate) async fn record_credential_refusal(
    state: &AppState,
    meta: &RequestMeta,
    cause: CredentialError,
) -> Result<(), ApiError> {
    record_sign_in(
        state,
        meta,
        "unknown",
        "token",
        Outcome::Denied,
        &format!("{cause:?}"),
    )
    .await
}

/// Records a sign-in attempt (console login or token use) with its outcome.
pub(crate) async fn record_sign_in(
    state: &AppState,
    meta: &RequestMeta,
    user: &str,
    how: &str,
    outcome: Outcome,
    why: &str,
) -> Result<(), ApiError> {
    let e = NewAuditEntry {
        purpose: "sign_in".into(),
        detail: serde_json::json!({"via": how, "result": why}),
        ..entry(user.to_owned(), meta.source.clone(), "login", outcome)
    };
    yilian_service::audit_trail::record(&state.store, &e).await?;
    Ok(())
}
