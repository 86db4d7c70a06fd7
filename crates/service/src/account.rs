//! Accounts (issue 3, item 1): adding, listing and disabling users, and logging in with
//! lock-out and back-off. Passwords are hashed with argon2id; a generated first password is
//! returned once and never stored in clear. Adding and disabling are events; login outcomes
//! go to the audit trail when the server wires it.

use crate::ServiceError;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use rand::Rng;
use yilian_domain::access::{Actor, Grant, Password, PasswordError, Throttle};
use yilian_domain::ids::UserId;
use yilian_store::Store;
use yilian_store::account::{self, Account};
use yilian_store::event::{NewEvent, append};

/// Length of a generated first password.
const GENERATED_PASSWORD_LEN: usize = 20;
/// Characters of generated passwords: no look-alikes (0/O, 1/l/I), so one can be read out.
const PASSWORD_ALPHABET: &[u8] =
    b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!@#%+=";

/// Why a login failed. Unknown users and wrong passwords give the same answer, so the
/// login form does not tell which accounts exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user or wrong password.
    #[error("wrong user name or password / 用户名或密码错误")]
    BadCredentials,
    /// Too many failures: locked until then.
    #[error("account locked until {0} after repeated failures / 多次登录失败，账号锁定至 {0}")]
    Locked(DateTime<Utc>),
    /// The account is disabled.
    #[error("account disabled / 账号已停用")]
    Disabled,
}

/// Parses a grant written as `ROLE@KIND[:ID]`, e.g. `family_doctor@team:T0001`,
/// `commission_admin@city`; the role must fit the scope kind.
pub fn parse_grant(s: &str) -> Result<Grant, String> {
    let (role, scope) = s
        .split_once('@')
        .ok_or_else(|| format!("'{s}': expected ROLE@KIND[:ID] / 格式应为 角色@范围[:标识]"))?;
    let (kind, id) = match scope.split_once(':') {
        Some((k, id)) => (k, Some(id)),
        None => (scope, None),
    };
    let json = serde_json::json!({"role": role, "scope": {"kind": kind, "id": id}});
    let json = if id.is_none() {
        serde_json::json!({"role": role, "scope": {"kind": kind}})
    } else {
        json
    };
    serde_json::from_value(json).map_err(|e| format!("'{s}': {e}"))
}

fn generate_password(user: &UserId) -> Password {
    let mut rng = rand::rng();
    loop {
        let s: String = (0..GENERATED_PASSWORD_LEN)
            .map(|_| char::from(PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())]))
            .collect();
        if let Ok(p) = Password::new(&s, user) {
            return p;
        }
    }
}

fn hash(p: &Password) -> Result<String, ServiceError> {
    Argon2::default()
        .hash_password(p.reveal().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

/// What adding a user can refuse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddUserError {
    /// The id is taken.
    #[error("user '{0}' exists already / 用户已存在")]
    Exists(String),
    /// The password breaks the rules.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Anything else.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Adds an account. With no password given, one is generated and returned (to print once).
pub async fn add_user(
    store: &Store,
    user_id: UserId,
    display_name: String,
    grants: Vec<Grant>,
    password: Option<&str>,
    actor: &str,
) -> Result<Option<String>, AddUserError> {
    if account::get(store, &user_id)
        .await
        .map_err(ServiceError::from)?
        .is_some()
    {
        return Err(AddUserError::Exists(user_id.to_string()));
    }
    let (password, generated) = match password {
        Some(p) => (Password::new(p, &user_id)?, false),
        None => (generate_password(&user_id), true),
    };
    let a = Account {
        user_id: user_id.clone(),
        display_name,
        password_hash: hash(&password)?,
        grants,
        disabled: false,
        throttle: Throttle::default(),
        created_at: Utc::now(),
    };
    let mut tx = store.begin().await.map_err(ServiceError::from)?;
    account::insert(&mut tx, &a)
        .await
        .map_err(ServiceError::from)?;
    let payload = serde_json::json!({"user_id": a.user_id, "display_name": a.display_name, "grants": a.grants});
    let e = NewEvent {
        stream: format!("user/{user_id}"),
        kind: "UserAdded",
        version: 1,
        payload,
        actor: actor.to_owned(),
        at: a.created_at,
    };
    append(&mut tx, &e).await.map_err(ServiceError::from)?;
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(generated.then(|| password.reveal().to_owned()))
}

/// Every account.
pub async fn list_users(store: &Store) -> Result<Vec<Account>, ServiceError> {
    Ok(account::list(store).await?)
}

/// Disables an account (it can no longer log in; its history stays).
pub async fn disable_user(store: &Store, user: &UserId, actor: &str) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    if !account::set_disabled(&mut tx, user, true).await? {
        return Err(ServiceError::NotFound {
            what: "user",
            id: user.to_string(),
        });
    }
    // signed out everywhere at once
    yilian_store::session::delete_sessions_of(&mut tx, user).await?;
    let e = NewEvent {
        stream: format!("user/{user}"),
        kind: "UserDisabled",
        version: 1,
        payload: serde_json::json!({}),
        actor: actor.to_owned(),
        at: Utc::now(),
    };
    append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a login at `now`; a failure counts towards the lock-out, a success resets it.
pub async fn login(
    store: &Store,
    user_id: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Result<Actor, LoginError>, ServiceError> {
    let Ok(id) = UserId::parse(user_id) else {
        return Ok(Err(LoginError::BadCredentials));
    };
    let Some(a) = account::get(store, &id).await? else {
        return Ok(Err(LoginError::BadCredentials));
    };
    if a.disabled {
        return Ok(Err(LoginError::Disabled));
    }
    if let Err(until) = a.throttle.check(now) {
        return Ok(Err(LoginError::Locked(until)));
    }
    let ok = PasswordHash::new(&a.password_hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    let throttle = if ok {
        a.throttle.after_success()
    } else {
        a.throttle.after_failure(now)
    };
    if throttle != a.throttle {
        let mut tx = store.begin().await?;
        account::set_throttle(&mut tx, &id, throttle).await?;
        tx.commit().await?;
    }
    Ok(if ok {
        Ok(Actor {
            user_id: id,
            grants: a.grants,
        })
    } else {
        Err(LoginError::BadCredentials)
    })
}

/// The first administrator's login name.
pub const FIRST_ADMIN: &str = "admin";

/// Creates the first administrator (commission administrator on the city) when there is
/// no account yet; returns its generated password to print once, or none when accounts
/// exist already (so `yilian init` can be run again safely).
pub async fn init_first_admin(store: &Store, actor: &str) -> Result<Option<String>, AddUserError> {
    if !account::list(store)
        .await
        .map_err(ServiceError::from)?
        .is_empty()
    {
        return Ok(None);
    }
    let admin = UserId::parse(FIRST_ADMIN).expect("BUG: the first admin's id is valid");
    let grant = parse_grant("commission_admin@city").expect("BUG: the first admin's grant fits");
    add_user(store, admin, "系统管理员".into(), vec![grant], None, actor).await
}
