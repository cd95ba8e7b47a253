//! Reading an uploaded `.xlsx` or `.csv` file into rows of trimmed text.
//!
//! The format is sniffed from the bytes, never taken from the file name: a
//! ZIP (`PK\x03\x04`) is read as an `.xlsx` workbook, known binary formats are
//! refused, and anything else must be text (UTF-8 with or without BOM,
//! UTF-16 with BOM, or GB18030/GBK as Windows Excel writes it) read as CSV.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};

use super::error::ImportFileError;

/// Most data rows (not counting the header row) one import may hold.
pub const MAX_DATA_ROWS: usize = 20_000;
/// Cells right of this many columns (past column IV) are ignored.
const MAX_COLUMNS: u32 = 256;

/// The first worksheet of a workbook, or a CSV file, without its empty rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    /// Spreadsheet row number (1-based) of the header row: the first row that
    /// has any non-empty cell.
    pub header_row: usize,
    /// Trimmed text of the header row's cells, trailing empty cells dropped.
    pub headers: Vec<String>,
    /// The non-empty rows below the header row, in order.
    pub rows: Vec<SheetRow>,
}

/// One non-empty row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetRow {
    /// Spreadsheet row number as Excel shows it (header row = 1 when the file
    /// starts with it); empty rows are skipped but still counted.
    pub row: usize,
    /// Trimmed text of each cell, by column (column A = index 0). May be
    /// shorter or longer than the header row.
    pub cells: Vec<String>,
}

impl SheetRow {
    /// The cell in column `index`, `""` past the end of the row.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", String::as_str)
    }
}

/// Reads an uploaded file. `filename` is only a hint for choosing the error
/// when the bytes are not readable (a file named `.xlsx` whose bytes are not
/// a workbook is [`ImportFileError::NotASpreadsheet`], not an encoding error);
/// the format itself comes from the bytes.
pub fn read_sheet(bytes: &[u8], filename: Option<&str>) -> Result<Sheet, ImportFileError> {
    let rows = match sniff(bytes) {
        Sniffed::Empty => return Err(ImportFileError::Empty),
        Sniffed::Binary => return Err(ImportFileError::NotASpreadsheet),
        Sniffed::Zip => read_xlsx_guarded(bytes)?,
        Sniffed::Text => {
            let named_workbook = filename.is_some_and(|f| {
                let f = f.trim().to_ascii_lowercase();
                [".xlsx", ".xlsm", ".xls", ".et"]
                    .iter()
                    .any(|ext| f.ends_with(ext))
            });
            let text = decode_text(bytes).map_err(|e| match e {
                ImportFileError::Encoding if named_workbook => ImportFileError::NotASpreadsheet,
                e => e,
            })?;
            let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
            if start.starts_with('<') || start.starts_with('{') {
                // An HTML page or XML/JSON saved as ".xls" by some export tools.
                return Err(ImportFileError::NotASpreadsheet);
            }
            read_csv(&text)?
        }
    };
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Err(ImportFileError::Empty);
    };
    let rows: Vec<SheetRow> = rows.collect();
    if rows.is_empty() {
        return Err(ImportFileError::Empty);
    }
    let mut headers = header.cells;
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    Ok(Sheet {
        header_row: header.row,
        headers,
        rows,
    })
}

enum Sniffed {
    Empty,
    Zip,
    Binary,
    Text,
}

fn sniff(bytes: &[u8]) -> Sniffed {
    const BINARY_MAGIC: &[&[u8]] = &[
        b"\x89PNG",
        b"\xFF\xD8\xFF",                     // JPEG
        b"GIF8",                             // GIF
        b"%PDF",                             // PDF
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", // OLE: legacy .xls/.doc, encrypted .xlsx
        b"PK\x05\x06",                       // empty ZIP
        b"PK\x07\x08",                       // spanned ZIP
        b"Rar!",
        b"7z\xBC\xAF\x27\x1C",
        b"\x1F\x8B", // gzip
        b"RIFF",
    ];
    if bytes
        .iter()
        .all(|b| b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'\t'))
    {
        return Sniffed::Empty;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    if BINARY_MAGIC.iter().any(|m| bytes.starts_with(m)) {
        return Sniffed::Binary;
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        // UTF-16 with BOM ("Unicode text" from Excel): NUL bytes are expected.
        return Sniffed::Text;
    }
    // Text files hold no NUL and next to no other control bytes.
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    if bytes.contains(&0) || controls > 16 || controls * 10 > head.len() {
        return Sniffed::Binary;
    }
    Sniffed::Text
}

/// UTF-8 (BOM stripped), UTF-16 with BOM, else GB18030 (a superset of GBK
/// and GB2312). Any undecodable byte is an encoding error: replacement
/// characters would end up in the database.
fn decode_text(bytes: &[u8]) -> Result<String, ImportFileError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(str::to_owned)
            .map_err(|_| ImportFileError::Encoding);
    }
    for (bom, encoding) in [
        (b"\xFF\xFE", encoding_rs::UTF_16LE),
        (b"\xFE\xFF", encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| s.into_owned())
                .ok_or(ImportFileError::Encoding);
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or(ImportFileError::Encoding)
}

/// Delimiter: the most frequent of comma, tab and semicolon (outside
/// quotes) on the first line that has any of them, the header line unless a
/// title sits above it; a tie goes to the comma, then the tab.
fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => counts[0] += 1,
            '\t' if !in_quotes => counts[1] += 1,
            ';' if !in_quotes => counts[2] += 1,
            '\n' if !in_quotes && counts.iter().any(|&n| n > 0) => break,
            _ => {}
        }
    }
    match counts {
        [c, t, s] if t > c && t >= s => b'\t',
        [c, _, s] if s > c => b';',
        _ => b',',
    }
}

fn read_csv(text: &str) -> Result<Vec<SheetRow>, ImportFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    // Row numbers: the reader's own line count is unreliable (it starts a
    // record's position before the blank lines it skips, and miscounts CRLF),
    // so count the line breaks before each record's first byte, less those
    // inside quoted cells (Excel shows such a record as one row).
    let bytes = text.as_bytes();
    let (mut scanned, mut line_breaks, mut quoted_breaks) = (0usize, 0usize, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(ImportFileError::Unreadable),
        }
        let mut start = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .clamp(scanned, bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        line_breaks += count_line_breaks(&bytes[scanned..start]);
        scanned = start;
        let row = 1 + line_breaks - quoted_breaks.min(line_breaks);
        quoted_breaks += record
            .iter()
            .map(|f| count_line_breaks(f.as_bytes()))
            .sum::<usize>();
        let cells: Vec<String> = record.iter().map(clean_cell).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        rows.push(SheetRow { row, cells });
        if rows.len() > MAX_DATA_ROWS + 1 {
            return Err(ImportFileError::TooManyRows { max: MAX_DATA_ROWS });
        }
    }
    Ok(rows)
}

/// Line breaks as the CSV reader sees them: `\r\n`, `\n` or a lone `\r`.
fn count_line_breaks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// The xlsx parser is a third-party library fed untrusted bytes: a panic in
/// it answers "unreadable" instead of failing the request.
/// Allocation, which `catch_unwind` cannot catch, is bounded first by
/// [`super::workbook_guard`].
fn read_xlsx_guarded(bytes: &[u8]) -> Result<Vec<SheetRow>, ImportFileError> {
    super::workbook_guard::check(bytes)?;
    std::panic::catch_unwind(|| read_xlsx(bytes)).unwrap_or(Err(ImportFileError::Unreadable))
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<SheetRow>, ImportFileError> {
    let mut workbook = match Xlsx::new(Cursor::new(bytes)) {
        Ok(w) => w,
        // A ZIP without a workbook part (a .docx, a plain archive) is not a
        // spreadsheet; one with it is a damaged workbook.
        Err(_) if !contains(bytes, b"xl/") => return Err(ImportFileError::NotASpreadsheet),
        Err(_) => return Err(ImportFileError::Unreadable),
    };
    let sheets = workbook.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let Some(name) = worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
    else {
        return Err(ImportFileError::Empty);
    };
    // Vertically merged cells (a district or category merged over the rows
    // of its group) give their value to every row they cover.
    let merges = workbook
        .merge_cells_by_sheet_name(&name)
        .unwrap_or_default();

    let mut cells_reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(|_| ImportFileError::Unreadable)?;
    let mut grid: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    while let Some(cell) = cells_reader
        .next_cell()
        .map_err(|_| ImportFileError::Unreadable)?
    {
        let (row, col) = cell.get_position();
        if col >= MAX_COLUMNS {
            continue;
        }
        let text = clean_cell(&render(cell.get_value()));
        if text.is_empty() {
            continue;
        }
        grid.entry(row).or_default().push((col, text));
        if grid.len() > MAX_DATA_ROWS + 1 {
            return Err(ImportFileError::TooManyRows { max: MAX_DATA_ROWS });
        }
    }
    drop(cells_reader);

    for m in merges
        .iter()
        .filter(|m| m.start.1 == m.end.1 && m.start.0 < m.end.0 && m.start.1 < MAX_COLUMNS)
    {
        let col = m.start.1;
        let Some(value) = grid
            .get(&m.start.0)
            .and_then(|cells| cells.iter().find(|(c, _)| *c == col))
            .map(|(_, v)| v.clone())
        else {
            continue;
        };
        for (_, cells) in grid.range_mut(m.start.0 + 1..=m.end.0) {
            if !cells.iter().any(|(c, _)| *c == col) {
                cells.push((col, value.clone()));
            }
        }
    }

    Ok(grid
        .into_iter()
        .map(|(row, mut cells)| {
            cells.sort_by_key(|(c, _)| *c);
            let width = cells.last().map_or(0, |(c, _)| *c as usize + 1);
            let mut out = vec![String::new(); width];
            for (c, text) in cells {
                out[c as usize] = text;
            }
            SheetRow {
                row: row as usize + 1,
                cells: out,
            }
        })
        .collect())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Text of a cell as Excel shows it with the General format.
fn render(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => render_number(*f),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            if (h, mi, s, ms) == (0, 0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        DataRef::DateTime(dt) => render_number(dt.as_f64()),
        DataRef::DateTimeIso(s) => match s.split_once('T') {
            Some((date, "00:00:00")) => date.to_owned(),
            _ => s.clone(),
        },
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

/// Integers exactly (a 14-digit barcode stored as a number stays 14 digits,
/// no exponent); other numbers rounded to Excel's 15 significant digits.
fn render_number(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    if f.fract() == 0.0 {
        // Rust's Display never uses an exponent and drops the ".0".
        return format!("{f}");
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    format!("{rounded}")
}

/// Drops control characters (NUL cannot be stored in PostgreSQL text) and
/// trims whitespace, including full-width spaces and zero-width characters.
fn clean_cell(s: &str) -> String {
    let trimmed = s.trim_matches(is_blank);
    if trimmed
        .chars()
        .any(|c| c.is_control() && !c.is_whitespace())
    {
        trimmed
            .chars()
            .filter(|c| !c.is_control() || c.is_whitespace())
            .collect::<String>()
            .trim_matches(is_blank)
            .to_owned()
    } else {
        trimmed.to_owned()
    }
}

pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
        )
}
