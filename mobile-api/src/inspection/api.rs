use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::codes;
use uuid::Uuid;

use shared::sales::{Registration, read as registrations, view::views};
use shared::{
    ApiError, AppState,
    audit::{Action, Entry},
    auth::{Caller, Inspector, InspectorOrAdmin},
    body::JsonBody,
    idempotency::{self, IdempotencyKey},
    paging::{Page, PageRequest},
    time::{day_range, to_china},
};

use super::repo::{self, InspectionRow, PharmacyRow, RefusedRow};
use crate::alerts;

pub struct InspectionApi;

#[derive(Debug, Clone, Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PharmacySummary {
    pub id: Uuid,
    pub name: String,
    pub licence_number: String,
    pub uscc: Option<String>,
    pub district_code: String,
    pub district_name: String,
    pub address: String,
    pub contact_phone: String,
    /// `active` or `suspended`
    pub status: String,
    pub registrations_30d: i64,
    pub refused_30d: i64,
    pub open_alerts: i64,
    pub last_inspected_at: Option<DateTime<FixedOffset>>,
}

impl From<PharmacyRow> for PharmacySummary {
    fn from(p: PharmacyRow) -> Self {
        PharmacySummary {
            id: p.pharmacy_id,
            name: p.name,
            licence_number: p.licence_number,
            uscc: p.uscc,
            district_code: p.district_code,
            district_name: p.district_name,
            address: p.address,
            contact_phone: p.contact_phone,
            status: p.status,
            registrations_30d: p.registrations_30d,
            refused_30d: p.refused_30d,
            open_alerts: p.open_alerts,
            last_inspected_at: p.last_inspected_at.map(to_china),
        }
    }
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct RefusedAttempt {
    pub id: Uuid,
    /// The rule that refused it, e.g. `MINOR_NOT_ALLOWED`.
    pub code: String,
    pub clerk_id: Uuid,
    pub detail: serde_json::Value,
    pub created_at: DateTime<FixedOffset>,
}

impl From<RefusedRow> for RefusedAttempt {
    fn from(r: RefusedRow) -> Self {
        RefusedAttempt {
            id: r.refused_attempt_id,
            code: r.code,
            clerk_id: r.clerk_user_id,
            detail: r.detail,
            created_at: to_china(r.created_at),
        }
    }
}

pub use super::repo::{Disposition, InspectionResult};

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct PhotoRef {
    pub key: Uuid,
    pub url: String,
    pub thumbnail_url: String,
}

impl PhotoRef {
    pub fn of(id: Uuid) -> PhotoRef {
        PhotoRef {
            key: id,
            url: format!("/api/v1/inspection/photos/{id}"),
            thumbnail_url: format!("/api/v1/inspection/photos/{id}/thumbnail"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct Inspection {
    pub id: Uuid,
    pub pharmacy_id: Uuid,
    pub pharmacy_name: String,
    pub district_code: String,
    pub inspector_id: Uuid,
    pub inspector_name: String,
    pub result: InspectionResult,
    pub findings: String,
    pub disposition: Disposition,
    pub photos: Vec<PhotoRef>,
    pub inspected_at: DateTime<FixedOffset>,
    pub created_at: DateTime<FixedOffset>,
}

fn inspection_view(r: InspectionRow, photos: Vec<Uuid>) -> Inspection {
    Inspection {
        id: r.inspection_id,
        pharmacy_id: r.pharmacy_id,
        pharmacy_name: r.pharmacy_name,
        district_code: r.district_code,
        inspector_id: r.inspector_id,
        inspector_name: r.inspector_name,
        result: r.result,
        findings: r.findings,
        disposition: r.disposition,
        photos: photos.into_iter().map(PhotoRef::of).collect(),
        inspected_at: to_china(r.inspected_at),
        created_at: to_china(r.created_at),
    }
}

async fn with_photos(
    state: &AppState,
    rows: Vec<InspectionRow>,
) -> Result<Vec<Inspection>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.inspection_id).collect();
    let mut conn = state.db.acquire().await?;
    let photos = repo::photos_of(&mut conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = photos
                .iter()
                .filter(|(i, _)| *i == r.inspection_id)
                .map(|(_, p)| *p)
                .collect();
            inspection_view(r, mine)
        })
        .collect())
}

/// What an inspector sees of a pharmacy on site.
#[derive(Debug, Serialize, Object)]
pub struct PharmacyDetail {
    pub pharmacy: PharmacySummary,
    /// The last 30 days, newest first (at most 50).
    pub recent_registrations: Vec<Registration>,
    /// Refused attempts of the last 30 days (at most 100).
    pub refused_attempts: Vec<RefusedAttempt>,
    pub open_alerts: Vec<alerts::api::Alert>,
    /// The last inspections (at most 5).
    pub inspections: Vec<Inspection>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewInspection {
    pub result: InspectionResult,
    /// What was found; required when `issues_found`.
    #[serde(default)]
    pub findings: String,
    pub disposition: Disposition,
    /// Keys of photos uploaded with `POST /inspection/photos`.
    #[serde(default)]
    pub photo_keys: Vec<Uuid>,
    /// When the visit took place (default: now).
    pub inspected_at: Option<DateTime<FixedOffset>>,
}

#[derive(ApiResponse)]
pub enum CreatedInspection {
    #[oai(status = 201)]
    Created(Json<Inspection>),
}

fn pharmacy_not_found() -> ApiError {
    ApiError::not_found(codes::PHARMACY_NOT_FOUND, "药店不存在或不在您的辖区")
}

fn validate(body: &NewInspection) -> Result<(), ApiError> {
    let findings = body.findings.trim();
    if findings.chars().count() > 5000 {
        return Err(
            ApiError::bad_request(codes::VALIDATION_FAILED, "检查发现过长").field(
                "findings",
                codes::TOO_LONG,
                "最多 5000 字",
            ),
        );
    }
    if body.result == InspectionResult::IssuesFound && findings.is_empty() {
        return Err(
            ApiError::unprocessable(codes::FINDINGS_REQUIRED, "发现问题时请填写检查发现").field(
                "findings",
                codes::REQUIRED,
                "请填写检查发现",
            ),
        );
    }
    if body.result == InspectionResult::Compliant && body.disposition != Disposition::None {
        return Err(ApiError::unprocessable(
            codes::DISPOSITION_INCONSISTENT,
            "检查合格时处置应为“无”",
        )
        .field(
            "disposition",
            codes::DISPOSITION_INCONSISTENT,
            "合格时处置应为 none",
        ));
    }
    if body.photo_keys.len() > 20 {
        return Err(
            ApiError::bad_request(codes::VALIDATION_FAILED, "照片最多 20 张").field(
                "photo_keys",
                codes::TOO_MANY,
                "最多 20 张",
            ),
        );
    }
    if let Some(t) = body.inspected_at
        && (t.with_timezone(&Utc) > Utc::now() + Duration::minutes(10)
            || t.with_timezone(&Utc) < Utc::now() - Duration::days(30))
    {
        return Err(ApiError::unprocessable(
            codes::INSPECTED_AT_INVALID,
            "检查时间应在 30 天内且不晚于现在",
        )
        .field(
            "inspected_at",
            codes::INSPECTED_AT_INVALID,
            "检查时间不正确",
        ));
    }
    Ok(())
}

/// Records an inspection of `pharmacy_id` by `inspector`, in the caller's
/// transaction: the pharmacy must be in the inspector's scope (else 404) and
/// every photo uploaded by them and not yet used (else 422, nothing kept
/// once the transaction rolls back); audited. `body` is validated already.
/// The handler runs it under its `Idempotency-Key`; tests call it directly.
pub async fn record_inspection(
    tx: &mut sqlx::PgConnection,
    inspector: &Caller,
    pharmacy_id: Uuid,
    body: &NewInspection,
) -> Result<Inspection, ApiError> {
    let pharmacy = repo::pharmacy(tx, &inspector.scope(), pharmacy_id)
        .await?
        .ok_or_else(pharmacy_not_found)?;
    let inspection_id = repo::insert(
        tx,
        repo::NewInspection {
            pharmacy_id,
            district_code: &pharmacy.district_code,
            inspector_id: inspector.user_id,
            result: body.result.as_str(),
            findings: body.findings.trim(),
            disposition: body.disposition.as_str(),
            inspected_at: body
                .inspected_at
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(Utc::now),
        },
    )
    .await?;
    let mut photo_keys = body.photo_keys.clone();
    photo_keys.sort();
    photo_keys.dedup();
    let attached = repo::attach_photos(
        tx,
        inspection_id,
        inspector.user_id,
        &pharmacy.district_code,
        &photo_keys,
    )
    .await?;
    if attached != photo_keys.len() as u64 {
        return Err(ApiError::unprocessable(
            codes::PHOTO_INVALID,
            "有照片不存在、不是您上传的或已用于其他检查，请重新上传",
        )
        .field("photo_keys", codes::PHOTO_INVALID, "照片无效"));
    }
    Entry::by(inspector, Action::InspectionCreate)
    .object(inspection_id)
    .detail(json!({ "pharmacy_id": pharmacy_id, "result": body.result.as_str(), "disposition": body.disposition.as_str(), "photos": attached }))
    .append(tx)
    .await?;
    let row = repo::inspection(tx, inspection_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("inserted inspection not found")))?;
    Ok(inspection_view(row, photo_keys))
}

#[OpenApi]
impl InspectionApi {
    /// Find pharmacies of the caller's district by name, licence number or address
    #[oai(
        path = "/inspection/pharmacies",
        method = "get",
        operation_id = "inspection_pharmacy_search"
    )]
    #[tracing::instrument(name = "inspection.pharmacies", skip_all)]
    async fn pharmacies(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        #[oai(validator(max_length = 64))] q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<PharmacySummary>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let q = q.0.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let (rows, total) = repo::search(&state.db, &auth.scope(), q, page).await?;
        Ok(Json(Page::new(
            rows.into_iter().map(Into::into).collect(),
            total,
            page,
        )))
    }

    /// A pharmacy on site: its last 30 days, open alerts and past inspections
    #[oai(
        path = "/inspection/pharmacies/:id",
        method = "get",
        operation_id = "inspection_pharmacy_detail"
    )]
    #[tracing::instrument(name = "inspection.pharmacy", skip_all)]
    async fn pharmacy(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        id: Path<Uuid>,
    ) -> Result<Json<PharmacyDetail>, ApiError> {
        let scope = auth.scope();
        let mut conn = state.db.acquire().await?;
        let pharmacy = repo::pharmacy(&mut conn, &scope, id.0)
            .await?
            .ok_or_else(pharmacy_not_found)?;
        let refused = repo::refused_recent(&mut conn, id.0).await?;
        drop(conn);
        let filter = registrations::Filter {
            pharmacy_id: Some(id.0),
            from: Some(Utc::now() - Duration::days(30)),
            ..Default::default()
        };
        let (rows, _) = registrations::list(
            &state.db,
            &scope,
            &filter,
            PageRequest::new(Some(1), Some(50)),
        )
        .await?;
        let recent_registrations = views(&state, rows)?;
        let alert_filter = alerts::repo::Filter {
            status: Some(shared::alerts::AlertStatus::Open),
            pharmacy_id: Some(id.0),
            kind: None,
            district: None,
        };
        let (alert_rows, _) = alerts::repo::list(
            &state.db,
            &scope,
            &alert_filter,
            PageRequest::new(Some(1), Some(100)),
        )
        .await?;
        let (inspection_rows, _) = repo::inspections(
            &state.db,
            &scope,
            Some(id.0),
            PageRequest::new(Some(1), Some(5)),
        )
        .await?;
        Ok(Json(PharmacyDetail {
            pharmacy: pharmacy.into(),
            recent_registrations,
            refused_attempts: refused.into_iter().map(Into::into).collect(),
            open_alerts: alert_rows.into_iter().map(Into::into).collect(),
            inspections: with_photos(&state, inspection_rows).await?,
        }))
    }

    /// A pharmacy's registrations in a date range
    #[oai(
        path = "/inspection/pharmacies/:id/registrations",
        method = "get",
        operation_id = "inspection_pharmacy_registrations"
    )]
    #[tracing::instrument(name = "inspection.registrations", skip_all)]
    async fn registrations(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        id: Path<Uuid>,
        /// First day (China time), inclusive.
        from: Query<Option<NaiveDate>>,
        /// Last day (China time), inclusive.
        to: Query<Option<NaiveDate>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Registration>>, ApiError> {
        let scope = auth.scope();
        let (from, to) = day_range(from.0, to.0)?;
        let mut conn = state.db.acquire().await?;
        repo::pharmacy(&mut conn, &scope, id.0)
            .await?
            .ok_or_else(pharmacy_not_found)?;
        drop(conn);
        let page = PageRequest::new(page.0, page_size.0);
        let filter = registrations::Filter {
            pharmacy_id: Some(id.0),
            from,
            to,
            ..Default::default()
        };
        let (rows, total) = registrations::list(&state.db, &scope, &filter, page).await?;
        Ok(Json(Page::new(views(&state, rows)?, total, page)))
    }

    /// Record an inspection of a pharmacy of the inspector's district
    #[oai(
        path = "/inspection/pharmacies/:id/inspections",
        method = "post",
        operation_id = "inspection_create"
    )]
    #[tracing::instrument(name = "inspection.create", skip_all)]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: Inspector,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewInspection>,
    ) -> Result<CreatedInspection, ApiError> {
        validate(&body)?;
        let view = idempotency::run(
            &state,
            auth.user_id,
            &key,
            &(&id.0, &body.0),
            &[],
            async |tx| record_inspection(tx, &auth, id.0, &body).await,
        )
        .await?;
        Ok(CreatedInspection::Created(Json(view)))
    }

    /// Past inspections within the caller's scope, newest first
    #[oai(
        path = "/inspection/inspections",
        method = "get",
        operation_id = "inspection_list"
    )]
    #[tracing::instrument(name = "inspection.list", skip_all)]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        pharmacy_id: Query<Option<Uuid>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Inspection>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let (rows, total) =
            repo::inspections(&state.db, &auth.scope(), pharmacy_id.0, page).await?;
        Ok(Json(Page::new(
            with_photos(&state, rows).await?,
            total,
            page,
        )))
    }
}
