//! `yaojian sync run --target NAME`: deliver pending records to a data centre.
//!
//! Each round claims up to `batch_size` pending deliveries of the target with
//! `FOR UPDATE SKIP LOCKED` (so several workers share the work without ever
//! holding the same record), posts them signed with HMAC-SM3, and applies the
//! answer in the same transaction: accepted → delivered; rejected → the return
//! table with the reason; a failed batch (5xx, timeout, bad answer) → retried
//! later with exponential backoff and jitter, dead-lettered with an alert after
//! `max_attempts`. A worker killed mid-batch loses its transaction and the
//! records stay pending: delivery is at-least-once with stable keys, so a
//! receiver deduplicating on `key` sees every record exactly once.

use std::time::{Duration, Instant};

use chrono::Utc;
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use shared::{AppState, config::SyncTarget};

use super::payload;

#[derive(Debug, FromRow)]
struct Claimed {
    outbox_id: i64,
    entity: String,
    entity_key: String,
    op: String,
    attempts: i32,
}

#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    accepted: Vec<String>,
    #[serde(default)]
    rejected: Vec<Rejection>,
}

#[derive(Debug, Deserialize)]
struct Rejection {
    key: String,
    #[serde(default)]
    reason: String,
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub delivered: usize,
    pub rejected: usize,
    pub failed: usize,
    pub dead: usize,
}

/// The stable key of a delivered record.
pub fn record_key(entity: &str, entity_key: &str, outbox_id: i64) -> String {
    format!("{entity}/{entity_key}/{outbox_id}")
}

/// Delay before attempt `attempts + 1`: 2^attempts seconds (capped at an
/// hour), ±25 % jitter so that retries of many workers spread out.
pub fn backoff(attempts: i32) -> Duration {
    let base = 2f64.powi(attempts.clamp(0, 12)).min(3600.0);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    Duration::from_secs_f64(base * jitter)
}

pub struct Worker {
    state: AppState,
    target: SyncTarget,
    http: reqwest::Client,
}

impl Worker {
    pub fn new(state: AppState, target: SyncTarget) -> anyhow::Result<Worker> {
        let http = reqwest::Client::builder()
            .timeout(target.timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()?;
        Ok(Worker {
            state,
            target,
            http,
        })
    }

    /// Rounds until nothing is due (`once`), or forever, resting when idle.
    pub async fn run(&self, once: bool) -> anyhow::Result<Round> {
        let mut total = Round::default();
        loop {
            let round = self.round().await?;
            total.claimed += round.claimed;
            total.delivered += round.delivered;
            total.rejected += round.rejected;
            total.failed += round.failed;
            total.dead += round.dead;
            if round.claimed == 0 {
                if once {
                    return Ok(total);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            } else if once && round.failed > 0 && round.delivered + round.rejected == 0 {
                // Nothing more is due right now: the failed records wait for their backoff.
                return Ok(total);
            }
        }
    }

    /// One batch.
    #[tracing::instrument(name = "sync.batch", skip_all, fields(target = %self.target.name))]
    pub async fn round(&self) -> anyhow::Result<Round> {
        let t = &self.target;
        let mut tx = self.state.db.begin().await?;
        let claimed: Vec<Claimed> = sqlx::query_as(
            "SELECT d.outbox_id, o.entity, o.entity_key, o.op, d.attempts
             FROM sync_delivery d JOIN outbox o ON o.outbox_id = d.outbox_id
             WHERE d.target = $1 AND d.status = 'pending' AND d.next_attempt_at <= now()
               -- one entity per batch: that of the oldest due record
               AND o.entity = (SELECT o2.entity FROM sync_delivery d2 JOIN outbox o2 ON o2.outbox_id = d2.outbox_id
                               WHERE d2.target = $1 AND d2.status = 'pending' AND d2.next_attempt_at <= now()
                               ORDER BY d2.outbox_id LIMIT 1)
             ORDER BY d.outbox_id LIMIT $2
             FOR UPDATE OF d SKIP LOCKED",
        )
        .bind(&t.name)
        .bind(t.batch_size as i64)
        .fetch_all(&mut *tx)
        .await?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Default::default()
        };
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(round);
        }
        let batch_id = Uuid::now_v7();
        let entity = claimed[0].entity.clone();
        let entity_keys: Vec<String> = claimed.iter().map(|c| c.entity_key.clone()).collect();
        let mut data =
            payload::batch(&self.state, &mut tx, &entity, &entity_keys, t.pii_full).await?;
        let records: Vec<Value> = claimed
            .iter()
            .map(|c| json!({ "key": record_key(&c.entity, &c.entity_key, c.outbox_id), "op": c.op, "data": data.remove(&c.entity_key).unwrap_or(Value::Null) }))
            .collect();
        let body = serde_json::to_vec(
            &json!({ "batch_id": batch_id, "entity": entity, "records": records }),
        )?;
        let started = Instant::now();
        let result = self.post(&body).await;
        let duration_ms = started.elapsed().as_millis() as i32;
        let keys: Vec<(String, &Claimed)> = claimed
            .iter()
            .map(|c| (record_key(&c.entity, &c.entity_key, c.outbox_id), c))
            .collect();

        let (http_status, outcome, error) = match result {
            Ok((status, answer)) => {
                let mut answered = 0;
                for (key, c) in &keys {
                    if answer.accepted.iter().any(|a| a == key) {
                        mark(&mut tx, &t.name, c.outbox_id, "delivered", batch_id, None).await?;
                        round.delivered += 1;
                        answered += 1;
                    } else if let Some(r) = answer.rejected.iter().find(|r| &r.key == key) {
                        mark(
                            &mut tx,
                            &t.name,
                            c.outbox_id,
                            "rejected",
                            batch_id,
                            Some(&r.reason),
                        )
                        .await?;
                        sqlx::query("INSERT INTO sync_return (target, outbox_id, record_key, reason) VALUES ($1, $2, $3, $4)")
                            .bind(&t.name)
                            .bind(c.outbox_id)
                            .bind(key)
                            .bind(if r.reason.is_empty() { "(no reason given)" } else { r.reason.as_str() })
                            .execute(&mut *tx)
                            .await?;
                        round.rejected += 1;
                        answered += 1;
                    } else {
                        // The receiver said nothing of it: try again later.
                        round.dead += self
                            .retry(&mut tx, c, "not in the receiver's answer")
                            .await? as usize;
                        round.failed += 1;
                    }
                }
                let outcome = if answered == keys.len() {
                    "delivered"
                } else {
                    "partial"
                };
                (Some(status as i32), outcome, None)
            }
            Err(failure) => {
                for (_, c) in &keys {
                    round.dead += self.retry(&mut tx, c, &failure.reason).await? as usize;
                    round.failed += 1;
                }
                (
                    failure.status.map(i32::from),
                    "failed",
                    Some(failure.reason),
                )
            }
        };
        sqlx::query(
            "INSERT INTO sync_batch (batch_id, target, records, bytes, duration_ms, http_status, outcome, accepted, rejected, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(batch_id)
        .bind(&t.name)
        .bind(claimed.len() as i32)
        .bind(body.len() as i32)
        .bind(duration_ms)
        .bind(http_status)
        .bind(outcome)
        .bind(round.delivered as i32)
        .bind(round.rejected as i32)
        .bind(&error)
        .execute(&mut *tx)
        .await?;
        if round.dead > 0 {
            sqlx::query("INSERT INTO alert (alert_id, kind, detail) VALUES ($1, 'DEAD_LETTER', $2)")
                .bind(Uuid::now_v7())
                .bind(json!({ "target": t.name, "records": round.dead, "batch_id": batch_id, "error": error }))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        metrics::counter!("sync_records_total", "target" => t.name.clone(), "outcome" => "delivered").increment(round.delivered as u64);
        metrics::counter!("sync_records_total", "target" => t.name.clone(), "outcome" => "rejected").increment(round.rejected as u64);
        metrics::counter!("sync_batches_total", "target" => t.name.clone(), "outcome" => outcome)
            .increment(1);
        tracing::info!(batch_id = %batch_id, records = claimed.len(), bytes = body.len(), duration_ms, outcome, "batch sent");
        Ok(round)
    }

    /// Schedules another attempt, or dead-letters; true when dead.
    async fn retry(
        &self,
        tx: &mut PgConnection,
        c: &Claimed,
        reason: &str,
    ) -> anyhow::Result<bool> {
        let attempts = c.attempts + 1;
        let dead = attempts >= self.target.max_attempts as i32;
        let next = Utc::now() + chrono::Duration::from_std(backoff(attempts - 1))?;
        sqlx::query(
            "UPDATE sync_delivery SET attempts = $3, status = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
                 next_attempt_at = $5, last_error = $6
             WHERE target = $1 AND outbox_id = $2",
        )
        .bind(&self.target.name)
        .bind(c.outbox_id)
        .bind(attempts)
        .bind(dead)
        .bind(next)
        .bind(reason)
        .execute(tx)
        .await?;
        Ok(dead)
    }

    async fn post(&self, body: &[u8]) -> Result<(u16, Answer), Failure> {
        use secrecy::ExposeSecret;
        let ts = Utc::now().timestamp().to_string();
        let signature = shared::crypto::data_centre_signature(
            self.target.secret.expose_secret().as_bytes(),
            &ts,
            body,
        );
        let resp = self
            .http
            .post(&self.target.url)
            .header("content-type", "application/json")
            .header("X-Yaojian-Timestamp", &ts)
            .header("X-Yaojian-Signature", signature)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| Failure {
                status: None,
                reason: if e.is_timeout() {
                    "timeout".into()
                } else {
                    "connection failed".into()
                },
            })?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(Failure {
                status: Some(status),
                reason: format!("HTTP {status}"),
            });
        }
        let answer: Answer = resp.json().await.map_err(|_| Failure {
            status: Some(status),
            reason: "unreadable answer".into(),
        })?;
        Ok((status, answer))
    }
}

struct Failure {
    status: Option<u16>,
    reason: String,
}

async fn mark(
    tx: &mut PgConnection,
    target: &str,
    outbox_id: i64,
    status: &str,
    batch_id: Uuid,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE sync_delivery SET status = $3, batch_id = $4, last_error = $5,
             delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END
         WHERE target = $1 AND outbox_id = $2",
    )
    .bind(target)
    .bind(outbox_id)
    .bind(status)
    .bind(batch_id)
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(())
}

/// Puts the records of a time range back in the queue of `target` (a replay
/// the data centre asked for); returns how many.
pub async fn replay(
    state: &AppState,
    target: &SyncTarget,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
) -> anyhow::Result<u64> {
    let n = sqlx::query(
        "INSERT INTO sync_delivery (target, outbox_id)
         SELECT $1, o.outbox_id FROM outbox o WHERE o.entity = ANY($2) AND o.created_at >= $3 AND o.created_at < $4
         ON CONFLICT (target, outbox_id) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL",
    )
    .bind(&target.name)
    .bind(&target.entities)
    .bind(from)
    .bind(to)
    .execute(&state.db)
    .await?
    .rows_affected();
    Ok(n)
}
