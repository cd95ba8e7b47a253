//! `/healthz`, `/readyz`, `/metrics` (SPEC §3).

use std::time::Duration;

use poem::{IntoResponse, Response, handler, web::Data};
use shared::{ApiError, AppState};

/// The process is up.
#[handler]
pub fn healthz() -> Response {
    Response::builder()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

/// PostgreSQL and Redis answer; else 503 naming the one that does not.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    const LIMIT: Duration = Duration::from_secs(2);
    let db = tokio::time::timeout(
        LIMIT,
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.db),
    )
    .await;
    let redis = tokio::time::timeout(LIMIT, state.cache.ping()).await;
    let mut down = Vec::new();
    if !matches!(db, Ok(Ok(1))) {
        down.push("postgresql");
    }
    if !matches!(redis, Ok(Ok(()))) {
        down.push("redis");
    }
    if down.is_empty() {
        return Response::builder()
            .content_type("application/json")
            .body(r#"{"status":"ready","postgresql":"ok","redis":"ok"}"#);
    }
    let mut err = ApiError::unavailable("DEPENDENCY_UNAVAILABLE", "依赖服务不可用")
        .detail(format!("unreachable: {}", down.join(", ")));
    for dep in down {
        err = err.field(dep, "UNREACHABLE", format!("{dep} 无法连接"));
    }
    err.into_response()
}

/// Prometheus text exposition, with the figures of every data centre
/// (pending, lag, dead letters) read fresh from the database.
#[handler]
pub async fn metrics(state: Data<&AppState>) -> Response {
    for t in &state.config.sync_targets {
        match tokio::time::timeout(
            Duration::from_secs(2),
            functions::sync::repo::status(&state.db, &t.name),
        )
        .await
        {
            Ok(Ok(s)) => {
                ::metrics::gauge!("sync_pending", "target" => t.name.clone()).set(s.pending as f64);
                ::metrics::gauge!("sync_lag_seconds", "target" => t.name.clone())
                    .set(s.oldest_pending_secs as f64);
                ::metrics::gauge!("sync_dead_letters", "target" => t.name.clone())
                    .set(s.dead_letters as f64);
                ::metrics::gauge!("sync_delivered_last_hour", "target" => t.name.clone())
                    .set(s.delivered_last_hour as f64);
            }
            _ => tracing::warn!(target = %t.name, "sync figures unavailable for /metrics"),
        }
    }
    let handle = shared::telemetry::metrics_handle();
    handle.run_upkeep();
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}
