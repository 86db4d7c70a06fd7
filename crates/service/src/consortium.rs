//! Creating or changing a consortium through the API: the change is checked by the same
//! rules as the audit (COMP-*, GRID-3) before anything is stored; a broken must-rule
//! rejects it with the findings.

use crate::ServiceError;
use chrono::{NaiveDate, Utc};
use yilian_domain::policy::{Finding, Profile, check_consortium};
use yilian_domain::registry::{Consortium, Membership};
use yilian_store::event::{NewEvent, append};
use yilian_store::{Store, registry};

/// What a stored consortium change did.
#[derive(Debug, Clone)]
pub struct PutOutcome {
    /// The consortium did not exist before.
    pub created: bool,
    /// The findings that did not block the change (warnings).
    pub warnings: Vec<Finding>,
    /// The event written; none when the request changed nothing.
    pub event_id: Option<i64>,
}

/// Stores `c` with exactly `members` (its lead is added when missing) if no must-rule
/// breaks. Appends `ConsortiumCreated` or `ConsortiumChanged`.
pub async fn put_consortium(
    store: &Store,
    c: Consortium,
    mut members: Vec<Membership>,
    profile: &Profile,
    today: NaiveDate,
    actor: &str,
) -> Result<PutOutcome, ServiceError> {
    for m in &members {
        if m.consortium_id != c.id {
            return Err(ServiceError::NotFound {
                what: "membership consortium",
                id: m.consortium_id.to_string(),
            });
        }
    }
    if !members
        .iter()
        .any(|m| m.role == yilian_domain::registry::MemberRole::Lead)
    {
        members.push(Membership {
            consortium_id: c.id.clone(),
            institution_id: c.lead.clone(),
            role: yilian_domain::registry::MemberRole::Lead,
            validity: yilian_domain::registry::Validity {
                from: c.founded_on,
                to: None,
            },
        });
    }
    let mut reg = registry::load_registry(store).await?;
    for id in members.iter().map(|m| &m.institution_id).chain([&c.lead]) {
        if reg.institution(id).is_none() {
            return Err(ServiceError::NotFound {
                what: "institution",
                id: id.to_string(),
            });
        }
    }
    if let Some(g) = &c.grid_id
        && reg.grid(g).is_none()
    {
        return Err(ServiceError::NotFound {
            what: "grid",
            id: g.to_string(),
        });
    }
    let existed = reg.consortia.iter().any(|x| x.id == c.id);
    reg.consortia.retain(|x| x.id != c.id);
    reg.consortia.push(c.clone());
    reg.memberships.retain(|m| m.consortium_id != c.id);
    reg.memberships.extend(members.iter().cloned());
    reg.sort();
    let findings = check_consortium(&reg, &c.id, profile, today);
    if findings.iter().any(Finding::is_error) {
        return Err(ServiceError::Rejected(findings));
    }
    let mut tx = store.begin().await?;
    let changed = registry::put_consortium(&mut tx, &c, &members).await?;
    let mut event_id = None;
    if changed > 0 {
        let payload = serde_json::json!({"consortium": c, "memberships": members});
        let kind = if existed {
            "ConsortiumChanged"
        } else {
            "ConsortiumCreated"
        };
        let e = NewEvent {
            stream: format!("consortium/{}", c.id),
            kind,
            version: 1,
            payload,
            actor: actor.to_owned(),
            at: Utc::now(),
        };
        event_id = Some(append(&mut tx, &e).await?);
    }
    tx.commit().await?;
    Ok(PutOutcome {
        created: !existed,
        warnings: findings,
        event_id,
    })
}
