use std::process::Command;

use serde_json::json;
use shared::audit::{self, Action, Entry, Stream};
use uuid::Uuid;

use crate::helpers::*;

/// Pharmacy streams of the tests, by name.
fn pharmacy(name: &str) -> Stream {
    Stream::Pharmacy(Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()))
}

fn entry(stream: Stream, n: usize) -> Entry {
    Entry::system(Action::SeedDemo)
        .on(stream)
        .object(n)
        .detail(json!({ "n": n, "z": "末", "a": [1, 2] }))
}

#[tokio::test]
async fn concurrent_writers_never_fork_the_chain() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for n in 0..40 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            let stream = pharmacy(if n % 4 == 0 { "other" } else { "hot" });
            entry(stream, n).append_alone(&db).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = audit::verify(&app.db).await.unwrap().expect("chain intact");
    assert!(v.entries >= 40);
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM audit_log WHERE stream = $1 ORDER BY seq")
            .bind(pharmacy("hot").to_string())
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(seqs, (1..=30).collect::<Vec<i64>>());
}

/// A write rolled back leaves no audit entry and no gap.
#[tokio::test]
async fn the_entry_commits_with_its_change() {
    let app = spawn_app().await;
    {
        let mut tx = app.db.begin().await.unwrap();
        entry(Stream::City, 1).append(&mut tx).await.unwrap();
        tx.rollback().await.unwrap();
    }
    entry(Stream::City, 2).append_alone(&app.db).await.unwrap();
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM audit_log WHERE stream = 'city'")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(seqs, vec![1]);
    assert!(audit::verify(&app.db).await.unwrap().is_ok());
}

fn verify_cli(app: &TestApp) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yaojian"))
        .args(["audit", "verify"])
        .env_clear()
        .envs(app.env())
        .env("YAOJIAN_LOG_FORMAT", "pretty")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn tamper(app: &TestApp, sql: &str) {
    let mut tx = app.db.begin().await.unwrap();
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn five_entries(app: &TestApp) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(entry(pharmacy("x"), n).append_alone(&app.db).await.unwrap());
    }
    ids
}

#[tokio::test]
async fn verify_names_the_first_edited_entry() {
    let app = spawn_app().await;
    app.login("admin").await;
    let ids = five_entries(&app).await;
    let (ok, out) = verify_cli(&app);
    assert!(ok, "{out}");
    assert!(out.contains("intact"));

    // Plain SQL cannot edit the log while its trigger stands.
    assert!(
        sqlx::query("UPDATE audit_log SET action = 'x'")
            .execute(&app.db)
            .await
            .is_err()
    );

    tamper(
        &app,
        &format!(
            "UPDATE audit_log SET detail = '{{\"n\": 99}}' WHERE audit_log_id = {}",
            ids[2]
        ),
    )
    .await;
    let (ok, out) = verify_cli(&app);
    assert!(!ok);
    assert!(
        out.contains(&format!("audit_log_id {}", ids[2])) && out.contains("edited"),
        "{out}"
    );
}

#[tokio::test]
async fn verify_catches_deleted_and_reordered_entries() {
    let app = spawn_app().await;
    let ids = five_entries(&app).await;
    tamper(
        &app,
        &format!("DELETE FROM audit_log WHERE audit_log_id = {}", ids[1]),
    )
    .await;
    let broken = audit::verify(&app.db).await.unwrap().unwrap_err();
    assert_eq!(
        (broken.audit_log_id, broken.seq),
        (Some(ids[2]), 3),
        "{broken}"
    );

    let app = spawn_app().await;
    let ids = five_entries(&app).await;
    tamper(
        &app,
        &format!("DELETE FROM audit_log WHERE audit_log_id = {}", ids[4]),
    )
    .await;
    let broken = audit::verify(&app.db).await.unwrap().unwrap_err();
    assert!(broken.reason.contains("deleted"), "{broken}");
    let (ok, out) = verify_cli(&app);
    assert!(!ok && out.contains("BROKEN"), "{out}");

    let app = spawn_app().await;
    let ids = five_entries(&app).await;
    tamper(
        &app,
        &format!(
            "UPDATE audit_log SET seq = -seq WHERE audit_log_id IN ({}, {})",
            ids[0], ids[1]
        ),
    )
    .await;
    tamper(
        &app,
        &format!(
            "UPDATE audit_log SET seq = 2 WHERE audit_log_id = {}",
            ids[0]
        ),
    )
    .await;
    tamper(
        &app,
        &format!(
            "UPDATE audit_log SET seq = 1 WHERE audit_log_id = {}",
            ids[1]
        ),
    )
    .await;
    assert!(
        audit::verify(&app.db).await.unwrap().is_err(),
        "swapped entries are caught"
    );
}

/// Every sign-in leaves an entry, in the user's stream, without personal data.
#[tokio::test]
async fn sign_ins_are_audited() {
    let app = spawn_app().await;
    app.login("manager").await;
    let _ = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "manager", "password": "bad"}),
            None,
        )
        .await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT stream, action FROM audit_log ORDER BY audit_log_id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert!(
        rows.contains(&(format!("pharmacy:{PHARMACY_A}"), "auth.login".into())),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("auth".into(), "auth.login_failed".into())),
        "{rows:?}"
    );
}
