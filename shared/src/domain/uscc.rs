//! Unified social credit code (统一社会信用代码), GB 32100-2015
//! 《法人和其他组织统一社会信用代码编码规则》.
//!
//! 18 characters from a 31-character alphabet (digits and upper-case letters
//! without I, O, S, V, Z, which are easy to confuse with digits). The last
//! character is a check character: with character values `v_i` (their index in
//! the alphabet) and weights `w_i = 3^i mod 31`, the check value is
//! `(31 − Σ v_i·w_i mod 31) mod 31`. Because 31 is prime and every weight is
//! non-zero, any single wrong character is detected.
//!
//! Some codes issued during the 2015 pilot do not satisfy the check, yet are
//! on real licences: imports of existing records use
//! [`Uscc::parse_lenient`], which keeps the value and returns the checksum
//! failure as a warning. User input goes through the strict [`Uscc::parse`].

use crate::codes::{self, Code};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DomainError;

const LEN: usize = 18;
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// 3^i mod 31, as tabulated in GB 32100-2015.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a valid unified social credit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsccError {
    /// Not 18 characters of the code alphabet.
    Format,
    /// The 18th character does not match the checksum.
    Checksum,
}

impl DomainError for UsccError {
    fn code(&self) -> Code {
        match self {
            Self::Format => codes::USCC_FORMAT,
            Self::Checksum => codes::USCC_CHECKSUM,
        }
    }

    fn message(&self) -> &'static str {
        match self {
            Self::Format => {
                "统一社会信用代码格式错误，应为18位数字或大写字母（不含I、O、S、V、Z），请核对后重新输入"
            }
            Self::Checksum => "统一社会信用代码校验位错误，请核对后重新输入",
        }
    }
}

impl fmt::Display for UsccError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for UsccError {}

/// A unified social credit code, stored upper-case. Its format is always
/// valid; its check character is valid unless it came from
/// [`Uscc::parse_lenient`] (see [`Uscc::checksum_valid`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc {
    value: String,
}

impl Uscc {
    /// Strict parse: format and check character must be valid. Surrounding
    /// whitespace is trimmed and lower case is accepted.
    pub fn parse(s: &str) -> Result<Self, UsccError> {
        match Self::parse_lenient(s)? {
            (code, None) => Ok(code),
            (_, Some(warning)) => Err(warning),
        }
    }

    /// Lenient parse for imports of existing records: a format error is still
    /// an error, but a checksum failure returns the code together with
    /// `Some(UsccError::Checksum)` as a warning to record.
    pub fn parse_lenient(s: &str) -> Result<(Self, Option<UsccError>), UsccError> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() != LEN {
            return Err(UsccError::Format);
        }
        let mut values = [0u32; LEN];
        for (v, c) in values.iter_mut().zip(b) {
            *v = char_value(c.to_ascii_uppercase()).ok_or(UsccError::Format)?;
        }
        let value: String = values
            .iter()
            .map(|&v| char::from(ALPHABET[v as usize]))
            .collect();
        let warning = (check_value(&values) != values[LEN - 1]).then_some(UsccError::Checksum);
        Ok((Self { value }, warning))
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Whether the check character is right (always true for values from
    /// [`Uscc::parse`]).
    pub fn checksum_valid(&self) -> bool {
        let mut values = [0u32; LEN];
        for (v, c) in values.iter_mut().zip(self.value.bytes()) {
            // The stored value only holds alphabet characters.
            *v = char_value(c).unwrap_or(u32::MAX);
        }
        check_value(&values) == values[LEN - 1]
    }
}

fn char_value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Expected value of the 18th character from the first 17.
fn check_value(values: &[u32; LEN]) -> u32 {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

/// Strict, like [`Uscc::parse`]: deserialization is how request bodies arrive.
impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::deserialize_parsed(deserializer, Self::parse)
    }
}

/// Lenient deserialization for stored or imported records that may hold pilot
/// codes: `#[serde(deserialize_with = "shared::domain::uscc::deserialize_lenient")]`.
pub fn deserialize_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Uscc, D::Error> {
    super::deserialize_parsed(deserializer, |s| {
        Uscc::parse_lenient(s).map(|(code, _)| code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_util::{from_str_value, to_serialized_string};
    use proptest::prelude::*;

    /// The alphabet written as the standard describes it, independently of
    /// the implementation's constant.
    fn ref_alphabet() -> Vec<char> {
        ('0'..='9')
            .chain('A'..='Z')
            .filter(|c| !"IOSVZ".contains(*c))
            .collect()
    }

    /// Reference check character: weights computed as powers of 3 mod 31.
    fn ref_check_char(first17: &str) -> char {
        let alphabet = ref_alphabet();
        let sum: usize = first17
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let v = alphabet.iter().position(|&a| a == c).unwrap();
                v * (0..i).fold(1, |w, _| w * 3 % 31)
            })
            .sum();
        alphabet[(31 - sum % 31) % 31]
    }

    #[test]
    fn alphabet_and_weights_match_the_standard() {
        assert_eq!(
            ALPHABET.iter().map(|&b| char::from(b)).collect::<Vec<_>>(),
            ref_alphabet()
        );
        let powers: Vec<u32> = (0..17).map(|i| 3u32.pow(i) % 31).collect();
        assert_eq!(WEIGHTS.to_vec(), powers);
    }

    #[test]
    fn published_vectors_parse() {
        for s in [
            "91110000600037341L",
            "91512081MA62K0260E",
            "11100000MB0341032Y",
        ] {
            let code = Uscc::parse(s).unwrap();
            assert_eq!(code.as_str(), s);
            assert!(code.checksum_valid());
            assert_eq!(ref_check_char(&s[..17]), s.chars().last().unwrap());
            assert_eq!(Uscc::parse_lenient(s).unwrap(), (code, None));
        }
        assert_eq!(
            Uscc::parse(" 91512081ma62k0260e\n").unwrap().as_str(),
            "91512081MA62K0260E"
        );
        assert!("91110000600037341L".parse::<Uscc>().is_ok());
    }

    #[test]
    fn refused_with_the_right_code() {
        for s in [
            "91110000600037341M",
            "91110000600037342L",
            "11100000MB0341032X",
        ] {
            assert_eq!(Uscc::parse(s), Err(UsccError::Checksum), "{s}");
        }
        for s in [
            "",
            "91110000600037341",   // 17
            "91110000600037341LL", // 19
            "9111000060003734IL",  // I
            "91110000600037341O",  // O
            "S1110000600037341L",  // S
            "911100006000V7341L",  // V
            "91110000Z00037341L",  // Z
            "911100006000373 1L",
            "91110000600037341Ｌ",
            "91110000-600037341L",
        ] {
            assert_eq!(Uscc::parse(s), Err(UsccError::Format), "{s:?}");
            assert_eq!(Uscc::parse_lenient(s), Err(UsccError::Format), "{s:?}");
        }
    }

    #[test]
    fn lenient_keeps_pilot_codes() {
        let (code, warning) = Uscc::parse_lenient("91110000600037341m").unwrap();
        assert_eq!(code.as_str(), "91110000600037341M");
        assert_eq!(warning, Some(UsccError::Checksum));
        assert!(!code.checksum_valid());
    }

    #[test]
    fn errors_and_serde() {
        for e in [UsccError::Format, UsccError::Checksum] {
            assert_eq!(e.to_string(), e.message());
            assert!(e.message().contains("统一社会信用代码"));
        }
        let code: Uscc = from_str_value("91110000600037341l").unwrap();
        assert_eq!(to_serialized_string(&code), "91110000600037341L");
        assert_eq!(
            from_str_value::<Uscc>("91110000600037341M").unwrap_err(),
            "USCC_CHECKSUM"
        );
        assert_eq!(from_str_value::<Uscc>("9111").unwrap_err(), "USCC_FORMAT");

        #[derive(serde::Deserialize)]
        struct Imported {
            #[serde(deserialize_with = "deserialize_lenient")]
            code: Uscc,
        }
        use serde::de::IntoDeserializer;
        let map = std::collections::BTreeMap::from([("code", "91110000600037341M")]);
        let de: serde::de::value::MapDeserializer<'_, _, serde::de::value::Error> =
            map.into_deserializer();
        let imported = Imported::deserialize(de).unwrap();
        assert!(!imported.code.checksum_valid());
    }

    prop_compose! {
        fn valid_uscc()(first17 in "[0-9A-HJ-NP-RTUW-Y]{17}") -> String {
            format!("{first17}{}", ref_check_char(&first17))
        }
    }

    proptest! {
        #[test]
        fn valid_values_parse_and_round_trip(s in valid_uscc(), lower in any::<bool>()) {
            let input = if lower { s.to_ascii_lowercase() } else { s.clone() };
            let code = Uscc::parse(&input).unwrap();
            prop_assert_eq!(code.as_str(), s.as_str());
            prop_assert!(code.checksum_valid());
            prop_assert_eq!(to_serialized_string(&code), s.clone());
            prop_assert_eq!(from_str_value::<Uscc>(&s).unwrap(), code);
        }

        #[test]
        fn every_single_substitution_is_refused(s in valid_uscc()) {
            let original: Vec<char> = s.chars().collect();
            let outside = ['I', 'O', 'S', 'V', 'Z', 'i', 'o', 's', 'v', 'z', ' ', '-', '中', 'Ａ'];
            for pos in 0..LEN {
                for c in ref_alphabet() {
                    if c == original[pos] {
                        continue;
                    }
                    let mut chars = original.clone();
                    chars[pos] = c;
                    let mutated: String = chars.iter().collect();
                    // In-alphabet: only the checksum can catch it, and must.
                    prop_assert_ne!(ref_check_char(&mutated[..17]), chars[17]);
                    prop_assert_eq!(Uscc::parse(&mutated), Err(UsccError::Checksum));
                    let (lenient, warning) = Uscc::parse_lenient(&mutated).unwrap();
                    prop_assert_eq!(lenient.as_str(), mutated.as_str());
                    prop_assert_eq!(warning, Some(UsccError::Checksum));
                    prop_assert!(!lenient.checksum_valid());
                }
                for c in outside {
                    let mut chars = original.clone();
                    chars[pos] = c;
                    let mutated: String = chars.iter().collect();
                    prop_assert_eq!(Uscc::parse(&mutated), Err(UsccError::Format));
                    prop_assert_eq!(Uscc::parse_lenient(&mutated), Err(UsccError::Format));
                }
            }
        }

        #[test]
        fn arbitrary_input_never_panics(s in any::<String>()) {
            let _ = Uscc::parse_lenient(&s);
        }
    }
}
