//! The PRC resident identity card number (公民身份号码, GB 11643-1999): 6 digits of
//! address code (GB/T 2260), 8 of birth date, 3 of sequence (odd for men) and one check
//! character (ISO 7064 MOD 11-2). The number identifies a person outright, so it is
//! personal information of the most sensitive kind under PIPL: [`IdCardNo`] holds it
//! behind a private field and prints only the masked form; the clear text comes out only
//! through [`IdCardNo::reveal`], whose every call is a place to review.

use crate::registry::Sex;
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Length of a second-generation number; the 15-digit first generation (no check
/// character, two-digit year) has not been issued since 2004 and is refused.
const LEN: usize = 18;

/// Weights of the first 17 digits: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for each remainder of the weighted sum mod 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level codes (the first two digits): the 31 mainland provinces, Taiwan (71),
/// and the residence permits for Hong Kong (81), Macao (82) and Taiwan (83) residents,
/// which use the same format.
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, // 华北
    21, 22, 23, // 东北
    31, 32, 33, 34, 35, 36, 37, // 华东
    41, 42, 43, 44, 45, 46, // 中南
    50, 51, 52, 53, 54, // 西南
    61, 62, 63, 64, 65, // 西北
    71, 81, 82, 83, // 台湾, 港澳台居民居住证
];

/// Codes that stand for a whole territory with no subdivision in GB/T 2260, so their
/// numbers carry `xx0000` as address code.
const UNDIVIDED: [u8; 4] = [71, 81, 82, 83];

/// Earliest birth year accepted: no living resident was born before it, and a typo in
/// the century is the likelier explanation.
const YEAR_MIN: i32 = 1900;

/// Why a string is not a valid ID number. No variant holds more of the number than the
/// masked form shows, so errors can be logged and returned as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdCardError {
    /// Not 18 characters (a 15-digit first-generation number lands here too).
    #[error("an ID number has 18 characters, not {len} / 身份号码应为 18 位，实为 {len} 位")]
    Length {
        /// Characters given.
        len: usize,
    },
    /// A character other than a digit, or other than a digit or X in the 18th place.
    #[error(
        "character {position} is not a digit (only the 18th may be X) / 第 {position} 位不是数字（仅第 18 位可为 X）"
    )]
    NotDigit {
        /// 1-based place of the first offending character.
        position: usize,
    },
    /// The ISO 7064 MOD 11-2 check over the first 17 digits gives another character:
    /// most often a mistyped or swapped digit.
    #[error("check character {found} does not match / 校验码 {found} 不符")]
    CheckCharacter {
        /// The 18th character given (X upper-cased).
        found: char,
    },
    /// The first two digits are not a province-level code.
    #[error("{code:02} is not a province-level region code / {code:02} 不是省级行政区划代码")]
    Province {
        /// The two digits given.
        code: u8,
    },
    /// A mainland province's code with `0000` after it names no place within it.
    #[error(
        "the region code {code:02}0000 names no place within the province / 行政区划代码 {code:02}0000 未指明省内地区"
    )]
    RegionUnspecified {
        /// The province's two digits.
        code: u8,
    },
    /// Digits 7–14 are not a calendar date. The date itself is not repeated: it is part
    /// of what the masked form hides.
    #[error("the birth date is not a real date / 出生日期不是有效日期")]
    BirthDate,
    /// The birth date is before 1900.
    #[error("the birth date is before {YEAR_MIN} / 出生日期早于 {YEAR_MIN} 年")]
    BornBefore1900,
    /// The birth date is after the day given as today.
    #[error("the birth date is in the future / 出生日期晚于今天")]
    BornAfterToday,
}

/// A valid PRC resident identity card number, X upper-cased.
///
/// `Debug` and `Display` print the masked form (`110105********002X`) so that the number
/// cannot reach a log, a panic message or a page by a stray `{}` or `{:?}`. There is no
/// `Serialize` for the same reason: a response or a store row takes [`IdCardNo::masked`]
/// or [`IdCardNo::reveal`] explicitly, after the policy said which.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNo {
    text: String,
    birth_date: NaiveDate,
}

impl IdCardNo {
    /// Checks, in order: length, characters, the check character, the region code and
    /// the birth date (a real date, from 1900 to `today`). `today` is the caller's civil
    /// date (China's), passed in so the core reads no clock. A lower-case x is accepted
    /// and stored upper-case; surrounding spaces are the caller's to trim.
    pub fn parse(s: &str, today: NaiveDate) -> Result<Self, IdCardError> {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != LEN {
            return Err(IdCardError::Length { len: chars.len() });
        }
        let mut digits = [0u8; LEN - 1];
        for (k, (c, d)) in chars.iter().zip(digits.iter_mut()).enumerate() {
            // to_digit(10) takes ASCII digits only: full-width ones are refused here.
            *d = match c.to_digit(10) {
                Some(v) => v as u8,
                None => return Err(IdCardError::NotDigit { position: k + 1 }),
            };
        }
        let found = match chars[LEN - 1] {
            c @ '0'..='9' => c,
            'x' | 'X' => 'X',
            _ => return Err(IdCardError::NotDigit { position: LEN }),
        };
        if found != check_character(&digits) {
            return Err(IdCardError::CheckCharacter { found });
        }
        let code = digits[0] * 10 + digits[1];
        if !PROVINCES.contains(&code) {
            return Err(IdCardError::Province { code });
        }
        if !UNDIVIDED.contains(&code) && digits[2..6] == [0, 0, 0, 0] {
            return Err(IdCardError::RegionUnspecified { code });
        }
        let number = |range: std::ops::Range<usize>| {
            digits[range]
                .iter()
                .fold(0u32, |acc, &d| acc * 10 + u32::from(d))
        };
        let year = number(6..10) as i32;
        let birth_date = NaiveDate::from_ymd_opt(year, number(10..12), number(12..14))
            .ok_or(IdCardError::BirthDate)?;
        if birth_date.year() < YEAR_MIN {
            return Err(IdCardError::BornBefore1900);
        }
        if birth_date > today {
            return Err(IdCardError::BornAfterToday);
        }
        let text: String = chars[..LEN - 1].iter().chain([&found]).collect();
        Ok(IdCardNo { text, birth_date })
    }

    /// The masked form: the address code and the last four characters kept, the birth
    /// date and the first sequence digits starred (`110105********002X`). This is what
    /// every role sees unless the policy says its holder needs the number.
    pub fn masked(&self) -> String {
        let mut out = String::with_capacity(LEN);
        out.push_str(&self.text[..6]);
        out.push_str("********");
        out.push_str(&self.text[LEN - 4..]);
        out
    }

    /// The number in clear, for the keyed hash and the encryption in the store, and for
    /// a page the policy allowed to show it. Named so that every use can be found.
    pub fn reveal(&self) -> &str {
        &self.text
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Sex encoded in the 17th digit: odd for men, even for women.
    pub fn sex(&self) -> Sex {
        let d = self.text.as_bytes()[LEN - 2];
        if (d - b'0') % 2 == 1 { Sex::M } else { Sex::F }
    }
}

impl fmt::Debug for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

impl fmt::Display for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// ISO 7064 MOD 11-2 over the first 17 digits.
/// The ID number of someone registered in `region` (6 digits, GB/T 2260), born on
/// `birth`, with sequence `seq` (0–999; odd for men, even for women), check character
/// computed: how synthetic demo residents get numbers that pass every check.
pub fn compose_id_card(
    region: &str,
    birth: NaiveDate,
    seq: u16,
    today: NaiveDate,
) -> Result<IdCardNo, IdCardError> {
    let body = format!("{region}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let mut digits = [0u8; LEN - 1];
    if body.len() != LEN - 1 {
        return Err(IdCardError::Length {
            len: body.chars().count() + 1,
        });
    }
    for (k, (c, d)) in body.chars().zip(digits.iter_mut()).enumerate() {
        *d = match c.to_digit(10) {
            Some(v) => v as u8,
            None => return Err(IdCardError::NotDigit { position: k + 1 }),
        };
    }
    IdCardNo::parse(&format!("{body}{}", check_character(&digits)), today)
}

fn check_character(digits: &[u8; LEN - 1]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        day(2025, 6, 30)
    }

    /// Completes 17 digits with their check character, the way an issuing office does.
    fn with_check(first17: &str) -> String {
        assert_eq!(first17.len(), 17);
        let mut digits = [0u8; 17];
        for (d, c) in digits.iter_mut().zip(first17.bytes()) {
            *d = c - b'0';
        }
        format!("{first17}{}", check_character(&digits))
    }

    fn err(s: &str) -> IdCardError {
        IdCardNo::parse(s, today()).unwrap_err()
    }

    #[test]
    fn textbook_example_parses() {
        let id = IdCardNo::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.reveal(), "11010519491231002X");
        assert_eq!(id.birth_date(), day(1949, 12, 31));
        assert_eq!(id.sex(), Sex::F);
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn lower_case_x_is_normalised() {
        let id = IdCardNo::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.reveal(), "11010519491231002X");
        assert_eq!(id, IdCardNo::parse("11010519491231002X", today()).unwrap());
    }

    #[test]
    fn computed_numbers_parse_with_sex_and_date() {
        // Chongqing Banan, a man born on a leap day; a Shanghai woman born today.
        let man = with_check("50011320000229001");
        let id = IdCardNo::parse(&man, today()).unwrap();
        assert_eq!((id.birth_date(), id.sex()), (day(2000, 2, 29), Sex::M));
        let woman = with_check("31010120250630124");
        let id = IdCardNo::parse(&woman, today()).unwrap();
        assert_eq!((id.birth_date(), id.sex()), (today(), Sex::F));
        // residence permits of Hong Kong, Macao and Taiwan residents; a Taiwan code
        for first in [
            "81000019800101001",
            "82000019800101001",
            "83000019800101001",
        ] {
            assert!(
                IdCardNo::parse(&with_check(first), today()).is_ok(),
                "{first}"
            );
        }
        assert!(IdCardNo::parse(&with_check("71000019500101001"), today()).is_ok());
    }

    #[test]
    fn debug_and_display_never_print_the_number() {
        let id = IdCardNo::parse("11010519491231002X", today()).unwrap();
        assert_eq!(format!("{id:?}"), "IdCardNo(110105********002X)");
        assert_eq!(format!("{id}"), "110105********002X");
        assert_eq!(
            format!("{:?}", Some(&id)),
            "Some(IdCardNo(110105********002X))"
        );
        assert!(!format!("{id:?}{id}").contains("19491231"));
    }

    #[test]
    fn wrong_length_is_refused() {
        assert_eq!(err(""), IdCardError::Length { len: 0 });
        assert_eq!(err("110105491231002"), IdCardError::Length { len: 15 });
        assert_eq!(err("11010519491231002X0"), IdCardError::Length { len: 19 });
        // counted in characters, not bytes
        assert_eq!(
            err("１１０１０５１９４９１２３１００２X"),
            IdCardError::NotDigit { position: 1 }
        );
    }

    #[test]
    fn non_digits_are_refused_with_their_place() {
        assert_eq!(
            err("1101051949123100XX"),
            IdCardError::NotDigit { position: 17 }
        );
        assert_eq!(
            err("11010519491231002Y"),
            IdCardError::NotDigit { position: 18 }
        );
        assert_eq!(
            err("1101 519491231002X"),
            IdCardError::NotDigit { position: 5 }
        );
        assert_eq!(
            err("11010519491231002 "),
            IdCardError::NotDigit { position: 18 }
        );
    }

    #[test]
    fn wrong_check_character_is_refused() {
        assert_eq!(
            err("110105194912310021"),
            IdCardError::CheckCharacter { found: '1' }
        );
        // two adjacent digits swapped
        assert_eq!(
            err("11010519491213002X"),
            IdCardError::CheckCharacter { found: 'X' }
        );
    }

    #[test]
    fn bad_region_codes_are_refused() {
        for code in [
            "00", "10", "16", "20", "24", "30", "38", "40", "47", "55", "66", "72", "84", "99",
        ] {
            let s = with_check(&format!("{code}010519491231002"));
            assert_eq!(
                err(&s),
                IdCardError::Province {
                    code: code.parse().unwrap()
                },
                "{code}"
            );
        }
        assert_eq!(
            err(&with_check("11000019491231002")),
            IdCardError::RegionUnspecified { code: 11 }
        );
        // a prefecture-level code (no county) is a place within the province
        assert!(IdCardNo::parse(&with_check("37010019800101001"), today()).is_ok());
    }

    #[test]
    fn bad_birth_dates_are_refused() {
        assert_eq!(
            err(&with_check("11010519490230002")),
            IdCardError::BirthDate
        );
        assert_eq!(
            err(&with_check("11010519001301002")),
            IdCardError::BirthDate
        );
        assert_eq!(
            err(&with_check("11010519000100002")),
            IdCardError::BirthDate
        );
        assert_eq!(
            err(&with_check("11010519010229002")),
            IdCardError::BirthDate
        );
        assert_eq!(
            err(&with_check("11010518991231002")),
            IdCardError::BornBefore1900
        );
        assert!(IdCardNo::parse(&with_check("11010519000101002"), today()).is_ok());
        assert_eq!(
            err(&with_check("11010520250701002")),
            IdCardError::BornAfterToday
        );
    }

    #[test]
    fn errors_are_bilingual_and_hide_the_date() {
        let e = err("11010519491231002Y");
        assert_eq!(
            e.to_string(),
            "character 18 is not a digit (only the 18th may be X) / 第 18 位不是数字（仅第 18 位可为 X）"
        );
        assert_eq!(
            IdCardError::CheckCharacter { found: 'X' }.to_string(),
            "check character X does not match / 校验码 X 不符"
        );
        let e = err(&with_check("11010520250701002"));
        assert!(!format!("{e}{e:?}").contains("20250701"));
        assert_eq!(
            IdCardError::Province { code: 5 }.to_string().get(..2),
            Some("05")
        );
    }

    fn valid_parts() -> impl Strategy<Value = (String, NaiveDate, bool)> {
        let origin = day(YEAR_MIN, 1, 1);
        let span = (today() - origin).num_days();
        (
            prop::sample::select(PROVINCES.to_vec()),
            0u32..10_000,
            0..=span,
            0u32..1000,
        )
            .prop_map(move |(code, within, offset, seq)| {
                let within = if UNDIVIDED.contains(&code) {
                    0
                } else if within == 0 {
                    101
                } else {
                    within
                };
                let born = origin + chrono::Duration::days(offset);
                let first17 = format!("{code:02}{within:04}{}{seq:03}", born.format("%Y%m%d"));
                (with_check(&first17), born, seq % 2 == 1)
            })
    }

    proptest! {
        #[test]
        fn any_well_built_number_parses((s, born, male) in valid_parts()) {
            let id = IdCardNo::parse(&s, today()).unwrap();
            prop_assert_eq!(id.reveal(), s.as_str());
            prop_assert_eq!(id.birth_date(), born);
            prop_assert_eq!(id.sex(), if male { Sex::M } else { Sex::F });
            prop_assert_eq!(&IdCardNo::parse(id.reveal(), today()).unwrap(), &id);
            let masked = id.masked();
            prop_assert_eq!(&masked[..6], &s[..6]);
            prop_assert_eq!(&masked[6..14], "********");
            prop_assert_eq!(&masked[14..], &s[14..]);
        }

        #[test]
        fn flipping_any_one_character_fails(
            (s, _, _) in valid_parts(),
            position in 0usize..18,
            shift in 1u8..11,
        ) {
            let mut bytes = s.into_bytes();
            let alphabet = b"0123456789X";
            // a digit becomes another digit; the check character any other of 0-9 and X
            let base: usize = if position < 17 { 10 } else { 11 };
            let old = alphabet.iter().position(|&c| c == bytes[position]).unwrap();
            let step = usize::from(shift) % base;
            bytes[position] = alphabet[(old + step.max(1)) % base];
            let flipped = String::from_utf8(bytes).unwrap();
            let e = IdCardNo::parse(&flipped, today()).unwrap_err();
            prop_assert!(matches!(e, IdCardError::CheckCharacter { .. }), "{:?}", e);
        }

        #[test]
        fn swapping_two_adjacent_different_digits_fails(
            (s, _, _) in valid_parts(),
            position in 0usize..16,
        ) {
            let mut bytes = s.into_bytes();
            prop_assume!(bytes[position] != bytes[position + 1]);
            bytes.swap(position, position + 1);
            let swapped = String::from_utf8(bytes).unwrap();
            let e = IdCardNo::parse(&swapped, today()).unwrap_err();
            prop_assert!(matches!(e, IdCardError::CheckCharacter { .. }), "{:?}", e);
        }
    }
}
