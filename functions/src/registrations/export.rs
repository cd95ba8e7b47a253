//! Export of registrations within the caller's scope, personal data masked
//! (full values only for a city admin who asks, audited by the caller).
//!
//! CSV is streamed row by row from the database cursor (UTF-8 with a BOM so
//! Excel shows Chinese); XLSX is written with rust_xlsxwriter in constant-
//! memory mode (rows go to a temporary file, not RAM) and sent when complete.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::FromRow;
use tokio::sync::mpsc;
use uuid::Uuid;

use shared::{
    AppState,
    auth::{Scope, scope::scoped_select},
    domain::{ResidentIdNumber, mask_id_number, mask_name},
    sales::{
        Source,
        read::{Filter, SCOPE, push_filters},
    },
    time::to_china,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

pub const HEADERS: [&str; 15] = [
    "登记编号",
    "登记时间",
    "药店",
    "许可证编号",
    "区划代码",
    "店员",
    "购买人",
    "身份证号",
    "性别",
    "年龄",
    "来源",
    "药品",
    "合计包装",
    "处方编号",
    "待复核",
];

#[derive(Debug, FromRow)]
struct ExportRow {
    registration_id: Uuid,
    created_at: DateTime<Utc>,
    pharmacy_name: String,
    licence_number: String,
    district_code: String,
    clerk_name: String,
    buyer_id_enc: Vec<u8>,
    buyer_name_enc: Vec<u8>,
    source: Source,
    items: Option<String>,
    total_packages: i32,
    prescription_no: Option<String>,
    needs_review: bool,
}

const SELECT: &str = "SELECT r.registration_id, r.created_at, p.name AS pharmacy_name, p.licence_number, r.district_code,
        u.display_name AS clerk_name, r.buyer_id_enc, r.buyer_name_enc, r.source, r.total_packages, r.prescription_no, r.needs_review,
        (SELECT string_agg(d.name || ' ' || d.strength || ' ×' || i.quantity
                           || coalesce(' 批号' || i.batch_no, '') || coalesce(' 追溯码' || i.trace_code, ''), '；' ORDER BY i.line_no)
           FROM registration_item i JOIN drug d ON d.drug_id = i.drug_id WHERE i.registration_id = r.registration_id) AS items
    FROM registration r JOIN pharmacy p ON p.pharmacy_id = r.pharmacy_id JOIN app_user u ON u.user_id = r.clerk_user_id";

fn cells(state: &AppState, r: ExportRow, unmask: bool) -> [String; 15] {
    let id = state
        .pii
        .decrypt(&r.buyer_id_enc, shared::sales::buyer::AAD_ID)
        .unwrap_or_default();
    let name = state
        .pii
        .decrypt(&r.buyer_name_enc, shared::sales::buyer::AAD_NAME)
        .unwrap_or_default();
    let sale_date = to_china(r.created_at).date_naive();
    let parsed = ResidentIdNumber::parse_on(&id, sale_date).ok();
    [
        r.registration_id.to_string(),
        to_china(r.created_at)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        r.pharmacy_name,
        r.licence_number,
        r.district_code,
        r.clerk_name,
        if unmask { name } else { mask_name(&name) },
        if unmask {
            id.clone()
        } else {
            mask_id_number(&id)
        },
        parsed
            .as_ref()
            .map(|p| {
                if p.gender() == shared::domain::Gender::Male {
                    "男"
                } else {
                    "女"
                }
            })
            .unwrap_or("")
            .to_owned(),
        parsed
            .map(|p| p.age_on(sale_date).to_string())
            .unwrap_or_default(),
        match r.source {
            Source::IdCard => "身份证",
            Source::SsCard => "社保卡",
            Source::Manual => "手工录入",
        }
        .to_owned(),
        r.items.unwrap_or_default(),
        r.total_packages.to_string(),
        r.prescription_no.unwrap_or_default(),
        if r.needs_review { "是" } else { "否" }.to_owned(),
    ]
}

/// A CSV cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
/// tab or carriage return first: OWASP's list) gets a leading `'`, which
/// Excel and WPS show as text. Anything a user typed reaches these cells —
/// prescription numbers, names, batch numbers — so every cell is treated.
pub fn neutralise_formula(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Runs the export; chunks of the file arrive on the returned channel (an
/// `Err` ends the stream early and is logged).
pub fn start(
    state: AppState,
    scope: Scope,
    filter: Filter,
    format: Format,
    unmask: bool,
) -> mpsc::Receiver<Result<Vec<u8>, std::io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let result = match format {
            Format::Csv => csv_rows(&state, &scope, &filter, unmask, &tx).await,
            Format::Xlsx => xlsx(&state, &scope, &filter, unmask, &tx).await,
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "export failed");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    rx
}

async fn csv_rows(
    state: &AppState,
    scope: &Scope,
    filter: &Filter,
    unmask: bool,
    tx: &mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(HEADERS)?;
    let mut qb = scoped_select(scope, SCOPE, SELECT);
    push_filters(&mut qb, filter);
    qb.push(" ORDER BY r.created_at, r.registration_id");
    let mut rows = qb.build_query_as::<ExportRow>().fetch(&state.db);
    let mut n = 0usize;
    while let Some(row) = rows.try_next().await? {
        w.write_record(cells(state, row, unmask).map(neutralise_formula))?;
        n += 1;
        if n.is_multiple_of(500) {
            let chunk = std::mem::replace(&mut w, csv::Writer::from_writer(Vec::new()))
                .into_inner()
                .map_err(|e| anyhow::anyhow!("csv: {e}"))?;
            if tx.send(Ok(chunk)).await.is_err() {
                return Ok(()); // the client went away
            }
        }
    }
    w.flush()?;
    let rest = w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))?;
    let _ = tx.send(Ok(rest)).await;
    tracing::info!(rows = n, "export written");
    Ok(())
}

/// Data rows per worksheet: Excel shows at most 1,048,576 rows a sheet, so
/// a bigger export continues on "登记记录 (2)", "(3)"…
pub const XLSX_SHEET_ROWS: u32 = 1_000_000;

/// Writes rows into constant-memory worksheets (rows go to temporary files,
/// not RAM), starting a new sheet every `per_sheet` rows.
pub struct SheetWriter {
    book: rust_xlsxwriter::Workbook,
    per_sheet: u32,
    sheets: u32,
    row: u32,
}

impl SheetWriter {
    pub fn new(per_sheet: u32) -> Self {
        SheetWriter {
            book: rust_xlsxwriter::Workbook::new(),
            per_sheet: per_sheet.max(1),
            sheets: 0,
            row: 0,
        }
    }

    fn start_sheet(&mut self) -> Result<(), rust_xlsxwriter::XlsxError> {
        self.sheets += 1;
        let name = if self.sheets == 1 {
            "登记记录".to_owned()
        } else {
            format!("登记记录 ({})", self.sheets)
        };
        let sheet = self.book.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, h) in HEADERS.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        self.row = 1;
        Ok(())
    }

    /// One data row; every cell is written as a string, never a formula.
    pub fn push(&mut self, cells: &[String]) -> Result<(), rust_xlsxwriter::XlsxError> {
        if self.sheets == 0 || self.row > self.per_sheet {
            self.start_sheet()?;
        }
        let index = self.book.worksheets_mut().len() - 1;
        let sheet = &mut self.book.worksheets_mut()[index];
        for (c, v) in cells.iter().enumerate() {
            sheet.write_string(self.row, c as u16, v)?;
        }
        self.row += 1;
        Ok(())
    }

    /// Writes the workbook to `path` (blocking: zips the sheets' files).
    pub fn save(mut self, path: &std::path::Path) -> Result<(), rust_xlsxwriter::XlsxError> {
        if self.sheets == 0 {
            self.start_sheet()?;
        }
        self.book.save(path)
    }
}

async fn xlsx(
    state: &AppState,
    scope: &Scope,
    filter: &Filter,
    unmask: bool,
    tx: &mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
) -> anyhow::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut writer = SheetWriter::new(XLSX_SHEET_ROWS);
    let mut qb = scoped_select(scope, SCOPE, SELECT);
    push_filters(&mut qb, filter);
    qb.push(" ORDER BY r.created_at, r.registration_id");
    let mut rows = qb.build_query_as::<ExportRow>().fetch(&state.db);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await? {
        writer.push(&cells(state, row, unmask))?;
        n += 1;
    }
    drop(rows);
    // The finished file goes to disk and is sent in chunks: memory stays
    // constant however many rows there are.
    let file = tempfile::NamedTempFile::new()?;
    let path = file.path().to_owned();
    tokio::task::spawn_blocking(move || writer.save(&path)).await??;
    let mut f = tokio::fs::File::open(file.path()).await?;
    loop {
        let mut chunk = vec![0u8; 256 * 1024];
        let read = f.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        chunk.truncate(read);
        if tx.send(Ok(chunk)).await.is_err() {
            return Ok(()); // the client went away
        }
    }
    tracing::info!(rows = n, "export written");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::neutralise_formula;

    #[test]
    fn cells_that_would_run_as_formulas_are_neutralised() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralise_formula(bad.into()), format!("'{bad}"));
        }
        for fine in ["Rx-1", "张*", "420102********123X", "", "1 = 1"] {
            assert_eq!(neutralise_formula(fine.into()), fine);
        }
    }

    #[test]
    fn a_big_export_continues_on_new_sheets_and_keeps_text_as_text() {
        use calamine::{Data, Reader, Xlsx};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.xlsx");
        let mut w = super::SheetWriter::new(2);
        for i in 0..5 {
            let mut row: Vec<String> = (0..15).map(|c| format!("r{i}c{c}")).collect();
            row[13] = "=HYPERLINK(\"http://x\",\"y\")".into();
            w.push(&row).unwrap();
        }
        w.save(&path).unwrap();
        let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
        assert_eq!(
            book.sheet_names(),
            ["登记记录", "登记记录 (2)", "登记记录 (3)"]
        );
        let mut data_rows = 0;
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).unwrap();
            assert_eq!(range.get((0, 0)), Some(&Data::String("登记编号".into())));
            data_rows += range.height() - 1;
            // A string cell, not a formula.
            assert_eq!(
                range.get((1, 13)),
                Some(&Data::String("=HYPERLINK(\"http://x\",\"y\")".into()))
            );
            assert!(
                book.worksheet_formula(&name).unwrap().is_empty()
                    || book.worksheet_formula(&name).unwrap().used_cells().count() == 0
            );
        }
        assert_eq!(data_rows, 5);
    }
}
