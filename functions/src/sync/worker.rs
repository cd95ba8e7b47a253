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

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use chrono::Utc;
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::repo::BatchOutcome;
use shared::{
    AppState,
    alerts::{self, AlertKind, NewAlert},
    config::SyncTarget,
    group::{Entity, Payload, PayloadRequest},
};

#[derive(Debug, FromRow)]
struct Claimed {
    outbox_id: i64,
    entity: String,
    entity_key: String,
    op: shared::outbox::Op,
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

impl std::ops::Add for Round {
    type Output = Round;
    fn add(self, b: Round) -> Round {
        Round {
            claimed: self.claimed + b.claimed,
            delivered: self.delivered + b.delivered,
            rejected: self.rejected + b.rejected,
            failed: self.failed + b.failed,
            dead: self.dead + b.dead,
        }
    }
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
    /// The entities the target takes, with their payload builders.
    entities: Vec<Entity>,
    http: reqwest::Client,
}

impl Worker {
    /// A worker for `target`; `known` are the entities the groups declare
    /// (a target naming another is a configuration error).
    pub fn new(state: AppState, target: SyncTarget, known: &[Entity]) -> anyhow::Result<Worker> {
        let entities = target
            .entities
            .iter()
            .map(|name| {
                known.iter().find(|e| e.name == *name).copied().ok_or_else(|| {
                    anyhow::anyhow!(
                        "sync target `{}` takes entity `{name}`, which no function group writes (known: {})",
                        target.name,
                        known.iter().map(|e| e.name).collect::<Vec<_>>().join(", ")
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let http = reqwest::Client::builder()
            .timeout(target.timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()?;
        Ok(Worker {
            state,
            target,
            entities,
            http,
        })
    }

    /// Rounds until nothing is due (`once`), or forever, resting when idle.
    pub async fn run(&self, once: bool) -> anyhow::Result<Round> {
        let mut total = Round::default();
        loop {
            let round = self.round().await?;
            total = total + round.clone();
            if round.claimed == 0 {
                if once {
                    return Ok(total);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            } else if once && round.failed > round.dead && round.delivered + round.rejected == 0 {
                // Nothing more is due right now: the failed records wait for their
                // backoff. (A round whose records were all dead-lettered goes on.)
                return Ok(total);
            }
        }
    }

    /// One batch.
    #[tracing::instrument(name = "sync.batch", skip_all, fields(target = %self.target.name))]
    pub async fn round(&self) -> anyhow::Result<Round> {
        let t = &self.target;
        let mut tx = self.state.db.begin().await?;
        // Claimed from the pending index alone (a join here let the planner
        // walk the whole outbox); one entity per batch: that of the oldest
        // claimed record — the others stay pending, unlocked at commit.
        let mut claimed = sqlx::query_as!(
            Claimed,
            r#"WITH claimed AS (
                 SELECT outbox_id, attempts FROM sync_delivery
                 WHERE target = $1 AND status = 'pending' AND next_attempt_at <= now()
                 ORDER BY outbox_id LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             SELECT c.outbox_id AS "outbox_id!", o.entity, o.entity_key, o.op AS "op: shared::outbox::Op", c.attempts AS "attempts!"
             FROM claimed c JOIN outbox o ON o.outbox_id = c.outbox_id ORDER BY c.outbox_id"#,
            &t.name,
            t.batch_size as i64
        )
        .fetch_all(&mut *tx)
        .await?;
        if let Some(first) = claimed.first() {
            let entity = first.entity.clone();
            claimed.retain(|c| c.entity == entity);
        }
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
        let builder = self
            .entities
            .iter()
            .find(|e| e.name == entity)
            .ok_or_else(|| anyhow::anyhow!("no payload for entity {entity}"))?;
        let Payload {
            mut data,
            unreadable,
        } = (builder.payload)(PayloadRequest {
            state: &self.state,
            conn: &mut tx,
            keys: &entity_keys,
            pii_full: t.pii_full,
        })
        .await?;
        let mut settled = Settled::default();
        // A record that cannot be read is dead-lettered at once (retrying will
        // not mend it); the rest of the batch goes.
        let (claimed, broken): (Vec<&Claimed>, Vec<&Claimed>) = claimed
            .iter()
            .partition(|c| !unreadable.contains_key(&c.entity_key));
        for c in broken {
            settled.dead_letter(c, &unreadable[&c.entity_key]);
        }
        let records: Vec<Value> = claimed
            .iter()
            .map(|c| json!({ "key": record_key(&c.entity, &c.entity_key, c.outbox_id), "op": c.op.as_str(), "data": data.remove(&c.entity_key).unwrap_or(Value::Null) }))
            .collect();
        let body = serde_json::to_vec(
            &json!({ "batch_id": batch_id, "entity": entity, "records": records }),
        )?;
        let started = Instant::now();
        let result = if claimed.is_empty() {
            Ok((0, Answer::default()))
        } else {
            self.post(&body).await
        };
        let duration_ms = started.elapsed().as_millis() as i32;
        let keys: Vec<(String, &Claimed)> = claimed
            .iter()
            .map(|c| (record_key(&c.entity, &c.entity_key, c.outbox_id), *c))
            .collect();

        // The answer, applied in a few set-based statements whatever the batch size.
        let (http_status, outcome, error) = match result {
            Ok((status, answer)) => {
                let accepted: HashSet<&str> = answer.accepted.iter().map(String::as_str).collect();
                let rejected: HashMap<&str, &str> = answer
                    .rejected
                    .iter()
                    .map(|r| (r.key.as_str(), r.reason.as_str()))
                    .collect();
                for (key, c) in &keys {
                    if accepted.contains(key.as_str()) {
                        settled.delivered.push(c.outbox_id);
                    } else if let Some(reason) = rejected.get(key.as_str()) {
                        let reason = if reason.is_empty() {
                            "(no reason given)"
                        } else {
                            reason
                        };
                        settled
                            .rejected
                            .push((c.outbox_id, key.clone(), reason.to_owned()));
                    } else {
                        // The receiver said nothing of it: try again later.
                        settled.retry(c, "not in the receiver's answer", self.target.max_attempts);
                    }
                }
                let outcome = if settled.retried.is_empty() {
                    BatchOutcome::Delivered
                } else {
                    BatchOutcome::Partial
                };
                // status 0: nothing was sent (every record unreadable)
                (Some(i32::from(status)).filter(|s| *s != 0), outcome, None)
            }
            Err(failure) => {
                for (_, c) in &keys {
                    settled.retry(c, &failure.reason, self.target.max_attempts);
                }
                (
                    failure.status.map(i32::from),
                    BatchOutcome::Failed,
                    Some(failure.reason),
                )
            }
        };
        settled.apply(&mut tx, &t.name, batch_id).await?;
        round.delivered = settled.delivered.len();
        round.rejected = settled.rejected.len();
        round.failed = settled.retried.len();
        round.dead = settled.retried.iter().filter(|r| r.dead).count();
        sqlx::query!("INSERT INTO sync_batch (batch_id, target, records, bytes, duration_ms, http_status, outcome, accepted, rejected, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", batch_id, &t.name, claimed.len() as i32, body.len() as i32, duration_ms, http_status, outcome.as_str(), round.delivered as i32, round.rejected as i32, error.as_deref())
        .execute(&mut *tx)
        .await?;
        if round.dead > 0 {
            alerts::raise(
                &mut tx,
                NewAlert::platform(
                    AlertKind::DeadLetter,
                    json!({ "target": t.name, "records": round.dead, "batch_id": batch_id, "error": error }),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("sync_records_total", "target" => t.name.clone(), "outcome" => "delivered").increment(round.delivered as u64);
        metrics::counter!("sync_records_total", "target" => t.name.clone(), "outcome" => "rejected").increment(round.rejected as u64);
        metrics::counter!("sync_batches_total", "target" => t.name.clone(), "outcome" => outcome.as_str())
            .increment(1);
        tracing::info!(batch_id = %batch_id, records = claimed.len(), bytes = body.len(), duration_ms, outcome = outcome.as_str(), "batch sent");
        Ok(round)
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

/// A record to try again later (or dead-letter).
struct Retry {
    outbox_id: i64,
    attempts: i32,
    dead: bool,
    next_attempt_at: chrono::DateTime<Utc>,
    reason: String,
}

/// How each record of a batch ended.
#[derive(Default)]
struct Settled {
    delivered: Vec<i64>,
    /// `(outbox_id, record key, reason)`
    rejected: Vec<(i64, String, String)>,
    retried: Vec<Retry>,
}

impl Settled {
    fn dead_letter(&mut self, c: &Claimed, reason: &str) {
        self.retried.push(Retry {
            outbox_id: c.outbox_id,
            attempts: c.attempts + 1,
            dead: true,
            next_attempt_at: Utc::now(),
            reason: reason.to_owned(),
        });
    }

    /// Schedules another attempt after a backoff, or dead-letters after `max_attempts`.
    fn retry(&mut self, c: &Claimed, reason: &str, max_attempts: u32) {
        let attempts = c.attempts + 1;
        let delay =
            chrono::Duration::from_std(backoff(attempts - 1)).unwrap_or(chrono::Duration::hours(1));
        self.retried.push(Retry {
            outbox_id: c.outbox_id,
            attempts,
            dead: attempts >= max_attempts as i32,
            next_attempt_at: Utc::now() + delay,
            reason: reason.to_owned(),
        });
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        target: &str,
        batch_id: Uuid,
    ) -> anyhow::Result<()> {
        if !self.delivered.is_empty() {
            sqlx::query!("UPDATE sync_delivery SET status = 'delivered', batch_id = $3, last_error = NULL, delivered_at = now()
                 WHERE target = $1 AND outbox_id = ANY($2)", target, &self.delivered, batch_id)
            .execute(&mut *tx)
            .await?;
        }
        if !self.rejected.is_empty() {
            let ids: Vec<i64> = self.rejected.iter().map(|r| r.0).collect();
            let keys: Vec<&str> = self.rejected.iter().map(|r| r.1.as_str()).collect();
            let reasons: Vec<&str> = self.rejected.iter().map(|r| r.2.as_str()).collect();
            sqlx::query!("WITH r AS (SELECT * FROM unnest($2::int8[], $3::text[], $4::text[]) AS r(outbox_id, record_key, reason)),
                 marked AS (
                     UPDATE sync_delivery d SET status = 'rejected', batch_id = $5, last_error = r.reason
                     FROM r WHERE d.target = $1 AND d.outbox_id = r.outbox_id)
                 INSERT INTO sync_return (target, outbox_id, record_key, reason)
                 SELECT $1, outbox_id, record_key, reason FROM r", target, &ids, &keys as &[&str], &reasons as &[&str], batch_id)
            .execute(&mut *tx)
            .await?;
        }
        if !self.retried.is_empty() {
            let ids: Vec<i64> = self.retried.iter().map(|r| r.outbox_id).collect();
            let attempts: Vec<i32> = self.retried.iter().map(|r| r.attempts).collect();
            let dead: Vec<bool> = self.retried.iter().map(|r| r.dead).collect();
            let next: Vec<chrono::DateTime<Utc>> =
                self.retried.iter().map(|r| r.next_attempt_at).collect();
            let reasons: Vec<&str> = self.retried.iter().map(|r| r.reason.as_str()).collect();
            sqlx::query!("UPDATE sync_delivery d SET attempts = r.attempts, status = CASE WHEN r.dead THEN 'dead' ELSE 'pending' END,
                     next_attempt_at = r.next_attempt_at, last_error = r.reason
                 FROM unnest($2::int8[], $3::int4[], $4::bool[], $5::timestamptz[], $6::text[])
                     AS r(outbox_id, attempts, dead, next_attempt_at, reason)
                 WHERE d.target = $1 AND d.outbox_id = r.outbox_id", target, &ids, &attempts, &dead, &next, &reasons as &[&str])
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// Puts the records of a time range back in the queue of `target` (a replay
/// the data centre asked for); returns how many.
pub async fn replay(
    state: &AppState,
    target: &SyncTarget,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
) -> anyhow::Result<u64> {
    let n = sqlx::query!("INSERT INTO sync_delivery (target, outbox_id)
         SELECT $1, o.outbox_id FROM outbox o WHERE o.entity = ANY($2) AND o.created_at >= $3 AND o.created_at < $4
         ON CONFLICT (target, outbox_id) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL", &target.name, &target.entities, from, to)
    .execute(&state.db)
    .await?
    .rows_affected();
    Ok(n)
}
