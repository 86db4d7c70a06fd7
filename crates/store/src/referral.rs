//! Referrals as stored: the projection of each referral's events, written in the same
//! transaction as the events, over the version the move was decided on.

use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use yilian_domain::ids::{InstitutionId, ReferralId, ResidentId};
use yilian_domain::referral::{Direction, NewReferral, Referral, Status, Urgency};

const COLUMNS: &str = "referral_id, resident_id, from_institution_id, to_institution_id, direction, urgency, \
     reason, status, changed_at, scheduled_at, outcome, version";

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    i64,
);

fn from_row(r: Row) -> Result<Referral, StoreError> {
    let (
        id,
        resident,
        from,
        to,
        direction,
        urgency,
        reason,
        status,
        changed_at,
        scheduled_at,
        outcome,
        version,
    ) = r;
    let bad = |e: String| StoreError::corrupt("referral", &id, e);
    Ok(Referral {
        opened: NewReferral {
            id: ReferralId::parse(&id).map_err(|e| bad(e.to_string()))?,
            resident: ResidentId::parse(&resident).map_err(|e| bad(e.to_string()))?,
            from: InstitutionId::parse(&from).map_err(|e| bad(e.to_string()))?,
            to: InstitutionId::parse(&to).map_err(|e| bad(e.to_string()))?,
            direction: Direction::parse(&direction).map_err(|e| bad(e.to_string()))?,
            urgency: Urgency::parse(&urgency).map_err(|e| bad(e.to_string()))?,
            reason,
        },
        status: Status::parse(&status).map_err(|e| bad(e.to_string()))?,
        changed_at,
        scheduled_at,
        outcome,
        version: u32::try_from(version).map_err(|e| bad(e.to_string()))?,
    })
}

/// Writes `r` over the stored version `expected` (0: a new referral). Returns false when
/// another move got there first (the caller decides again on the fresh state).
pub async fn put(tx: &mut Tx, r: &Referral, expected: u32) -> Result<bool, StoreError> {
    let o = &r.opened;
    let n = if expected == 0 {
        let sql = format!(
            "INSERT INTO referral ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (referral_id) DO NOTHING"
        );
        with_tx!(tx, c => sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(o.id.as_str()).bind(o.resident.as_str()).bind(o.from.as_str()).bind(o.to.as_str())
            .bind(o.direction.as_str()).bind(o.urgency.as_str()).bind(&o.reason).bind(r.status.as_str())
            .bind(r.changed_at).bind(r.scheduled_at).bind(&r.outcome).bind(i64::from(r.version))
            .execute(&mut *c).await?.rows_affected())
    } else {
        let sql = "UPDATE referral SET to_institution_id = $2, status = $3, changed_at = $4, scheduled_at = $5, \
                   outcome = $6, version = $7 WHERE referral_id = $1 AND version = $8";
        with_tx!(tx, c => sqlx::query(sql)
            .bind(o.id.as_str()).bind(o.to.as_str()).bind(r.status.as_str()).bind(r.changed_at)
            .bind(r.scheduled_at).bind(&r.outcome).bind(i64::from(r.version)).bind(i64::from(expected))
            .execute(&mut *c).await?.rows_affected())
    };
    Ok(n == 1)
}

/// One referral.
pub async fn get(store: &Store, id: &ReferralId) -> Result<Option<Referral>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM referral WHERE referral_id = $1");
    let row: Option<Row> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone())).bind(id.as_str()).fetch_optional(p).await?);
    row.map(from_row).transpose()
}

/// Which side of a referral an institution is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Referrals sent to it (the referral desk's inbox).
    Received,
    /// Referrals it sent (the referrer's outbox).
    Sent,
}

/// An institution's referrals on one side, most recently moved first.
pub async fn list_for(
    store: &Store,
    institution: &InstitutionId,
    side: Side,
    limit: u32,
) -> Result<Vec<Referral>, StoreError> {
    let column = match side {
        Side::Received => "to_institution_id",
        Side::Sent => "from_institution_id",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM referral WHERE {column} = $1 ORDER BY changed_at DESC, referral_id LIMIT $2"
    );
    let rows: Vec<Row> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone())).bind(institution.as_str()).bind(i64::from(limit)).fetch_all(p).await?);
    rows.into_iter().map(from_row).collect()
}

/// The institutions a resident has been referred to: each has a care relation with them.
pub async fn receivers_of(
    store: &Store,
    resident: &ResidentId,
) -> Result<Vec<InstitutionId>, StoreError> {
    let sql = "SELECT DISTINCT to_institution_id FROM referral WHERE resident_id = $1 ORDER BY to_institution_id";
    let rows: Vec<(String,)> =
        with_pool!(store, p => sqlx::query_as(sql).bind(resident.as_str()).fetch_all(p).await?);
    rows.into_iter()
        .map(|(i,)| InstitutionId::parse(&i).map_err(|e| StoreError::corrupt("referral", &i, e)))
        .collect()
}
