//! Acceptance number (受理编号) of an approval case (SPEC §8.3): our own
//! format, given when a case is accepted and printed on the 受理通知书.
//!
//! `SL` + the accepting organisation's 6-digit division code (GB/T 2260) +
//! the acceptance date `YYYYMMDD` + a 6-digit sequence of that organisation
//! and day (from 000001) + one check digit, ISO 7064 MOD 11,10 over the 20
//! digits before it — 23 characters, e.g. `SL420100202612020000017`. The
//! check digit catches every single-digit error and most transpositions, so
//! a number read out over the phone or typed from paper is refused rather
//! than matched to another case. `sl` is accepted and stored upper-case.

use crate::codes::{self, Code};
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DomainError;

const PREFIX: &str = "SL";
const DIGITS: usize = 6 + 8 + 6;

/// Why a string is not a valid acceptance number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcceptanceNumberError {
    /// Not `SL` + 21 digits.
    Format,
    /// The date part is not a calendar date, or the sequence is 000000.
    Value,
    /// The check digit does not match.
    Checksum,
}

impl DomainError for AcceptanceNumberError {
    fn code(&self) -> Code {
        codes::ACCEPTANCE_NUMBER_INVALID
    }

    fn message(&self) -> &'static str {
        match self {
            Self::Format => "受理编号格式错误，应为“SL”加21位数字，请核对受理通知书",
            Self::Value => "受理编号中的日期或序号无效，请核对受理通知书",
            Self::Checksum => "受理编号校验位错误，请核对受理通知书上的编号",
        }
    }
}

impl fmt::Display for AcceptanceNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for AcceptanceNumberError {}

/// ISO 7064 MOD 11,10: the check digit over `digits`.
fn check_digit(digits: &[u8]) -> u8 {
    let mut p: u32 = 10;
    for &d in digits {
        let s = (p + u32::from(d - b'0')) % 10;
        p = (if s == 0 { 10 } else { s } * 2) % 11;
    }
    ((11 - p) % 10) as u8 + b'0'
}

/// A validated acceptance number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AcceptanceNumber {
    value: String,
    date: NaiveDate,
}

impl AcceptanceNumber {
    pub fn parse(s: &str) -> Result<Self, AcceptanceNumberError> {
        let t = s.trim();
        let (prefix, rest) = t
            .split_at_checked(PREFIX.len())
            .ok_or(AcceptanceNumberError::Format)?;
        let rest = rest.as_bytes();
        if !prefix.eq_ignore_ascii_case(PREFIX)
            || rest.len() != DIGITS + 1
            || !rest.iter().all(u8::is_ascii_digit)
        {
            return Err(AcceptanceNumberError::Format);
        }
        let digits = std::str::from_utf8(rest).map_err(|_| AcceptanceNumberError::Format)?;
        let date = NaiveDate::parse_from_str(&digits[6..14], "%Y%m%d")
            .map_err(|_| AcceptanceNumberError::Value)?;
        if &digits[14..20] == "000000" {
            return Err(AcceptanceNumberError::Value);
        }
        if check_digit(&rest[..DIGITS]) != rest[DIGITS] {
            return Err(AcceptanceNumberError::Checksum);
        }
        Ok(Self {
            value: format!("{PREFIX}{digits}"),
            date,
        })
    }

    /// The number for `sequence` (1–999999) of the organisation serving
    /// `division` (6 digits) on `date`: composed, then parsed like any other.
    pub fn issue(
        division: &str,
        date: NaiveDate,
        sequence: u32,
    ) -> Result<Self, AcceptanceNumberError> {
        if division.len() != 6
            || !division.bytes().all(|b| b.is_ascii_digit())
            || !(1..=999_999).contains(&sequence)
        {
            return Err(AcceptanceNumberError::Value);
        }
        let body = format!("{division}{}{sequence:06}", date.format("%Y%m%d"));
        let check = char::from(check_digit(body.as_bytes()));
        Self::parse(&format!("{PREFIX}{body}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The accepting organisation's division code.
    pub fn division(&self) -> &str {
        &self.value[2..8]
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    pub fn sequence(&self) -> u32 {
        self.value[16..22].parse().unwrap_or_default()
    }
}

impl fmt::Display for AcceptanceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for AcceptanceNumber {
    type Err = AcceptanceNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for AcceptanceNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for AcceptanceNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::deserialize_parsed(deserializer, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_util::{from_str_value, to_serialized_string};
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// MOD 11,10 vectors from ISO 7064's worked example (`0794` → `5`)
    /// and two computed by hand.
    #[test]
    fn the_check_digit() {
        assert_eq!(check_digit(b"0794"), b'5');
        assert_eq!(check_digit(b"0"), b'2');
        assert_eq!(check_digit(b"1"), b'9');
    }

    #[test]
    fn issued_numbers_parse_back() {
        let n = AcceptanceNumber::issue("420100", d("2026-12-02"), 1).unwrap();
        assert_eq!(n.as_str().len(), 23);
        assert!(n.as_str().starts_with("SL42010020261202000001"));
        assert_eq!(
            (n.division(), n.date(), n.sequence()),
            ("420100", d("2026-12-02"), 1)
        );
        assert_eq!(
            AcceptanceNumber::parse(&n.as_str().to_lowercase()).unwrap(),
            n
        );
        assert_eq!(AcceptanceNumber::parse(&format!(" {n}\t")).unwrap(), n);
        assert_eq!(to_serialized_string(&n), n.as_str());
        assert_eq!(from_str_value::<AcceptanceNumber>(n.as_str()).unwrap(), n);
    }

    #[test]
    fn invalid_numbers_refused() {
        let good = AcceptanceNumber::issue("420100", d("2026-12-02"), 17)
            .unwrap()
            .to_string();
        let bad_check = format!(
            "{}{}",
            &good[..22],
            (b'0' + (good.as_bytes()[22] - b'0' + 1) % 10) as char
        );
        for (s, why) in [
            ("", AcceptanceNumberError::Format),
            ("SL", AcceptanceNumberError::Format),
            (&good[2..], AcceptanceNumberError::Format),
            (&good[..22], AcceptanceNumberError::Format),
            (&format!("{good}0"), AcceptanceNumberError::Format),
            (&format!("SX{}", &good[2..]), AcceptanceNumberError::Format),
            (&good.replacen('4', "４", 1), AcceptanceNumberError::Format),
            (bad_check.as_str(), AcceptanceNumberError::Checksum),
        ] {
            assert_eq!(AcceptanceNumber::parse(s), Err(why), "{s:?}");
        }
        // 2026-02-30 and sequence 0, each with a check digit that matches.
        for body in ["42010020260230000001", "42010020261202000000"] {
            let s = format!("SL{body}{}", char::from(check_digit(body.as_bytes())));
            assert_eq!(
                AcceptanceNumber::parse(&s),
                Err(AcceptanceNumberError::Value),
                "{s}"
            );
        }
        assert_eq!(
            AcceptanceNumber::issue("42010", d("2026-12-02"), 1),
            Err(AcceptanceNumberError::Value)
        );
        assert_eq!(
            AcceptanceNumber::issue("420100", d("2026-12-02"), 0),
            Err(AcceptanceNumberError::Value)
        );
        assert_eq!(
            AcceptanceNumber::issue("420100", d("2026-12-02"), 1_000_000),
            Err(AcceptanceNumberError::Value)
        );
    }

    fn issued() -> impl Strategy<Value = AcceptanceNumber> {
        ("[0-9]{6}", 0i64..3650, 1u32..=999_999).prop_map(|(division, days, seq)| {
            let date = d("2020-01-01") + chrono::Days::new(days as u64);
            AcceptanceNumber::issue(&division, date, seq).unwrap()
        })
    }

    proptest! {
        #[test]
        fn every_issued_number_round_trips(n in issued()) {
            let again = AcceptanceNumber::parse(n.as_str()).unwrap();
            prop_assert_eq!(&again, &n);
            prop_assert_eq!(AcceptanceNumber::issue(n.division(), n.date(), n.sequence()).unwrap(), n);
        }

        #[test]
        fn every_single_digit_substitution_is_refused(n in issued()) {
            let original = n.as_str().as_bytes().to_vec();
            for pos in 2..original.len() {
                for c in b'0'..=b'9' {
                    if c == original[pos] {
                        continue;
                    }
                    let mut mutated = original.clone();
                    mutated[pos] = c;
                    let s = String::from_utf8(mutated).unwrap();
                    prop_assert!(AcceptanceNumber::parse(&s).is_err(), "{} accepted", s);
                }
            }
        }
    }
}
