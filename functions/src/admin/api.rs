use chrono::{DateTime, FixedOffset, NaiveDate};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    auth::CityAdmin,
    paging::{Page, PageRequest},
    time::to_china,
};

use super::repo::{self, AuditFilter, AuditRow};
use crate::Tag;

pub struct AdminApi;

/// One audit entry. Carries ids and codes only, never personal data.
#[derive(Debug, Object)]
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

#[OpenApi(tag = "Tag::Admin")]
impl AdminApi {
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
