//! Logs, request spans and metrics.
//!
//! Log hygiene is structural: the request span carries the route *template*
//! (`/registrations/:id`), never the raw path or query string, which may hold
//! an ID number; handlers log ids and codes, never names, ID numbers, tokens,
//! passwords or invite codes (tests capture the logs and check).

use std::{sync::OnceLock, time::Instant};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, http::HeaderValue};
use tracing::Instrument;
use tracing_subscriber::{
    EnvFilter, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt,
};

use crate::config::LogFormat;

/// Installs the global subscriber: JSON lines (production) or pretty text,
/// filtered by `RUST_LOG` (default `info`).
pub fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    init_logging_to(format, filter, std::io::stdout);
}

pub fn init_logging_to<W>(format: LogFormat, filter: EnvFilter, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .compact()
                    .with_writer(writer),
            )
            .try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> &'static PrometheusHandle {
    METRICS.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )
            .expect("static buckets are valid")
            .install_recorder()
            .expect("the metrics recorder is installed once")
    })
}

/// Request id, span, access log and metrics for one mounted route.
/// `route` is the template the router matched, used as the metrics label.
pub struct Observe {
    pub route: &'static str,
}

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ObserveEndpoint {
            inner: ep,
            route: self.route,
        }
    }
}

pub struct ObserveEndpoint<E> {
    inner: E,
    route: &'static str,
}

/// The id the client sent (when it is short and plain), else a new one.
fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The method as a metrics label: a client may send any token as a method,
/// and each distinct label is a new time series kept forever.
pub fn method_label(method: &poem::http::Method) -> &'static str {
    use poem::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let id = request_id(&req);
        let method = method_label(req.method()).to_owned();
        req.extensions_mut().insert(RequestId(id.clone()));
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %method,
            route = self.route,
            status = tracing::field::Empty,
            user_id = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self.inner.call(req).instrument(span.clone()).await;
        let mut resp = match result {
            Ok(r) => r.into_response(),
            Err(e) => crate::error::problem_in_route(e, Some(self.route)),
        };
        let status = resp.status().as_u16();
        let elapsed = started.elapsed();
        span.record("status", status);
        span.in_scope(|| {
            tracing::info!(
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "request finished"
            );
        });
        let labels = [
            ("method", method),
            ("route", self.route.to_owned()),
            ("status", status.to_string()),
        ];
        metrics::counter!("http_requests_total", &labels).increment(1);
        metrics::histogram!(
            "http_request_duration_seconds",
            "method" => labels[0].1.clone(),
            "route" => self.route
        )
        .record(elapsed.as_secs_f64());
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert("x-request-id", v);
        }
        Ok(resp)
    }
}
