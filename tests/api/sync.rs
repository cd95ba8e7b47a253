//! Delivery to a data centre (SPEC §6) against the fake receiver.

use std::{process::Stdio, time::Duration};

use functions::sync::worker::Worker;
use serde_json::Value;
use yaojian::fake_receiver::FakeReceiver;

use crate::helpers::*;

const SECRET: &str = "dc-shared-secret";

async fn sync_app(receiver: &FakeReceiver, secret: &str, extra: &str) -> TestApp {
    let dir = std::env::temp_dir().join("yaojian-test-config");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.toml", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &path,
        format!(
            "[[sync.targets]]\nname = \"dc\"\nkind = \"http\"\nurl = \"{}\"\nsecret = \"{secret}\"\nentities = [\"registration\"]\nbatch_size = 10\npii = \"masked\"\ntimeout_secs = 2\n{extra}\n",
            receiver.url()
        ),
    )
    .unwrap();
    spawn_app_with(|v| {
        v.insert("YAOJIAN_CONFIG".into(), path.display().to_string());
    })
    .await
}

/// `n` sales to distinct adults at pharmacy A.
async fn sales(app: &TestApp, n: u32) {
    let clerk = app.login("clerk").await;
    for i in 0..n {
        let r = app
            .post(
                "/api/v1/registrations",
                manual_sale("张三", &id_number("19800101", i), &[(GANCAO, 1)]),
                Some(&clerk),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
}

fn worker(app: &TestApp) -> Worker {
    Worker::new(
        app.state.clone(),
        app.state.config.sync_targets[0].clone(),
        &yaojian::groups::entities(),
    )
    .unwrap()
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn batches_are_signed_delivered_and_recorded() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 25).await;
    let round = worker(&app).run(true).await.unwrap();
    assert_eq!((round.claimed, round.delivered), (25, 25));
    {
        let s = receiver.state.lock().unwrap();
        assert_eq!(s.records.len(), 25);
        assert!(s.receipts.values().all(|n| *n == 1));
        assert_eq!(s.batches.len(), 3, "batches of 10");
        let any = s.records.values().next().unwrap();
        assert!(
            any["buyer_id_number"]
                .as_str()
                .unwrap()
                .contains("********"),
            "this target takes masked data: {any}"
        );
        assert_eq!(any["buyer_name"], "张*");
    }
    let admin = app.login("admin").await;
    let status: Value = app
        .get("/api/v1/admin/sync/status", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status[0]["pending"], 0);
    assert_eq!(status[0]["delivered_last_hour"], 25);
    let batches: Value = app
        .get("/api/v1/admin/sync/batches?target=dc", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(batches["total"], 3);
    assert_eq!(batches["items"][0]["outcome"], "delivered");
    assert!(batches["items"][0]["bytes"].as_i64().unwrap() > 0);

    // A replay for a time range queues the records again; the receiver still holds each once.
    let target = app.state.config.sync_targets[0].clone();
    let n = functions::sync::worker::replay(
        &app.state,
        &target,
        chrono::Utc::now() - chrono::Duration::hours(1),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(n, 25);
    worker(&app).run(true).await.unwrap();
    let s = receiver.state.lock().unwrap();
    assert_eq!(
        (s.records.len(), s.receipts.values().sum::<u32>()),
        (25, 50)
    );
}

#[tokio::test]
async fn rejected_records_go_to_the_return_table_with_their_reason() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 3).await;
    let first: String = sqlx::query_scalar(
        "SELECT registration_id::text FROM registration ORDER BY created_at LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    receiver.state.lock().unwrap().reject.insert(first.clone());
    let round = worker(&app).run(true).await.unwrap();
    assert_eq!((round.delivered, round.rejected), (2, 1));
    let admin = app.login("admin").await;
    let returns: Value = app
        .get("/api/v1/admin/sync/returns", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(returns["total"], 1);
    assert!(
        returns["items"][0]["key"]
            .as_str()
            .unwrap()
            .contains(&first)
    );
    assert!(!returns["items"][0]["reason"].as_str().unwrap().is_empty());
    let status: Value = app
        .get("/api/v1/admin/sync/status", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            status[0]["rejected"].as_i64(),
            status[0]["pending"].as_i64()
        ),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn an_unreadable_record_is_dead_lettered_and_the_rest_still_go() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 12).await;
    // Rows whose ciphertext no longer decrypts (restored from a bad backup,
    // written under another key...) must not stop the sync of the others —
    // not even when a whole batch (10 here) is made of them.
    let broken: Vec<String> = sqlx::query_scalar(
        "UPDATE registration SET buyer_id_enc = '\\x00ff' WHERE registration_id IN
             (SELECT registration_id FROM registration ORDER BY created_at LIMIT 10)
         RETURNING registration_id::text",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let round = worker(&app).run(true).await.unwrap();
    assert_eq!((round.delivered, round.dead), (2, 10));
    assert_eq!(receiver.state.lock().unwrap().records.len(), 2);
    let (status, error): (String, String) = sqlx::query_as(
        "SELECT d.status, d.last_error FROM sync_delivery d JOIN outbox o USING (outbox_id) WHERE o.entity_key = $1",
    )
    .bind(&broken[0])
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(status, "dead");
    assert!(error.starts_with("unreadable"), "{error}");
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alert WHERE kind = 'DEAD_LETTER'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn forged_signatures_are_refused_and_failures_back_off_then_dead_letter() {
    let receiver = FakeReceiver::start(SECRET).await;
    let forged = reqwest::Client::new()
        .post(receiver.url())
        .header(
            "X-Yaojian-Timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("X-Yaojian-Signature", "00".repeat(32))
        .body("{\"records\":[]}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    // A worker holding the wrong secret: refused, retried later, then dead-lettered.
    let app = sync_app(&receiver, "not-the-secret", "max_attempts = 2").await;
    sales(&app, 2).await;
    let round = worker(&app).round().await.unwrap();
    assert_eq!((round.failed, round.dead), (2, 0));
    assert_eq!(scalar(&app, "SELECT count(*) FROM sync_delivery WHERE status = 'pending' AND attempts = 1 AND next_attempt_at > now()").await, 2, "backed off");
    assert_eq!(
        worker(&app).round().await.unwrap().claimed,
        0,
        "nothing is due during the backoff"
    );
    let batch: (Option<i32>, String) =
        sqlx::query_as("SELECT http_status, outcome FROM sync_batch")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(batch, (Some(401), "failed".to_owned()));
    sqlx::query("UPDATE sync_delivery SET next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
    let round = worker(&app).round().await.unwrap();
    assert_eq!(round.dead, 2);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alert WHERE kind = 'DEAD_LETTER'"
        )
        .await,
        1
    );
    assert_eq!(receiver.state.lock().unwrap().records.len(), 0);
    assert!(receiver.state.lock().unwrap().unauthorized >= 3);
}

#[tokio::test]
async fn two_workers_at_once_never_deliver_a_record_twice() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 60).await;
    receiver.state.lock().unwrap().delay = Duration::from_millis(30);
    let other = app.another_instance().await;
    let a = worker(&app);
    let b = Worker::new(
        other.state.clone(),
        other.state.config.sync_targets[0].clone(),
        &yaojian::groups::entities(),
    )
    .unwrap();
    let (ra, rb) = tokio::join!(a.run(true), b.run(true));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.delivered + rb.delivered, 60);
    assert!(
        ra.delivered > 0 && rb.delivered > 0,
        "both worked: {ra:?} {rb:?}"
    );
    let s = receiver.state.lock().unwrap();
    assert_eq!(s.records.len(), 60);
    assert!(
        s.receipts.values().all(|n| *n == 1),
        "no record was delivered twice"
    );
}

/// 20 % of batches fail and the worker is killed (SIGKILL) mid-batch, then
/// restarted: the receiver ends holding every record exactly once.
#[tokio::test]
async fn failures_and_a_killed_worker_lose_nothing_and_double_nothing() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "max_attempts = 50").await;
    sales(&app, 120).await;
    {
        let mut s = receiver.state.lock().unwrap();
        s.fail_rate = 0.2;
        s.delay = Duration::from_millis(40);
    }
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"))
            .args(["sync", "run", "--target", "dc"])
            .env_clear()
            .envs(app.env())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    for _ in 0..200 {
        if receiver.state.lock().unwrap().records.len() >= 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    first.kill().unwrap(); // SIGKILL, mid-batch most likely
    first.wait().unwrap();
    let held_at_kill = receiver.state.lock().unwrap().records.len();
    assert!(held_at_kill < 120, "killed before the end");

    let mut second = spawn();
    let mut pending = i64::MAX;
    for _ in 0..600 {
        pending = scalar(
            &app,
            "SELECT count(*) FROM sync_delivery WHERE status <> 'delivered'",
        )
        .await;
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(pending, 0, "everything delivered after the restart");
    let (held, injected) = {
        let s = receiver.state.lock().unwrap();
        (s.records.len(), s.failures_injected)
    };
    assert_eq!(held, 120, "every record held once");
    assert!(injected > 0, "failures were injected");
    let failed: i64 = scalar(
        &app,
        "SELECT count(*) FROM sync_batch WHERE outcome = 'failed'",
    )
    .await;
    assert!(failed > 0);
}

#[tokio::test]
async fn jobs_raise_sync_lag_archive_old_registrations_and_never_run_twice() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "lag_alert_secs = 60").await;
    sales(&app, 3).await;
    sqlx::query("UPDATE outbox SET created_at = now() - interval '2 hours'")
        .execute(&app.db)
        .await
        .unwrap();
    let done = run_job(&app.state, "sync-lag").await.unwrap();
    assert!(matches!(done, shared::jobs::Outcome::Done(_)));
    run_job(&app.state, "sync-lag").await.unwrap();
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alert WHERE kind = 'SYNC_LAG' AND status = 'open'"
        )
        .await,
        1,
        "raised once"
    );

    // Another scheduler holds the lock: skipped.
    let mut holder = sqlx::PgConnection::connect(&app.env()["DATABASE_URL"])
        .await
        .unwrap();
    let key: i64 = {
        let h = shared::crypto::sm3(b"yaojian-job:retention");
        i64::from_be_bytes(h[..8].try_into().unwrap())
    };
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(
        run_job(&app.state, "retention").await.unwrap(),
        shared::jobs::Outcome::Skipped
    );
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut holder)
        .await
        .unwrap();

    // Retention: older than five years moves to the archive, with its items, audited.
    sqlx::query("UPDATE registration SET created_at = now() - interval '6 years' WHERE registration_id = (SELECT registration_id FROM registration ORDER BY created_at LIMIT 1)")
        .execute(&app.db)
        .await
        .unwrap();
    let done = run_job(&app.state, "retention").await.unwrap();
    assert_eq!(
        done,
        shared::jobs::Outcome::Done(serde_json::json!({ "archived": 1 }))
    );
    assert_eq!(scalar(&app, "SELECT count(*) FROM registration").await, 2);
    let items: i64 = scalar(
        &app,
        "SELECT jsonb_array_length(record->'items')::bigint FROM registration_archive",
    )
    .await;
    assert_eq!(items, 1);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'retention.archive'"
        )
        .await,
        1
    );
    assert!(shared::audit::verify(&app.db).await.unwrap().is_ok());
}

use sqlx::Connection;

#[tokio::test]
async fn sync_figures_are_on_metrics() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 2).await;
    let text = app.metrics().await;
    assert!(text.contains("sync_pending{target=\"dc\"} 2"), "{text}");
    assert!(text.contains("sync_lag_seconds{target=\"dc\"}"));
    // A scrape within GAUGE_REFRESH of the last one runs no query: the
    // figures are those of the last read.
    sales(&app, 1).await;
    assert!(
        app.metrics()
            .await
            .contains("sync_pending{target=\"dc\"} 2")
    );
    *app.state.gauges_refreshed_at.lock().unwrap() = None;
    assert!(
        app.metrics()
            .await
            .contains("sync_pending{target=\"dc\"} 3")
    );
}

/// Two `serve` processes and two sync workers on one database and Redis
/// behave as one: tokens, idempotency keys, rate limits and delivery.
#[tokio::test]
async fn two_servers_and_two_workers_behave_as_one() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    let spawn = |args: &[&str], port: Option<u16>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"));
        c.args(args)
            .env_clear()
            .envs(app.env())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(p) = port {
            c.env("PORT", p.to_string());
        }
        Child(c.spawn().unwrap())
    };
    let (pa, pb) = (free_port(), free_port());
    let _a = spawn(&["serve"], Some(pa));
    let _b = spawn(&["serve"], Some(pb));
    let (a, b) = (
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    );
    wait_ready(&app.client, &format!("{a}/readyz")).await;
    wait_ready(&app.client, &format!("{b}/readyz")).await;
    let c = &app.client;

    // A token from A works on B.
    let login: Value = c
        .post(format!("{a}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "clerk", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    assert_eq!(
        c.get(format!("{b}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // One Idempotency-Key on both: one registration.
    let body = manual_sale("王一", &id_number("19800101", 901), &[(GANCAO, 1)]);
    let mut ids = Vec::new();
    for base in [&a, &b, &a, &b] {
        let r: Value = c
            .post(format!("{base}/api/v1/registrations"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "both-1")
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);

    // The rate limit counts sign-ins made on either. Its windows are whole
    // minutes: start well inside one, so the count is not cut in two.
    let into_minute = chrono::Utc::now().timestamp() % 60;
    if into_minute > 45 {
        tokio::time::sleep(Duration::from_secs((61 - into_minute) as u64)).await;
    }
    let mut limited = false;
    for i in 0..40 {
        let base = if i % 2 == 0 { &a } else { &b };
        let r = c
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": format!("nobody{i}"), "password": "x"}))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = i <= 31;
            break;
        }
    }
    assert!(limited, "30 sign-ins a minute across both instances");

    // Two worker processes deliver everything exactly once.
    for i in 0..40 {
        let r = c
            .post(format!(
                "{}/api/v1/registrations",
                if i % 2 == 0 { &a } else { &b }
            ))
            .bearer_auth(&token)
            .json(&manual_sale(
                "李二",
                &id_number("19810101", i),
                &[(GANCAO, 1)],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    receiver.state.lock().unwrap().delay = Duration::from_millis(20);
    let _w1 = spawn(&["sync", "run", "--target", "dc"], None);
    // ...one of them running three workers (`--workers`).
    let _w2 = spawn(&["sync", "run", "--target", "dc", "--workers", "3"], None);
    for _ in 0..300 {
        if scalar(
            &app,
            "SELECT count(*) FROM sync_delivery WHERE status <> 'delivered'",
        )
        .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let s = receiver.state.lock().unwrap();
    assert_eq!(s.records.len(), 41);
    assert!(
        s.receipts.values().all(|n| *n == 1),
        "no record delivered twice"
    );
}

/// A timer trigger's request runs the job once (`yaojian serve-job`).
#[tokio::test]
async fn a_timer_invocation_runs_the_sync_once() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 5).await;
    let port = free_port();
    let _job = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"))
            .args(["serve-job", "sync:dc"])
            .env_clear()
            .envs(app.env())
            .env("FC_SERVER_PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(&app.client, &format!("http://127.0.0.1:{port}/healthz")).await;
    let r: Value = app
        .client
        .post(format!("http://127.0.0.1:{port}/invoke"))
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["delivered"], 5, "{r}");
    assert_eq!(receiver.state.lock().unwrap().records.len(), 5);
}

// ---- the receiver does not forgive -------------------------------------------

use yaojian::fake_receiver::Answer;

/// Makes every pending delivery due now (skips the backoff).
async fn due_now(app: &TestApp) {
    sqlx::query("UPDATE sync_delivery SET next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
}

async fn last_batch(app: &TestApp) -> (Option<i32>, String, Option<String>) {
    sqlx::query_as(
        "SELECT http_status, outcome, error FROM sync_batch ORDER BY created_at DESC, batch_id DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// A batch that does not have SPEC §6's shape is refused with the reason: the
/// fake checks what a real data centre checks.
#[tokio::test]
async fn the_receiver_refuses_a_malformed_batch_or_a_stale_timestamp() {
    let receiver = FakeReceiver::start(SECRET).await;
    let send = |body: serde_json::Value, ts: i64| {
        let receiver = receiver.clone();
        async move {
            let body = body.to_string();
            let ts = ts.to_string();
            let sig =
                shared::crypto::data_centre_signature(SECRET.as_bytes(), &ts, body.as_bytes());
            reqwest::Client::new()
                .post(receiver.url())
                .header("X-Yaojian-Timestamp", ts)
                .header("X-Yaojian-Signature", sig)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let now = chrono::Utc::now().timestamp();
    let record = |data: serde_json::Value| {
        serde_json::json!({"batch_id": uuid::Uuid::now_v7(), "entity": "registration",
                           "records": [{"key": "registration/x/1", "op": "create", "data": data}]})
    };
    for (body, why) in [
        (
            serde_json::json!({"entity": "registration", "records": []}),
            "batch_id missing",
        ),
        (
            serde_json::json!({"batch_id": "b1", "entity": "registration", "records": []}),
            "not a UUID",
        ),
        (
            serde_json::json!({"batch_id": uuid::Uuid::now_v7(), "entity": "licence", "records": []}),
            "unknown entity",
        ),
        (
            record(serde_json::json!({"registration_id": "x"})),
            "lacks pharmacy_id",
        ),
    ] {
        let r = send(body, now).await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(why), "{why}");
    }
    let mut op = record(serde_json::json!({"registration_id": "x", "archived": true}));
    op["records"][0]["op"] = "upsert".into();
    assert_eq!(send(op, now).await.status(), 400);
    // A tombstone is well formed; a timestamp 301 s away is not fresh.
    let tombstone = record(serde_json::json!({"registration_id": "x", "archived": true}));
    assert_eq!(send(tombstone.clone(), now).await.status(), 200);
    assert_eq!(send(tombstone.clone(), now - 301).await.status(), 401);
    assert_eq!(send(tombstone, now + 301).await.status(), 401);
    assert_eq!(receiver.state.lock().unwrap().malformed.len(), 5);
}

/// Every record the worker sends has the shape, and none arrives twice —
/// counted on every delivery, not on a deduplicated set.
#[tokio::test]
async fn the_worker_sends_well_formed_batches_and_nothing_twice() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 12).await;
    worker(&app).run(true).await.unwrap();
    let s = receiver.state.lock().unwrap();
    assert!(s.malformed.is_empty(), "{:?}", s.malformed);
    assert_eq!(s.deliveries.len(), 12);
    let keys: std::collections::BTreeSet<&String> = s.deliveries.iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), 12, "no record twice");
}

/// A receiver that answers for only part of a batch: the records it did not
/// mention are sent again, and in the end each is delivered once.
#[tokio::test]
async fn records_missing_from_the_answer_are_sent_again() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 6).await;
    receiver.state.lock().unwrap().answer = Answer::Partial;
    let round = worker(&app).round().await.unwrap();
    assert_eq!((round.delivered, round.failed), (3, 3));
    let (status, outcome, _) = last_batch(&app).await;
    assert_eq!((status, outcome.as_str()), (Some(200), "partial"));
    receiver.state.lock().unwrap().answer = Answer::Normal;
    due_now(&app).await;
    worker(&app).run(true).await.unwrap();
    let s = receiver.state.lock().unwrap();
    assert_eq!(s.deliveries.len(), 6);
    assert!(s.receipts.values().all(|n| *n == 1), "each once");
}

/// A 200 whose body is not an answer, and refusals other than 400/401: the
/// batch failed, nothing is taken as delivered, and all is retried.
#[tokio::test]
async fn a_malformed_answer_or_another_refusal_is_retried() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 3).await;
    receiver.state.lock().unwrap().answer = Answer::Malformed;
    let round = worker(&app).round().await.unwrap();
    assert_eq!((round.delivered, round.failed), (0, 3));
    let (status, outcome, error) = last_batch(&app).await;
    assert_eq!(
        (status, outcome.as_str(), error.as_deref()),
        (Some(200), "failed", Some("unreadable answer"))
    );
    for code in [403u16, 404, 409, 413, 422] {
        receiver.state.lock().unwrap().answer = Answer::Status(code);
        due_now(&app).await;
        let round = worker(&app).round().await.unwrap();
        assert_eq!((round.delivered, round.failed), (0, 3), "HTTP {code}");
        let (status, outcome, _) = last_batch(&app).await;
        assert_eq!(
            (status, outcome.as_str()),
            (Some(i32::from(code)), "failed")
        );
    }
    receiver.state.lock().unwrap().answer = Answer::Normal;
    due_now(&app).await;
    worker(&app).run(true).await.unwrap();
    assert_eq!(receiver.state.lock().unwrap().deliveries.len(), 3);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM sync_delivery WHERE status = 'delivered'"
        )
        .await,
        3
    );
}

/// The receiver unreachable (nothing listens): a failed batch without a
/// status, retried later.
#[tokio::test]
async fn an_unreachable_receiver_is_retried() {
    let receiver = FakeReceiver::start(SECRET).await;
    let app = sync_app(&receiver, SECRET, "").await;
    sales(&app, 2).await;
    let mut target = app.state.config.sync_targets[0].clone();
    target.url = format!("http://127.0.0.1:{}/ingest", free_port());
    let w = Worker::new(app.state.clone(), target, &yaojian::groups::entities()).unwrap();
    let round = w.round().await.unwrap();
    assert_eq!((round.delivered, round.failed), (0, 2));
    let (status, outcome, error) = last_batch(&app).await;
    assert_eq!(
        (status, outcome.as_str(), error.as_deref()),
        (None, "failed", Some("connection failed"))
    );
}
