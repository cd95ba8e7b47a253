use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn admins_create_deactivate_and_reset_users() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;

    // An inspector: invite code for the mini-program, initial password for the app.
    let r = app.post("/api/v1/admin/users", json!({"name": "洪山区检查员", "role": "inspector", "district_code": "420111", "username": "hs-inspector"}), Some(&admin)).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["invite_code"].is_string());
    let initial = created["initial_password"].as_str().unwrap().to_owned();
    assert_eq!(created["must_change_password"], true);

    // The initial password works, but only to change it.
    let r: Value = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "hs-inspector", "password": initial}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let token = r["token"].as_str().unwrap().to_owned();
    let (s, b) = problem(app.get("/api/v1/alerts", Some(&token)).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (403, "PASSWORD_CHANGE_REQUIRED")
    );

    // Bindings per role; a taken username is a 409.
    for (body, field) in [
        (json!({"name": "x", "role": "clerk"}), "pharmacy_id"),
        (json!({"name": "x", "role": "inspector"}), "district_code"),
        (json!({"name": "x", "role": "city_admin"}), "username"),
        (
            json!({"name": "x", "role": "inspector", "district_code": "420102", "pharmacy_id": PHARMACY_A}),
            "pharmacy_id",
        ),
    ] {
        let (s, b) = problem(app.post("/api/v1/admin/users", body, Some(&admin)).await).await;
        assert_eq!((s, b["errors"][0]["field"].as_str().unwrap()), (422, field));
    }
    let (s, b) = problem(
        app.post(
            "/api/v1/admin/users",
            json!({"name": "重名", "role": "city_admin", "username": "hs-inspector"}),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (409, "USERNAME_TAKEN"));
    let (s, b) = problem(app.post("/api/v1/admin/users", json!({"name": "x", "role": "clerk", "pharmacy_id": "00000000-0000-0000-0000-0000000000ff"}), Some(&admin)).await).await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "REFERENCE_INVALID"));
    let (s, _) = problem(
        app.post(
            "/api/v1/admin/users",
            json!({"name": "x", "role": "superuser"}),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(s, 400);

    // Reset: a new initial password, the old sessions end.
    let r: Value = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"reset_password": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = r["initial_password"].as_str().unwrap();
    assert_ne!(second, initial);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 401);

    // Deactivate: sessions end, sign-in refused.
    let r: Value = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "hs-inspector", "password": second}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let token = r["token"].as_str().unwrap().to_owned();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"status": "inactive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 401);
    let (s, _) = problem(
        app.post(
            "/api/v1/auth/login",
            json!({"username": "hs-inspector", "password": second}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 401);

    let list: Value = app
        .get(
            "/api/v1/admin/users?role=inspector&status=inactive",
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    let list: Value = app
        .get("/api/v1/admin/users?district_code=420102", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["total"], 3,
        "江岸: inspector, and the staff of A: {list}"
    );
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE stream = 'city' ORDER BY audit_log_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, vec!["user.create", "user.update", "user.update"]);
    let inspector = app.login("inspector").await;
    assert_eq!(
        app.get("/api/v1/admin/users", Some(&inspector))
            .await
            .status(),
        403
    );
}
