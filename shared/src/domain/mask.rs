//! Masking of personal data for responses and logs (SPEC §3).
//!
//! Both functions work on `char`s, never bytes, so they cannot panic on
//! non-ASCII input, and accept any string (they are used on unvalidated data
//! too, e.g. rows imported from other systems).

/// Fixed-width mask: always eight stars, so the output does not reveal the
/// length of the hidden part either.
const ID_MASK: &str = "********";

/// Masks an identity-document number: first 6 characters, `********`, last 4
/// (`420102199001011234` → `420102********1234`).
///
/// Surrounding whitespace is trimmed. Inputs shorter than 18 characters reveal
/// proportionally less (⌊n/3⌋ leading and ⌊2n/9⌋ trailing characters), so that
/// a short or malformed value never has most of itself shown; the empty string
/// stays empty.
#[must_use]
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    let (head, tail) = if n >= 18 { (6, 4) } else { (n / 3, n * 2 / 9) };
    let mut out = String::with_capacity(s.len() + ID_MASK.len());
    out.extend(&chars[..head]);
    out.push_str(ID_MASK);
    out.extend(&chars[n - tail..]);
    out
}

/// Chinese compound (multi-character) surnames recognised by [`mask_name`],
/// including the Manchu clan names 爱新觉罗 and 叶赫那拉.
#[rustfmt::skip]
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "令狐", "澹台", "夏侯", "轩辕", "端木", "南宫", "西门", "独孤", "万俟", "闻人", "申屠", "呼延",
    "钟离", "宗政", "濮阳", "太叔", "公羊", "赫连", "拓跋", "第五", "司空", "百里", "东郭", "公冶",
    "单于", "仲孙", "赫胥", "左丘", "东门", "鲜于", "闾丘", "亓官", "司寇", "子车", "颛孙", "壤驷",
    "公良", "漆雕", "乐正", "宰父", "谷梁", "段干", "巫马", "羊舌", "微生", "梁丘", "公西", "南门",
    "东里", "呼衍", "完颜", "爱新觉罗", "叶赫那拉",
];

/// Separators of transliterated ethnic-minority and foreign names
/// (`买买提·艾力`). U+00B7 is the one printed on ID cards; the others are
/// look-alikes that data entry produces.
const NAME_SEPARATORS: &[char] = &['·', '•', '‧', '・', '．', '.', '-'];

fn is_separator(c: char) -> bool {
    NAME_SEPARATORS.contains(&c)
}

/// Masks a person's name: the surname is kept, every other character becomes
/// `*` (`张三` → `张*`, `欧阳娜娜` → `欧阳**`, `王` → `*`).
///
/// Rules:
/// - surrounding whitespace is trimmed; the empty string stays empty;
/// - a one-character name is fully masked (`*`), since keeping it would show
///   the whole name;
/// - a compound surname from the list above is kept whole only when the name
///   is longer than the surname (`欧阳` alone → `欧*`);
/// - names with a separator (`买买提·艾力`) have no surname in the Han sense: the
///   first character is kept, separators are kept so the result still reads as
///   a name, everything else is masked (`买**·**`);
/// - output has exactly as many characters as the trimmed input.
#[must_use]
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let n = name.chars().count();
    if n <= 1 {
        return "*".repeat(n);
    }
    let has_separator = name.chars().any(is_separator);
    let keep = if has_separator {
        1
    } else {
        COMPOUND_SURNAMES
            .iter()
            .map(|s| s.chars().count())
            .zip(COMPOUND_SURNAMES)
            .filter(|&(len, s)| n > len && name.starts_with(s))
            .map(|(len, _)| len)
            .max()
            .unwrap_or(1)
    };
    name.chars()
        .enumerate()
        .map(|(i, c)| if i < keep || is_separator(c) { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn id_number_masking() {
        assert_eq!(mask_id_number("42010219900101123X"), "420102********123X");
        assert_eq!(
            mask_id_number("  11010519491231002X \n"),
            "110105********002X"
        );
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number("   "), "");
        assert_eq!(mask_id_number("1"), "********");
        assert_eq!(mask_id_number("123"), "1********");
        // 15-digit legacy number: 5 + 3 revealed, not 6 + 4.
        assert_eq!(mask_id_number("110105491231002"), "11010********002");
        // Longer than 18: still only 6 + 4.
        assert_eq!(
            mask_id_number("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            "ABCDEF********WXYZ"
        );
        assert_eq!(
            mask_id_number("身份证号码是十八个汉字组成的字符串呀"),
            "身份证号码是********字符串呀"
        );
        assert_eq!(mask_id_number("😀😀😀😀😀😀😀😀😀"), "😀😀😀********😀😀");
    }

    #[test]
    fn name_masking() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("李小龙"), "李**");
        assert_eq!(mask_name("欧阳娜娜"), "欧阳**");
        assert_eq!(mask_name("欧阳娜"), "欧阳*");
        assert_eq!(mask_name("司马懿"), "司马*");
        assert_eq!(mask_name("诸葛亮"), "诸葛*");
        assert_eq!(mask_name("上官婉儿"), "上官**");
        assert_eq!(mask_name("第五伦"), "第五*");
        assert_eq!(mask_name("爱新觉罗溥仪"), "爱新觉罗**");
        // Name no longer than the compound surname: keep one character only.
        assert_eq!(mask_name("欧阳"), "欧*");
        assert_eq!(mask_name("爱新觉罗"), "爱***");
        // Not a compound surname: 欧 alone.
        assert_eq!(mask_name("欧文"), "欧*");
        assert_eq!(mask_name("王"), "*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("  "), "");
        assert_eq!(mask_name(" 张三 "), "张*");
        assert_eq!(mask_name("买买提·艾力"), "买**·**");
        assert_eq!(mask_name("阿依古丽.买买提"), "阿***.***");
        assert_eq!(mask_name("迪丽热巴·迪力木拉提"), "迪***·*****");
        assert_eq!(mask_name("Li Lei"), "L*****");
        assert_eq!(mask_name("😀"), "*");
        assert_eq!(mask_name("😀😎🙂"), "😀**");
        assert_eq!(mask_name("*"), "*");
    }

    proptest! {
        #[test]
        fn mask_never_panics_and_hides(s in any::<String>()) {
            let trimmed = s.trim();
            let n = trimmed.chars().count();

            let id = mask_id_number(&s);
            if n > 0 {
                prop_assert!(id.contains(ID_MASK));
                // At most 6 + 4 characters of the input are revealed.
                prop_assert!(id.chars().count() <= ID_MASK.chars().count() + 10);
                prop_assert!(id.chars().count() < n + ID_MASK.chars().count());
            }
            if n > 2 && !trimmed.contains('*') {
                prop_assert_ne!(&id, trimmed);
                prop_assert_ne!(&id, &s);
            }

            let name = mask_name(&s);
            prop_assert_eq!(name.chars().count(), n);
            // Never more than the surname (≤ 4 chars for 爱新觉罗) is kept;
            // separators aside, everything else is `*`.
            prop_assert!(name.chars().filter(|&c| c != '*' && !is_separator(c)).count() <= 4);
            // Any maskable character after the first is masked, so the
            // output differs from the input unless there was nothing to hide.
            let hideable = trimmed.chars().skip(1).any(|c| c != '*' && !is_separator(c));
            if n > 2 && hideable {
                prop_assert_ne!(&name, trimmed);
            }
        }

        #[test]
        fn mask_han_names(
            surname in prop::sample::select(vec!["张", "王", "李", "赵", "欧阳", "司马", "诸葛", "慕容"]),
            given in "[\u{4e00}-\u{9fa5}]{1,3}",
        ) {
            // None of the single surnames above begins a compound surname, so
            // the expected output is exact.
            let name = format!("{surname}{given}");
            let expected = format!("{surname}{}", "*".repeat(given.chars().count()));
            prop_assert_eq!(mask_name(&name), expected);
        }
    }
}
