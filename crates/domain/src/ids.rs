//! Opaque identifiers. Each is a newtype so that an institution id can never be passed
//! where a grid id is expected; the interchange format treats them as opaque strings.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string cannot be an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The cell was empty.
    #[error("empty id / 标识为空")]
    Empty,
    /// Longer than [`ID_LEN_MAX`] bytes.
    #[error("id longer than {ID_LEN_MAX} bytes / 标识超过 {ID_LEN_MAX} 字节")]
    TooLong,
    /// Contains a control character or a list separator.
    #[error("id contains a control character or ';' / 标识含控制字符或分号")]
    BadCharacter,
}

/// Longest id accepted, in bytes (a unified social credit code is 18; licence numbers
/// and pseudonymous resident ids are longer but never near this).
pub const ID_LEN_MAX: usize = 128;

fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > ID_LEN_MAX {
        return Err(IdError::TooLong);
    }
    if s.chars().any(|c| c.is_control() || c == ';') {
        return Err(IdError::BadCharacter);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id: non-empty, at most [`ID_LEN_MAX`] bytes, no control characters.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id(s)?;
                Ok(Self(s.to_owned()))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                check_id(&s)?;
                Ok(Self(s))
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// 网格: a grid's id (`G50011301`).
    GridId
);
id_type!(
    /// 医疗卫生机构: an institution's id (unified social credit code or licence number).
    InstitutionId
);
id_type!(
    /// 医联体: a consortium's id.
    ConsortiumId
);
id_type!(
    /// 家庭医生团队: a family-doctor team's id.
    TeamId
);
id_type!(
    /// A user account's id, as the server's session and token rows name it.
    UserId
);
id_type!(
    /// 常住居民: a resident's pseudonymous id (never the national ID number).
    ResidentId
);
id_type!(
    /// 号源池: a slot pool's id (institution, department, day and session).
    PoolId
);
id_type!(
    /// 转诊单: a referral's id.
    ReferralId
);
id_type!(
    /// 随访记录: a follow-up's id, chosen by the client so that a retried recording stores
    /// one visit (STYLE 8).
    FollowUpId
);
id_type!(
    /// A booking's idempotency key, chosen by the client: the same key sent twice books
    /// once (STYLE 8).
    BookingKey
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_empty_long_and_control() {
        assert_eq!(GridId::parse(""), Err(IdError::Empty));
        assert_eq!(GridId::parse(&"x".repeat(129)), Err(IdError::TooLong));
        assert_eq!(GridId::parse("a\nb"), Err(IdError::BadCharacter));
        assert_eq!(GridId::parse("a;b"), Err(IdError::BadCharacter));
    }

    proptest! {
        #[test]
        fn display_parses_back(s in "[A-Za-z0-9_\\-\u{4e00}-\u{9fa5}]{1,40}") {
            let id = InstitutionId::parse(&s).unwrap();
            prop_assert_eq!(InstitutionId::parse(&format!("{id}")).unwrap(), id);
        }
    }
}
