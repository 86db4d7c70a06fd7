//! The audit trail (MLPS 2.0 level 3 "security audit"; issue 3 item 4): who looked at or
//! changed what, about which person, when, from where and why. It is kept apart from the
//! event log because it records reads and refusals too, and because it must be
//! tamper-evident on its own.
//!
//! **Append-only.** Entries are numbered 1, 2, 3… with no gaps. [`append`] reads the last
//! `(seq, hash)` and inserts `seq + 1` in the caller's transaction: SQLite's `BEGIN
//! IMMEDIATE` and, on PostgreSQL, a transaction-scoped advisory lock serialise appenders, and
//! the primary key has the last word, so a racing writer fails instead of forking the chain.
//! Triggers refuse `UPDATE` and `DELETE` (and `TRUNCATE` on PostgreSQL).
//!
//! **Tamper-evident.** Someone with direct database access can drop the triggers. Each entry
//! therefore carries `hash = SHA-256(canonical encoding of every field, prev_hash included)`,
//! with `prev_hash` the previous entry's hash ([`GENESIS_HASH`] for entry 1). [`verify`]
//! recomputes the chain and names the first entry that was edited, deleted or moved.
//! Rewriting the whole chain from some entry on, or cutting entries off its end, is only
//! caught by comparing [`VerifyReport::head`] with a copy kept outside the database (a log
//! line, a printed report); `verify` returns the head for that purpose.
//!
//! # Canonical encoding (version 1)
//!
//! The hash input is the concatenation of these fields, in this order, each encoded as one
//! byte `0x00` for SQL NULL, or `0x01`, the UTF-8 length as 8 bytes big-endian, then the
//! UTF-8 bytes:
//!
//! 1. the tag `yilian-audit-entry/1`
//! 2. `seq` in decimal ASCII, no sign or leading zeros
//! 3. `at` as RFC 3339 UTC with exactly six fractional digits, `YYYY-MM-DDTHH:MM:SS.ffffffZ`
//!    (PostgreSQL keeps microseconds, so [`append`] truncates to them before hashing)
//! 4. `actor`, 5. `role`, 6. `scope`, 7. `action`, 8. `person` (NULL when none),
//!    9. `purpose`, 10. `reason` (NULL when none), as stored
//! 11. `flagged` as `true` or `false`
//! 12. `source`, 13. `outcome` (`allowed` or `denied`), as stored
//! 14. `detail` as canonical JSON: no whitespace; object keys sorted by their UTF-8 bytes;
//!     strings escaped as `serde_json` writes them; a number with an integral value in the
//!     64-bit integer range written as a decimal integer (`3.0` → `3`, `-0.0` → `0`), any
//!     other as the shortest decimal that reads back to the same `f64`. PostgreSQL's `jsonb`
//!     reorders keys and rewrites number spellings; this form is the same before and after.
//! 15. `prev_hash` as 64 lowercase hex digits
//!
//! `hash` is the SHA-256 of that byte string, as 64 lowercase hex digits.
//!
//! ```
//! use yilian_store::audit_trail::{canonical_json, GENESIS_HASH};
//! assert_eq!(GENESIS_HASH.len(), 64);
//! let v = serde_json::json!({"b": 1.0, "a": [true, null, "x"]});
//! assert_eq!(canonical_json(&v), r#"{"a":[true,null,"x"],"b":1}"#);
//! ```

use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use std::fmt::Write;
use yilian_domain::ids::ResidentId;

/// `prev_hash` of entry 1.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// First field of the hash input: names the encoding, so a future version cannot be
/// mistaken for this one.
const ENCODING_TAG: &str = "yilian-audit-entry/1";
/// Key of the PostgreSQL advisory lock that serialises appenders (the ASCII of `audtrail`;
/// any constant no other code uses will do).
const APPEND_LOCK_KEY: i64 = 0x6175_6474_7261_696c;
/// Entries read per query by [`verify`]: the chain is streamed, never loaded whole.
const VERIFY_PAGE_ROWS: i64 = 1_000;
/// Most entries one [`search`] returns (the console pages with `after_seq`).
pub const SEARCH_PAGE_ROWS_MAX: u32 = 500;

/// Whether the request was let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The policy allowed it.
    Allowed,
    /// The policy refused it (refusals are audited too: guessing ids across scopes shows here).
    Denied,
}

impl Outcome {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "allowed" => Some(Outcome::Allowed),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// An entry to append. Every text is stored as given; `person` is a resident id, never an
/// ID-card number (those stay encrypted in the registry, PIPL).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAuditEntry {
    /// When it happened (truncated to microseconds on append).
    pub at: DateTime<Utc>,
    /// Who: a user id, `token:<id>` for a system, `cli:<os user>`.
    pub actor: String,
    /// The role the actor acted in.
    pub role: String,
    /// The scope that role was granted on (`city`, `grid:G01`, `institution:H1`, …).
    pub scope: String,
    /// What (`resident.read`, `registry.export`, `login`, …).
    pub action: String,
    /// Whose record, when the action concerns one person.
    pub person: Option<ResidentId>,
    /// Why: a purpose code (`treatment`, `referral`, `break_glass`, …).
    pub purpose: String,
    /// The typed reason of a break-glass access.
    pub reason: Option<String>,
    /// Flagged for an auditor's review (every break-glass access is).
    pub flagged: bool,
    /// Where from: the client address.
    pub source: String,
    /// Allowed or denied.
    pub outcome: Outcome,
    /// Anything else worth keeping (no ID-card or phone numbers).
    pub detail: serde_json::Value,
}

/// A stored entry: what was appended, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// What was recorded (`at` at microsecond precision).
    #[serde(flatten)]
    pub entry: NewAuditEntry,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// A row as stored, before any parsing: [`verify`] hashes exactly what is there, so a value
/// someone edited into something unparseable is reported as an edit, not as an error.
type Row = (
    i64,
    DateTime<Utc>,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    bool,
    String,
    String,
    String,
    String,
    String,
);

/// The fields the hash covers, borrowed.
struct Fields<'a> {
    seq: i64,
    at: DateTime<Utc>,
    actor: &'a str,
    role: &'a str,
    scope: &'a str,
    action: &'a str,
    person: Option<&'a str>,
    purpose: &'a str,
    reason: Option<&'a str>,
    flagged: bool,
    source: &'a str,
    outcome: &'a str,
    detail: &'a str,
    prev_hash: &'a str,
}

impl Fields<'_> {
    /// The canonical encoding's SHA-256 (module docs).
    fn hash(&self) -> String {
        let seq = self.seq.to_string();
        let at = format_at(self.at);
        let flagged = if self.flagged { "true" } else { "false" };
        let mut h = Sha256::new();
        for field in [
            Some(ENCODING_TAG),
            Some(seq.as_str()),
            Some(at.as_str()),
            Some(self.actor),
            Some(self.role),
            Some(self.scope),
            Some(self.action),
            self.person,
            Some(self.purpose),
            self.reason,
            Some(flagged),
            Some(self.source),
            Some(self.outcome),
            Some(self.detail),
            Some(self.prev_hash),
        ] {
            match field {
                None => h.update([0u8]),
                Some(s) => {
                    h.update([1u8]);
                    h.update((s.len() as u64).to_be_bytes());
                    h.update(s.as_bytes());
                }
            }
        }
        format!("{:x}", h.finalize())
    }
}

/// `at` as the canonical encoding writes it.
fn format_at(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `v` as canonical JSON (module docs, field 14).
pub fn canonical_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (k, (key, value)) in entries.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).expect("BUG: a string always serialises"));
}

/// 2^63 and 2^64 as `f64` (both exact).
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

fn write_number(n: &serde_json::Number, out: &mut String) {
    // Writing into a String cannot fail.
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else {
        let f = n.as_f64().expect("BUG: a JSON number is i64, u64 or f64");
        // The casts are exact: `f` is integral and inside the target's range.
        if f.fract() == 0.0 && (-TWO_POW_63..0.0).contains(&f) {
            let _ = write!(out, "{}", f as i64);
        } else if f.fract() == 0.0 && (0.0..TWO_POW_64).contains(&f) {
            // `-0.0` lands here too and is written `0`, as PostgreSQL's numeric has no -0.
            let _ = write!(out, "{}", f as u64);
        } else {
            match serde_json::Number::from_f64(f) {
                Some(n) => {
                    let _ = write!(out, "{n}");
                }
                None => out.push_str("null"),
            }
        }
    }
}

impl AuditEntry {
    /// The hash this entry's content should have; equal to `hash` unless it was edited.
    pub fn computed_hash(&self) -> String {
        let e = &self.entry;
        let detail = canonical_json(&e.detail);
        Fields {
            seq: self.seq,
            at: e.at,
            actor: &e.actor,
            role: &e.role,
            scope: &e.scope,
            action: &e.action,
            person: e.person.as_ref().map(|p| p.as_ref()),
            purpose: &e.purpose,
            reason: e.reason.as_deref(),
            flagged: e.flagged,
            source: &e.source,
            outcome: e.outcome.as_str(),
            detail: &detail,
            prev_hash: &self.prev_hash,
        }
        .hash()
    }
}

/// Appends `entry` as the next link of the chain, in `tx`; returns it as stored. Holds the
/// append lock until `tx` ends, so keep the rest of the transaction short.
pub async fn append(tx: &mut Tx, entry: &NewAuditEntry) -> Result<AuditEntry, StoreError> {
    if let Tx::Postgres(c) = tx {
        // READ COMMITTED takes a new snapshot per statement, so the read below sees every
        // append committed before this lock was granted.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK_KEY)
            .execute(&mut **c)
            .await?;
    }
    let last: Option<(i64, String)> = with_tx!(tx, c => sqlx::query_as(
        "SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1"
    )
    .fetch_optional(&mut *c)
    .await?);
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS_HASH.to_owned()));
    let mut stored = AuditEntry {
        seq: prev_seq
            .checked_add(1)
            .expect("BUG: the audit trail cannot hold 2^63 entries"),
        entry: NewAuditEntry {
            at: entry.at.trunc_subsecs(6),
            ..entry.clone()
        },
        prev_hash,
        hash: String::new(),
    };
    stored.hash = stored.computed_hash();
    let sql = "INSERT INTO audit_entry (seq, at, actor, role, scope, action, person, purpose, \
               reason, flagged, source, outcome, detail, prev_hash, hash) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    let e = &stored.entry;
    with_tx!(tx, c => {
        sqlx::query(sql)
        .bind(stored.seq)
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.role)
        .bind(&e.scope)
        .bind(&e.action)
        .bind(e.person.as_ref().map(|p| p.as_ref().to_owned()))
        .bind(&e.purpose)
        .bind(&e.reason)
        .bind(e.flagged)
        .bind(&e.source)
        .bind(e.outcome.as_str())
        .bind(Json(&e.detail))
        .bind(&stored.prev_hash)
        .bind(&stored.hash)
        .execute(&mut *c)
        .await?;
    });
    Ok(stored)
}

/// `SELECT` of every column, `detail` as JSON text on both backends.
fn select_sql(store: &Store, rest: &str) -> String {
    let detail = match store {
        Store::Sqlite(_) => "detail",
        Store::Postgres(_) => "detail::text",
    };
    format!(
        "SELECT seq, at, actor, role, scope, action, person, purpose, reason, flagged, source, \
         outcome, {detail}, prev_hash, hash FROM audit_entry {rest}"
    )
}

/// What is wrong with the first broken link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// The entry's content no longer matches its hash: it was edited.
    Edited,
    /// Entries `seq..next` are missing: they were deleted.
    Missing {
        /// The seq found where `seq` was expected.
        next: i64,
    },
    /// The entry's `prev_hash` is not the previous entry's hash: entries were deleted and
    /// the rest renumbered, or entries were reordered.
    LinkBroken,
}

/// The first place the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The first seq that is wrong (for a gap, the first missing one).
    pub seq: i64,
    /// What is wrong.
    pub problem: Problem,
    /// In Chinese.
    pub message_zh: String,
    /// In English.
    pub message_en: String,
}

impl BrokenLink {
    fn new(seq: i64, problem: Problem) -> BrokenLink {
        let (message_zh, message_en) = match &problem {
            Problem::Edited => (
                format!("第 {seq} 条审计记录的内容与其哈希不符：该记录已被篡改"),
                format!("audit entry {seq} does not match its hash: it was edited"),
            ),
            Problem::Missing { next } => {
                let last = next - 1;
                (
                    format!("第 {seq}–{last} 条审计记录缺失：已被删除"),
                    format!("audit entries {seq}–{last} are missing: they were deleted"),
                )
            }
            Problem::LinkBroken => (
                format!("第 {seq} 条审计记录的前序哈希与上一条不符：其前的记录被删除或顺序被改动"),
                format!(
                    "audit entry {seq} does not link to the entry before it: entries were deleted or reordered"
                ),
            ),
        };
        BrokenLink {
            seq,
            problem,
            message_zh,
            message_en,
        }
    }
}

/// The last entry of the chain: keep a copy outside the database to catch a chain that was
/// rewritten or cut short from the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    /// Its seq.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries checked (up to and including the broken one).
    pub checked: u64,
    /// The last entry checked; the chain's head when it is intact.
    pub head: Option<ChainHead>,
    /// The first broken link; `None` when the chain is intact.
    pub broken: Option<BrokenLink>,
}

impl VerifyReport {
    /// No broken link.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Recomputes the whole chain, a page at a time, and reports the first broken link.
#[tracing::instrument(skip_all)]
pub async fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    let sql = select_sql(store, "WHERE seq > $1 ORDER BY seq LIMIT $2");
    let mut report = VerifyReport {
        checked: 0,
        head: None,
        broken: None,
    };
    let mut expected_seq = 1_i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    loop {
        let after = expected_seq - 1;
        let rows: Vec<Row> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
            .bind(after)
            .bind(VERIFY_PAGE_ROWS)
            .fetch_all(p)
            .await?);
        if rows.is_empty() {
            return Ok(report);
        }
        for row in &rows {
            report.checked += 1;
            report.head = Some(ChainHead {
                seq: row.0,
                hash: row.14.clone(),
            });
            if let Some(problem) = check(row, expected_seq, &prev_hash) {
                let seq = if matches!(problem, Problem::Missing { .. }) {
                    expected_seq
                } else {
                    row.0
                };
                report.broken = Some(BrokenLink::new(seq, problem));
                return Ok(report);
            }
            expected_seq += 1;
            prev_hash.clone_from(&row.14);
        }
    }
}

/// One link: in order, the seq, the link to the previous entry, the entry's own hash.
fn check(row: &Row, expected_seq: i64, prev_hash: &str) -> Option<Problem> {
    let (seq, at, actor, role, scope, action, person, purpose, reason, flagged, source) = (
        row.0, row.1, &row.2, &row.3, &row.4, &row.5, &row.6, &row.7, &row.8, row.9, &row.10,
    );
    let (outcome, detail, stored_prev, stored_hash) = (&row.11, &row.12, &row.13, &row.14);
    if seq != expected_seq {
        return Some(Problem::Missing { next: seq });
    }
    if stored_prev != prev_hash {
        return Some(Problem::LinkBroken);
    }
    // Detail that is no longer JSON was edited; hashing the raw text then fails to match.
    let detail = serde_json::from_str::<serde_json::Value>(detail)
        .map(|v| canonical_json(&v))
        .unwrap_or_else(|_| detail.clone());
    let computed = Fields {
        seq,
        at,
        actor,
        role,
        scope,
        action,
        person: person.as_deref(),
        purpose,
        reason: reason.as_deref(),
        flagged,
        source,
        outcome,
        detail: &detail,
        prev_hash: stored_prev,
    }
    .hash();
    (computed != *stored_hash).then_some(Problem::Edited)
}

/// What an auditor looks for; every `Some` must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchFilter {
    /// Done by this actor.
    pub actor: Option<String>,
    /// About this person.
    pub person: Option<ResidentId>,
    /// This action.
    pub action: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Strictly before.
    pub to: Option<DateTime<Utc>>,
    /// Flagged for review (or not).
    pub flagged: Option<bool>,
}

/// How many entries one search returns: 1 to [`SEARCH_PAGE_ROWS_MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

/// A page size out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "page size must be 1 to {SEARCH_PAGE_ROWS_MAX}, not {0} / 每页条数须为 1 至 {SEARCH_PAGE_ROWS_MAX}"
)]
pub struct PageSizeError(pub u32);

impl PageSize {
    /// Checks the bound (STYLE 10: a limit is an error, never a silent truncation).
    pub fn new(rows: u32) -> Result<PageSize, PageSizeError> {
        if (1..=SEARCH_PAGE_ROWS_MAX).contains(&rows) {
            Ok(PageSize(rows))
        } else {
            Err(PageSizeError(rows))
        }
    }
    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// One bound value of a search.
enum Param {
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
    Int(i64),
}

/// Entries matching `filter` with `seq > after_seq`, oldest first, at most `limit`; the last
/// one's seq is the cursor of the next page.
pub async fn search(
    store: &Store,
    filter: &SearchFilter,
    after_seq: i64,
    limit: PageSize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut params = vec![Param::Int(after_seq)];
    let mut conditions = vec!["seq > $1".to_owned()];
    let mut add = |column: &str, op: &str, p: Param| {
        params.push(p);
        conditions.push(format!("{column} {op} ${}", params.len()));
    };
    if let Some(a) = &filter.actor {
        add("actor", "=", Param::Text(a.clone()));
    }
    if let Some(p) = &filter.person {
        add("person", "=", Param::Text(p.as_ref().to_owned()));
    }
    if let Some(a) = &filter.action {
        add("action", "=", Param::Text(a.clone()));
    }
    if let Some(t) = filter.from {
        add("at", ">=", Param::Time(t));
    }
    if let Some(t) = filter.to {
        add("at", "<", Param::Time(t));
    }
    if let Some(f) = filter.flagged {
        add("flagged", "=", Param::Bool(f));
    }
    params.push(Param::Int(i64::from(limit.get())));
    let sql = select_sql(
        store,
        &format!(
            "WHERE {} ORDER BY seq LIMIT ${}",
            conditions.join(" AND "),
            params.len()
        ),
    );
    let rows: Vec<Row> = with_pool!(store, p => {
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for param in &params {
            q = match param {
                Param::Text(v) => q.bind(v.clone()),
                Param::Time(v) => q.bind(*v),
                Param::Bool(v) => q.bind(*v),
                Param::Int(v) => q.bind(*v),
            };
        }
        q.fetch_all(p).await?
    });
    rows.into_iter().map(parse_row).collect()
}

fn parse_row(row: Row) -> Result<AuditEntry, StoreError> {
    let (seq, at, actor, role, scope, action, person, purpose, reason, flagged, source) = (
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10,
    );
    let (outcome, detail, prev_hash, hash) = (row.11, row.12, row.13, row.14);
    let id = seq.to_string();
    let person = person
        .map(|p| ResidentId::parse(&p))
        .transpose()
        .map_err(|e| StoreError::corrupt("audit_entry", &id, e))?;
    let outcome = Outcome::parse(&outcome)
        .ok_or_else(|| StoreError::corrupt("audit_entry", &id, "outcome"))?;
    let detail =
        serde_json::from_str(&detail).map_err(|e| StoreError::corrupt("audit_entry", &id, e))?;
    Ok(AuditEntry {
        seq,
        entry: NewAuditEntry {
            at,
            actor,
            role,
            scope,
            action,
            person,
            purpose,
            reason,
            flagged,
            source,
            outcome,
            detail,
        },
        prev_hash,
        hash,
    })
}
