//! Accounts: who may log in, with which grants, and the login counters that throttle
//! guessing. The password is stored only as an argon2id PHC string.

use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use yilian_domain::access::{Grant, Throttle};
use yilian_domain::ids::UserId;

/// An account as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Login name.
    pub user_id: UserId,
    /// Name shown in the console.
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// What the account may do, where.
    pub grants: Vec<Grant>,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// Login counters.
    pub throttle: Throttle,
    /// When created.
    pub created_at: DateTime<Utc>,
}

type AccountRow = (
    String,
    String,
    String,
    Json<Vec<Grant>>,
    bool,
    i64,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

fn from_row(r: AccountRow) -> Result<Account, StoreError> {
    let (
        id,
        display_name,
        password_hash,
        Json(grants),
        disabled,
        failures,
        locked_until,
        created_at,
    ) = r;
    Ok(Account {
        user_id: UserId::parse(&id).map_err(|e| StoreError::corrupt("app_user", &id, e))?,
        display_name,
        password_hash,
        grants,
        disabled,
        throttle: Throttle {
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            locked_until,
        },
        created_at,
    })
}

const COLUMNS: &str = "user_id, display_name, password_hash, grants, disabled, failed_logins, locked_until, created_at";

/// Inserts a new account; a taken user id is a database conflict (the caller checks first
/// to give a clear message; the primary key has the last word).
pub async fn insert(tx: &mut Tx, a: &Account) -> Result<(), StoreError> {
    let sql = "INSERT INTO app_user (user_id, display_name, password_hash, grants, disabled, failed_logins, locked_until, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    with_tx!(tx, c => sqlx::query(sql)
        .bind(a.user_id.as_str())
        .bind(&a.display_name)
        .bind(&a.password_hash)
        .bind(Json(&a.grants))
        .bind(a.disabled)
        .bind(i64::from(a.throttle.failures))
        .bind(a.throttle.locked_until)
        .bind(a.created_at)
        .execute(&mut *c)
        .await
        .map(|_| ())?);
    Ok(())
}

/// One account.
pub async fn get(store: &Store, user: &UserId) -> Result<Option<Account>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM app_user WHERE user_id = $1");
    let row: Option<AccountRow> = with_pool!(store, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(user.as_str()).fetch_optional(p).await?);
    row.map(from_row).transpose()
}

/// Every account, by id.
pub async fn list(store: &Store) -> Result<Vec<Account>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM app_user ORDER BY user_id");
    let rows: Vec<AccountRow> = with_pool!(store, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(p).await?);
    rows.into_iter().map(from_row).collect()
}

/// Disables or enables an account; returns whether it exists.
pub async fn set_disabled(tx: &mut Tx, user: &UserId, disabled: bool) -> Result<bool, StoreError> {
    let sql = "UPDATE app_user SET disabled = $2 WHERE user_id = $1";
    let n = with_tx!(tx, c => sqlx::query(sql).bind(user.as_str()).bind(disabled).execute(&mut *c).await?.rows_affected());
    Ok(n > 0)
}

/// Stores the login counters.
pub async fn set_throttle(tx: &mut Tx, user: &UserId, t: Throttle) -> Result<(), StoreError> {
    let sql = "UPDATE app_user SET failed_logins = $2, locked_until = $3 WHERE user_id = $1";
    with_tx!(tx, c => sqlx::query(sql).bind(user.as_str()).bind(i64::from(t.failures)).bind(t.locked_until).execute(&mut *c).await.map(|_| ())?);
    Ok(())
}
