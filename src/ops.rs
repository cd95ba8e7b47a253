//! `/healthz`, `/readyz`, `/metrics` (SPEC §3).

use shared::codes;
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
    let mut err = ApiError::unavailable(codes::DEPENDENCY_UNAVAILABLE, "依赖服务不可用")
        .detail(format!("unreachable: {}", down.join(", ")));
    for dep in down {
        err = err.field(dep, codes::UNREACHABLE, format!("{dep} 无法连接"));
    }
    err.into_response()
}

/// The database-backed gauges are read at most this often per process.
pub const GAUGE_REFRESH: Duration = Duration::from_secs(5);

/// Prometheus text exposition, for a caller with `YAOJIAN_METRICS_TOKEN` as
/// its bearer token (401 `METRICS_TOKEN_REQUIRED` otherwise, also when no
/// token is configured: then scrape the `--metrics-bind` address).
#[handler]
pub async fn metrics(state: Data<&AppState>, req: &poem::Request) -> Response {
    if !metrics_token_matches(&state, req) {
        return ApiError::unauthorized()
            .with_code(
                codes::METRICS_TOKEN_REQUIRED,
                "需要监控令牌（YAOJIAN_METRICS_TOKEN）",
            )
            .into_response();
    }
    exposition(&state).await
}

/// The same on the internal `--metrics-bind` listener, where the network is
/// the access control.
#[handler]
pub async fn metrics_internal(state: Data<&AppState>) -> Response {
    exposition(&state).await
}

fn metrics_token_matches(state: &AppState, req: &poem::Request) -> bool {
    use secrecy::ExposeSecret;
    let Some(expected) = &state.config.metrics_token else {
        return false;
    };
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compare digests: equal length, and no early exit on the first difference.
    shared::crypto::sm3(given.as_bytes())
        == shared::crypto::sm3(expected.expose_secret().as_bytes())
}

async fn exposition(state: &AppState) -> Response {
    refresh_gauges(state).await;
    let handle = shared::telemetry::metrics_handle();
    handle.run_upkeep();
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

/// Reads the figures of every data centre (pending, lag, dead letters) from
/// the database, unless that was done less than [`GAUGE_REFRESH`] ago.
/// Each is a partial-index count (`sync_delivery_*_idx`).
async fn refresh_gauges(state: &AppState) {
    {
        let mut last = state
            .gauges_refreshed_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_some_and(|t| t.elapsed() < GAUGE_REFRESH) {
            return;
        }
        *last = Some(std::time::Instant::now());
    }
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
}
