//! Phone numbers of residents and staff: a mainland mobile number (11 digits, 13x–19x) or
//! a landline written with its area code (`010-62345678`). A phone number reaches a
//! person directly, so it is masked like the ID number: [`PhoneNo`] prints only
//! `138****1234` or `010-****5678`, and gives the clear text through
//! [`PhoneNo::reveal`] alone.

use std::fmt;

/// Digits in a mainland mobile number.
const MOBILE_LEN: usize = 11;

/// Why a string is not a phone number. No variant holds any of its digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing was given.
    #[error("empty phone number / 电话号码为空")]
    Empty,
    /// A character other than a digit, or a second '-'.
    #[error(
        "character {position} is not a digit or the one '-' / 第 {position} 位不是数字或唯一的 '-'"
    )]
    BadCharacter {
        /// 1-based place of the first offending character.
        position: usize,
    },
    /// Without '-' the number must be an 11-digit mobile number.
    #[error(
        "a mobile number has 11 digits, not {len}; write a landline as area code, '-', number / 手机号应为 11 位，实为 {len} 位；固定电话请写作 区号-号码"
    )]
    MobileLength {
        /// Digits given.
        len: usize,
    },
    /// 11 digits that do not start with 13–19.
    #[error("a mobile number starts with 13–19 / 手机号应以 13–19 开头")]
    MobilePrefix,
    /// The part before '-' is not 0 followed by 2 or 3 digits, the second not 0.
    #[error("the area code is not 0 and 2–3 digits / 区号应为 0 加 2–3 位数字")]
    AreaCode,
    /// The part after '-' is not 7 or 8 digits starting with 2–9.
    #[error("a local number has 7–8 digits and starts with 2–9 / 本地号码应为 7–8 位且以 2–9 开头")]
    LocalNumber,
}

/// Which kind of number, since they mask differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// 手机: 11 digits.
    Mobile,
    /// 固定电话 with its area code.
    Landline,
}

/// A valid phone number. `Debug` and `Display` print the masked form, and there is no
/// `Serialize`, for the reasons given on [`IdCardNo`](super::IdCardNo).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNo {
    text: String,
    kind: PhoneKind,
}

impl PhoneNo {
    /// Parses a mobile number (`13812341234`) or a landline with its area code and one
    /// '-' (`010-62345678`, `0571-8888888`). The area code is required on a landline
    /// because a resident's number is called from institutions across the city and
    /// beyond it. Spaces, `+86` and extensions are the caller's to strip.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut dash = None;
        for (k, c) in s.chars().enumerate() {
            match c {
                '0'..='9' => {}
                '-' if dash.is_none() => dash = Some(k),
                _ => return Err(PhoneError::BadCharacter { position: k + 1 }),
            }
        }
        // Only ASCII from here on, so byte and character places agree.
        let kind = match dash {
            None => {
                if s.len() != MOBILE_LEN {
                    return Err(PhoneError::MobileLength { len: s.len() });
                }
                if !matches!(s.as_bytes()[..2], [b'1', b'3'..=b'9']) {
                    return Err(PhoneError::MobilePrefix);
                }
                PhoneKind::Mobile
            }
            Some(k) => {
                let (area, local) = (&s[..k], &s[k + 1..]);
                if !(3..=4).contains(&area.len())
                    || !matches!(area.as_bytes()[..2], [b'0', b'1'..=b'9'])
                {
                    return Err(PhoneError::AreaCode);
                }
                if !(7..=8).contains(&local.len()) || !matches!(local.as_bytes()[0], b'2'..=b'9') {
                    return Err(PhoneError::LocalNumber);
                }
                PhoneKind::Landline
            }
        };
        Ok(PhoneNo {
            text: s.to_owned(),
            kind,
        })
    }

    /// Mobile or landline.
    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// The masked form: a mobile number keeps its first 3 and last 4 digits
    /// (`138****1234`), a landline its area code and last 4 (`010-****5678`), which is
    /// enough for a person to recognise their own number and not enough to call it.
    pub fn masked(&self) -> String {
        let last4 = &self.text[self.text.len() - 4..];
        match self.kind {
            PhoneKind::Mobile => format!("{}****{last4}", &self.text[..3]),
            PhoneKind::Landline => {
                let area = self.text.split('-').next().unwrap_or_default();
                format!("{area}-****{last4}")
            }
        }
    }

    /// The number in clear, for the store's encryption and for a page the policy allowed
    /// to show it. Named so that every use can be found.
    pub fn reveal(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for PhoneNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNo({})", self.masked())
    }
}

impl fmt::Display for PhoneNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err(s: &str) -> PhoneError {
        PhoneNo::parse(s).unwrap_err()
    }

    #[test]
    fn mobile_numbers_parse_and_mask() {
        let p = PhoneNo::parse("13812341234").unwrap();
        assert_eq!(p.kind(), PhoneKind::Mobile);
        assert_eq!(p.masked(), "138****1234");
        assert_eq!(p.reveal(), "13812341234");
        assert_eq!(format!("{p:?}"), "PhoneNo(138****1234)");
        assert_eq!(format!("{p}"), "138****1234");
        assert!(PhoneNo::parse("19900000000").is_ok());
    }

    #[test]
    fn landlines_parse_and_keep_their_area_code() {
        let p = PhoneNo::parse("010-62345678").unwrap();
        assert_eq!(p.kind(), PhoneKind::Landline);
        assert_eq!(p.masked(), "010-****5678");
        let p = PhoneNo::parse("0571-8888123").unwrap();
        assert_eq!(p.masked(), "0571-****8123");
        assert_eq!(format!("{p:?}"), "PhoneNo(0571-****8123)");
        assert!(PhoneNo::parse("023-68881234").is_ok());
    }

    #[test]
    fn bad_numbers_name_the_rule() {
        assert_eq!(err(""), PhoneError::Empty);
        assert_eq!(
            err("138 1234 1234"),
            PhoneError::BadCharacter { position: 4 }
        );
        assert_eq!(
            err("+8613812341234"),
            PhoneError::BadCharacter { position: 1 }
        );
        assert_eq!(
            err("010-1234-5678"),
            PhoneError::BadCharacter { position: 9 }
        );
        assert_eq!(
            err("１3812341234"),
            PhoneError::BadCharacter { position: 1 }
        );
        assert_eq!(err("1381234123"), PhoneError::MobileLength { len: 10 });
        // a landline without its '-' reads as a mobile number
        assert_eq!(err("01012345678"), PhoneError::MobilePrefix);
        assert_eq!(err("12812341234"), PhoneError::MobilePrefix);
        assert_eq!(err("10012341234"), PhoneError::MobilePrefix);
        assert_eq!(err("10-12345678"), PhoneError::AreaCode);
        assert_eq!(err("00571-8888123"), PhoneError::AreaCode);
        assert_eq!(err("110-12345678"), PhoneError::AreaCode);
        assert_eq!(err("001-12345678"), PhoneError::AreaCode);
        assert_eq!(err("-12345678"), PhoneError::AreaCode);
        assert_eq!(err("010-"), PhoneError::LocalNumber);
        assert_eq!(err("010-123456789"), PhoneError::LocalNumber);
        assert_eq!(err("010-02345678"), PhoneError::LocalNumber);
        assert_eq!(err("010-1234567"), PhoneError::LocalNumber);
    }

    #[test]
    fn errors_are_bilingual_and_hold_no_digits() {
        assert_eq!(
            PhoneError::MobilePrefix.to_string(),
            "a mobile number starts with 13–19 / 手机号应以 13–19 开头"
        );
        let e = err("12812341234");
        assert!(!format!("{e}{e:?}").contains("1234"));
    }

    proptest! {
        #[test]
        fn any_mobile_number_parses_and_masks(s in "1[3-9][0-9]{9}") {
            let p = PhoneNo::parse(&s).unwrap();
            prop_assert_eq!(p.reveal(), s.as_str());
            prop_assert_eq!(PhoneNo::parse(p.reveal()).unwrap(), p.clone());
            let masked = p.masked();
            prop_assert_eq!(masked.len(), 11);
            prop_assert_eq!(&masked[..3], &s[..3]);
            prop_assert_eq!(&masked[3..7], "****");
            prop_assert_eq!(&masked[7..], &s[7..]);
            prop_assert_eq!(format!("{p:?}"), format!("PhoneNo({masked})"));
        }

        #[test]
        fn any_landline_parses_and_masks(area in "0[1-9][0-9]{1,2}", local in "[2-9][0-9]{6,7}") {
            let s = format!("{area}-{local}");
            let p = PhoneNo::parse(&s).unwrap();
            prop_assert_eq!(p.kind(), PhoneKind::Landline);
            prop_assert_eq!(p.masked(), format!("{area}-****{}", &local[local.len() - 4..]));
        }

        #[test]
        fn other_strings_never_panic(s in "\\PC{0,20}") {
            let _ = PhoneNo::parse(&s);
        }
    }
}
