//! `yaojian serve-job`: a batch job behind HTTP, for serverless timer triggers
//! (Function Compute custom runtimes and SCF web functions receive timer
//! events as HTTP requests). Each request runs the job once; the advisory
//! locks and SKIP LOCKED claims make overlapping invocations safe.

use poem::{Endpoint, EndpointExt, Response, Route, handler, http::StatusCode, web::Data};
use serde_json::json;
use shared::{AppState, config::SyncTarget};

#[derive(Clone)]
pub enum JobRunner {
    Sync(AppState, SyncTarget),
    Job(AppState, shared::group::Job),
}

impl JobRunner {
    /// `sync:TARGET` or `jobs:NAME`.
    pub fn parse(state: &AppState, spec: &str) -> anyhow::Result<JobRunner> {
        match spec.split_once(':') {
            Some(("sync", name)) => {
                let t = state
                    .config
                    .sync_targets
                    .iter()
                    .find(|t| t.name == name)
                    .cloned();
                let t = t.ok_or_else(|| anyhow::anyhow!("unknown sync target `{name}`"))?;
                Ok(JobRunner::Sync(state.clone(), t))
            }
            Some(("jobs", name)) => {
                let job = *shared::jobs::find(&crate::groups::jobs(), name)?;
                Ok(JobRunner::Job(state.clone(), job))
            }
            _ => anyhow::bail!(
                "a job is `sync:TARGET` or `jobs:NAME` (jobs: {})",
                crate::groups::jobs()
                    .iter()
                    .map(|j| j.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    async fn run(&self) -> anyhow::Result<serde_json::Value> {
        match self {
            JobRunner::Sync(state, target) => {
                let r = functions::sync::worker::Worker::new(
                    state.clone(),
                    target.clone(),
                    &crate::groups::entities(),
                )?
                .run(true)
                .await?;
                Ok(
                    json!({ "claimed": r.claimed, "delivered": r.delivered, "rejected": r.rejected, "failed": r.failed, "dead": r.dead }),
                )
            }
            JobRunner::Job(state, job) => Ok(match shared::jobs::run_once(state, job).await? {
                shared::jobs::Outcome::Done(d) => d,
                shared::jobs::Outcome::Skipped => json!({ "skipped": true }),
            }),
        }
    }
}

#[handler]
async fn invoke(runner: Data<&JobRunner>) -> Response {
    match runner.run().await {
        Ok(detail) => Response::builder()
            .content_type("application/json")
            .body(detail.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "job invocation failed");
            // 5xx so that the platform records the failure and retries.
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body("job failed")
        }
    }
}

pub fn endpoint(runner: JobRunner) -> impl Endpoint {
    Route::new()
        .at("/healthz", poem::endpoint::make_sync(|_| "ok"))
        .at("/*path", invoke)
        .at("/", invoke)
        .data(runner)
}
