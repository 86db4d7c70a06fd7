//! Follow-up visits as stored (REF-2): the projection the chronic-disease criteria read as
//! history, written in the transaction that appends the visit's `FollowUpRecorded` event.

use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AssertSqlSafe;
use yilian_domain::chronic::{BloodPressure, ChronicCondition, FollowUp, Glucose, Symptom};
use yilian_domain::ids::{FollowUpId, ResidentId};

/// A stored follow-up with who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpRow {
    /// The client's id.
    pub id: FollowUpId,
    /// Whose.
    pub resident_id: ResidentId,
    /// The visit.
    pub follow_up: FollowUp,
    /// The user who recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

const COLUMNS: &str = "follow_up_id, resident_id, condition, on_day, sbp_mmhg, dbp_mmhg, glucose_tenths, \
     at_target, pregnant_or_lactating, symptoms, recorded_by, recorded_at";

type Row = (
    String,
    String,
    String,
    NaiveDate,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    bool,
    bool,
    String,
    String,
    DateTime<Utc>,
);

fn from_row(r: Row) -> Result<FollowUpRow, StoreError> {
    let (id, resident, condition, on, sbp, dbp, glucose, at_target, pregnant, symptoms, by, at) = r;
    let bad = |e: String| StoreError::corrupt("follow_up", &id, e);
    let small = |v: i64| u16::try_from(v).map_err(|e| bad(e.to_string()));
    let blood_pressure = match (sbp, dbp) {
        (Some(s), Some(d)) => {
            Some(BloodPressure::new(small(s)?, small(d)?).map_err(|e| bad(e.to_string()))?)
        }
        _ => None,
    };
    let glucose = glucose
        .map(|g| Glucose::from_tenths(small(g)?).map_err(|e| bad(e.to_string())))
        .transpose()?;
    let symptoms = symptoms
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|s| Symptom::parse(s).map_err(|e| bad(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FollowUpRow {
        id: FollowUpId::parse(&id).map_err(|e| bad(e.to_string()))?,
        resident_id: ResidentId::parse(&resident).map_err(|e| bad(e.to_string()))?,
        follow_up: FollowUp {
            condition: ChronicCondition::parse(&condition).map_err(|e| bad(e.to_string()))?,
            on,
            blood_pressure,
            glucose,
            at_target,
            pregnant_or_lactating: pregnant,
            symptoms,
        },
        recorded_by: by,
        recorded_at: at,
    })
}

/// Stores a follow-up unless its id is taken; false when it was (the caller compares).
pub async fn insert(tx: &mut Tx, row: &FollowUpRow) -> Result<bool, StoreError> {
    let f = &row.follow_up;
    let sql = format!(
        "INSERT INTO follow_up ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (follow_up_id) DO NOTHING"
    );
    let symptoms: Vec<&str> = f.symptoms.iter().map(|s| s.as_str()).collect();
    let n = with_tx!(tx, c => sqlx::query(AssertSqlSafe(sql.clone()))
        .bind(row.id.as_str())
        .bind(row.resident_id.as_str())
        .bind(f.condition.as_str())
        .bind(f.on)
        .bind(f.blood_pressure.map(|b| i64::from(b.sbp_mmhg())))
        .bind(f.blood_pressure.map(|b| i64::from(b.dbp_mmhg())))
        .bind(f.glucose.map(|g| i64::from(g.tenths())))
        .bind(f.at_target)
        .bind(f.pregnant_or_lactating)
        .bind(symptoms.join(";"))
        .bind(&row.recorded_by)
        .bind(row.recorded_at)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// The follow-up stored under `id`, read in the transaction.
pub async fn get(tx: &mut Tx, id: &FollowUpId) -> Result<Option<FollowUpRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM follow_up WHERE follow_up_id = $1");
    let row: Option<Row> = with_tx!(tx, c => sqlx::query_as(AssertSqlSafe(sql.clone()))
        .bind(id.as_str())
        .fetch_optional(&mut *c)
        .await?);
    row.map(from_row).transpose()
}

/// The latest `limit` follow-ups of one condition of a resident, oldest first (the order
/// the criteria read): one range of the `follow_up_history` index.
pub async fn history(
    store: &Store,
    resident: &ResidentId,
    condition: ChronicCondition,
    limit: u32,
) -> Result<Vec<FollowUpRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM follow_up WHERE resident_id = $1 AND condition = $2 \
         ORDER BY on_day DESC, recorded_at DESC LIMIT $3"
    );
    let rows: Vec<Row> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
        .bind(resident.as_str())
        .bind(condition.as_str())
        .bind(i64::from(limit))
        .fetch_all(p)
        .await?);
    let mut out = rows
        .into_iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    out.reverse();
    Ok(out)
}
