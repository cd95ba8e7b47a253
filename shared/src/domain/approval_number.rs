//! Drug approval number (药品批准文号), as laid down by the NMPA's
//! 《药品注册管理办法》 and 《关于实施药品批准文号格式的通知》:
//! `国药准字` + one category letter + 8 digits, e.g. `国药准字H20044578`.
//!
//! Category letters: H chemical drugs, Z traditional Chinese medicines,
//! S biological products, J imported drugs sub-packaged in China. There is no
//! check digit. A lower-case letter is accepted and stored upper-case;
//! surrounding whitespace is trimmed, inner whitespace is not (it is not part
//! of any printed number).

use crate::codes::{self, Code};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DomainError;

const PREFIX: &str = "国药准字";
const DIGITS: usize = 8;

/// Why a string is not a valid drug approval number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApprovalNumberError {
    /// Not `国药准字` + H/Z/S/J + 8 digits.
    Invalid,
}

impl DomainError for ApprovalNumberError {
    fn code(&self) -> Code {
        codes::APPROVAL_NUMBER_INVALID
    }

    fn message(&self) -> &'static str {
        "药品批准文号格式错误，应为“国药准字”加一位字母（H、Z、S、J）和8位数字，如国药准字H20044578，请核对后重新输入"
    }
}

impl fmt::Display for ApprovalNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ApprovalNumberError {}

/// The drug category encoded by the letter after `国药准字`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApprovalCategory {
    /// H: 化学药品.
    Chemical,
    /// Z: 中药.
    TraditionalChinese,
    /// S: 生物制品.
    Biological,
    /// J: 进口分包装药品.
    ImportedSubpackaged,
}

impl ApprovalCategory {
    fn from_letter(letter: u8) -> Option<Self> {
        match letter.to_ascii_uppercase() {
            b'H' => Some(Self::Chemical),
            b'Z' => Some(Self::TraditionalChinese),
            b'S' => Some(Self::Biological),
            b'J' => Some(Self::ImportedSubpackaged),
            _ => None,
        }
    }

    /// The upper-case letter used in the approval number.
    pub fn letter(self) -> char {
        match self {
            Self::Chemical => 'H',
            Self::TraditionalChinese => 'Z',
            Self::Biological => 'S',
            Self::ImportedSubpackaged => 'J',
        }
    }

    /// Chinese name of the category.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Chemical => "化学药品",
            Self::TraditionalChinese => "中药",
            Self::Biological => "生物制品",
            Self::ImportedSubpackaged => "进口分包装药品",
        }
    }
}

/// A validated drug approval number, e.g. `国药准字H20044578`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApprovalNumber {
    value: String,
    category: ApprovalCategory,
}

impl ApprovalNumber {
    pub fn parse(s: &str) -> Result<Self, ApprovalNumberError> {
        let rest = s
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(ApprovalNumberError::Invalid)?
            .as_bytes();
        if rest.len() != 1 + DIGITS || !rest[1..].iter().all(u8::is_ascii_digit) {
            return Err(ApprovalNumberError::Invalid);
        }
        let category =
            ApprovalCategory::from_letter(rest[0]).ok_or(ApprovalNumberError::Invalid)?;
        let mut value = String::with_capacity(PREFIX.len() + 1 + DIGITS);
        value.push_str(PREFIX);
        value.push(category.letter());
        value.extend(rest[1..].iter().map(|&d| char::from(d)));
        Ok(Self { value, category })
    }

    /// The full number, e.g. `国药准字H20044578`.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn category(&self) -> ApprovalCategory {
        self.category
    }

    /// The 8 digits after the category letter.
    pub fn digits(&self) -> &str {
        &self.value[self.value.len() - DIGITS..]
    }
}

impl fmt::Display for ApprovalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for ApprovalNumber {
    type Err = ApprovalNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ApprovalNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for ApprovalNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::deserialize_parsed(deserializer, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_util::{from_str_value, to_serialized_string};
    use proptest::prelude::*;

    #[test]
    fn valid_numbers_parse() {
        for (s, category) in [
            ("国药准字H20044578", ApprovalCategory::Chemical),
            ("国药准字Z11020236", ApprovalCategory::TraditionalChinese),
            ("国药准字S10960045", ApprovalCategory::Biological),
            ("国药准字J20100001", ApprovalCategory::ImportedSubpackaged),
        ] {
            let n = ApprovalNumber::parse(s).unwrap();
            assert_eq!(n.as_str(), s);
            assert_eq!(n.category(), category);
            assert_eq!(n.to_string(), s);
        }
        let n = ApprovalNumber::parse(" 国药准字h20044578\t").unwrap();
        assert_eq!(n.as_str(), "国药准字H20044578");
        assert_eq!(n.digits(), "20044578");
        assert_eq!(n.category().name_zh(), "化学药品");
        assert!("国药准字Z11020236".parse::<ApprovalNumber>().is_ok());
    }

    #[test]
    fn invalid_numbers_refused() {
        for s in [
            "",
            "国药准字",
            "H20044578",
            "国药准字X20044578",
            "国药准字B20044578",
            "国药准字H2004457",
            "国药准字H200445789",
            "国药准字 H20044578",
            "国药准字H 20044578",
            "国药准字HH0044578",
            "国药准字H2004457A",
            "国药准字H２0044578",
            "国药准字Ｈ20044578",
            "国药试字H20044578",
            "国食健字G20040001",
            "国药准字H20044578国",
            "国药准字20044578H",
            "国药准字字H20044578",
        ] {
            assert_eq!(
                ApprovalNumber::parse(s),
                Err(ApprovalNumberError::Invalid),
                "{s:?}"
            );
        }
        let e = ApprovalNumberError::Invalid;
        assert_eq!(e.code(), "APPROVAL_NUMBER_INVALID");
        assert_eq!(e.to_string(), e.message());
    }

    #[test]
    fn serde() {
        let n: ApprovalNumber = from_str_value("国药准字s10960045").unwrap();
        assert_eq!(to_serialized_string(&n), "国药准字S10960045");
        assert_eq!(
            from_str_value::<ApprovalNumber>("国药准字Q10960045").unwrap_err(),
            "APPROVAL_NUMBER_INVALID"
        );
    }

    prop_compose! {
        fn valid_number()(letter in "[HZSJhzsj]", digits in "[0-9]{8}") -> (String, String) {
            let input = format!("国药准字{letter}{digits}");
            let normalised = format!("国药准字{}{digits}", letter.to_ascii_uppercase());
            (input, normalised)
        }
    }

    proptest! {
        #[test]
        fn valid_values_parse_and_round_trip((input, normalised) in valid_number()) {
            let n = ApprovalNumber::parse(&input).unwrap();
            prop_assert_eq!(n.as_str(), normalised.as_str());
            let letter = normalised.chars().nth(4).unwrap();
            prop_assert_eq!(n.category().letter(), letter);
            prop_assert_eq!(to_serialized_string(&n), normalised.clone());
            prop_assert_eq!(from_str_value::<ApprovalNumber>(&normalised).unwrap(), n);
        }

        #[test]
        fn every_single_substitution_is_refused((_, s) in valid_number()) {
            let original: Vec<char> = s.chars().collect();
            let candidates: Vec<char> = ('0'..='9')
                .chain('A'..='Z')
                .chain('a'..='z')
                .chain(['国', '药', '准', '字', '试', ' ', '-', '０'])
                .collect();
            for pos in 0..original.len() {
                for &c in &candidates {
                    if c == original[pos] {
                        continue;
                    }
                    let mut chars = original.clone();
                    chars[pos] = c;
                    let mutated: String = chars.into_iter().collect();
                    // The only substitutions that stay valid: another category
                    // letter (either case) at position 4, another digit after it.
                    let still_valid = match pos {
                        4 => "HZSJhzsj".contains(c),
                        5.. => c.is_ascii_digit(),
                        _ => false,
                    };
                    let got = ApprovalNumber::parse(&mutated);
                    if still_valid {
                        prop_assert!(got.is_ok(), "{}", mutated);
                    } else {
                        prop_assert_eq!(got, Err(ApprovalNumberError::Invalid), "{}", mutated);
                    }
                }
            }
        }

        #[test]
        fn arbitrary_input_never_panics(s in any::<String>(), tail in "\\PC{0,12}") {
            let _ = ApprovalNumber::parse(&s);
            let _ = ApprovalNumber::parse(&format!("国药准字{tail}"));
        }
    }
}
