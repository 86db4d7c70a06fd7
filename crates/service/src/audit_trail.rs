//! The audit trail through the service layer: each call is one transaction, so an entry
//! the caller was told about is committed. Commands that change state append their entry
//! with [`yilian_store::audit_trail::append`] in their own transaction instead, so the
//! change and its record commit together or not at all.

use crate::ServiceError;
use yilian_store::Store;
use yilian_store::audit_trail::{
    self, AuditEntry, NewAuditEntry, PageSize, SearchFilter, VerifyReport,
};

/// Appends one entry (a read, a refusal, a login) and commits it.
pub async fn record(store: &Store, entry: &NewAuditEntry) -> Result<AuditEntry, ServiceError> {
    let mut tx = store.begin().await?;
    let stored = audit_trail::append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Recomputes the chain (`yilian audit-trail verify`): the first edited, deleted or moved
/// entry, or the head to keep outside the database when it is intact.
pub async fn verify(store: &Store) -> Result<VerifyReport, ServiceError> {
    Ok(audit_trail::verify(store).await?)
}

/// One page of the auditors' search, oldest first after `after_seq`.
pub async fn search(
    store: &Store,
    filter: &SearchFilter,
    after_seq: i64,
    limit: PageSize,
) -> Result<Vec<AuditEntry>, ServiceError> {
    Ok(audit_trail::search(store, filter, after_seq, limit).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use yilian_store::audit_trail::Outcome;
    use yilian_store::dbtest;

    dbtest!(record_commits_and_verify_passes, |store| {
        let entry = NewAuditEntry {
            at: chrono::Utc::now(),
            actor: "cli:ops".into(),
            role: "commission_admin".into(),
            scope: "city".into(),
            action: "registry.export".into(),
            person: None,
            purpose: "planning".into(),
            reason: None,
            flagged: false,
            source: "127.0.0.1".into(),
            outcome: Outcome::Allowed,
            detail: serde_json::json!({"dir": "out"}),
        };
        let first = record(&store, &entry).await.unwrap();
        let second = record(&store, &entry).await.unwrap();
        assert_eq!((first.seq, second.seq), (1, 2));
        let report = verify(&store).await.unwrap();
        assert!(report.is_intact());
        assert_eq!(report.checked, 2);
        let page = search(
            &store,
            &SearchFilter::default(),
            1,
            PageSize::new(10).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(page, vec![second]);
    });
}
