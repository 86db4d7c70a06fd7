//! Referrals as stored: the projection of each referral's events, written in the same
//! transaction as the events, over the version the move was decided on.

use crate::sql::{id_list_on, strings};
use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use yilian_domain::ids::{InstitutionId, ReferralId, ResidentId, TeamId};
use yilian_domain::referral::{Direction, NewReferral, Referral, Status, Urgency};

const COLUMNS: &str = "referral_id, resident_id, from_institution_id, to_institution_id, direction, urgency, \
     reason, status, changed_at, scheduled_at, outcome, version, to_team_id, care_plan, \
     COALESCE(stage_since, changed_at) AS stage_since, escalation, escalated_at, priority";

/// A referral row as read.
#[derive(sqlx::FromRow)]
struct Row {
    referral_id: String,
    resident_id: String,
    from_institution_id: String,
    to_institution_id: String,
    direction: String,
    urgency: String,
    reason: String,
    status: String,
    changed_at: DateTime<Utc>,
    scheduled_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    version: i64,
    to_team_id: Option<String>,
    care_plan: Option<String>,
    stage_since: DateTime<Utc>,
    escalation: i64,
    escalated_at: Option<DateTime<Utc>>,
    priority: bool,
}

fn from_row(r: Row) -> Result<Referral, StoreError> {
    let id = r.referral_id;
    let bad = |e: String| StoreError::corrupt("referral", &id, e);
    Ok(Referral {
        opened: NewReferral {
            id: ReferralId::parse(&id).map_err(|e| bad(e.to_string()))?,
            resident: ResidentId::parse(&r.resident_id).map_err(|e| bad(e.to_string()))?,
            from: InstitutionId::parse(&r.from_institution_id).map_err(|e| bad(e.to_string()))?,
            to: InstitutionId::parse(&r.to_institution_id).map_err(|e| bad(e.to_string()))?,
            direction: Direction::parse(&r.direction).map_err(|e| bad(e.to_string()))?,
            urgency: Urgency::parse(&r.urgency).map_err(|e| bad(e.to_string()))?,
            reason: r.reason,
            team: r
                .to_team_id
                .map(|t| TeamId::parse(&t).map_err(|e| bad(e.to_string())))
                .transpose()?,
            care_plan: r
                .care_plan
                .map(|j| serde_json::from_str(&j).map_err(|e| bad(e.to_string())))
                .transpose()?,
            priority: r.priority,
        },
        status: Status::parse(&r.status).map_err(|e| bad(e.to_string()))?,
        changed_at: r.changed_at,
        scheduled_at: r.scheduled_at,
        outcome: r.outcome,
        stage_since: r.stage_since,
        escalation: u8::try_from(r.escalation).map_err(|e| bad(e.to_string()))?,
        escalated_at: r.escalated_at,
        version: u32::try_from(r.version).map_err(|e| bad(e.to_string()))?,
    })
}

/// Writes `r` over the stored version `expected` (0: a new referral), with `due_at`, the
/// instant its clock next fires. Returns false when another move got there first (the
/// caller decides again on the fresh state).
pub async fn put(
    tx: &mut Tx,
    r: &Referral,
    expected: u32,
    due_at: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let o = &r.opened;
    let escalation = i64::from(r.escalation);
    let n = if expected == 0 {
        let plan = o
            .care_plan
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::corrupt("referral", o.id.as_str(), e.to_string()))?;
        let sql = "INSERT INTO referral (referral_id, resident_id, from_institution_id, to_institution_id, direction, \
                   urgency, reason, status, changed_at, scheduled_at, outcome, version, to_team_id, care_plan, \
                   stage_since, escalation, escalated_at, due_at, priority) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
                   ON CONFLICT (referral_id) DO NOTHING";
        with_tx!(tx, c => sqlx::query(sql)
            .bind(o.id.as_str()).bind(o.resident.as_str()).bind(o.from.as_str()).bind(o.to.as_str())
            .bind(o.direction.as_str()).bind(o.urgency.as_str()).bind(&o.reason).bind(r.status.as_str())
            .bind(r.changed_at).bind(r.scheduled_at).bind(&r.outcome).bind(i64::from(r.version))
            .bind(o.team.as_ref().map(|t| t.as_str())).bind(&plan)
            .bind(r.stage_since).bind(escalation).bind(r.escalated_at).bind(due_at).bind(o.priority)
            .execute(&mut *c).await?.rows_affected())
    } else {
        let sql = "UPDATE referral SET to_institution_id = $2, status = $3, changed_at = $4, scheduled_at = $5, \
                   outcome = $6, version = $7, stage_since = $9, escalation = $10, escalated_at = $11, due_at = $12 \
                   WHERE referral_id = $1 AND version = $8";
        with_tx!(tx, c => sqlx::query(sql)
            .bind(o.id.as_str()).bind(o.to.as_str()).bind(r.status.as_str()).bind(r.changed_at)
            .bind(r.scheduled_at).bind(&r.outcome).bind(i64::from(r.version)).bind(i64::from(expected))
            .bind(r.stage_since).bind(escalation).bind(r.escalated_at).bind(due_at)
            .execute(&mut *c).await?.rows_affected())
    };
    Ok(n == 1)
}

/// Records a missed deadline against the receiver it was missed by.
pub async fn record_overdue(
    tx: &mut Tx,
    id: &ReferralId,
    level: u8,
    stage: Status,
    receiver: &InstitutionId,
    deadline: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO referral_overdue (referral_id, level, stage, receiver_institution_id, deadline, escalated_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    with_tx!(tx, c => sqlx::query(sql)
        .bind(id.as_str()).bind(i64::from(level)).bind(stage.as_str()).bind(receiver.as_str())
        .bind(deadline).bind(at)
        .execute(&mut *c).await.map(|_| ())?);
    Ok(())
}

/// Referrals whose clock is due at `now`, earliest first: what the scheduler fires.
pub async fn due(
    store: &Store,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<ReferralId>, StoreError> {
    let sql = "SELECT referral_id FROM referral WHERE due_at IS NOT NULL AND due_at <= $1 \
               ORDER BY due_at, referral_id LIMIT $2";
    let rows: Vec<(String,)> = with_pool!(store, p => sqlx::query_as(sql)
        .bind(now).bind(i64::from(limit)).fetch_all(p).await?);
    rows.into_iter()
        .map(|(i,)| ReferralId::parse(&i).map_err(|e| StoreError::corrupt("referral", &i, e)))
        .collect()
}

/// Moves the clock of referral `id` (at `version`) to `due_at`, when the profile changed
/// since it was set. False when the referral moved meanwhile (its move set it afresh).
pub async fn set_due(
    store: &Store,
    id: &ReferralId,
    version: u32,
    due_at: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE referral SET due_at = $3 WHERE referral_id = $1 AND version = $2";
    let n = with_pool!(store, p => sqlx::query(sql)
        .bind(id.as_str()).bind(i64::from(version)).bind(due_at)
        .execute(p).await?.rows_affected());
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

/// An institution's referrals on one side, as a desk works through them: the open ones
/// first — emergencies (REF-5), then signed residents referred by primary care (REF-3),
/// each by the most pressing clock (at most `open_limit`) — then the most recently
/// finished (at most `done_limit`). A year of finished referrals is history, not work: it
/// is never read whole for a list.
pub async fn list_for(
    store: &Store,
    institution: &InstitutionId,
    side: Side,
    open_limit: u32,
    done_limit: u32,
) -> Result<Vec<Referral>, StoreError> {
    let column = match side {
        Side::Received => "to_institution_id",
        Side::Sent => "from_institution_id",
    };
    let open = format!(
        "SELECT {COLUMNS} FROM referral WHERE {column} = $1 AND status IN ({OPEN}) \
         ORDER BY urgency = 'emergency' DESC, priority DESC, due_at IS NULL, due_at, changed_at DESC, \
         referral_id LIMIT $2"
    );
    let done = format!(
        "SELECT {COLUMNS} FROM referral WHERE {column} = $1 AND status NOT IN ({OPEN}) \
         ORDER BY changed_at DESC, referral_id LIMIT $2"
    );
    let mut out = Vec::new();
    for (sql, limit) in [(open, open_limit), (done, done_limit)] {
        let rows: Vec<Row> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
            .bind(institution.as_str()).bind(i64::from(limit)).fetch_all(p).await?);
        for r in rows {
            out.push(from_row(r)?);
        }
    }
    Ok(out)
}

/// One receiver's clocks: its open referrals, how many are overdue now, and how many
/// deadlines it missed since a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRow {
    /// The receiver.
    pub institution: InstitutionId,
    /// Referrals waiting on it.
    pub open: u64,
    /// Of those, overdue (escalated to its desk or further).
    pub overdue: u64,
    /// Of those, escalated to the group's manager.
    pub to_manager: u64,
    /// Deadlines missed since the day asked (escalations to its desk).
    pub missed: u64,
    /// Of those, escalated on to the group's manager.
    pub missed_to_manager: u64,
}

/// Every receiver's clocks ([`ClockRow`]), missed deadlines counted from `since`; by id.
pub async fn clock_summary(
    store: &Store,
    since: DateTime<Utc>,
) -> Result<Vec<ClockRow>, StoreError> {
    let open = format!(
        "SELECT to_institution_id, COUNT(*), \
         COALESCE(SUM(CASE WHEN escalation >= 1 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN escalation >= 2 THEN 1 ELSE 0 END), 0) \
         FROM referral WHERE status IN ({OPEN}) GROUP BY to_institution_id"
    );
    let open: Vec<(String, i64, i64, i64)> =
        with_pool!(store, p => sqlx::query_as(AssertSqlSafe(open.clone())).fetch_all(p).await?);
    let missed = "SELECT receiver_institution_id, \
                  COALESCE(SUM(CASE WHEN level = 1 THEN 1 ELSE 0 END), 0), \
                  COALESCE(SUM(CASE WHEN level = 2 THEN 1 ELSE 0 END), 0) \
                  FROM referral_overdue WHERE escalated_at >= $1 GROUP BY receiver_institution_id";
    let missed: Vec<(String, i64, i64)> =
        with_pool!(store, p => sqlx::query_as(missed).bind(since).fetch_all(p).await?);
    let mut rows: std::collections::BTreeMap<String, [i64; 5]> = Default::default();
    for (i, n, o, m) in open {
        let r = rows.entry(i).or_default();
        (r[0], r[1], r[2]) = (n, o, m);
    }
    for (i, l1, l2) in missed {
        let r = rows.entry(i).or_default();
        (r[3], r[4]) = (l1, l2);
    }
    rows.into_iter()
        .map(
            |(i, [open, overdue, to_manager, missed, missed_to_manager])| {
                Ok(ClockRow {
                    institution: InstitutionId::parse(&i)
                        .map_err(|e| StoreError::corrupt("referral", &i, e))?,
                    open: open.unsigned_abs(),
                    overdue: overdue.unsigned_abs(),
                    to_manager: to_manager.unsigned_abs(),
                    missed: missed.unsigned_abs(),
                    missed_to_manager: missed_to_manager.unsigned_abs(),
                })
            },
        )
        .collect()
}

/// Open referrals to `receivers` (all receivers when none) that are overdue, the longest
/// overdue first. The receivers are matched in SQL, so a group's list is never cut short by
/// other groups' overdue referrals.
pub async fn escalated(
    store: &Store,
    receivers: Option<&[InstitutionId]>,
    limit: u32,
) -> Result<Vec<Referral>, StoreError> {
    let pg = matches!(store, Store::Postgres(_));
    let within = receivers.map_or_else(
        || "$1 IS NULL".to_owned(),
        |_| id_list_on(pg, "to_institution_id"),
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM referral WHERE escalation > 0 AND status IN ({OPEN}) AND {within} \
         ORDER BY stage_since, referral_id LIMIT $2"
    );
    let ids = receivers.map(strings);
    let rows: Vec<Row> = match store {
        Store::Postgres(p) => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(ids)
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?
        }
        Store::Sqlite(p) => {
            let json = ids
                .map(|i| serde_json::to_string(&i))
                .transpose()
                .map_err(|e| StoreError::corrupt("referral", "receivers", e))?;
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(json)
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?
        }
    };
    rows.into_iter().map(from_row).collect()
}

/// The statuses a referral waits in, as SQL literals.
const OPEN: &str = "'requested', 'accepted', 'scheduled', 'arrived'";

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
