//! Console sessions and API tokens: who is signed in, by the SHA-256 of a secret the client
//! holds. The secrets themselves are never stored (the service layer makes and hashes them).

use crate::{Store, StoreError, Tx, with_pool, with_tx};
use chrono::{DateTime, Utc};
use yilian_domain::ids::UserId;

/// A signed-in console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie's secret, hex.
    pub session_hash: String,
    /// Whose.
    pub user_id: UserId,
    /// The token every form and unsafe request of this session must carry.
    pub csrf_token: String,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it ends, whatever happens.
    pub expires_at: DateTime<Utc>,
}

/// An API token for a system acting as a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Public id, the first part of the token (shown in lists, named in the audit trail).
    pub token_id: String,
    /// Whose grants it acts with.
    pub user_id: UserId,
    /// What it is for (`HIS 接口`, `nightly export` …).
    pub name: String,
    /// SHA-256 of the secret part, hex.
    pub secret_hash: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

fn user(id: &str, table: &'static str) -> Result<UserId, StoreError> {
    UserId::parse(id).map_err(|e| StoreError::corrupt(table, id, e))
}

type SessionRow = (String, String, String, DateTime<Utc>, DateTime<Utc>);

/// Stores a new session.
pub async fn insert_session(tx: &mut Tx, s: &Session) -> Result<(), StoreError> {
    let sql = "INSERT INTO auth_session (session_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
    with_tx!(tx, c => sqlx::query(sql)
        .bind(&s.session_hash)
        .bind(s.user_id.as_str())
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&mut *c)
        .await
        .map(|_| ())?);
    Ok(())
}

/// The session with this hash, expired or not.
pub async fn get_session(store: &Store, session_hash: &str) -> Result<Option<Session>, StoreError> {
    let sql = "SELECT session_hash, user_id, csrf_token, created_at, expires_at FROM auth_session WHERE session_hash = $1";
    let row: Option<SessionRow> =
        with_pool!(store, p => sqlx::query_as(sql).bind(session_hash).fetch_optional(p).await?);
    row.map(|(session_hash, u, csrf_token, created_at, expires_at)| {
        Ok(Session {
            session_hash,
            user_id: user(&u, "auth_session")?,
            csrf_token,
            created_at,
            expires_at,
        })
    })
    .transpose()
}

/// Ends a session (logout); returns whether it existed.
pub async fn delete_session(tx: &mut Tx, session_hash: &str) -> Result<bool, StoreError> {
    let sql = "DELETE FROM auth_session WHERE session_hash = $1";
    let n = with_tx!(tx, c => sqlx::query(sql).bind(session_hash).execute(&mut *c).await?.rows_affected());
    Ok(n > 0)
}

/// Ends every session of a user (a disabled account is signed out everywhere at once).
pub async fn delete_sessions_of(tx: &mut Tx, user: &UserId) -> Result<u64, StoreError> {
    let sql = "DELETE FROM auth_session WHERE user_id = $1";
    Ok(
        with_tx!(tx, c => sqlx::query(sql).bind(user.as_str()).execute(&mut *c).await?.rows_affected()),
    )
}

/// Forgets sessions that ended before `now`, so the table holds the live ones only.
pub async fn delete_expired_sessions(tx: &mut Tx, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let sql = "DELETE FROM auth_session WHERE expires_at < $1";
    Ok(with_tx!(tx, c => sqlx::query(sql).bind(now).execute(&mut *c).await?.rows_affected()))
}

type TokenRow = (
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

const TOKEN_COLUMNS: &str =
    "token_id, user_id, name, secret_hash, created_at, expires_at, revoked_at";

fn token_from_row(r: TokenRow) -> Result<ApiToken, StoreError> {
    let (token_id, u, name, secret_hash, created_at, expires_at, revoked_at) = r;
    Ok(ApiToken {
        token_id,
        user_id: user(&u, "api_token")?,
        name,
        secret_hash,
        created_at,
        expires_at,
        revoked_at,
    })
}

/// Stores a new token.
pub async fn insert_token(tx: &mut Tx, t: &ApiToken) -> Result<(), StoreError> {
    let sql = "INSERT INTO api_token (token_id, user_id, name, secret_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    with_tx!(tx, c => sqlx::query(sql)
        .bind(&t.token_id)
        .bind(t.user_id.as_str())
        .bind(&t.name)
        .bind(&t.secret_hash)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.revoked_at)
        .execute(&mut *c)
        .await
        .map(|_| ())?);
    Ok(())
}

/// One token by its public id.
pub async fn get_token(store: &Store, token_id: &str) -> Result<Option<ApiToken>, StoreError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE token_id = $1");
    let row: Option<TokenRow> = with_pool!(store, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(token_id).fetch_optional(p).await?);
    row.map(token_from_row).transpose()
}

/// A user's tokens, newest first.
pub async fn list_tokens(store: &Store, user: &UserId) -> Result<Vec<ApiToken>, StoreError> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_token WHERE user_id = $1 ORDER BY created_at DESC, token_id"
    );
    let rows: Vec<TokenRow> = with_pool!(store, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(user.as_str()).fetch_all(p).await?);
    rows.into_iter().map(token_from_row).collect()
}

/// Revokes a token of `user` at `at`; returns whether a live one was revoked (a token
/// of someone else, or one revoked already, is left as it is).
pub async fn revoke_token(
    tx: &mut Tx,
    user: &UserId,
    token_id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE api_token SET revoked_at = $3 WHERE token_id = $1 AND user_id = $2 AND revoked_at IS NULL";
    let n = with_tx!(tx, c => sqlx::query(sql).bind(token_id).bind(user.as_str()).bind(at).execute(&mut *c).await?.rows_affected());
    Ok(n > 0)
}
