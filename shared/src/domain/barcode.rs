//! Drug barcode: a GS1 Global Trade Item Number (GS1 General Specifications
//! §7.9; GB 12904 for EAN/UCC-13 in China), in its GTIN-8, GTIN-12 (UPC-A),
//! GTIN-13 (EAN-13) or GTIN-14 form.
//!
//! Digits only; the last digit is a mod-10 check digit: counting from the
//! right and excluding the check digit, digits are weighted 3, 1, 3, 1, …;
//! the check digit brings the weighted sum to a multiple of 10. Weights 1 and
//! 3 are both coprime with 10, so any single wrong digit is detected.
//!
//! Every failure has the code `BARCODE_INVALID`; the variants only choose the
//! message shown to the user.

use crate::codes::{self, Code};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DomainError;

/// Why a string is not a valid GTIN. Both variants have the code
/// `BARCODE_INVALID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BarcodeError {
    /// Not 8, 12, 13 or 14 ASCII digits.
    Format,
    /// The check digit is wrong (usually a misread or mistyped digit).
    Checksum,
}

impl DomainError for BarcodeError {
    fn code(&self) -> Code {
        codes::BARCODE_INVALID
    }

    fn message(&self) -> &'static str {
        match self {
            Self::Format => {
                "药品条形码格式错误，应为8、12、13或14位数字，请核对后重新输入或重新扫描"
            }
            Self::Checksum => "药品条形码校验位错误，请核对后重新输入或重新扫描",
        }
    }
}

impl fmt::Display for BarcodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for BarcodeError {}

/// Which GTIN form a barcode is, by length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GtinKind {
    Gtin8,
    Gtin12,
    Gtin13,
    Gtin14,
}

/// A validated GTIN, kept as its digits (leading zeros are significant for
/// display and are not normalised away).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin {
    value: String,
}

impl Gtin {
    /// Parses and validates a barcode; surrounding whitespace is trimmed.
    pub fn parse(s: &str) -> Result<Self, BarcodeError> {
        let s = s.trim();
        let b = s.as_bytes();
        if !matches!(b.len(), 8 | 12 | 13 | 14) || !b.iter().all(u8::is_ascii_digit) {
            return Err(BarcodeError::Format);
        }
        let (data, check) = b.split_at(b.len() - 1);
        let sum: u32 = data
            .iter()
            .rev()
            .zip([3, 1].into_iter().cycle())
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if (10 - sum % 10) % 10 != u32::from(check[0] - b'0') {
            return Err(BarcodeError::Checksum);
        }
        Ok(Self {
            value: s.to_owned(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn kind(&self) -> GtinKind {
        match self.value.len() {
            8 => GtinKind::Gtin8,
            12 => GtinKind::Gtin12,
            13 => GtinKind::Gtin13,
            _ => GtinKind::Gtin14,
        }
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for Gtin {
    type Err = BarcodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Gtin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for Gtin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::deserialize_parsed(deserializer, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_util::{from_str_value, to_serialized_string};
    use proptest::prelude::*;

    /// Reference check, formulated differently from the implementation: pad
    /// to 14 digits with leading zeros, weight 3 on even and 1 on odd
    /// positions from the left (check digit included), total must be ≡ 0.
    fn ref_valid(digits: &str) -> bool {
        let padded = format!("{digits:0>14}");
        let total: u32 = padded
            .chars()
            .enumerate()
            .map(|(i, c)| c.to_digit(10).unwrap() * if i % 2 == 0 { 3 } else { 1 })
            .sum();
        total.is_multiple_of(10)
    }

    fn with_check(data: &str) -> String {
        (0..10)
            .map(|d| format!("{data}{d}"))
            .find(|s| ref_valid(s))
            .unwrap()
    }

    #[test]
    fn published_vectors_parse() {
        for (s, kind) in [
            ("96385074", GtinKind::Gtin8),
            ("036000291452", GtinKind::Gtin12),
            ("4006381333931", GtinKind::Gtin13),
            ("6901234567892", GtinKind::Gtin13),
            ("10012345000017", GtinKind::Gtin14),
            ("00000000", GtinKind::Gtin8),
        ] {
            assert!(ref_valid(s), "{s}");
            let g = Gtin::parse(s).unwrap();
            assert_eq!(g.as_str(), s);
            assert_eq!(g.kind(), kind);
        }
        assert_eq!(
            Gtin::parse(" 6901234567892\n").unwrap().as_str(),
            "6901234567892"
        );
        assert!("96385074".parse::<Gtin>().is_ok());
    }

    #[test]
    fn refused() {
        for s in [
            "6901234567893",
            "4006381333930",
            "96385075",
            "036000291453",
            "10012345000018",
        ] {
            assert_eq!(Gtin::parse(s), Err(BarcodeError::Checksum), "{s}");
        }
        for s in [
            "",
            "1234567",         // 7
            "123456789",       // 9
            "1234567890",      // 10
            "12345678901",     // 11
            "123456789012345", // 15
            "690123456789A",
            "6901234-567892",
            "690123456789２",
            "69012345 67892",
            "+6901234567892",
        ] {
            assert_eq!(Gtin::parse(s), Err(BarcodeError::Format), "{s:?}");
        }
        assert_eq!(BarcodeError::Format.code(), "BARCODE_INVALID");
        assert_eq!(BarcodeError::Checksum.code(), "BARCODE_INVALID");
        assert_eq!(
            BarcodeError::Checksum.to_string(),
            BarcodeError::Checksum.message()
        );
    }

    #[test]
    fn serde() {
        let g: Gtin = from_str_value("6901234567892").unwrap();
        assert_eq!(to_serialized_string(&g), "6901234567892");
        assert_eq!(
            from_str_value::<Gtin>("6901234567893").unwrap_err(),
            "BARCODE_INVALID"
        );
        assert_eq!(from_str_value::<Gtin>("x").unwrap_err(), "BARCODE_INVALID");
    }

    prop_compose! {
        fn valid_gtin()(len in prop::sample::select(vec![8usize, 12, 13, 14]))
            (data in proptest::string::string_regex(&format!("[0-9]{{{}}}", len - 1)).unwrap())
            -> String {
            with_check(&data)
        }
    }

    proptest! {
        #[test]
        fn valid_values_parse_and_round_trip(s in valid_gtin()) {
            let g = Gtin::parse(&s).unwrap();
            prop_assert_eq!(g.as_str(), s.as_str());
            let expected_kind = match s.len() {
                8 => GtinKind::Gtin8,
                12 => GtinKind::Gtin12,
                13 => GtinKind::Gtin13,
                _ => GtinKind::Gtin14,
            };
            prop_assert_eq!(g.kind(), expected_kind);
            prop_assert_eq!(to_serialized_string(&g), s.clone());
            prop_assert_eq!(from_str_value::<Gtin>(&s).unwrap(), g);
        }

        #[test]
        fn every_single_substitution_is_refused(s in valid_gtin()) {
            let original: Vec<char> = s.chars().collect();
            for pos in 0..original.len() {
                // No whitespace: at either end it would be trimmed, which is a
                // deletion, not a substitution ("0" + a GTIN-12 is a GTIN-13).
                for c in ('0'..='9').chain(['A', 'x', '-', '+', '０', '中']) {
                    if c == original[pos] {
                        continue;
                    }
                    let mut chars = original.clone();
                    chars[pos] = c;
                    let mutated: String = chars.into_iter().collect();
                    let expected = if c.is_ascii_digit() {
                        // Mod-10 with weights 3/1 catches every single digit change.
                        prop_assert!(!ref_valid(&mutated));
                        BarcodeError::Checksum
                    } else {
                        BarcodeError::Format
                    };
                    prop_assert_eq!(Gtin::parse(&mutated), Err(expected), "{} at {}", c, pos);
                }
            }
        }

        #[test]
        fn arbitrary_digits_agree_with_reference(s in "[0-9]{8,14}") {
            let expected = match s.len() {
                8 | 12 | 13 | 14 if ref_valid(&s) => Ok(()),
                8 | 12 | 13 | 14 => Err(BarcodeError::Checksum),
                _ => Err(BarcodeError::Format),
            };
            prop_assert_eq!(Gtin::parse(&s).map(|_| ()), expected);
        }

        #[test]
        fn arbitrary_input_never_panics(s in any::<String>()) {
            let _ = Gtin::parse(&s);
        }
    }
}
