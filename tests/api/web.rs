//! The `web` group serves the built browser apps: history fallback for the
//! apps' routes, hashed assets cached as immutable, `index.html` revalidated,
//! a same-origin Content-Security-Policy on every answer, and `/` leading to
//! the console.

use crate::helpers::*;

/// A web directory as `npm run build` leaves it: two apps, one asset each.
fn built_apps() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("yaojian-web-{}", uuid::Uuid::new_v4().simple()));
    for app in ["console", "h5"] {
        std::fs::create_dir_all(dir.join(app).join("assets")).unwrap();
        std::fs::write(
            dir.join(app).join("index.html"),
            format!("<!doctype html><title>{app}</title><script type=\"module\" src=\"/{app}/assets/index-3f9a2c.js\"></script>"),
        )
        .unwrap();
        std::fs::write(
            dir.join(app).join("assets/index-3f9a2c.js"),
            format!("console.log('{app}')"),
        )
        .unwrap();
    }
    dir
}

async fn app_with_web(dir: &std::path::Path) -> TestApp {
    let dir = dir.display().to_string();
    spawn_app_with(move |vars| {
        vars.insert("YAOJIAN_WEB_DIR".into(), dir);
    })
    .await
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_apps_are_served_with_history_fallback_caching_and_a_same_origin_policy() {
    let dir = built_apps();
    let app = app_with_web(&dir).await;

    for path in [
        "/console/",
        "/console/registrations/42",
        "/console/alerts?status=open",
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        assert!(
            header(&r, "content-type").starts_with("text/html"),
            "{path}"
        );
        let csp = header(&r, "content-security-policy");
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("http"), "no other host is allowed: {csp}");
        assert!(
            r.text().await.unwrap().contains("<title>console</title>"),
            "{path}"
        );
    }
    let r = app.get("/h5/verify/9142ABCD", None).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<title>h5</title>"));

    let r = app.get("/console/assets/index-3f9a2c.js", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert!(header(&r, "content-type").contains("javascript"));

    // A stale script is a 404, not the page: the browser must not run HTML as JS.
    let r = app.get("/console/assets/index-000000.js", None).await;
    assert_eq!(r.status(), 404);
    assert_ne!(
        header(&r, "cache-control"),
        "public, max-age=31536000, immutable"
    );

    // Nothing outside the app's folder.
    let r = app.get("/console/..%2F..%2Fetc%2Fpasswd", None).await;
    assert!(r.status() == 403 || r.status() == 404, "{}", r.status());

    let no_redirects = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(header(&r, "location"), "/console/");
    let r = no_redirects.get(app.url("/console")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(header(&r, "location"), "/console/");

    // The API is untouched by the apps beside it.
    assert_eq!(app.get("/api/v1/policy", None).await.status(), 401);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_app_that_was_not_built_answers_503_with_a_code() {
    let dir = std::env::temp_dir().join(format!(
        "yaojian-web-empty-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let app = app_with_web(&dir).await;
    let r = app.get("/console/", None).await;
    assert_eq!(r.status(), 503);
    assert_eq!(header(&r, "content-type"), "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "SITE_NOT_BUILT");
}
