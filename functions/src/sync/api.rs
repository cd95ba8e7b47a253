use chrono::{DateTime, FixedOffset};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    auth::CityAdmin,
    paging::{Page, PageRequest},
    time::to_china,
};

use super::repo;

pub struct SyncApi;

#[derive(Debug, Object)]
pub struct TargetStatus {
    pub target: String,
    pub url: String,
    pub pending: i64,
    /// Seconds since the oldest undelivered record was written (the lag).
    pub oldest_pending_secs: i64,
    /// The lag that raises a `SYNC_LAG` alert.
    pub lag_alert_secs: u64,
    pub delivered_last_hour: i64,
    pub failed_batches_last_hour: i64,
    pub dead_letters: i64,
    pub rejected: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Batch {
    pub id: Uuid,
    pub target: String,
    pub records: i32,
    pub bytes: i32,
    pub duration_ms: i32,
    pub http_status: Option<i32>,
    /// `delivered`, `partial` or `failed`
    pub outcome: String,
    pub accepted: i32,
    pub rejected: i32,
    pub error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

/// A record a data centre refused, with its reason (回流).
#[derive(Debug, Object)]
pub struct Returned {
    pub id: i64,
    pub target: String,
    pub key: String,
    pub reason: String,
    pub created_at: DateTime<FixedOffset>,
}

#[OpenApi]
impl SyncApi {
    /// Per data centre: pending, lag, delivered and failed in the last hour, dead letters
    #[oai(
        path = "/admin/sync/status",
        method = "get",
        operation_id = "admin_sync_status"
    )]
    #[tracing::instrument(name = "admin.sync_status", skip_all)]
    async fn status(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
    ) -> Result<Json<Vec<TargetStatus>>, ApiError> {
        let mut out = Vec::new();
        for t in &state.config.sync_targets {
            let s = repo::status(&state.db, &t.name).await?;
            out.push(TargetStatus {
                target: t.name.clone(),
                url: t.url.clone(),
                pending: s.pending,
                oldest_pending_secs: s.oldest_pending_secs,
                lag_alert_secs: t.lag_alert.as_secs(),
                delivered_last_hour: s.delivered_last_hour,
                failed_batches_last_hour: s.failed_batches_last_hour,
                dead_letters: s.dead_letters,
                rejected: s.rejected,
            });
        }
        Ok(Json(out))
    }

    /// Batches sent, newest first
    #[oai(
        path = "/admin/sync/batches",
        method = "get",
        operation_id = "admin_sync_batches"
    )]
    async fn batches(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        target: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Batch>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let (rows, total) = repo::batches(&state.db, target.0.as_deref(), page).await?;
        let items = rows
            .into_iter()
            .map(|b| Batch {
                id: b.batch_id,
                target: b.target,
                records: b.records,
                bytes: b.bytes,
                duration_ms: b.duration_ms,
                http_status: b.http_status,
                outcome: b.outcome.as_str().to_owned(),
                accepted: b.accepted,
                rejected: b.rejected,
                error: b.error,
                created_at: to_china(b.created_at),
            })
            .collect();
        Ok(Json(Page::new(items, total, page)))
    }

    /// Records the data centres rejected, with their reasons (回流)
    #[oai(
        path = "/admin/sync/returns",
        method = "get",
        operation_id = "admin_sync_returns"
    )]
    async fn returns(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        target: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Returned>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let (rows, total) = repo::returns(&state.db, target.0.as_deref(), page).await?;
        let items = rows
            .into_iter()
            .map(|r| Returned {
                id: r.sync_return_id,
                target: r.target,
                key: r.record_key,
                reason: r.reason,
                created_at: to_china(r.created_at),
            })
            .collect();
        Ok(Json(Page::new(items, total, page)))
    }
}
