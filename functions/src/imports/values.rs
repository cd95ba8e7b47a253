//! Parsing of the enumerated and numeric cell values (yes/no, status,
//! category, phone number, purchase cap). Each returns `None` for a value it
//! does not accept; empty cells are handled by the callers.

use super::columns::{clean_code, halfwidth};

/// Lower case, half-width, without whitespace: the comparison form of a
/// keyword cell.
fn keyword(raw: &str) -> String {
    raw.chars()
        .map(halfwidth)
        .filter(|&c| !super::sheet::is_blank(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// 是/否, true/false, 1/0, Y/N, yes/no, √/×.
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match keyword(raw).as_str() {
        "是" | "true" | "1" | "y" | "yes" | "t" | "√" | "✓" | "对" => Some(true),
        "否" | "false" | "0" | "n" | "no" | "f" | "×" | "✗" | "x" | "不是" => Some(false),
        _ => None,
    }
}

/// The 处方药 column: a yes/no, or the kind written out (处方药 / 非处方药 / OTC).
pub(crate) fn parse_rx(raw: &str) -> Option<bool> {
    parse_bool(raw).or_else(|| match keyword(raw).as_str() {
        "处方药" | "rx" | "处方" => Some(true),
        "非处方药" | "非处方" | "otc" | "甲类otc" | "乙类otc" | "甲类非处方药" | "乙类非处方药" => {
            Some(false)
        }
        _ => None,
    })
}

/// The drugs' 状态 column: whether the drug is in use.
pub(crate) fn parse_active(raw: &str) -> Option<bool> {
    parse_bool(raw).or_else(|| match keyword(raw).as_str() {
        "正常" | "active" | "启用" | "在用" | "有效" | "enabled" => Some(true),
        "停用" | "inactive" | "禁用" | "无效" | "停售" | "disabled" => Some(false),
        _ => None,
    })
}

pub use shared::domain::PharmacyStatus;

pub(crate) fn parse_pharmacy_status(raw: &str) -> Option<PharmacyStatus> {
    match keyword(raw).as_str() {
        "active" | "正常" | "营业" | "正常营业" | "在营" | "开业" | "存续" => {
            Some(PharmacyStatus::Active)
        }
        "suspended" | "停业" | "暂停营业" | "停业整顿" | "歇业" | "暂停" => {
            Some(PharmacyStatus::Suspended)
        }
        _ => None,
    }
}

/// Special-drug category codes, as stored in `drug.special_category`.
pub(crate) fn parse_category(raw: &str) -> Option<&'static str> {
    let k = keyword(raw);
    // "（复方甘草片）": full-width brackets are half-width by now.
    let k = k.trim_end_matches(')').trim_start_matches('(');
    Some(match k {
        "ephedrine"
        | "含麻黄碱类"
        | "含麻黄碱类复方制剂"
        | "含麻黄碱复方制剂"
        | "含麻黄碱"
        | "麻黄碱"
        | "麻黄碱类"
        | "麻黄碱类复方制剂"
        | "含麻黄碱类药品" => "ephedrine",
        "codeine"
        | "含可待因口服液体"
        | "含可待因复方口服液体制剂"
        | "含可待因复方口服溶液"
        | "含可待因口服液体制剂"
        | "含可待因复方口服液"
        | "含可待因"
        | "可待因"
        | "可待因类" => "codeine",
        "diphenoxylate" | "复方地芬诺酯片" | "复方地芬诺酯" | "地芬诺酯" => {
            "diphenoxylate"
        }
        "liquorice" | "licorice" | "复方甘草片" | "甘草片" => "liquorice",
        _ => return None,
    })
}

/// A positive whole number that fits the database column (`2`, `2.0`, `２`).
pub(crate) fn parse_max_per_purchase(raw: &str) -> Option<i32> {
    let s = clean_code(raw);
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok().filter(|&n| n > 0)
}

/// A single phone number, normalised (half-width, no spaces; a mobile number
/// as its 11 digits; an extension after `-`). Accepted:
/// - mobile: 11 digits starting with 1, optionally `+86`/`0086` before it
///   and dashes or spaces inside (`138-0013-8000`);
/// - landline with area code: `027-85551234`, `02785551234`, `(027)85551234`;
/// - a local number of 7 or 8 digits (`85551234`);
/// - service numbers `400-123-4567` / `800…`;
/// - any landline with an extension: `027-85551234-123`, `…转123`, `…ext123`,
///   `…#123`.
pub(crate) fn parse_phone(raw: &str) -> Option<String> {
    let s = clean_code(raw).to_ascii_lowercase();
    if s.is_empty() || s.chars().count() > 30 {
        return None;
    }
    // Extension written out.
    let (main, ext) = match ["转", "ext.", "ext", "#", "x"]
        .iter()
        .find_map(|m| s.split_once(m))
    {
        Some((main, ext)) => (main.to_owned(), Some(ext.to_owned())),
        None => (s.clone(), None),
    };
    if let Some(ext) = &ext
        && !is_digits(ext, 1, 6)
    {
        return None;
    }
    // (027)85551234 → 027-85551234
    let main = match main.strip_prefix('(').and_then(|r| r.split_once(')')) {
        Some((area, local)) => format!("{area}-{local}"),
        None => main,
    };
    let main = main
        .strip_prefix("+86")
        .or_else(|| main.strip_prefix("0086"))
        .map(|r| r.trim_start_matches('-').to_owned())
        .unwrap_or(main);
    let parts: Vec<&str> = main.split('-').collect();
    if parts.iter().any(|p| !is_digits(p, 1, 12)) {
        return None;
    }
    let digits: String = parts.concat();

    // Mobile: no extension, 11 digits starting with 1.
    if ext.is_none() && digits.len() == 11 && digits.starts_with('1') {
        return Some(digits);
    }
    // Service numbers 400/800: 10 digits.
    if ext.is_none()
        && digits.len() == 10
        && (digits.starts_with("400") || digits.starts_with("800"))
    {
        return Some(digits);
    }
    // Landline: [area]-local[-ext]
    let (landline, dash_ext): (String, Option<&str>) = match parts.as_slice() {
        [all] if all.starts_with('0') && (10..=12).contains(&all.len()) => {
            ((*all).to_owned(), None)
        }
        [local] if is_local(local) => ((*local).to_owned(), None),
        [area, local] if is_area(area) && is_local(local) => (format!("{area}-{local}"), None),
        [local, e] if is_local(local) && is_digits(e, 1, 6) => ((*local).to_owned(), Some(*e)),
        [area, local, e] if is_area(area) && is_local(local) && is_digits(e, 1, 6) => {
            (format!("{area}-{local}"), Some(*e))
        }
        _ => return None,
    };
    let ext = match (ext.as_deref(), dash_ext) {
        (Some(_), Some(_)) => return None,
        (Some(e), None) | (None, Some(e)) => Some(e),
        (None, None) => None,
    };
    Some(match ext {
        Some(e) => format!("{landline}-{e}"),
        None => landline,
    })
}

fn is_digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_area(s: &str) -> bool {
    s.starts_with('0') && is_digits(s, 3, 4)
}

fn is_local(s: &str) -> bool {
    is_digits(s, 7, 8) && !s.starts_with('0') && !s.starts_with('1')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for t in ["是", "TRUE", "true", "1", "Y", "y", "Yes", " 是 ", "√"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["否", "False", "0", "N", "no", "×"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["", "可能", "2", "yesno"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
        assert_eq!(parse_rx("处方药"), Some(true));
        assert_eq!(parse_rx("OTC"), Some(false));
        assert_eq!(parse_rx("乙类OTC"), Some(false));
        assert_eq!(parse_active("正常"), Some(true));
        assert_eq!(parse_active("停用"), Some(false));
        assert_eq!(parse_active("Inactive"), Some(false));
        assert_eq!(parse_active("否"), Some(false));
        assert_eq!(parse_active("停业"), None);
    }

    #[test]
    fn statuses_and_categories() {
        assert_eq!(parse_pharmacy_status("正常"), Some(PharmacyStatus::Active));
        assert_eq!(
            parse_pharmacy_status("ACTIVE"),
            Some(PharmacyStatus::Active)
        );
        assert_eq!(
            parse_pharmacy_status("停业"),
            Some(PharmacyStatus::Suspended)
        );
        assert_eq!(
            parse_pharmacy_status("suspended"),
            Some(PharmacyStatus::Suspended)
        );
        assert_eq!(parse_pharmacy_status("注销"), None);
        for (raw, code) in [
            ("ephedrine", "ephedrine"),
            ("Ephedrine", "ephedrine"),
            ("含麻黄碱类", "ephedrine"),
            ("含麻黄碱类复方制剂", "ephedrine"),
            ("codeine", "codeine"),
            ("含可待因口服液体", "codeine"),
            ("含可待因复方口服液体制剂", "codeine"),
            ("diphenoxylate", "diphenoxylate"),
            ("复方地芬诺酯片", "diphenoxylate"),
            ("liquorice", "liquorice"),
            ("复方甘草片", "liquorice"),
            ("（复方甘草片）", "liquorice"),
        ] {
            assert_eq!(parse_category(raw), Some(code), "{raw}");
        }
        for bad in ["", "麻醉药品", "不含麻黄碱", "精神药品", "甘草"] {
            assert_eq!(parse_category(bad), None, "{bad}");
        }
    }

    #[test]
    fn purchase_caps() {
        assert_eq!(parse_max_per_purchase("2"), Some(2));
        assert_eq!(parse_max_per_purchase("２"), Some(2));
        assert_eq!(parse_max_per_purchase("5.0"), Some(5));
        assert_eq!(parse_max_per_purchase("2147483647"), Some(i32::MAX));
        for bad in ["0", "-1", "1.5", "2盒", "abc", "2147483648", ""] {
            assert_eq!(parse_max_per_purchase(bad), None, "{bad}");
        }
    }

    #[test]
    fn phones() {
        for (raw, norm) in [
            ("13800138000", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("138 0013 8000", "13800138000"),
            ("+86 13800138000", "13800138000"),
            ("１３８００１３８０００", "13800138000"),
            ("027-85551234", "027-85551234"),
            ("02785551234", "02785551234"),
            ("0710-3456789", "0710-3456789"),
            ("(027)85551234", "027-85551234"),
            ("（027）85551234", "027-85551234"),
            ("85551234", "85551234"),
            ("027-85551234-123", "027-85551234-123"),
            ("027-85551234转123", "027-85551234-123"),
            ("027-85551234 ext 8", "027-85551234-8"),
            ("85551234-12", "85551234-12"),
            ("400-123-4567", "4001234567"),
        ] {
            assert_eq!(parse_phone(raw).as_deref(), Some(norm), "{raw}");
        }
        for bad in [
            "",
            "1380013800",
            "138001380001",
            "23800138000",
            "027-8555",
            "027-85551234-1234567",
            "13800138000转1",
            "电话",
            "027-85551234/13800138000",
            "027-85551234转",
            "12345",
            "1-2-3-4",
        ] {
            assert_eq!(parse_phone(bad), None, "{bad}");
        }
    }
}
