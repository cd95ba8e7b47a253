//! Imports of pharmacies and drugs: the spreadsheet is read and checked by
//! `crate::imports` (no database), then valid rows are applied by
//! [`super::apply`] in one transaction with one set-based upsert keyed by
//! licence number / barcode, so a re-import updates instead of duplicating and
//! 10,000 rows take one round trip. A dry run does the same and rolls back, so
//! its counts are exact.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};

use shared::{
    ApiError, AppState,
    auth::CityAdmin,
    codes::{self, Code},
    error::FieldError,
    upload::{Upload, UploadSpec},
};

use super::apply;
use crate::imports::{self, ImportFileError, Parsed, RowWarning};

pub struct ImportApi;

/// An import file: multipart `file`, `.xlsx` or `.csv`, at most 20 MiB.
pub struct ImportFile;

#[derive(poem_openapi::Multipart)]
#[allow(dead_code)]
pub struct ImportForm {
    /// `.xlsx` or `.csv` (UTF-8 or GB18030), header row first.
    file: poem_openapi::types::multipart::Upload,
}

impl UploadSpec for ImportFile {
    const FIELD: &'static str = "file";
    const LIMIT: usize = 20 * 1024 * 1024;
    const TOO_LARGE_CODE: Code = codes::FILE_TOO_LARGE;
    const TOO_LARGE_TITLE: &'static str = "文件超过 20 MB，请拆分后分批导入";
    type Form = ImportForm;
}

#[derive(Debug, Object)]
pub struct ImportRejected {
    /// Spreadsheet row number (header = 1).
    pub row: usize,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Object)]
pub struct ImportResult {
    pub created: u64,
    pub updated: u64,
    pub rejected: Vec<ImportRejected>,
    pub warnings: Vec<RowWarning>,
    /// Header cells that matched no known column (ignored).
    pub unknown_columns: Vec<String>,
    pub dry_run: bool,
}

fn file_error(e: ImportFileError) -> ApiError {
    let mut err = ApiError::unprocessable(e.code(), "导入文件无法读取").with_title(e.message());
    err.errors = e.field_errors();
    err
}

async fn parse<T: Send + 'static>(
    upload: Upload<ImportFile>,
    parse: fn(&imports::Sheet) -> Result<Parsed<T>, ImportFileError>,
) -> Result<Parsed<T>, ApiError> {
    tokio::task::spawn_blocking(move || {
        let sheet = imports::read_sheet(&upload.bytes, upload.filename.as_deref())?;
        parse(&sheet)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(file_error)
}

impl ImportResult {
    /// The answer for what an import did, its rejected rows in file order.
    fn of(
        applied: apply::Applied,
        warnings: Vec<RowWarning>,
        unknown_columns: Vec<String>,
        dry_run: bool,
    ) -> ImportResult {
        let mut rejected: Vec<ImportRejected> = applied
            .rejected
            .into_iter()
            .map(|r| ImportRejected {
                row: r.row,
                errors: r.errors,
            })
            .collect();
        rejected.sort_by_key(|r| r.row);
        ImportResult {
            created: applied.created,
            updated: applied.updated,
            rejected,
            warnings,
            unknown_columns,
            dry_run,
        }
    }
}

#[OpenApi]
impl ImportApi {
    /// Import pharmacies from `.xlsx` or `.csv` (keyed by licence number)
    ///
    /// Headers in Chinese or English, any order: 药店名称 name, 许可证编号
    /// licence_number, 统一社会信用代码 uscc, 区划代码 district_code or 所属区
    /// district, 地址 address, 联系电话 contact_phone, 状态 status.
    #[oai(
        path = "/admin/pharmacies/import",
        method = "post",
        operation_id = "admin_pharmacy_import"
    )]
    #[tracing::instrument(name = "admin.pharmacy_import", skip_all)]
    async fn pharmacies(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        dry_run: Query<Option<bool>>,
        file: Upload<ImportFile>,
    ) -> Result<Json<ImportResult>, ApiError> {
        let dry_run = dry_run.0.unwrap_or(false);
        let parsed = parse(file, imports::parse_pharmacies).await?;
        let applied =
            apply::pharmacies(&state.db, &auth, parsed.records, parsed.rejected, dry_run).await?;
        Ok(Json(ImportResult::of(
            applied,
            parsed.warnings,
            parsed.unknown_columns,
            dry_run,
        )))
    }

    /// Import drugs from `.xlsx` or `.csv` (keyed by barcode)
    ///
    /// Headers in Chinese or English, any order: 条形码 barcode, 批准文号
    /// approval_number, 药品名称 name, 规格 strength, 生产企业 manufacturer,
    /// 包装单位 package_unit, 特殊药品类别 special_category, 处方药 rx_only,
    /// 每次限购 max_per_purchase, 状态 active.
    #[oai(
        path = "/admin/drugs/import",
        method = "post",
        operation_id = "admin_drug_import"
    )]
    #[tracing::instrument(name = "admin.drug_import", skip_all)]
    async fn drugs(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        dry_run: Query<Option<bool>>,
        file: Upload<ImportFile>,
    ) -> Result<Json<ImportResult>, ApiError> {
        let dry_run = dry_run.0.unwrap_or(false);
        let parsed = parse(file, imports::parse_drugs).await?;
        let applied =
            apply::drugs(&state.db, &auth, parsed.records, parsed.rejected, dry_run).await?;
        Ok(Json(ImportResult::of(
            applied,
            parsed.warnings,
            parsed.unknown_columns,
            dry_run,
        )))
    }
}
