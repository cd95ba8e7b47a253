//! Matching header cells to known columns, and the shapes every import
//! returns ([`Parsed`], [`RejectedRow`], [`RowWarning`]).

use shared::codes::{self, Code};
use std::collections::HashMap;

use shared::error::FieldError;

use super::error::ImportFileError;
use super::sheet::{Sheet, SheetRow};

/// Result of parsing a sheet into records of type `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// Valid records with their spreadsheet row numbers, in file order.
    pub records: Vec<(usize, T)>,
    /// Rows refused, each with all its field errors, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Notes on accepted rows (e.g. a USCC whose check character fails).
    pub warnings: Vec<RowWarning>,
    /// Header cells that matched no known column (ignored), as written.
    pub unknown_columns: Vec<String>,
}

/// A refused row: its spreadsheet row number and every problem found in it.
/// `field` of each error is the English column name.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct RejectedRow {
    pub row: usize,
    pub errors: Vec<FieldError>,
}

/// A note on an accepted row; `field` is the English column name.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct RowWarning {
    pub row: usize,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// One known column: its English name (the canonical header and the `field`
/// of errors), its Chinese label, and the other header texts accepted for it.
pub(crate) struct ColumnSpec {
    pub field: &'static str,
    pub label: &'static str,
    pub aliases: &'static [&'static str],
}

/// The columns of one kind of import.
pub(crate) struct Schema {
    pub columns: &'static [ColumnSpec],
    /// Each group needs at least one of its columns; the first names the group
    /// in [`ImportFileError::MissingColumns`].
    pub required: &'static [&'static [&'static str]],
}

/// Where each known column is in the header row.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    positions: HashMap<&'static str, usize>,
    pub unknown: Vec<String>,
}

impl Columns {
    pub fn has(&self, field: &str) -> bool {
        self.positions.contains_key(field)
    }

    /// The row's cell for `field`; `""` when the column is absent.
    pub fn get<'r>(&self, row: &'r SheetRow, field: &str) -> &'r str {
        self.positions.get(field).map_or("", |&i| row.cell(i))
    }
}

struct Resolution {
    columns: Columns,
    missing: Vec<String>,
    duplicates: Vec<String>,
}

/// Finds the header row and its columns. Normally the sheet's own header row;
/// when that lacks required columns but one of the next few rows has them all
/// (a title such as "武昌区零售药店名单" above the real header), that row is the
/// header and the rows above it are ignored. Returns the data rows under the
/// header.
pub(crate) fn locate_header<'s>(
    sheet: &'s Sheet,
    schema: &Schema,
) -> Result<(Columns, &'s [SheetRow]), ImportFileError> {
    let first = resolve(&sheet.headers, schema);
    let (columns, rows) = if !first.duplicates.is_empty() {
        return Err(ImportFileError::DuplicateColumns(first.duplicates));
    } else if first.missing.is_empty() {
        (first.columns, &sheet.rows[..])
    } else {
        let found = sheet.rows.iter().take(5).enumerate().find_map(|(i, row)| {
            let r = resolve(&row.cells, schema);
            (r.missing.is_empty() && r.duplicates.is_empty()).then_some((r.columns, i))
        });
        match found {
            Some((columns, i)) => (columns, &sheet.rows[i + 1..]),
            None => return Err(ImportFileError::MissingColumns(first.missing)),
        }
    };
    if rows.is_empty() {
        return Err(ImportFileError::Empty);
    }
    Ok((columns, rows))
}

fn resolve(headers: &[String], schema: &Schema) -> Resolution {
    let mut lookup: HashMap<String, &'static str> = HashMap::new();
    for spec in schema.columns {
        for name in std::iter::once(&spec.field)
            .chain(std::iter::once(&spec.label))
            .chain(spec.aliases)
        {
            lookup.insert(header_key(name), spec.field);
        }
    }
    let find = |key: &str| -> Option<&'static str> {
        lookup.get(key).copied().or_else(|| {
            // "区划代码(6位)", "每次限购【盒】": a trailing note in brackets.
            let base = strip_trailing_note(key)?;
            lookup.get(base).copied()
        })
    };

    let mut columns = Columns::default();
    let mut duplicates = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let key = header_key(header);
        if key.is_empty() {
            continue;
        }
        match find(&key) {
            Some(field) => {
                if columns.positions.insert(field, i).is_some()
                    && !duplicates.iter().any(|d| d == field)
                {
                    duplicates.push(field.to_owned());
                }
            }
            None => columns.unknown.push(header.trim().to_owned()),
        }
    }
    let missing = schema
        .required
        .iter()
        .filter(|group| !group.iter().any(|f| columns.has(f)))
        .map(|group| group[0].to_owned())
        .collect();
    Resolution {
        columns,
        missing,
        duplicates,
    }
}

/// Full-width ASCII (`Ａ`, `＊`, `（`) to half-width; the ideographic space to
/// a plain one.
pub(crate) fn halfwidth(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Comparison key of a header: half-width, lower case, without whitespace,
/// `_`, `-`, `*` or a "required"/"optional" note.
pub(crate) fn header_key(raw: &str) -> String {
    let mut key: String = raw
        .chars()
        .map(halfwidth)
        .map(|c| match c {
            '【' | '[' => '(',
            '】' | ']' => ')',
            c => c,
        })
        .filter(|&c| !super::sheet::is_blank(c) && !matches!(c, '_' | '-' | '*' | '.' | '：' | ':'))
        .flat_map(char::to_lowercase)
        .collect();
    for note in [
        "(必填)",
        "(必填项)",
        "(选填)",
        "(可选)",
        "(非必填)",
        "(required)",
        "(optional)",
        "必填",
        "选填",
    ] {
        if let Some(rest) = key.strip_suffix(note) {
            key.truncate(rest.len());
            break;
        }
    }
    key
}

fn strip_trailing_note(key: &str) -> Option<&str> {
    let open = key.strip_suffix(')')?.rfind('(')?;
    (open > 0).then(|| &key[..open])
}

/// Field errors of one row, collected so that every problem is reported.
#[derive(Debug, Default)]
pub(crate) struct RowErrors(pub Vec<FieldError>);

impl RowErrors {
    pub fn push(&mut self, field: &str, code: Code, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Cleaned free text (whitespace runs, line breaks included, become one
    /// space), checked for presence and length in characters.
    pub fn text(
        &mut self,
        field: &str,
        label: &str,
        raw: &str,
        max_chars: usize,
        required: bool,
    ) -> String {
        let value = clean_text(raw);
        if value.is_empty() {
            if required {
                self.push(field, codes::REQUIRED, required_message(label));
            }
        } else if value.chars().count() > max_chars {
            self.push(field, codes::TOO_LONG, too_long_message(label, max_chars));
        }
        value
    }
}

pub(crate) fn required_message(label: &str) -> String {
    format!("「{label}」不能为空，请在该单元格填写后重新导入")
}

pub(crate) fn too_long_message(label: &str, max_chars: usize) -> String {
    format!("「{label}」过长，最多{max_chars}个字，请精简该单元格后重新导入")
}

pub(crate) fn duplicate_message(label: &str, first_row: usize) -> String {
    format!(
        "「{label}」与第{first_row}行重复，同一文件中每个{label}只能出现一次，请删除或合并重复的行"
    )
}

/// Free text: whitespace runs (line breaks from Alt+Enter included) become one
/// space.
pub(crate) fn clean_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in raw.split(super::sheet::is_blank).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Identifiers (codes, numbers, phone numbers): half-width, no whitespace at
/// all, and without the tricks used to keep Excel from turning them into
/// numbers (a leading `'`, or `="…"`).
pub(crate) fn clean_code(raw: &str) -> String {
    let s: String = raw
        .chars()
        .map(halfwidth)
        .filter(|&c| !super::sheet::is_blank(c))
        .collect();
    let s = s
        .strip_prefix("=\"")
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(&s);
    let s = s.strip_prefix('\'').unwrap_or(s);
    s.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys() {
        for (raw, key) in [
            ("药店名称", "药店名称"),
            (" 药店名称* ", "药店名称"),
            ("*药店名称", "药店名称"),
            ("\u{3000}药店名称（必填）", "药店名称"),
            ("药店名称(必填)", "药店名称"),
            ("药店名称【必填】", "药店名称"),
            ("药店\n名称", "药店名称"),
            ("Licence_Number", "licencenumber"),
            ("LICENCE NUMBER *", "licencenumber"),
            ("ｌｉｃｅｎｃｅ－ｎｕｍｂｅｒ＊", "licencenumber"),
            ("rx_only (optional)", "rxonly"),
        ] {
            assert_eq!(header_key(raw), key, "{raw:?}");
        }
        assert_eq!(strip_trailing_note("区划代码(6位)"), Some("区划代码"));
        assert_eq!(strip_trailing_note("(6位)"), None);
        assert_eq!(strip_trailing_note("区划代码"), None);
    }

    #[test]
    fn codes_and_text_are_cleaned() {
        assert_eq!(clean_code(" ９１１１０ ０００ "), "91110000");
        assert_eq!(clean_code("=\"6901234567892\""), "6901234567892");
        assert_eq!(clean_code("'6901234567892"), "6901234567892");
        assert_eq!(
            clean_text("  武汉市\n武昌区\u{3000} 中南路 1号 "),
            "武汉市 武昌区 中南路 1号"
        );
    }
}
