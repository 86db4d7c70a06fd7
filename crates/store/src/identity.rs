//! A resident's identifiers as stored: sealed by the service layer (keyed hash and
//! ciphertexts), so this module sees only opaque text and a dump of the table reveals no
//! ID or phone number.

use crate::{Store, StoreError, Tx, with_pool, with_tx};
use yilian_domain::ids::ResidentId;

/// One resident's sealed identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedIdentity {
    /// Whose.
    pub resident_id: ResidentId,
    /// HMAC-SHA-256 of the normalised ID number, hex: the lookup key.
    pub id_card_hmac: String,
    /// The ID number, encrypted.
    pub id_card_enc: String,
    /// The phone number, encrypted, if known.
    pub phone_enc: Option<String>,
    /// The name, encrypted, if known.
    pub name_enc: Option<String>,
}

type Row = (String, String, String, Option<String>, Option<String>);

fn from_row(r: Row) -> Result<SealedIdentity, StoreError> {
    let (id, id_card_hmac, id_card_enc, phone_enc, name_enc) = r;
    Ok(SealedIdentity {
        resident_id: ResidentId::parse(&id)
            .map_err(|e| StoreError::corrupt("person_identity", &id, e))?,
        id_card_hmac,
        id_card_enc,
        phone_enc,
        name_enc,
    })
}

const COLUMNS: &str = "resident_id, id_card_hmac, id_card_enc, phone_enc, name_enc";

/// Stores or replaces a resident's identifiers. Another resident holding the same ID
/// number is a unique-constraint conflict: one person, one record.
pub async fn put(tx: &mut Tx, s: &SealedIdentity) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO person_identity ({COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (resident_id) DO UPDATE SET id_card_hmac = excluded.id_card_hmac, \
         id_card_enc = excluded.id_card_enc, phone_enc = excluded.phone_enc, name_enc = excluded.name_enc"
    );
    with_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(s.resident_id.as_str())
        .bind(&s.id_card_hmac)
        .bind(&s.id_card_enc)
        .bind(&s.phone_enc)
        .bind(&s.name_enc)
        .execute(&mut *c)
        .await
        .map(|_| ())?);
    Ok(())
}

/// A resident's identifiers, if recorded.
pub async fn get(
    store: &Store,
    resident: &ResidentId,
) -> Result<Option<SealedIdentity>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM person_identity WHERE resident_id = $1");
    let row: Option<Row> = with_pool!(store, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(resident.as_str()).fetch_optional(p).await?);
    row.map(from_row).transpose()
}

/// The resident whose ID number has this keyed hash.
pub async fn find_by_hmac(
    store: &Store,
    id_card_hmac: &str,
) -> Result<Option<ResidentId>, StoreError> {
    let sql = "SELECT resident_id FROM person_identity WHERE id_card_hmac = $1";
    let row: Option<(String,)> =
        with_pool!(store, p => sqlx::query_as(sql).bind(id_card_hmac).fetch_optional(p).await?);
    row.map(|(id,)| {
        ResidentId::parse(&id).map_err(|e| StoreError::corrupt("person_identity", &id, e))
    })
    .transpose()
}

/// How many residents have identifiers recorded (the key must not change under them).
pub async fn count(store: &Store) -> Result<i64, StoreError> {
    let sql = "SELECT COUNT(*) FROM person_identity";
    let (n,): (i64,) = with_pool!(store, p => sqlx::query_as(sql).fetch_one(p).await?);
    Ok(n)
}
