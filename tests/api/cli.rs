//! The `yaojian` binary: configuration errors, `--only`, the serverless port
//! variables, create-admin and seed-demo.

use std::process::{Command, Stdio};

use crate::helpers::*;

fn yaojian() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yaojian"));
    c.env_clear()
        .env("YAOJIAN_LOG_FORMAT", "pretty")
        .env("RUST_LOG", "warn");
    c
}

#[test]
fn a_missing_or_malformed_setting_stops_start_up_naming_it() {
    let out = yaojian()
        .args(["serve"])
        .env("REDIS_URL", "redis://127.0.0.1:6379")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("DATABASE_URL is not set"), "{err}");

    let out = yaojian()
        .args(["migrate"])
        .envs(vars_for(
            "postgres://x/y",
            "redis://127.0.0.1:6379",
            "p:",
            "http://127.0.0.1:1",
        ))
        .env("YAOJIAN_MASTER_KEY", "short")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("YAOJIAN_MASTER_KEY is malformed")
            && !err.contains("short"),
        "{err}"
    );

    let out = yaojian()
        .args(["serve", "--only", "nope"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown function group `nope`"));
}

#[tokio::test]
async fn serve_binds_the_serverless_port_and_serves_only_the_named_groups() {
    let app = spawn_app().await;
    let port = free_port();
    let _child = Child(
        yaojian()
            .args(["serve", "--only", "auth"])
            .envs(app.env())
            .env("FC_SERVER_PORT", port.to_string())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&app.client, &format!("{base}/healthz")).await;
    let r = app
        .client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .get(format!("{base}/api/v1/admin/audit"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "the admin group is not served by this function"
    );
    let doc: serde_json::Value = app
        .client
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/admin/audit"].is_null() && doc["paths"]["/me"].is_object());
}

#[tokio::test]
async fn create_admin_and_seed_demo() {
    let app = spawn_app().await;
    let out = yaojian()
        .args(["create-admin", "--username", "chief"])
        .envs(app.env())
        .env("YAOJIAN_ADMIN_PASSWORD", "weak")
        .output()
        .unwrap();
    assert!(!out.status.success(), "a weak password is refused");

    let mut child = yaojian()
        .args(["create-admin", "--username", "chief"])
        .envs(app.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Chief-Passw0rd-1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = app
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "chief", "password": "Chief-Passw0rd-1"}),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);

    for _ in 0..2 {
        let out = yaojian()
            .args(["seed-demo"])
            .envs(app.env())
            .env("YAOJIAN_DEMO_PASSWORD", "Demo-Passw0rd-1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pharmacies: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pharmacy WHERE licence_number LIKE '鄂CA%'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(pharmacies, 3, "seed-demo is idempotent");

    // Demo cases, run twice and still three: one waiting for acceptance,
    // two accepted and with the countersigning reviewers; every trail verifies.
    let states: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, count(*) FROM approval_case WHERE platform = 'demo-ywtb' GROUP BY state ORDER BY state",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        states,
        [("in_review".to_owned(), 2), ("pre_reviewed".to_owned(), 1)]
    );
    let review_tasks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM approval_task WHERE step_code = 'review' AND state = 'open'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        review_tasks, 3,
        "two reviewers on one case, one on the other"
    );
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"))
        .args(["approvals", "verify"])
        .envs(app.env())
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    // A week worth opening: sales over seven days, refusals, every alert
    // kind, an inspection with a photo — once, however often it runs.
    let (sales, days): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT date(created_at AT TIME ZONE 'Asia/Shanghai')) FROM registration",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!((200..400).contains(&sales), "{sales} sales");
    assert_eq!(days, 7);
    let refused: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT code FROM refused_attempt ORDER BY 1")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        refused,
        [
            "MINOR_NOT_ALLOWED",
            "PURCHASE_LIMIT_EXCEEDED",
            "WINDOW_LIMIT_EXCEEDED"
        ]
    );
    let kinds: Vec<String> = sqlx::query_scalar("SELECT DISTINCT kind FROM alert ORDER BY 1")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let mut every: Vec<String> = shared::alerts::AlertKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    every.sort();
    assert_eq!(kinds, every, "every alert kind");
    let out = yaojian()
        .args(["audit", "verify"])
        .envs(app.env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let admin = app.login("admin").await;
    let photo: uuid::Uuid =
        sqlx::query_scalar("SELECT photo_id FROM inspection_photo WHERE inspection_id IS NOT NULL")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let r = app
        .get(
            &format!("/api/v1/inspection/photos/{photo}/thumbnail"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status(), 200, "the demo photo is stored and served");

    // The approval side: items with steps, approvers holding grants.
    let items: serde_json::Value = app
        .get("/api/v1/admin/approval-items", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(items.as_array().unwrap().len(), 10, "{items}");
    assert!(
        items.as_array().unwrap().iter().all(|i| i["version"] == 1),
        "a second seed adds no version"
    );
    let r = app
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "demo-decide", "password": "Demo-Passw0rd-1"}),
            None,
        )
        .await;
    assert_eq!(r.status(), 200, "the demo approver signs in");
    let districts: i64 = sqlx::query_scalar("SELECT count(*) FROM district")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(districts, 13);
    let r = app
        .post(
            "/api/v1/auth/wechat/login",
            serde_json::json!({"code": "anything"}),
            None,
        )
        .await;
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["bound"], true,
        "the demo clerk signs in through the fake WeChat: {body}"
    );
}
