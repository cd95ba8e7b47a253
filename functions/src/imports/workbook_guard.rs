//! What an uploaded `.xlsx` may make us allocate, checked before calamine
//! reads it.
//!
//! A workbook is a ZIP of XML parts, and the parser trusts what they
//! declare: a 1 KB file whose `sharedStrings.xml` says
//! `uniqueCount="10000000000000"` makes calamine reserve 240 TB and the
//! allocator abort the whole process (not a panic: nothing can catch it);
//! a zip bomb inflates a few kilobytes into gigabytes. So every entry is
//! inflated here first, through a counting reader that stops at the limits
//! below — declared sizes are checked, but actual bytes are what count,
//! since a forged header can lie — and the shared-strings count is read and
//! bounded. Only then does calamine see the file.

use std::io::{Cursor, Read};

use super::error::ImportFileError;

/// Most entries a workbook may hold.
pub const MAX_ENTRIES: usize = 10_000;
/// Most bytes one part may inflate to.
pub const MAX_PART_BYTES: u64 = 100 * 1024 * 1024;
/// Most bytes all parts together may inflate to.
pub const MAX_TOTAL_BYTES: u64 = 200 * 1024 * 1024;
/// Largest inflation ratio of a part bigger than [`RATIO_FLOOR`]: XML that
/// Excel writes compresses 5–30 times; a bomb, thousands of times.
pub const MAX_RATIO: u64 = 200;
const RATIO_FLOOR: u64 = 1024 * 1024;
/// Most shared strings a workbook may declare (an import holds at most
/// 20,000 rows).
pub const MAX_SHARED_STRINGS: u64 = 1_000_000;

fn oversized(problem: String) -> ImportFileError {
    ImportFileError::Oversized(problem)
}

/// Refuses a workbook that would make the parser allocate beyond the limits.
/// A ZIP that cannot be read at all is left to calamine to report.
pub fn check(bytes: &[u8]) -> Result<(), ImportFileError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    if archive.len() > MAX_ENTRIES {
        return Err(oversized(format!(
            "压缩包内有 {} 个部件，超过 {MAX_ENTRIES} 个",
            archive.len()
        )));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let Ok(mut part) = archive.by_index(i) else {
            return Err(ImportFileError::Unreadable);
        };
        let name = String::from_utf8_lossy(part.name_raw()).into_owned();
        if part.encrypted() {
            return Err(ImportFileError::NotASpreadsheet);
        }
        let declared = part.size();
        if declared > MAX_PART_BYTES {
            return Err(oversized(format!(
                "部件 {name} 声明解压后 {} MB，超过 {} MB",
                declared / (1024 * 1024),
                MAX_PART_BYTES / (1024 * 1024)
            )));
        }
        let compressed = part.compressed_size().max(1);
        let is_shared_strings = name.eq_ignore_ascii_case("xl/sharedStrings.xml");
        // Inflate for real, counting, and keep the head of sharedStrings.
        let mut head = Vec::new();
        let mut inflated = 0u64;
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = match part.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => return Err(ImportFileError::Unreadable),
            };
            if is_shared_strings && head.len() < 4096 {
                head.extend_from_slice(&buf[..n.min(4096 - head.len())]);
            }
            inflated += n as u64;
            if inflated > MAX_PART_BYTES {
                return Err(oversized(format!(
                    "部件 {name} 解压后超过 {} MB",
                    MAX_PART_BYTES / (1024 * 1024)
                )));
            }
            if total + inflated > MAX_TOTAL_BYTES {
                return Err(oversized(format!(
                    "解压后总大小超过 {} MB",
                    MAX_TOTAL_BYTES / (1024 * 1024)
                )));
            }
            if inflated > RATIO_FLOOR && inflated / compressed > MAX_RATIO {
                return Err(oversized(format!(
                    "部件 {name} 的压缩比超过 {MAX_RATIO} 倍（疑似压缩炸弹）"
                )));
            }
        }
        total += inflated;
        if is_shared_strings {
            check_shared_strings(&head, inflated)?;
        }
    }
    Ok(())
}

/// `<sst count="…" uniqueCount="…">`: the parser reserves `uniqueCount`
/// entries up front. Each string takes at least `<si><t/></si>` (12 bytes)
/// of the part, so a count the part cannot hold is a lie.
fn check_shared_strings(head: &[u8], part_bytes: u64) -> Result<(), ImportFileError> {
    let head = String::from_utf8_lossy(head);
    let Some(start) = head.find("<sst") else {
        return Ok(());
    };
    let tag = &head[start..head[start..].find('>').map_or(head.len(), |e| start + e)];
    for attr in ["uniqueCount", "count"] {
        let Some(value) = attribute(tag, attr) else {
            continue;
        };
        let n: u64 = match value.trim().parse() {
            Ok(n) => n,
            // calamine ignores what it cannot parse as a number, and so can we
            // (a number too big for u64 is absurd all the same).
            Err(_) if value.trim().bytes().all(|b| b.is_ascii_digit()) => u64::MAX,
            Err(_) => continue,
        };
        if n > MAX_SHARED_STRINGS || (attr == "uniqueCount" && n > part_bytes / 12 + 1) {
            return Err(oversized(format!(
                "共享字符串表声明 {attr}={value}，超过文件实际可容纳的数量（上限 {MAX_SHARED_STRINGS}）"
            )));
        }
    }
    Ok(())
}

/// The value of ` name="…"` (or `'…'`) in a start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + name.len()..];
        rest = after;
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let after = after.trim_start();
        let Some(after) = after.strip_prefix('=') else {
            continue;
        };
        let after = after.trim_start();
        let quote = after.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let body = &after[1..];
        return body.find(quote).map(|end| &body[..end]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_by_whole_name() {
        let tag = r#"<sst xmlns="x" count="12" uniqueCount='10000000000000'"#;
        assert_eq!(attribute(tag, "count"), Some("12"));
        assert_eq!(attribute(tag, "uniqueCount"), Some("10000000000000"));
        assert_eq!(attribute(tag, "missing"), None);
    }

    #[test]
    fn an_absurd_unique_count_is_refused() {
        let head = br#"<?xml version="1.0"?><sst xmlns="x" count="1" uniqueCount="10000000000000"><si><t>a</t></si></sst>"#;
        assert!(matches!(
            check_shared_strings(head, head.len() as u64),
            Err(ImportFileError::Oversized(_))
        ));
        let too_big_for_u64 = br#"<sst uniqueCount="99999999999999999999999">"#;
        assert!(check_shared_strings(too_big_for_u64, 100).is_err());
        let honest = br#"<sst count="2" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>"#;
        assert!(check_shared_strings(honest, honest.len() as u64).is_ok());
    }
}
