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

/// Prometheus text exposition.
#[handler]
pub fn metrics() -> Response {
    let handle = shared::telemetry::metrics_handle();
    handle.run_upkeep();
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}
