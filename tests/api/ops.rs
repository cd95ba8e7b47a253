use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["postgresql"], "ok");
    assert_eq!(body["redis"], "ok");
}

/// PostgreSQL and Redis behind proxies we cut and restore: /readyz names the
/// one that is down, then answers 200 again without a restart.
#[tokio::test]
async fn readiness_follows_dependencies_without_restart() {
    let pg = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let redis = Proxy::start(
        reqwest::Url::parse(&redis_url())
            .unwrap()
            .socket_addrs(|| Some(6379))
            .unwrap()[0],
    )
    .await;
    let app = spawn_app_with(|vars| {
        let mut db = reqwest::Url::parse(&vars["DATABASE_URL"]).unwrap();
        db.set_port(Some(pg.addr.port())).unwrap();
        vars.insert("DATABASE_URL".into(), db.to_string());
        vars.insert("REDIS_URL".into(), format!("redis://{}", redis.addr));
    })
    .await;
    assert_eq!(app.get("/readyz", None).await.status(), 200);

    redis.cut();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, body) = problem(app.get("/readyz", None).await).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], "DEPENDENCY_UNAVAILABLE");
    assert_eq!(body["errors"][0]["field"], "redis", "{body}");
    redis.restore();
    let mut ok = false;
    for _ in 0..40 {
        if app.get("/readyz", None).await.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(ok, "ready again after Redis is back");

    pg.cut();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, body) = problem(app.get("/readyz", None).await).await;
    assert_eq!(status, 503);
    assert_eq!(body["errors"][0]["field"], "postgresql", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("postgresql"));
    // A request that needs the database answers 503, not 500.
    let r = app
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "admin", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    pg.restore();
    let mut ok = false;
    for _ in 0..40 {
        if app.get("/readyz", None).await.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(ok, "ready again after PostgreSQL is back");
}

#[tokio::test]
async fn metrics_count_requests_per_route_with_latency_histograms() {
    let app = spawn_app().await;
    let token = app.login("admin").await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    let text = app.metrics().await;
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"}"),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/auth/login\",le=\"0.005\"}"), "{text}");
}

#[tokio::test]
async fn openapi_document_and_swagger_ui() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/auth/login"]["post"].is_object());
    let ui = app.get("/api/v1/docs", None).await;
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("SwaggerUIBundle"));
}

/// Every operation declares who may call it: a guard whose roles are known,
/// or an explicit entry in PUBLIC_OPERATIONS or SIGNED_OPERATIONS.
#[tokio::test]
async fn every_operation_declares_who_may_call_it() {
    let doc = yaojian::app::openapi_document(&yaojian::app::all_groups());
    let mut seen_public = Vec::new();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            let schemes: Vec<String> = op["security"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .flat_map(|r| r.as_object().unwrap().keys().cloned())
                        .collect()
                })
                .unwrap_or_default();
            if schemes.is_empty() {
                assert!(
                    shared::auth::PUBLIC_OPERATIONS.contains(&id)
                        || shared::auth::guard::SIGNED_OPERATIONS.contains(&id),
                    "{method} {path} ({id}) declares no access rule"
                );
                seen_public.push(id.to_owned());
            } else {
                assert!(
                    !shared::auth::PUBLIC_OPERATIONS.contains(&id),
                    "{id} is both public and guarded"
                );
                for s in schemes {
                    assert!(
                        shared::auth::guard::roles_of(&s).is_some(),
                        "{id} uses unknown scheme {s}"
                    );
                }
            }
        }
    }
    assert!(count >= 7);
    for p in shared::auth::PUBLIC_OPERATIONS {
        assert!(
            seen_public.iter().any(|s| s == p),
            "PUBLIC_OPERATIONS lists {p}, which does not exist"
        );
    }
}

/// `--only` mounts just the named groups; the document lists only them.
#[tokio::test]
async fn only_serves_the_named_groups() {
    let groups = yaojian::app::select_groups(Some(&["auth".to_owned()])).unwrap();
    let doc = yaojian::app::openapi_document(&groups);
    assert!(doc["paths"]["/auth/login"].is_object());
    assert!(doc["paths"]["/admin/audit"].is_null());
    assert!(yaojian::app::select_groups(Some(&["nope".to_owned()])).is_err());
}
