//! Imports of pharmacies and drugs: the spreadsheet is read and checked by
//! `crate::imports` (no database), then valid rows are applied here in one
//! transaction with one set-based upsert keyed by licence number / barcode, so
//! a re-import updates instead of duplicating and 10,000 rows take one round
//! trip. A dry run does the same and rolls back, so its counts are exact.

use shared::codes::{self, Code};
use std::collections::HashMap;

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use serde_json::json;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::CityAdmin,
    error::FieldError,
    upload::{Upload, UploadSpec},
};

use crate::imports::{self, DistrictRef, ImportFileError, Parsed, RejectedRow, RowWarning};

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

fn rejected(rows: Vec<RejectedRow>) -> Vec<ImportRejected> {
    let mut out: Vec<ImportRejected> = rows
        .into_iter()
        .map(|r| ImportRejected {
            row: r.row,
            errors: r.errors,
        })
        .collect();
    out.sort_by_key(|r| r.row);
    out
}

/// Counts of an upsert: rows inserted (`xmax = 0`) and rows updated.
fn counts(inserted: &[bool]) -> (u64, u64) {
    let created = inserted.iter().filter(|i| **i).count() as u64;
    (created, inserted.len() as u64 - created)
}

async fn audit_import(
    tx: &mut sqlx::PgConnection,
    auth: &CityAdmin,
    action: Action,
    created: u64,
    updated: u64,
    rejected: usize,
) -> Result<(), ApiError> {
    Entry::by(&auth.0, action)
        .on(Stream::City)
        .detail(json!({ "created": created, "updated": updated, "rejected": rejected }))
        .append(tx)
        .await?;
    Ok(())
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
        let mut rejected_rows = parsed.rejected;
        let mut tx = state.db.begin().await?;
        let districts: Vec<(String, String)> =
            sqlx::query!("SELECT district_code, name FROM district")
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|d| (d.district_code, d.name))
                .collect();
        let by_name: HashMap<&str, &str> = districts
            .iter()
            .map(|(c, n)| (n.as_str(), c.as_str()))
            .collect();
        let known = |c: &str| districts.iter().any(|(code, _)| code == c);

        let (
            mut ids,
            mut names,
            mut licences,
            mut usccs,
            mut flagged,
            mut district_codes,
            mut addresses,
            mut phones,
            mut statuses,
        ) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for (row, p) in parsed.records {
            let code = match &p.district {
                DistrictRef::Code(c) if known(c) => Some(c.clone()),
                DistrictRef::Name(n) => by_name.get(n.as_str()).map(|c| c.to_string()),
                _ => None,
            };
            let Some(code) = code else {
                let field = if matches!(p.district, DistrictRef::Code(_)) {
                    "district_code"
                } else {
                    "district"
                };
                rejected_rows.push(RejectedRow {
                    row,
                    errors: vec![FieldError::new(
                        field,
                        codes::DISTRICT_UNKNOWN,
                        "本市没有这个区，请填写正确的区划代码或区名（如 420106 或 武昌区）",
                    )],
                });
                continue;
            };
            ids.push(Uuid::now_v7());
            names.push(p.name);
            licences.push(p.licence_number);
            usccs.push(p.uscc);
            flagged.push(p.uscc_flagged);
            district_codes.push(code);
            addresses.push(p.address);
            phones.push(p.contact_phone);
            statuses.push(p.status.as_str().to_owned());
        }
        let inserted: Vec<bool> = sqlx::query_scalar!(r#"INSERT INTO pharmacy (pharmacy_id, name, licence_number, uscc, uscc_flagged, district_code, address, contact_phone, status)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[])
             ON CONFLICT (licence_number) DO UPDATE SET name = excluded.name, uscc = excluded.uscc, uscc_flagged = excluded.uscc_flagged,
                 district_code = excluded.district_code, address = excluded.address, contact_phone = excluded.contact_phone, status = excluded.status
             RETURNING (xmax = 0) AS "inserted!""#, &ids, &names, &licences, &usccs as &[Option<String>], &flagged, &district_codes, &addresses, &phones, &statuses)
        .fetch_all(&mut *tx)
        .await?;
        let (created, updated) = counts(&inserted);
        if dry_run {
            tx.rollback().await?;
        } else {
            audit_import(
                &mut tx,
                &auth,
                Action::PharmacyImport,
                created,
                updated,
                rejected_rows.len(),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(Json(ImportResult {
            created,
            updated,
            rejected: rejected(rejected_rows),
            warnings: parsed.warnings,
            unknown_columns: parsed.unknown_columns,
            dry_run,
        }))
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
        let (
            mut ids,
            mut barcodes,
            mut approvals,
            mut names,
            mut strengths,
            mut makers,
            mut units,
            mut categories,
            mut rx,
            mut caps,
            mut active,
        ) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for (_, d) in parsed.records {
            ids.push(Uuid::now_v7());
            barcodes.push(d.barcode);
            approvals.push(d.approval_number);
            names.push(d.name);
            strengths.push(d.strength);
            makers.push(d.manufacturer);
            units.push(d.package_unit);
            categories.push(d.special_category.to_owned());
            rx.push(d.rx_only);
            caps.push(d.max_per_purchase);
            active.push(d.active);
        }
        let mut tx = state.db.begin().await?;
        let inserted: Vec<bool> = sqlx::query_scalar!(r#"INSERT INTO drug (drug_id, barcode, approval_number, name, strength, manufacturer, package_unit, special_category, rx_only, max_per_purchase, active)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[], $10::int4[], $11::bool[])
             ON CONFLICT (barcode) DO UPDATE SET approval_number = excluded.approval_number, name = excluded.name, strength = excluded.strength,
                 manufacturer = excluded.manufacturer, package_unit = excluded.package_unit, special_category = excluded.special_category,
                 rx_only = excluded.rx_only, max_per_purchase = excluded.max_per_purchase, active = excluded.active
             RETURNING (xmax = 0) AS "inserted!""#, &ids, &barcodes, &approvals, &names, &strengths, &makers, &units, &categories, &rx, &caps as &[Option<i32>], &active)
        .fetch_all(&mut *tx)
        .await?;
        let (created, updated) = counts(&inserted);
        if dry_run {
            tx.rollback().await?;
        } else {
            audit_import(
                &mut tx,
                &auth,
                Action::DrugImport,
                created,
                updated,
                parsed.rejected.len(),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(Json(ImportResult {
            created,
            updated,
            rejected: rejected(parsed.rejected),
            warnings: parsed.warnings,
            unknown_columns: parsed.unknown_columns,
            dry_run,
        }))
    }
}
