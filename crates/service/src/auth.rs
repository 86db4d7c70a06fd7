//! Signing in (issue 3, item 1): console sessions and API tokens. Both are 256-bit random
//! secrets held by the client; the store keeps only their SHA-256, so a dump of the
//! database opens no session. Every request re-reads the account, so disabling a user or
//! changing their grants takes effect on their next click, not at the next login.
//!
//! A token reads `yl_<id>_<secret>`: the id finds the row without a scan and names the
//! token in lists and in the audit trail; only the secret is checked (in constant time).

use crate::ServiceError;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use yilian_domain::access::Actor;
use yilian_domain::ids::UserId;
use yilian_store::Store;
use yilian_store::account;
use yilian_store::event::{NewEvent, append};
use yilian_store::session::{self, ApiToken, Session};

/// How long a console session lasts, however active (a working day and a bit): MLPS 2.0
/// asks for sessions that end; staff sign in once a shift.
pub const SESSION_HOURS: i64 = 10;
/// Default lifetime of an API token.
pub const TOKEN_DAYS_DEFAULT: i64 = 90;
/// Longest lifetime of an API token: systems rotate their credentials at least yearly.
pub const TOKEN_DAYS_MAX: i64 = 366;
/// Longest token name, in characters.
pub const TOKEN_NAME_CHARS_MAX: usize = 100;

/// A secret handed to a client once (a session cookie, a CSRF token, an API token).
/// `Debug` hides it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The clear text, for the response that hands it over.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// 32 random bytes as 64 hex digits.
pub fn random_hex() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret(hex::encode(bytes))
}

/// SHA-256 of a secret, hex: what the store keeps.
fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hex digests without an early exit, so timing does not leak a prefix.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// How a request was signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A console session; unsafe requests must carry its CSRF token.
    Session {
        /// The session's CSRF token.
        csrf: Secret,
    },
    /// An API token (no cookie, so no CSRF).
    Token {
        /// The token's public id.
        token_id: String,
    },
}

/// A signed-in caller: the actor the access policy judges, and how they got in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who, with their grants as stored now.
    pub actor: Actor,
    /// Their display name.
    pub display_name: String,
    /// Session or token.
    pub via: Via,
}

/// Why a credential was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// No session or token has this secret.
    #[error("unknown or malformed credential / 凭据无效")]
    Unknown,
    /// It existed but its time is up.
    #[error("the credential has expired / 凭据已过期")]
    Expired,
    /// The token was revoked.
    #[error("the token has been revoked / 令牌已被吊销")]
    Revoked,
    /// The account behind it is disabled.
    #[error("the account is disabled / 账号已停用")]
    Disabled,
}

/// A new session: the cookie value and the CSRF token to put in its forms.
#[derive(Debug)]
pub struct NewSession {
    /// The cookie's value.
    pub cookie: Secret,
    /// The session's CSRF token.
    pub csrf: Secret,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// Opens a session for a user who just proved their password, and forgets the sessions
/// of anyone that have ended.
pub async fn open_session(
    store: &Store,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<NewSession, ServiceError> {
    let cookie = random_hex();
    let csrf = random_hex();
    let expires_at = now + Duration::hours(SESSION_HOURS);
    let row = Session {
        session_hash: digest(cookie.reveal()),
        user_id: user.clone(),
        csrf_token: csrf.reveal().to_owned(),
        created_at: now,
        expires_at,
    };
    let mut tx = store.begin().await?;
    session::delete_expired_sessions(&mut tx, now).await?;
    session::insert_session(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(NewSession {
        cookie,
        csrf,
        expires_at,
    })
}

/// The caller behind a session cookie at `now`.
pub async fn session_caller(
    store: &Store,
    cookie: &str,
    now: DateTime<Utc>,
) -> Result<Result<SignedIn, CredentialError>, ServiceError> {
    let Some(s) = session::get_session(store, &digest(cookie)).await? else {
        return Ok(Err(CredentialError::Unknown));
    };
    if now >= s.expires_at {
        return Ok(Err(CredentialError::Expired));
    }
    let via = Via::Session {
        csrf: Secret(s.csrf_token),
    };
    signed_in(store, &s.user_id, via).await
}

/// Ends the session behind a cookie (logout); unknown cookies are fine.
pub async fn close_session(store: &Store, cookie: &str) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    session::delete_session(&mut tx, &digest(cookie)).await?;
    tx.commit().await?;
    Ok(())
}

async fn signed_in(
    store: &Store,
    user: &UserId,
    via: Via,
) -> Result<Result<SignedIn, CredentialError>, ServiceError> {
    let Some(a) = account::get(store, user).await? else {
        return Ok(Err(CredentialError::Unknown));
    };
    if a.disabled {
        return Ok(Err(CredentialError::Disabled));
    }
    Ok(Ok(SignedIn {
        actor: Actor {
            user_id: a.user_id,
            grants: a.grants,
        },
        display_name: a.display_name,
        via,
    }))
}

/// Why a token cannot be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRequestError {
    /// The name is empty, too long or has control characters.
    #[error(
        "a token name of 1–{TOKEN_NAME_CHARS_MAX} printable characters is required / 令牌名称须为 1–{TOKEN_NAME_CHARS_MAX} 个可打印字符"
    )]
    Name,
    /// The lifetime is out of bounds.
    #[error("a token lives 1–{TOKEN_DAYS_MAX} days / 令牌有效期须为 1–{TOKEN_DAYS_MAX} 天")]
    Days,
}

/// A token just created: its row, and the secret to show once.
#[derive(Debug)]
pub struct NewToken {
    /// As stored.
    pub token: ApiToken,
    /// `yl_<id>_<secret>`, shown once.
    pub secret: Secret,
}

/// Creates an API token acting with `user`'s grants for `days` days.
pub async fn create_token(
    store: &Store,
    user: &UserId,
    name: &str,
    days: i64,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Result<NewToken, TokenRequestError>, ServiceError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > TOKEN_NAME_CHARS_MAX || name.chars().any(char::is_control) {
        return Ok(Err(TokenRequestError::Name));
    }
    if !(1..=TOKEN_DAYS_MAX).contains(&days) {
        return Ok(Err(TokenRequestError::Days));
    }
    if account::get(store, user).await?.is_none() {
        return Err(ServiceError::NotFound {
            what: "user",
            id: user.to_string(),
        });
    }
    let id_source = random_hex();
    let id = &id_source.reveal()[..16];
    let secret = random_hex();
    let token = ApiToken {
        token_id: id.to_owned(),
        user_id: user.clone(),
        name: name.to_owned(),
        secret_hash: digest(secret.reveal()),
        created_at: now,
        expires_at: now + Duration::days(days),
        revoked_at: None,
    };
    let mut tx = store.begin().await?;
    session::insert_token(&mut tx, &token).await?;
    append(
        &mut tx,
        &NewEvent {
            stream: format!("user/{user}"),
            kind: "TokenCreated",
            version: 1,
            payload: serde_json::json!({"token_id": token.token_id, "name": token.name, "expires_at": token.expires_at}),
            actor: actor.to_owned(),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    let secret = Secret(format!("yl_{id}_{}", secret.reveal()));
    Ok(Ok(NewToken { token, secret }))
}

/// A user's tokens, newest first (never their secrets).
pub async fn list_tokens(store: &Store, user: &UserId) -> Result<Vec<ApiToken>, ServiceError> {
    Ok(session::list_tokens(store, user).await?)
}

/// Revokes one of `user`'s tokens; not found when it is not theirs or not live.
pub async fn revoke_token(
    store: &Store,
    user: &UserId,
    token_id: &str,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    if !session::revoke_token(&mut tx, user, token_id, now).await? {
        return Err(ServiceError::NotFound {
            what: "token",
            id: token_id.to_owned(),
        });
    }
    append(
        &mut tx,
        &NewEvent {
            stream: format!("user/{user}"),
            kind: "TokenRevoked",
            version: 1,
            payload: serde_json::json!({"token_id": token_id}),
            actor: actor.to_owned(),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The caller behind a bearer token at `now`.
pub async fn token_caller(
    store: &Store,
    bearer: &str,
    now: DateTime<Utc>,
) -> Result<Result<SignedIn, CredentialError>, ServiceError> {
    let Some((id, secret)) = bearer
        .strip_prefix("yl_")
        .and_then(|rest| rest.split_once('_'))
    else {
        return Ok(Err(CredentialError::Unknown));
    };
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Err(CredentialError::Unknown));
    }
    let Some(t) = session::get_token(store, id).await? else {
        return Ok(Err(CredentialError::Unknown));
    };
    if !same_digest(&digest(secret), &t.secret_hash) {
        return Ok(Err(CredentialError::Unknown));
    }
    if t.revoked_at.is_some() {
        return Ok(Err(CredentialError::Revoked));
    }
    if now >= t.expires_at {
        return Ok(Err(CredentialError::Expired));
    }
    let via = Via::Token {
        token_id: t.token_id,
    };
    signed_in(store, &t.user_id, via).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use crate::account::{add_user, parse_grant};
    use yilian_store::dbtest;

    async fn user(store: &Store) -> UserId {
        let id = UserId::parse("desk1").unwrap();
        let grant = parse_grant("auditor@city").unwrap();
        add_user(
            store,
            id.clone(),
            "Desk".into(),
            vec![grant],
            Some("Correct-Horse-42"),
            "test",
        )
        .await
        .unwrap();
        id
    }

    dbtest!(session_opens_expires_and_closes, |store| {
        let u = user(&store).await;
        let t0 = Utc::now();
        let s = open_session(&store, &u, t0).await.unwrap();
        let who = session_caller(&store, s.cookie.reveal(), t0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(who.actor.user_id, u);
        assert_eq!(
            who.via,
            Via::Session {
                csrf: s.csrf.clone()
            }
        );
        let late = t0 + Duration::hours(SESSION_HOURS);
        assert_eq!(
            session_caller(&store, s.cookie.reveal(), late)
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Expired
        );
        close_session(&store, s.cookie.reveal()).await.unwrap();
        assert_eq!(
            session_caller(&store, s.cookie.reveal(), t0)
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Unknown
        );
        assert_eq!(format!("{:?}", s.cookie), "Secret(***)");
    });

    dbtest!(token_works_until_revoked_or_expired, |store| {
        let u = user(&store).await;
        let t0 = Utc::now();
        let t = create_token(&store, &u, "HIS 接口", 30, t0, "test")
            .await
            .unwrap()
            .unwrap();
        let ok = token_caller(&store, t.secret.reveal(), t0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok.actor.user_id, u);
        // a wrong secret with a real id is unknown, not a hint
        let forged = format!("yl_{}_{}", t.token.token_id, "0".repeat(64));
        assert_eq!(
            token_caller(&store, &forged, t0)
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Unknown
        );
        assert_eq!(
            token_caller(&store, "garbage", t0)
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Unknown
        );
        assert_eq!(
            token_caller(&store, t.secret.reveal(), t0 + Duration::days(30))
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Expired
        );
        revoke_token(&store, &u, &t.token.token_id, t0, "test")
            .await
            .unwrap();
        assert_eq!(
            token_caller(&store, t.secret.reveal(), t0)
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Revoked
        );
        assert!(matches!(
            revoke_token(&store, &u, &t.token.token_id, t0, "test").await,
            Err(ServiceError::NotFound { .. })
        ));
        assert_eq!(
            create_token(&store, &u, " ", 30, t0, "test")
                .await
                .unwrap()
                .unwrap_err(),
            TokenRequestError::Name
        );
        assert_eq!(
            create_token(&store, &u, "x", 400, t0, "test")
                .await
                .unwrap()
                .unwrap_err(),
            TokenRequestError::Days
        );
        let listed = list_tokens(&store, &u).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].revoked_at.is_some());
    });

    dbtest!(a_disabled_account_is_out_at_once, |store| {
        let u = user(&store).await;
        let t0 = Utc::now();
        let s = open_session(&store, &u, t0).await.unwrap();
        let t = create_token(&store, &u, "x", 30, t0, "test")
            .await
            .unwrap()
            .unwrap();
        crate::account::disable_user(&store, &u, "test")
            .await
            .unwrap();
        // its sessions are gone, and its tokens name the reason
        assert_eq!(
            session_caller(&store, s.cookie.reveal(), t0)
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Unknown
        );
        assert_eq!(
            token_caller(&store, t.secret.reveal(), t0)
                .await
                .unwrap()
                .unwrap_err(),
            CredentialError::Disabled
        );
    });
}
