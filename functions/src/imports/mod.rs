//! Import of pharmacies and drugs from `.xlsx` or `.csv` files (SPEC §5,
//! `POST /admin/pharmacies/import`, `POST /admin/drugs/import`).
//!
//! This module turns the uploaded bytes into validated records and per-row
//! errors; it does no database work. The caller checks the upload size
//! (20 MiB), resolves district names, and applies the valid rows in one
//! transaction.
//!
//! ```text
//! let sheet = read_sheet(&bytes, Some("武昌区药店.xlsx"))?;    // ImportFileError: whole file refused
//! let parsed = parse_pharmacies(&sheet)?;                       // missing/duplicate columns: refused
//! // parsed.records: (row, PharmacyRecord); parsed.rejected: row + field errors;
//! // parsed.warnings; parsed.unknown_columns
//! ```
//!
//! # Reading ([`read_sheet`])
//! - The format comes from the bytes: a ZIP is read as an `.xlsx` workbook
//!   (its first visible worksheet); pictures, PDFs, legacy `.xls` and other
//!   binary files are refused ([`ImportFileError::NotASpreadsheet`]); text is
//!   read as CSV in UTF-8 (BOM or not), UTF-16 with BOM, or GB18030/GBK.
//!   The delimiter is a comma, or a tab or semicolon when the first lines
//!   hold more of those.
//! - The header row is the first non-empty row. Empty rows are skipped; every
//!   row keeps the number Excel shows for it (a CSV cell with line breaks
//!   inside quotes is one row). At most [`MAX_DATA_ROWS`] data rows.
//! - Cells are trimmed (full-width and zero-width spaces too) and control
//!   characters dropped. Numbers are rendered as Excel shows them with the
//!   General format, except that whole numbers are always written out in full
//!   (barcode `6901234567892` stored as a number stays `6901234567892`); dates
//!   as `YYYY-MM-DD`; booleans as 是/否; formula cells give their cached value.
//!   A value in vertically merged cells applies to every row it covers.
//!
//! # Header row
//! Either the English name or a Chinese name is accepted, in any order.
//! Matching ignores case, spaces (also full-width and inside the name), `_`,
//! `-`, a leading or trailing `*` (or `＊`), a trailing `（必填）`/`(必填)`/
//! `(选填)`/`(可选)`/`(required)`/`(optional)`, and, when nothing else
//! matches, any trailing note in brackets (`区划代码(6位)`). Full-width
//! letters count as half-width. A header cell that matches no column is
//! reported in [`Parsed::unknown_columns`] and its column ignored. A missing
//! required column, or the same column twice, refuses the file
//! ([`ImportFileError::MissingColumns`], [`ImportFileError::DuplicateColumns`]).
//! When the first row lacks required columns but one of the next five rows
//! has them all, that row is the header (a title row above the table).
//!
//! ## Pharmacies ([`parse_pharmacies`]; key `licence_number`)
//! | column | Chinese | also accepted | cell |
//! |---|---|---|---|
//! | `name` (required) | 药店名称 | 药店名, 企业名称, 零售药店名称, pharmacy_name | ≤ 100 characters |
//! | `licence_number` (required) | 许可证编号 | 许可证号, 许可证号码, 药品经营许可证编号, 药品经营许可证号, 经营许可证编号, license_number, licence_no, license_no | ≤ 50 characters; spaces removed, letters upper-cased |
//! | `uscc` | 统一社会信用代码 | 社会信用代码, 信用代码, credit_code | empty, or 18 characters (GB 32100); a failing check character is accepted with a warning and `uscc_flagged` |
//! | `district_code` (this or `district` required) | 区划代码 | 行政区划代码, 区代码 | 6 digits; wins over `district` when both are filled |
//! | `district` | 所属区 | 所在区, 辖区, 区县, 所属区县, district_name | district name, ≤ 50 characters |
//! | `address` | 地址 | 经营地址, 注册地址, 详细地址 | ≤ 200 characters |
//! | `contact_phone` | 联系电话 | 电话, 联系方式, phone | one number: mobile (11 digits starting with 1), landline `027-85551234`, `02785551234`, `(027)85551234`, local `85551234`, `400…`, with extension `-123`/`转123` |
//! | `status` | 状态 | 经营状态, 营业状态 | `active` 正常 (营业, 在营) / `suspended` 停业 (暂停营业, 歇业); empty = active |
//!
//! ## Drugs ([`parse_drugs`]; key `barcode`)
//! | column | Chinese | also accepted | cell |
//! |---|---|---|---|
//! | `barcode` (required) | 条形码 | 条码, 商品条码, 药品条码, 药品条形码, gtin | GTIN-8/12/13/14 with a valid check digit |
//! | `approval_number` (required) | 批准文号 | 药品批准文号, 国药准字, approval_no | `国药准字` + H/Z/S/J + 8 digits |
//! | `name` (required) | 药品名称 | 通用名称, 通用名, 药品通用名称, 品名, drug_name | ≤ 100 characters |
//! | `strength` | 规格 | 药品规格, 规格型号, specification | ≤ 100 characters |
//! | `manufacturer` | 生产企业 | 生产厂家, 生产单位, 厂家, 上市许可持有人 | ≤ 200 characters |
//! | `package_unit` | 包装单位 | 单位, unit | ≤ 10 characters; empty = 盒 |
//! | `special_category` (required) | 特殊药品类别 | 特殊药品分类, category | `ephedrine` 含麻黄碱类 (含麻黄碱类复方制剂), `codeine` 含可待因口服液体 (含可待因复方口服液体制剂), `diphenoxylate` 复方地芬诺酯片, `liquorice` 复方甘草片 |
//! | `rx_only` | 处方药 | 是否处方药, 处方药标识, rx | 是/否, true/false, 1/0, Y/N, yes/no, 处方药/非处方药/OTC; empty = 否 |
//! | `max_per_purchase` | 每次限购 | 每次限购数量, 限购数量, 限购 | positive whole number; empty = no cap of its own |
//! | `active` | 状态 | 是否启用, 启用, status | 正常/停用, active/inactive, 启用/禁用, 是/否, true/false, 1/0; empty = active |
//!
//! # Row errors
//! Every problem of a row is reported (`field` = English column name):
//! `REQUIRED`, `TOO_LONG`, `USCC_FORMAT`, `DISTRICT_INVALID`, `STATUS_INVALID`,
//! `PHONE_INVALID`, `BARCODE_INVALID`, `APPROVAL_NUMBER_INVALID`,
//! `CATEGORY_INVALID`, `BOOL_INVALID` (`rx_only`, `active`),
//! `MAX_PER_PURCHASE_INVALID`, and `DUPLICATE_IN_FILE` on a later row that
//! repeats a key (its message names the first row). Warnings (row kept):
//! `USCC_CHECKSUM`. Identifiers are stored normalised: half-width, without
//! spaces, in the form of `shared::domain`'s `as_str()`.

pub mod api;
pub mod apply;
mod columns;
mod drugs;
mod error;
mod labels;
mod pharmacies;
mod sheet;
mod values;
mod workbook_guard;

pub use columns::{Parsed, RejectedRow, RowWarning};
pub use drugs::{DEFAULT_PACKAGE_UNIT, DrugRecord, parse_drugs};
pub use error::ImportFileError;
pub use pharmacies::{DistrictRef, PharmacyRecord, parse_pharmacies};
pub use sheet::{MAX_DATA_ROWS, Sheet, SheetRow, read_sheet};
pub use values::PharmacyStatus;

#[cfg(test)]
mod tests;

/// The `imports` function group.
pub struct Imports;

impl shared::group::Group for Imports {
    const NAME: &'static str = "imports";
    const DESCRIPTION: &'static str = "市局管理：药店和药品批量导入（xlsx、csv）";
    /// Workbooks are parsed in memory (bounded, see `workbook_guard`).
    const DEPLOY: shared::group::Deploy = shared::group::Deploy { memory_mb: 1024 };
    type Api = api::ImportApi;
    fn api() -> Self::Api {
        api::ImportApi
    }
}
