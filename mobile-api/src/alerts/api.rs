use chrono::{DateTime, FixedOffset};
use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::codes;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry},
    auth::InspectorOrAdmin,
    body::JsonBody,
    paging::{Page, PageRequest},
    time::to_china,
};

use super::repo::{self, AlertRow};

pub struct AlertsApi;

pub use shared::alerts::{AlertKind, AlertStatus};

#[derive(Debug, Clone, Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Alert {
    pub id: Uuid,
    /// `MINOR_ATTEMPT`, `WINDOW_LIMIT`, `MULTI_PHARMACY`, `SYNC_LAG`, `DEAD_LETTER`, `WECHAT_QUOTA`, `WECHAT_CONFIG`
    pub kind: String,
    pub status: String,
    pub district_code: Option<String>,
    pub pharmacy_id: Option<Uuid>,
    pub pharmacy_name: Option<String>,
    pub registration_id: Option<Uuid>,
    pub refused_attempt_id: Option<Uuid>,
    /// Counts and limits (never personal data).
    pub detail: serde_json::Value,
    pub created_at: DateTime<FixedOffset>,
    pub resolved_at: Option<DateTime<FixedOffset>>,
    pub resolved_by: Option<Uuid>,
    pub resolution_note: Option<String>,
}

impl From<AlertRow> for Alert {
    fn from(r: AlertRow) -> Alert {
        Alert {
            id: r.alert_id,
            kind: r.kind.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            district_code: r.district_code,
            pharmacy_id: r.pharmacy_id,
            pharmacy_name: r.pharmacy_name,
            registration_id: r.registration_id,
            refused_attempt_id: r.refused_attempt_id,
            detail: r.detail,
            created_at: to_china(r.created_at),
            resolved_at: r.resolved_at.map(to_china),
            resolved_by: r.resolved_by,
            resolution_note: r.resolution_note,
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// What was done (required).
    pub note: String,
}

#[OpenApi]
impl AlertsApi {
    /// Alerts: inspectors see their district's, city admins all
    #[oai(path = "/alerts", method = "get", operation_id = "alert_list")]
    #[tracing::instrument(name = "alerts.list", skip_all)]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        kind: Query<Option<AlertKind>>,
        status: Query<Option<AlertStatus>>,
        pharmacy_id: Query<Option<Uuid>>,
        /// 6-digit district code (within the caller's scope).
        #[oai(validator(pattern = r"^[0-9]{6}$"))]
        district: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Alert>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let filter = repo::Filter {
            kind: kind.0,
            status: status.0,
            pharmacy_id: pharmacy_id.0,
            district: district.0,
        };
        let (rows, total) = repo::list(&state.db, &auth.scope(), &filter, page).await?;
        Ok(Json(Page::new(
            rows.into_iter().map(Alert::from).collect(),
            total,
            page,
        )))
    }

    /// Resolve an alert with a note of what was done
    #[oai(
        path = "/alerts/:id/resolve",
        method = "post",
        operation_id = "alert_resolve"
    )]
    #[tracing::instrument(name = "alerts.resolve", skip_all)]
    async fn resolve(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        id: Path<Uuid>,
        body: JsonBody<Resolution>,
    ) -> Result<Json<Alert>, ApiError> {
        let note = body.note.trim();
        if note.is_empty() || note.chars().count() > 1000 {
            return Err(
                ApiError::bad_request(codes::VALIDATION_FAILED, "请填写处理说明").field(
                    "note",
                    codes::REQUIRED,
                    "处理说明必填，最多 1000 字",
                ),
            );
        }
        let mut tx = state.db.begin().await?;
        let alert = repo::get_for_update(&mut tx, &auth.scope(), id.0)
            .await?
            .ok_or_else(|| ApiError::not_found(codes::ALERT_NOT_FOUND, "预警不存在"))?;
        if alert.status == AlertStatus::Resolved {
            return Err(ApiError::conflict(
                codes::ALERT_ALREADY_RESOLVED,
                "该预警已处理",
            ));
        }
        repo::resolve(&mut tx, id.0, auth.user_id, note).await?;
        Entry::by(&auth.0, Action::AlertResolve)
            .object(id.0)
            .detail(json!({ "kind": alert.kind }))
            .append(&mut tx)
            .await?;
        let row = repo::get_for_update(&mut tx, &auth.scope(), id.0)
            .await?
            .ok_or_else(|| ApiError::not_found(codes::ALERT_NOT_FOUND, "预警不存在"))?;
        tx.commit().await?;
        Ok(Json(row.into()))
    }
}
