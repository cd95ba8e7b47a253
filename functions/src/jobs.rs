//! Scheduled jobs (`yaojian jobs run NAME [--once]`). Each run holds a
//! PostgreSQL advisory lock named after the job, so two schedulers (two timer
//! triggers, a retry overlapping a slow run) never run one job at once.

use std::time::Duration;

use serde_json::json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use shared::{
    AppState,
    audit::{self, Actor, Entry},
};

use crate::sync::repo as sync;

pub const JOBS: &[(&str, &str)] = &[
    (
        "sync-lag",
        "raise SYNC_LAG when a data centre's oldest pending record is older than its threshold",
    ),
    (
        "alert-sweep",
        "raise MULTI_PHARMACY for buyers seen at several pharmacies within 24 h that have no alert yet",
    ),
    (
        "idempotency-expiry",
        "forget Idempotency-Key answers after 24 h and the sealed one-time secrets in them after 10 minutes",
    ),
    (
        "retention",
        "move registrations older than the retention period into registration_archive, verified and audited",
    ),
];

/// What a run did, for the log and the command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(serde_json::Value),
    /// Another scheduler holds the job's lock.
    Skipped,
}

fn lock_key(job: &str) -> i64 {
    let h = shared::crypto::sm3(format!("yaojian-job:{job}").as_bytes());
    i64::from_be_bytes(h[..8].try_into().expect("32 bytes"))
}

/// Runs `job` once under its advisory lock.
#[tracing::instrument(name = "job", skip(state))]
pub async fn run_once(state: &AppState, job: &str) -> anyhow::Result<Outcome> {
    if !JOBS.iter().any(|(n, _)| *n == job) {
        anyhow::bail!(
            "unknown job `{job}` (known: {})",
            JOBS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        );
    }
    // A session-level lock on a connection of its own, released when it closes.
    let mut lock_conn = PgConnection::connect_with(&state.db.connect_options()).await?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(lock_key(job))
        .fetch_one(&mut lock_conn)
        .await?;
    if !got {
        tracing::info!("another scheduler is running this job; skipped");
        return Ok(Outcome::Skipped);
    }
    let result = match job {
        "sync-lag" => sync_lag(state).await,
        "alert-sweep" => alert_sweep(state).await,
        "retention" => retention(state).await,
        "idempotency-expiry" => {
            let (cleared, deleted) = shared::idempotency::expire(&state.db).await?;
            Ok(json!({ "secrets_cleared": cleared, "keys_deleted": deleted }))
        }
        _ => unreachable!(),
    };
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(lock_key(job))
        .execute(&mut lock_conn)
        .await;
    let _ = lock_conn.close().await;
    let detail = result?;
    tracing::info!(detail = %detail, "job done");
    Ok(Outcome::Done(detail))
}

/// Runs `job` every `every` until the process is stopped.
pub async fn run_forever(state: &AppState, job: &str, every: Duration) -> anyhow::Result<()> {
    loop {
        if let Err(e) = run_once(state, job).await {
            tracing::error!(error = %e, "job failed");
        }
        tokio::time::sleep(every).await;
    }
}

async fn sync_lag(state: &AppState) -> anyhow::Result<serde_json::Value> {
    let mut raised = Vec::new();
    for t in &state.config.sync_targets {
        let s = sync::status(&state.db, &t.name).await?;
        metrics::gauge!("sync_pending", "target" => t.name.clone()).set(s.pending as f64);
        metrics::gauge!("sync_lag_seconds", "target" => t.name.clone())
            .set(s.oldest_pending_secs as f64);
        if s.oldest_pending_secs as u64 <= t.lag_alert.as_secs() {
            continue;
        }
        let open: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM alert WHERE kind = 'SYNC_LAG' AND status = 'open' AND detail->>'target' = $1)")
            .bind(&t.name)
            .fetch_one(&state.db)
            .await?;
        if !open {
            sqlx::query("INSERT INTO alert (alert_id, kind, detail) VALUES ($1, 'SYNC_LAG', $2)")
                .bind(Uuid::now_v7())
                .bind(json!({ "target": t.name, "lag_secs": s.oldest_pending_secs, "pending": s.pending, "threshold_secs": t.lag_alert.as_secs() }))
                .execute(&state.db)
                .await?;
            raised.push(t.name.clone());
        }
    }
    Ok(json!({ "raised": raised }))
}

async fn alert_sweep(state: &AppState) -> anyhow::Result<serde_json::Value> {
    let threshold = i64::from(state.config.policy.multi_pharmacy_threshold);
    let n = sqlx::query(
        "INSERT INTO alert (alert_id, kind, district_code, pharmacy_id, buyer_id_index, detail)
         SELECT gen_random_uuid(), 'MULTI_PHARMACY', last.district_code, last.pharmacy_id, b.buyer_id_index,
                jsonb_build_object('pharmacies', b.pharmacies, 'source', 'sweep')
         FROM (SELECT buyer_id_index, count(DISTINCT pharmacy_id) AS pharmacies FROM registration
               WHERE created_at > now() - interval '24 hours' GROUP BY buyer_id_index HAVING count(DISTINCT pharmacy_id) >= $1) b
         CROSS JOIN LATERAL (SELECT district_code, pharmacy_id FROM registration r WHERE r.buyer_id_index = b.buyer_id_index
                             ORDER BY created_at DESC LIMIT 1) last
         WHERE NOT EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'MULTI_PHARMACY' AND a.buyer_id_index = b.buyer_id_index
                           AND a.created_at > now() - interval '24 hours')",
    )
    .bind(threshold)
    .execute(&state.db)
    .await?
    .rows_affected();
    Ok(json!({ "raised": n }))
}

/// Moves old registrations into the archive in batches; each batch verifies
/// that what was deleted is exactly what was archived before it commits.
async fn retention(state: &AppState) -> anyhow::Result<serde_json::Value> {
    let years = state.config.retention_years as i32;
    let mut archived = 0u64;
    loop {
        let mut tx = state.db.begin().await?;
        let moved: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO registration_archive (registration_id, pharmacy_id, district_code, created_at, record)
             SELECT r.registration_id, r.pharmacy_id, r.district_code, r.created_at,
                    to_jsonb(r) || jsonb_build_object('items', (SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.line_no), '[]'::jsonb)
                                                                FROM registration_item i WHERE i.registration_id = r.registration_id))
             FROM registration r
             WHERE r.created_at < now() - make_interval(years => $1)
             ORDER BY r.created_at LIMIT 1000
             FOR UPDATE SKIP LOCKED
             RETURNING registration_id",
        )
        .bind(years)
        .fetch_all(&mut *tx)
        .await?;
        if moved.is_empty() {
            tx.commit().await?;
            break;
        }
        let deleted = sqlx::query("DELETE FROM registration WHERE registration_id = ANY($1)")
            .bind(&moved)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted != moved.len() as u64 {
            tx.rollback().await?;
            anyhow::bail!(
                "retention: archived {} registrations but would delete {deleted}; nothing changed",
                moved.len()
            );
        }
        audit::append(
            &mut tx,
            Entry {
                stream: "system".into(),
                actor: Actor::system(),
                action: "retention.archive",
                object_type: "registration",
                object_id: None,
                detail: json!({ "archived": deleted, "older_than_years": years }),
            },
        )
        .await?;
        tx.commit().await?;
        archived += deleted;
    }
    Ok(json!({ "archived": archived }))
}
