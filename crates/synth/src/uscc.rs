//! 统一社会信用代码 (unified social credit code, GB 32100-2015): the 18-character id every
//! Chinese institution carries. Synthetic ids follow its structure and check characters so
//! that an importer validating real codes accepts them.
//!
//! Layout: registration authority and type (`12` public institution 事业单位, `52` private
//! non-enterprise 民办非企业单位, `91` enterprise), the 6-digit division code, the 9-character
//! organisation code (8 characters and a GB 11714 check), and the check character.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The 31 characters of the code (no I, O, S, V, Z).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of the first 17 characters for the check character.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Weights of the organisation code's 8 characters (GB 11714).
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// The check character of the first 17 characters, none if one is outside the alphabet.
pub(crate) fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        let v = ALPHABET.iter().position(|a| a == c)? as u32;
        sum += v * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize])
}

/// Whether an 18-character code carries the right check character.
#[cfg(test)]
pub(crate) fn is_valid(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 18 && check_char(&b[..17]) == Some(b[17])
}

/// A new code for an institution of `kind` (`b"12"`, `b"52"`, `b"91"`) registered in
/// division `division` (6 digits).
pub(crate) fn draw(rng: &mut ChaCha8Rng, kind: &[u8; 2], division: &str) -> String {
    let mut code: Vec<u8> = Vec::with_capacity(18);
    code.extend_from_slice(kind);
    code.extend_from_slice(division.as_bytes());
    let mut sum = 0;
    for w in ORG_WEIGHTS {
        let d: u8 = rng.random_range(0..10);
        sum += u32::from(d) * w;
        code.push(b'0' + d);
    }
    code.push(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    });
    let check = check_char(&code).expect("BUG: digits and X are in the alphabet");
    code.push(check);
    String::from_utf8(code).expect("BUG: the code is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn real_codes_validate() {
        // published codes of two large companies (腾讯科技（深圳）, 华为技术)
        assert!(is_valid("9144030071526726XG"));
        assert!(is_valid("914403001922038216"));
        assert!(!is_valid("9144030071526726XH"));
        assert!(!is_valid("9144030071526726X"));
    }

    #[test]
    fn drawn_codes_validate() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..1000 {
            let c = draw(&mut rng, b"12", "500103");
            assert!(is_valid(&c), "{c}");
            assert!(c.starts_with("12500103"));
        }
    }
}
