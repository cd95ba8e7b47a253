//! Scheduled jobs (`yaojian jobs run NAME [--once]`, or a timer-triggered
//! `serve-job jobs:NAME`). Groups declare their jobs ([`crate::group::Job`]);
//! this runs one. Each run holds a PostgreSQL advisory lock named after the
//! job, so two schedulers (two timer triggers, a retry overlapping a slow
//! run) never run one job at once.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use crate::{AppState, group::Job};

/// What a run did, for the log and the command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(serde_json::Value),
    /// Another scheduler holds the job's lock.
    Skipped,
}

fn lock_key(job: &str) -> i64 {
    let h = crate::crypto::sm3(format!("yaojian-job:{job}").as_bytes());
    i64::from_be_bytes(h[..8].try_into().expect("32 bytes"))
}

/// The job named `name` among `jobs`, or an error listing them.
pub fn find<'a>(jobs: &'a [Job], name: &str) -> anyhow::Result<&'a Job> {
    jobs.iter().find(|j| j.name == name).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown job `{name}` (known: {})",
            jobs.iter().map(|j| j.name).collect::<Vec<_>>().join(", ")
        )
    })
}

/// Runs `job` once under its advisory lock.
#[tracing::instrument(name = "job", skip_all, fields(job = job.name))]
pub async fn run_once(state: &AppState, job: &Job) -> anyhow::Result<Outcome> {
    // A session-level lock on a connection of its own, released when it closes.
    let mut lock_conn = PgConnection::connect_with(&state.db.connect_options()).await?;
    let got: bool = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_lock($1) AS "got!""#,
        lock_key(job.name)
    )
    .fetch_one(&mut lock_conn)
    .await?;
    if !got {
        tracing::info!("another scheduler is running this job; skipped");
        return Ok(Outcome::Skipped);
    }
    let result = (job.run)(state).await;
    let _ = sqlx::query_scalar!("SELECT pg_advisory_unlock($1)", lock_key(job.name))
        .fetch_one(&mut lock_conn)
        .await;
    let _ = lock_conn.close().await;
    let detail = result?;
    tracing::info!(detail = %detail, "job done");
    Ok(Outcome::Done(detail))
}

/// Runs `job` every `every` until the process is stopped.
pub async fn run_forever(state: &AppState, job: &Job, every: Duration) -> anyhow::Result<()> {
    loop {
        if let Err(e) = run_once(state, job).await {
            tracing::error!(error = %e, "job failed");
        }
        tokio::time::sleep(every).await;
    }
}
