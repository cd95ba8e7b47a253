use chrono::{DateTime, FixedOffset, NaiveDate};
use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use shared::codes;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::{CityAdmin, InspectorOrAdmin, Role},
    body::JsonBody,
    paging::{Page, PageRequest},
    time::{day_range, to_china},
};

use super::repo::{self, AuditFilter, AuditRow, PharmacyRow};
use crate::{
    drugs::{api::Drug, repo as drugs},
    registrations::export,
};

pub struct AdminApi;

/// One audit entry. Carries ids and codes only, never personal data.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEntry {
    pub id: i64,
    pub stream: String,
    pub seq: i64,
    pub created_at: DateTime<FixedOffset>,
    pub actor_user_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub detail: serde_json::Value,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.audit_log_id,
            stream: r.stream,
            seq: r.seq,
            created_at: to_china(r.created_at),
            actor_user_id: r.actor_user_id,
            actor_role: r.actor_role,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            detail: r.detail,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AdminPharmacy {
    pub id: Uuid,
    pub name: String,
    pub licence_number: String,
    pub uscc: Option<String>,
    /// The USCC failed its checksum at import (an early pilot code?): review it.
    pub uscc_flagged: bool,
    pub district_code: String,
    pub address: String,
    pub contact_phone: String,
    pub status: PharmacyStatus,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

pub use shared::domain::PharmacyStatus;

impl From<PharmacyRow> for AdminPharmacy {
    fn from(p: PharmacyRow) -> Self {
        AdminPharmacy {
            id: p.pharmacy_id,
            name: p.name,
            licence_number: p.licence_number,
            uscc: p.uscc,
            uscc_flagged: p.uscc_flagged,
            district_code: p.district_code,
            address: p.address,
            contact_phone: p.contact_phone,
            status: p.status,
            created_at: to_china(p.created_at),
            updated_at: to_china(p.updated_at),
        }
    }
}

#[derive(Debug, serde::Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct PharmacyChange {
    pub status: PharmacyStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

#[derive(poem_openapi::ApiResponse)]
pub enum ExportFile {
    /// The file, as an attachment.
    #[oai(status = 200)]
    File(
        poem_openapi::payload::Binary<poem::Body>,
        #[oai(header = "content-type")] String,
        #[oai(header = "content-disposition")] String,
    ),
}

#[OpenApi]
impl AdminApi {
    /// Export registrations within the caller's scope (streamed)
    ///
    /// Personal data is masked; a city admin may ask `unmask=true` for full
    /// names and ID numbers, and every export is audited. CSV has no size
    /// limit; XLSX continues on a new sheet every 1,000,000 rows and is
    /// refused up front (422 `EXPORT_TOO_LARGE`) past
    /// `YAOJIAN_EXPORT_XLSX_MAX_ROWS` (3,000,000 by default). Cells that a
    /// spreadsheet would run as formulas are written as text.
    #[oai(
        path = "/admin/registrations/export",
        method = "get",
        operation_id = "admin_registration_export"
    )]
    #[tracing::instrument(name = "admin.export", skip_all)]
    async fn export(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        format: Query<Option<ExportFormat>>,
        /// First day (China time), inclusive.
        from: Query<Option<NaiveDate>>,
        /// Last day (China time), inclusive.
        to: Query<Option<NaiveDate>>,
        pharmacy_id: Query<Option<Uuid>>,
        #[oai(validator(pattern = r"^[0-9]{6}$"))] district: Query<Option<String>>,
        unmask: Query<Option<bool>>,
    ) -> Result<ExportFile, ApiError> {
        let unmask = unmask.0.unwrap_or(false);
        if unmask && auth.role != Role::CityAdmin {
            return Err(ApiError::forbidden().with_code(
                codes::UNMASK_FORBIDDEN,
                "只有市局管理员可以导出完整身份信息",
            ));
        }
        let (from, to) = day_range(from.0, to.0)?;
        let format = format.0.unwrap_or(ExportFormat::Xlsx);
        let filter = shared::sales::read::Filter {
            from,
            to,
            pharmacy_id: pharmacy_id.0,
            district: district.0,
            ..Default::default()
        };
        if format == ExportFormat::Xlsx {
            // Refused before the 200 is sent: a workbook cut short by an
            // error is a broken file.
            let rows = shared::sales::read::count(&state.db, &auth.scope(), &filter).await?;
            let max = state.config.export_xlsx_max_rows;
            if u64::try_from(rows).unwrap_or(0) > max {
                return Err(ApiError::unprocessable(
                    codes::EXPORT_TOO_LARGE,
                    "导出的记录过多，无法生成 Excel 文件，请缩小日期范围或改用 CSV 格式",
                )
                .detail(format!(
                    "{rows} rows selected; an XLSX export holds at most {max}"
                )));
            }
        }
        Entry::by(&auth.0, Action::RegistrationExport)
            .detail(serde_json::json!({
                "unmask": unmask,
                "format": if format == ExportFormat::Csv { "csv" } else { "xlsx" },
                "from": from.map(|t| t.to_rfc3339()), "to": to.map(|t| t.to_rfc3339()),
                "pharmacy_id": filter.pharmacy_id, "district": filter.district,
            }))
            .append_alone(&state.db)
            .await?;
        let (kind, content_type, ext) = match format {
            ExportFormat::Csv => (export::Format::Csv, "text/csv; charset=utf-8", "csv"),
            ExportFormat::Xlsx => (
                export::Format::Xlsx,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        };
        let rx = export::start(state.clone(), auth.scope(), filter, kind, unmask);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        });
        let name = format!(
            "registrations-{}.{ext}",
            chrono::Utc::now()
                .with_timezone(&shared::time::china())
                .format("%Y%m%d-%H%M%S")
        );
        Ok(ExportFile::File(
            poem_openapi::payload::Binary(poem::Body::from_bytes_stream(stream)),
            content_type.to_owned(),
            format!("attachment; filename=\"{name}\""),
        ))
    }

    /// Pharmacies of the city
    #[oai(
        path = "/admin/pharmacies",
        method = "get",
        operation_id = "admin_pharmacy_list"
    )]
    #[tracing::instrument(name = "admin.pharmacies", skip_all)]
    async fn pharmacies(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        /// Name, licence number, address or USCC contains.
        #[oai(validator(max_length = 64))]
        q: Query<Option<String>>,
        #[oai(validator(pattern = r"^[0-9]{6}$"))] district_code: Query<Option<String>>,
        status: Query<Option<PharmacyStatus>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<AdminPharmacy>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let q = q.0.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let (rows, total) = repo::pharmacies(
            &state.db,
            q,
            district_code.0.as_deref(),
            status.0.map(PharmacyStatus::as_str),
            page,
        )
        .await?;
        Ok(Json(Page::new(
            rows.into_iter().map(Into::into).collect(),
            total,
            page,
        )))
    }

    /// Suspend or reactivate a pharmacy (a suspended pharmacy registers no sales)
    #[oai(
        path = "/admin/pharmacies/:id",
        method = "patch",
        operation_id = "admin_pharmacy_update"
    )]
    #[tracing::instrument(name = "admin.pharmacy_update", skip_all)]
    async fn update_pharmacy(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        id: Path<Uuid>,
        body: JsonBody<PharmacyChange>,
    ) -> Result<Json<AdminPharmacy>, ApiError> {
        let mut tx = state.db.begin().await?;
        let row = repo::set_pharmacy_status(&mut tx, id.0, body.status.as_str())
            .await?
            .ok_or_else(|| ApiError::not_found(codes::PHARMACY_NOT_FOUND, "药店不存在"))?;
        Entry::by(&auth.0, Action::PharmacyUpdate)
            .on(Stream::City)
            .object(id.0)
            .detail(serde_json::json!({ "status": body.status.as_str() }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Json(row.into()))
    }

    /// The drug catalogue (inactive products included)
    #[oai(
        path = "/admin/drugs",
        method = "get",
        operation_id = "admin_drug_list"
    )]
    #[tracing::instrument(name = "admin.drugs", skip_all)]
    async fn drugs(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        #[oai(validator(max_length = 64))] q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Drug>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let q = q.0.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let (rows, total) = drugs::search(&state.db, q, page).await?;
        Ok(Json(Page::new(
            rows.into_iter().map(Drug::from).collect(),
            total,
            page,
        )))
    }

    /// Page through the audit log (newest first)
    #[oai(
        path = "/admin/audit",
        method = "get",
        operation_id = "admin_audit_list"
    )]
    #[tracing::instrument(name = "admin.audit", skip_all)]
    async fn audit(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        /// e.g. `auth.login`
        action: Query<Option<String>>,
        /// e.g. `pharmacy:<id>`, `city`
        stream: Query<Option<String>>,
        actor_user_id: Query<Option<Uuid>>,
        /// First day (China time), inclusive.
        from: Query<Option<NaiveDate>>,
        /// Last day (China time), inclusive.
        to: Query<Option<NaiveDate>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<AuditEntry>>, ApiError> {
        let (from, to) = shared::time::day_range(from.0, to.0)?;
        let page = PageRequest::new(page.0, page_size.0);
        let filter = AuditFilter {
            action: action.0,
            stream: stream.0,
            actor_user_id: actor_user_id.0,
            from,
            to,
        };
        let (rows, total) = repo::list(&state.db, &filter, page).await?;
        Ok(Json(Page::new(
            rows.into_iter().map(AuditEntry::from).collect(),
            total,
            page,
        )))
    }
}
