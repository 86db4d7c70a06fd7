//! Passwords and login throttling (MLPS 2.0 identification): the rules a password must
//! meet, and the lock-out with back-off after repeated failures. Pure: the store keeps the
//! counters, the server supplies the clock.

use crate::ids::UserId;
use chrono::{DateTime, Duration, Utc};
use std::fmt;

/// Shortest password accepted, in characters.
pub const PASSWORD_LEN_MIN: usize = 12;
/// Longest password accepted (argon2 takes any length; this bounds the work per login).
pub const PASSWORD_LEN_MAX: usize = 128;
/// Character classes (lower, upper, digit, other) a password must mix.
pub const PASSWORD_CLASSES_MIN: usize = 3;
/// Consecutive failures before the account locks.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// First lock-out; it doubles with each further failure.
pub const LOCK_FIRST_MIN: i64 = 15;
/// Longest lock-out.
pub const LOCK_MAX_MIN: i64 = 24 * 60;

/// A password that meets the rules. Never prints itself.
#[derive(Clone)]
pub struct Password(String);

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Too short.
    #[error(
        "password shorter than {PASSWORD_LEN_MIN} characters / 密码少于 {PASSWORD_LEN_MIN} 个字符"
    )]
    TooShort,
    /// Too long.
    #[error(
        "password longer than {PASSWORD_LEN_MAX} characters / 密码超过 {PASSWORD_LEN_MAX} 个字符"
    )]
    TooLong,
    /// Not enough kinds of characters.
    #[error(
        "password must mix {PASSWORD_CLASSES_MIN} of: lower case, upper case, digits, symbols or Chinese characters / 密码须包含小写、大写、数字、符号或汉字中的至少 {PASSWORD_CLASSES_MIN} 类"
    )]
    TooSimple,
    /// Contains the account's own id.
    #[error("password contains the user id / 密码不得包含用户名")]
    ContainsUserId,
}

impl Password {
    /// Checks `s` against the rules for the account `user`.
    pub fn new(s: &str, user: &UserId) -> Result<Password, PasswordError> {
        let n = s.chars().count();
        if n < PASSWORD_LEN_MIN {
            return Err(PasswordError::TooShort);
        }
        if n > PASSWORD_LEN_MAX {
            return Err(PasswordError::TooLong);
        }
        let classes = [
            s.chars().any(|c| c.is_lowercase()),
            s.chars().any(|c| c.is_uppercase()),
            s.chars().any(|c| c.is_ascii_digit()),
            // symbols, and letters without case (汉字) count as the fourth class
            s.chars().any(|c| {
                !c.is_alphanumeric()
                    || (c.is_alphabetic() && !c.is_lowercase() && !c.is_uppercase())
            }),
        ];
        if classes.iter().filter(|c| **c).count() < PASSWORD_CLASSES_MIN {
            return Err(PasswordError::TooSimple);
        }
        if s.to_lowercase().contains(&user.as_str().to_lowercase()) {
            return Err(PasswordError::ContainsUserId);
        }
        Ok(Password(s.to_owned()))
    }
    /// The clear text, for the hasher only.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An account's login counters as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Throttle {
    /// Consecutive failures.
    pub failures: u32,
    /// Locked until then, if locked.
    pub locked_until: Option<DateTime<Utc>>,
}

impl Throttle {
    /// May a login be attempted at `now`? The error carries the end of the lock.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        match self.locked_until {
            Some(until) if now < until => Err(until),
            _ => Ok(()),
        }
    }
    /// The counters after a failed attempt at `now`: the fifth failure in a row locks the
    /// account for 15 minutes, each further one doubles it, up to a day.
    pub fn after_failure(self, now: DateTime<Utc>) -> Throttle {
        let failures = self.failures.saturating_add(1);
        let locked_until = (failures >= FAILURES_BEFORE_LOCK).then(|| {
            let doublings = (failures - FAILURES_BEFORE_LOCK).min(16);
            now + Duration::minutes((LOCK_FIRST_MIN << doublings).min(LOCK_MAX_MIN))
        });
        Throttle {
            failures,
            locked_until,
        }
    }
    /// The counters after a successful login.
    pub fn after_success(self) -> Throttle {
        Throttle::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn user() -> UserId {
        UserId::parse("zhanglei").unwrap()
    }

    #[test]
    fn password_rules() {
        assert_eq!(
            Password::new("Short1!", &user()).unwrap_err(),
            PasswordError::TooShort
        );
        assert_eq!(
            Password::new("alllowercaseletters", &user()).unwrap_err(),
            PasswordError::TooSimple
        );
        assert_eq!(
            Password::new("Zhanglei-2026-ok", &user()).unwrap_err(),
            PasswordError::ContainsUserId
        );
        assert_eq!(
            Password::new(&"Aa1!".repeat(40), &user()).unwrap_err(),
            PasswordError::TooLong
        );
        let p = Password::new("Correct-Horse-42", &user()).unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert!(
            Password::new("医联体家庭医生团队2026ab", &user()).is_ok(),
            "CJK counts as a class of its own (other)"
        );
    }

    #[test]
    fn fifth_failure_locks_and_back_off_doubles_up_to_a_day() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        let mut t = Throttle::default();
        for _ in 0..4 {
            t = t.after_failure(t0);
            assert!(t.check(t0).is_ok());
        }
        t = t.after_failure(t0);
        assert_eq!(t.check(t0), Err(t0 + Duration::minutes(15)));
        assert!(t.check(t0 + Duration::minutes(15)).is_ok(), "the lock ends");
        t = t.after_failure(t0);
        assert_eq!(t.locked_until, Some(t0 + Duration::minutes(30)));
        for _ in 0..20 {
            t = t.after_failure(t0);
        }
        assert_eq!(t.locked_until, Some(t0 + Duration::minutes(LOCK_MAX_MIN)));
        assert_eq!(t.after_success(), Throttle::default());
    }
}
