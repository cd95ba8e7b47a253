use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use shared::paging::PageRequest;

/// The figures of one target: is data flowing?
#[derive(Debug, Clone, Default, FromRow)]
pub struct TargetStatus {
    pub pending: i64,
    /// Age in seconds of the oldest pending record (0 when none).
    pub oldest_pending_secs: i64,
    pub delivered_last_hour: i64,
    pub failed_batches_last_hour: i64,
    pub dead_letters: i64,
    pub rejected: i64,
}

pub async fn status(db: &PgPool, target: &str) -> Result<TargetStatus, sqlx::Error> {
    sqlx::query_as!(
        TargetStatus,
        r#"SELECT
            (SELECT count(*) FROM sync_delivery WHERE target = $1 AND status = 'pending') AS "pending!",
            coalesce((SELECT extract(epoch FROM now() - min(o.created_at))::bigint
                      FROM sync_delivery d JOIN outbox o ON o.outbox_id = d.outbox_id
                      WHERE d.target = $1 AND d.status = 'pending'), 0) AS "oldest_pending_secs!",
            (SELECT count(*) FROM sync_delivery WHERE target = $1 AND status = 'delivered' AND delivered_at > now() - interval '1 hour') AS "delivered_last_hour!",
            (SELECT count(*) FROM sync_batch WHERE target = $1 AND outcome = 'failed' AND created_at > now() - interval '1 hour') AS "failed_batches_last_hour!",
            (SELECT count(*) FROM sync_delivery WHERE target = $1 AND status = 'dead') AS "dead_letters!",
            (SELECT count(*) FROM sync_delivery WHERE target = $1 AND status = 'rejected') AS "rejected!""#,
        target
    )
    .fetch_one(db)
    .await
}

shared::text_enum! {
    /// How a batch ended (`sync_batch.outcome`).
    pub enum BatchOutcome {
        /// Every record accepted or rejected by the data centre.
        Delivered = "delivered",
        /// Some records must be sent again.
        Partial = "partial",
        /// Nothing was settled: an outage, an error status, an unreadable answer.
        Failed = "failed",
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct BatchRow {
    pub batch_id: Uuid,
    pub target: String,
    pub records: i32,
    pub bytes: i32,
    pub duration_ms: i32,
    pub http_status: Option<i32>,
    pub outcome: BatchOutcome,
    pub accepted: i32,
    pub rejected: i32,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn batches(
    db: &PgPool,
    target: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<BatchRow>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM sync_batch WHERE ($1::text IS NULL OR target = $1)"#,
        target
    )
    .fetch_one(db)
    .await?;
    let rows = sqlx::query_as!(
        BatchRow,
        r#"SELECT batch_id, target, records, bytes, duration_ms, http_status, outcome AS "outcome: BatchOutcome", accepted, rejected, error, created_at
         FROM sync_batch WHERE ($1::text IS NULL OR target = $1) ORDER BY created_at DESC, batch_id DESC LIMIT $2 OFFSET $3"#,
        target,
        page.limit(),
        page.offset()
    )
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}

#[derive(Debug, Clone, FromRow)]
pub struct ReturnRow {
    pub sync_return_id: i64,
    pub target: String,
    pub outbox_id: i64,
    pub record_key: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

pub async fn returns(
    db: &PgPool,
    target: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<ReturnRow>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM sync_return WHERE ($1::text IS NULL OR target = $1)"#,
        target
    )
    .fetch_one(db)
    .await?;
    let rows = sqlx::query_as!(
        ReturnRow,
        "SELECT sync_return_id, target, outbox_id, record_key, reason, created_at
         FROM sync_return WHERE ($1::text IS NULL OR target = $1) ORDER BY created_at DESC, sync_return_id DESC LIMIT $2 OFFSET $3",
        target,
        page.limit(),
        page.offset()
    )
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}
