//! Resident identity card number, GB 11643-1999 《公民身份号码》.
//!
//! Layout of the 18 characters:
//!
//! | positions | meaning |
//! | --- | --- |
//! | 1–6 | administrative division code (GB/T 2260); see below |
//! | 7–14 | date of birth `YYYYMMDD` |
//! | 15–17 | sequence code; the 17th digit is odd for men, even for women |
//! | 18 | check character (ISO 7064 MOD 11-2), `0`–`9` or `X` |
//!
//! The same layout is used by the Hong Kong / Macao / Taiwan residents'
//! residence permits (prefix `81`, `82`, `83`) and by the 2023 foreigners'
//! permanent residence ID card (prefix `9`), which are accepted too.
//!
//! Checks run in this order, and the first failure is reported:
//! length/characters (`ID_FORMAT`, or `ID_LEGACY_15` for a 15-digit
//! first-generation number) → region (`ID_REGION`) → birth date
//! (`ID_BIRTH_DATE`) → check character (`ID_CHECKSUM`). The checksum comes last
//! so that a typo in the date is reported as a date problem, which tells the
//! user where to look.
//!
//! The number is personal data: `Debug` and `Display` print only the masked
//! form; the full value is reachable only through [`ResidentIdNumber::expose`]
//! / [`ResidentIdNumber::as_str`] and serde (used for encrypted storage and
//! sync; responses mask explicitly).

use crate::codes::{self, Code};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{DomainError, mask::mask_id_number};

const LEN: usize = 18;
/// Weights 2^(17-i) mod 11 of GB 11643-1999 for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by (weighted sum mod 11).
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
/// Oldest birth year accepted; older ones are data-entry errors.
const MIN_BIRTH_YEAR: i32 = 1800;
/// China Standard Time, UTC+8, without DST: "today" for age checks is the
/// date at the pharmacy counter, not in UTC.
const CHINA_UTC_OFFSET_HOURS: i64 = 8;

/// Why a string is not a valid resident ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdNumberError {
    /// Not 18 characters, or not 17 digits followed by a digit or `X`.
    Format,
    /// The first digits are not a province-level, HK/Macao/Taiwan or
    /// foreigner prefix.
    Region,
    /// Digits 7–14 are not a real date, are in the future or before 1800.
    BirthDate,
    /// The 18th character does not match the checksum.
    Checksum,
    /// A 15-digit first-generation number, no longer accepted.
    Legacy15,
}

impl DomainError for IdNumberError {
    fn code(&self) -> Code {
        match self {
            Self::Format => codes::ID_FORMAT,
            Self::Region => codes::ID_REGION,
            Self::BirthDate => codes::ID_BIRTH_DATE,
            Self::Checksum => codes::ID_CHECKSUM,
            Self::Legacy15 => codes::ID_LEGACY_15,
        }
    }

    fn message(&self) -> &'static str {
        match self {
            Self::Format => {
                "身份证号码格式错误，应为18位（前17位为数字，最后一位为数字或X），请核对后重新输入"
            }
            Self::Region => "身份证号码前6位地区代码无效，请核对后重新输入",
            Self::BirthDate => "身份证号码中的出生日期（第7至14位）无效，请核对后重新输入",
            Self::Checksum => "身份证号码校验位错误，请核对后重新输入",
            Self::Legacy15 => "不支持15位旧版身份证号码，请输入18位居民身份证号码",
        }
    }
}

impl fmt::Display for IdNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for IdNumberError {}

/// Gender encoded by the 17th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Male,
    Female,
}

/// A validated 18-character resident ID number, stored upper-case.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentIdNumber {
    value: String,
    birth_date: NaiveDate,
}

impl ResidentIdNumber {
    /// The check character that completes the first 17 digits `body` (for
    /// making numbers — demo data, benchmarks, tests — never for accepting
    /// one: that is [`ResidentIdNumber::parse`]). `None` unless 17 ASCII digits.
    pub fn check_character(body: &str) -> Option<char> {
        let b = body.as_bytes();
        (b.len() == LEN - 1 && b.iter().all(u8::is_ascii_digit)).then(|| char::from(check_char(b)))
    }

    /// Parses and validates `s` against today's date in China (UTC+8).
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        Self::parse_on(s, china_today())
    }

    /// Parses and validates `s`; the birth date must not be after `today`.
    /// For tests and for callers validating against a known date (a sale date).
    pub fn parse_on(s: &str, today: NaiveDate) -> Result<Self, IdNumberError> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() == 15 && b.iter().all(u8::is_ascii_digit) {
            return Err(IdNumberError::Legacy15);
        }
        // Byte length 18 plus the ASCII checks below imply 18 characters.
        if b.len() != LEN
            || !b[..LEN - 1].iter().all(u8::is_ascii_digit)
            || !matches!(b[LEN - 1], b'0'..=b'9' | b'X' | b'x')
        {
            return Err(IdNumberError::Format);
        }
        if !region_valid(b) {
            return Err(IdNumberError::Region);
        }
        let birth_date = birth_date_of(b)
            .filter(|d| d.year() >= MIN_BIRTH_YEAR && *d <= today)
            .ok_or(IdNumberError::BirthDate)?;
        if check_char(b) != b[LEN - 1].to_ascii_uppercase() {
            return Err(IdNumberError::Checksum);
        }
        let mut value = s.to_owned();
        value.make_ascii_uppercase();
        Ok(Self { value, birth_date })
    }

    /// The full number. Personal data: prefer [`Self::masked`] for anything
    /// shown or logged.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The full number; same as [`Self::as_str`], named so that call sites
    /// that handle the clear value stand out in review.
    pub fn expose(&self) -> &str {
        &self.value
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn gender(&self) -> Gender {
        if (self.value.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// Age in full years on `date` (周岁). The age goes up on the birthday;
    /// someone born on 29 February turns a year older on 1 March in common
    /// years (the later date, which is the safe side for age-restricted
    /// sales). Dates before the birth date give 0.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date;
        let mut years = date.year() - birth.year();
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }

    /// The administrative division code, the first 6 characters.
    pub fn region_code(&self) -> &str {
        &self.value[..6]
    }

    /// First 6 characters, `********`, last 4: `420102********123X`.
    pub fn masked(&self) -> String {
        mask_id_number(&self.value)
    }
}

fn china_today() -> NaiveDate {
    (Utc::now() + TimeDelta::hours(CHINA_UTC_OFFSET_HOURS)).date_naive()
}

/// Province-level codes of GB/T 2260, plus 81/82/83 (HK/Macao/Taiwan
/// residence permits) and any 9xxxxx (2023 foreigners' permanent residence ID,
/// whose digits 2–6 are a province and a country code).
fn region_valid(b: &[u8]) -> bool {
    if b[0] == b'9' {
        return true;
    }
    let province = (b[0] - b'0') * 10 + (b[1] - b'0');
    matches!(
        province,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 81..=83
    )
}

/// Value of a run of ASCII digits (already checked).
fn digits_value(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn birth_date_of(b: &[u8]) -> Option<NaiveDate> {
    let year = i32::try_from(digits_value(&b[6..10])).ok()?;
    NaiveDate::from_ymd_opt(year, digits_value(&b[10..12]), digits_value(&b[12..14]))
}

fn check_char(b: &[u8]) -> u8 {
    let sum: u32 = b[..LEN - 1]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Masked, never the clear value: these must not reach logs.
impl fmt::Display for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masked, never the clear value: `{:?}` of a request struct must be safe.
impl fmt::Debug for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentIdNumber")
            .field(&self.masked())
            .finish()
    }
}

impl FromStr for ResidentIdNumber {
    type Err = IdNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The full value: serialization is for encrypted storage and sync. Masking
/// for responses is done explicitly with [`ResidentIdNumber::masked`].
impl Serialize for ResidentIdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for ResidentIdNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::deserialize_parsed(deserializer, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_util::{from_str_value, to_serialized_string};
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        date(2025, 6, 15)
    }

    /// Reference check character, written independently of the
    /// implementation: weight of position i (0-based) is 2^(17-i) mod 11, and
    /// the check value is (12 - sum mod 11) mod 11 with 10 written `X`.
    fn ref_check_char(first17: &str) -> char {
        let sum: u64 = first17
            .chars()
            .enumerate()
            .map(|(i, c)| u64::from(c.to_digit(10).unwrap()) * ((1u64 << (17 - i)) % 11))
            .sum();
        match (12 - sum % 11) % 11 {
            10 => 'X',
            v => char::from_digit(u32::try_from(v).unwrap(), 10).unwrap(),
        }
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", ref_check_char(first17))
    }

    /// Province-level prefixes, written out as text (independent of the
    /// implementation's ranges).
    const PROVINCES: &str = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 \
                             50 51 52 53 54 61 62 63 64 65 81 82 83";

    /// Reference validator: which code an input must be refused with, or
    /// `None` if it is valid.
    fn ref_expected_code(input: &str, today: NaiveDate) -> Option<&'static str> {
        let s = input.trim();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() == 15 && chars.iter().all(char::is_ascii_digit) {
            return Some("ID_LEGACY_15");
        }
        if chars.len() != 18
            || !chars[..17].iter().all(char::is_ascii_digit)
            || !(chars[17].is_ascii_digit() || chars[17] == 'X' || chars[17] == 'x')
        {
            return Some("ID_FORMAT");
        }
        if !(s.starts_with('9') || PROVINCES.split(' ').any(|p| s.starts_with(p))) {
            return Some("ID_REGION");
        }
        let ok_date = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .ok()
            .filter(|d| d.year() >= 1800 && *d <= today);
        if ok_date.is_none() {
            return Some("ID_BIRTH_DATE");
        }
        if ref_check_char(&s[..17]) != chars[17].to_ascii_uppercase() {
            return Some("ID_CHECKSUM");
        }
        None
    }

    fn code(r: Result<ResidentIdNumber, IdNumberError>) -> &'static str {
        r.expect_err("should be refused").code().code
    }

    #[test]
    fn published_vectors_parse() {
        let a = ResidentIdNumber::parse_on("11010519491231002X", today()).unwrap();
        assert_eq!(a.as_str(), "11010519491231002X");
        assert_eq!(a.birth_date(), date(1949, 12, 31));
        assert_eq!(a.gender(), Gender::Female);
        assert_eq!(a.region_code(), "110105");
        assert_eq!(a.age_on(today()), 75);

        let b = ResidentIdNumber::parse_on("440524188001010014", today()).unwrap();
        assert_eq!(b.birth_date(), date(1880, 1, 1));
        assert_eq!(b.gender(), Gender::Male);

        // parse() with the real clock.
        assert!(ResidentIdNumber::parse("11010519491231002X").is_ok());
        assert!("440524188001010014".parse::<ResidentIdNumber>().is_ok());
    }

    #[test]
    fn normalises_case_and_whitespace() {
        let id = ResidentIdNumber::parse_on(" \t11010519491231002x\n", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.expose(), "11010519491231002X");
    }

    #[test]
    fn other_documents_accepted() {
        for prefix in [
            "810000", "820000", "830000", "911101", "999999", "650102", "540102",
        ] {
            let s = with_check(&format!("{prefix}19900101123"));
            assert!(ResidentIdNumber::parse_on(&s, today()).is_ok(), "{prefix}");
        }
    }

    #[test]
    fn refused_with_the_right_code() {
        let t = today();
        // Checksum.
        assert_eq!(
            code(ResidentIdNumber::parse_on("110105194912310021", t)),
            "ID_CHECKSUM"
        );
        assert_eq!(
            code(ResidentIdNumber::parse_on("440524188001010015", t)),
            "ID_CHECKSUM"
        );
        // Region: valid checksum and date, bad prefix.
        for prefix in [
            "00", "10", "16", "19", "20", "24", "30", "38", "47", "55", "60", "66", "71", "80",
            "84",
        ] {
            let s = with_check(&format!("{prefix}010519900101123"));
            assert_eq!(
                code(ResidentIdNumber::parse_on(&s, t)),
                "ID_REGION",
                "{prefix}"
            );
        }
        // Birth date: Feb 30, month 13, day 0, Feb 29 in a common year, future, 1799.
        for birth in [
            "19900230", "19901301", "19900100", "19000229", "20250616", "17991231", "00000101",
        ] {
            let s = with_check(&format!("110105{birth}123"));
            assert_eq!(
                code(ResidentIdNumber::parse_on(&s, t)),
                "ID_BIRTH_DATE",
                "{birth}"
            );
        }
        // Boundaries that are fine: born today, year 1800, Feb 29 in a leap year.
        for birth in ["20250615", "18000101", "20000229"] {
            let s = with_check(&format!("110105{birth}123"));
            assert!(ResidentIdNumber::parse_on(&s, t).is_ok(), "{birth}");
        }
        // Format.
        for s in [
            "",
            "11010519491231002",                    // 17 chars
            "11010519491231002X1",                  // 19 chars
            "1101051949A231002X",                   // letter in the middle
            "X1010519491231002X",                   // X first
            "11010519491231002Y",                   // bad check char
            "11010519491231 02X",                   // inner space
            "１１０１０５１９４９１２３１００２Ｘ", // full-width
            "11010519491231002✓",
            "11010519491231002",
            "11010549123100X", // 15 chars, not all digits
        ] {
            assert_eq!(code(ResidentIdNumber::parse_on(s, t)), "ID_FORMAT", "{s:?}");
        }
        // Legacy 15-digit.
        assert_eq!(
            code(ResidentIdNumber::parse_on("110105491231002", t)),
            "ID_LEGACY_15"
        );
        assert_eq!(
            code(ResidentIdNumber::parse_on(" 110105491231002 ", t)),
            "ID_LEGACY_15"
        );
    }

    #[test]
    fn check_order() {
        let t = today();
        // Bad region and bad checksum → region.
        assert_eq!(
            code(ResidentIdNumber::parse_on("000105194912310021", t)),
            "ID_REGION"
        );
        // Bad region and bad date → region.
        let s = with_check("00010519490230002");
        assert_eq!(code(ResidentIdNumber::parse_on(&s, t)), "ID_REGION");
        // Bad date and bad checksum → date.
        let mut s = with_check("11010519490230002");
        let wrong = if s.ends_with('0') { '1' } else { '0' };
        s.replace_range(17.., &wrong.to_string());
        assert_eq!(code(ResidentIdNumber::parse_on(&s, t)), "ID_BIRTH_DATE");
    }

    #[test]
    fn age() {
        let id = ResidentIdNumber::parse_on(&with_check("11010520000615123"), today()).unwrap();
        assert_eq!(id.age_on(date(2018, 6, 14)), 17);
        assert_eq!(id.age_on(date(2018, 6, 15)), 18);
        assert_eq!(id.age_on(date(2018, 6, 16)), 18);
        assert_eq!(id.age_on(date(2000, 6, 15)), 0);
        assert_eq!(id.age_on(date(1999, 1, 1)), 0);

        let leap = ResidentIdNumber::parse_on(&with_check("11010520080229123"), today()).unwrap();
        assert_eq!(leap.age_on(date(2026, 2, 28)), 17);
        assert_eq!(leap.age_on(date(2026, 3, 1)), 18);
        assert_eq!(leap.age_on(date(2024, 2, 28)), 15);
        assert_eq!(leap.age_on(date(2024, 2, 29)), 16);
        assert_eq!(leap.age_on(date(2009, 2, 28)), 0);
        assert_eq!(leap.age_on(date(2009, 3, 1)), 1);
    }

    #[test]
    fn never_printed_in_clear() {
        let id = ResidentIdNumber::parse_on(&with_check("42010219900101123"), today()).unwrap();
        let full = id.as_str().to_owned();
        assert_eq!(id.masked(), format!("420102********{}", &full[14..]));
        assert_eq!(id.to_string(), id.masked());
        let debug = format!("{id:?}");
        assert!(!debug.contains(&full), "{debug}");
        assert!(debug.contains(&id.masked()));
        assert!(!format!("{:?}", Some(&id)).contains(&full));
        assert!(!format!("{id:#?}").contains(&full));
    }

    #[test]
    fn errors() {
        let all = [
            IdNumberError::Format,
            IdNumberError::Region,
            IdNumberError::BirthDate,
            IdNumberError::Checksum,
            IdNumberError::Legacy15,
        ];
        for e in all {
            assert_eq!(e.to_string(), e.message());
            assert!(e.message().contains("身份证"));
            assert!(e.code().code.starts_with("ID_"));
        }
        assert_eq!(
            IdNumberError::Checksum.message(),
            "身份证号码校验位错误，请核对后重新输入"
        );
    }

    #[test]
    fn serde() {
        let id: ResidentIdNumber = from_str_value("11010519491231002x").unwrap();
        assert_eq!(to_serialized_string(&id), "11010519491231002X");
        let err = from_str_value::<ResidentIdNumber>("110105194912310021").unwrap_err();
        assert_eq!(err, "ID_CHECKSUM");
    }

    /// Valid first-two-digit prefixes to generate from.
    fn prefixes() -> Vec<String> {
        let mut p: Vec<String> = PROVINCES.split(' ').map(str::to_owned).collect();
        p.extend((0..10).map(|d| format!("9{d}")));
        p
    }

    prop_compose! {
        fn valid_id()(
            prefix in prop::sample::select(prefixes()),
            rest in "[0-9]{4}",
            days in 0..=(today() - date(1900, 1, 1)).num_days(),
            seq in "[0-9]{3}",
        ) -> (String, NaiveDate) {
            let birth = date(1900, 1, 1) + TimeDelta::days(days);
            let first17 = format!("{prefix}{rest}{}{seq}", birth.format("%Y%m%d"));
            (with_check(&first17), birth)
        }
    }

    /// Characters substituted in: the whole legal alphabet, plus a few outside it.
    const SUBSTITUTES: &[char] = &[
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X', 'x', 'A', ' ', '-', '中', '１',
    ];

    proptest! {
        #[test]
        fn valid_values_parse_and_round_trip((s, birth) in valid_id(), lower in any::<bool>()) {
            let input = if lower { s.to_ascii_lowercase() } else { s.clone() };
            let id = ResidentIdNumber::parse_on(&input, today()).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.region_code(), &s[..6]);
            let male = s.as_bytes()[16] % 2 == 1; // '0' is 48, so parity matches the digit
            prop_assert_eq!(id.gender(), if male { Gender::Male } else { Gender::Female });
            prop_assert_eq!(id.masked(), format!("{}********{}", &s[..6], &s[14..]));
            prop_assert_eq!(to_serialized_string(&id), s.clone());
            let back: ResidentIdNumber = from_str_value(&s).unwrap();
            prop_assert_eq!(back.as_str(), s.as_str());
            prop_assert_eq!(id.age_on(birth), 0);
            let printed = format!("{id:?} {id}");
            prop_assert!(!printed.contains(&s));
        }

        #[test]
        fn every_single_substitution_is_refused((s, _) in valid_id()) {
            let original: Vec<char> = s.chars().collect();
            for pos in 0..18 {
                for &c in SUBSTITUTES {
                    if c.to_ascii_uppercase() == original[pos] {
                        continue;
                    }
                    let mut chars = original.clone();
                    chars[pos] = c;
                    let mutated: String = chars.into_iter().collect();
                    let got = ResidentIdNumber::parse_on(&mutated, today())
                        .map(|_| ()).map_err(|e| e.code().code);
                    // The reference validator agrees on the exact code, and
                    // also finds it invalid (single substitutions are always
                    // detected by MOD 11-2).
                    let expected = ref_expected_code(&mutated, today());
                    prop_assert!(expected.is_some(), "reference accepted {mutated}");
                    prop_assert_eq!(got, Err(expected.unwrap()), "{} at {}", c, pos);
                    // And the code is one the position allows.
                    let allowed: &[&str] = match (pos, c.is_ascii_digit() || (pos == 17 && c.eq_ignore_ascii_case(&'X'))) {
                        (_, false) => &["ID_FORMAT"],
                        (0..=5, true) => &["ID_REGION", "ID_CHECKSUM"],
                        (6..=13, true) => &["ID_BIRTH_DATE", "ID_CHECKSUM"],
                        (_, true) => &["ID_CHECKSUM"],
                    };
                    prop_assert!(allowed.contains(&got.unwrap_err()), "{} at {}", c, pos);
                }
            }
        }

        #[test]
        fn arbitrary_input_never_panics(s in any::<String>()) {
            let _ = ResidentIdNumber::parse_on(&s, today());
        }

        #[test]
        fn arbitrary_digits_agree_with_reference(s in "[0-9]{17}[0-9Xx]") {
            let got = ResidentIdNumber::parse_on(&s, today()).map(|_| ()).map_err(|e| e.code().code);
            prop_assert_eq!(got, ref_expected_code(&s, today()).map_or(Ok(()), Err));
        }

        #[test]
        fn age_matches_calendar_arithmetic((s, birth) in valid_id(), later in 0i64..50_000) {
            // Reference: the largest n with birth + n years <= date, using
            // chrono's month arithmetic (which clamps 29 Feb to 28 Feb, so
            // those birthdays get the 1 March rule checked separately above).
            prop_assume!(!(birth.month() == 2 && birth.day() == 29));
            let id = ResidentIdNumber::parse_on(&s, today()).unwrap();
            let on = birth + TimeDelta::days(later);
            let mut n = 0u32;
            while birth.checked_add_months(chrono::Months::new(12 * (n + 1))).unwrap() <= on {
                n += 1;
            }
            prop_assert_eq!(id.age_on(on), n);
        }
    }
}
