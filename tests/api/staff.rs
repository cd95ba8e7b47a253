use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_manager_adds_invites_and_removes_clerks() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let list: Value = app
        .get("/api/v1/pharmacy/staff", Some(&manager))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "manager and clerk of A: {list}"
    );

    let resp = app
        .client
        .post(app.url("/api/v1/pharmacy/staff"))
        .bearer_auth(&manager)
        .header("Idempotency-Key", "add-wang-1")
        .json(&json!({"display_name": "王小明", "phone": "13800000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    let code = created["invite_code"].as_str().unwrap().to_owned();
    let clerk_id = created["staff"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["staff"]["bound"], false);
    // A retry with the same key creates nobody more.
    let again: Value = app
        .client
        .post(app.url("/api/v1/pharmacy/staff"))
        .bearer_auth(&manager)
        .header("Idempotency-Key", "add-wang-1")
        .json(&json!({"display_name": "王小明", "phone": "13800000000"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["staff"]["id"], created["staff"]["id"]);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM app_user WHERE display_name = '王小明'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT code_hash FROM invite WHERE user_id = $1::uuid")
            .bind(&clerk_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(
        !String::from_utf8_lossy(&stored).contains(&code),
        "only a hash of the code is stored"
    );

    // The clerk binds WeChat with it, on another instance.
    let other = app.another_instance().await;
    let r: Value = app
        .post(
            "/api/v1/auth/wechat/login",
            json!({"code": "openid:oWang_000000000000000001"}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let r: Value = app
        .client
        .post(format!("{}/api/v1/auth/wechat/bind", other.base))
        .json(&json!({"bind_token": r["bind_token"], "invite_code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let clerk_token = r["token"].as_str().unwrap().to_owned();
    let (s, b) = problem(
        app.post(
            &format!("/api/v1/pharmacy/staff/{clerk_id}/invite"),
            json!({}),
            Some(&manager),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (409, "STAFF_ALREADY_BOUND")
    );

    // Clerks do not manage staff.
    let (s, _) = problem(app.get("/api/v1/pharmacy/staff", Some(&clerk_token)).await).await;
    assert_eq!(s, 403);

    // Removal ends the clerk's sessions at once, on every instance.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/pharmacy/staff/{clerk_id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .client
        .get(format!("{}/api/v1/me", other.base))
        .bearer_auth(&clerk_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r: Value = app
        .post(
            "/api/v1/auth/wechat/login",
            json!({"code": "openid:oWang_000000000000000001"}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["bound"], false,
        "the removed clerk's WeChat is no longer bound"
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'staff.%' ORDER BY audit_log_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(actions, vec!["staff.create", "staff.remove"]);
}

#[tokio::test]
async fn managers_never_see_or_touch_another_pharmacys_staff() {
    let app = spawn_app().await;
    let hash = shared::auth::password::hash(PASSWORD).await.unwrap();
    let other_clerk = create_user(&app, "clerk-b", "clerk", Some(PHARMACY_B), None, None).await;
    create_user(
        &app,
        "manager-b",
        "pharmacy_manager",
        Some(PHARMACY_B),
        None,
        Some(&hash),
    )
    .await;
    let manager = app.login("manager").await;
    let list: Value = app
        .get("/api/v1/pharmacy/staff", Some(&manager))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != other_clerk.to_string())
    );
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/pharmacy/staff/{other_clerk}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    let (s, b) = problem(r).await;
    assert_eq!((s, b["code"].as_str().unwrap()), (404, "STAFF_NOT_FOUND"));
    let (s, _) = problem(
        app.post(
            &format!("/api/v1/pharmacy/staff/{other_clerk}/invite"),
            json!({}),
            Some(&manager),
        )
        .await,
    )
    .await;
    assert_eq!(s, 404);
    let status: String = sqlx::query_scalar("SELECT status FROM app_user WHERE user_id = $1")
        .bind(other_clerk)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "active");
    let (s, b) = problem(
        app.post(
            "/api/v1/pharmacy/staff",
            json!({"display_name": "", "phone": "123"}),
            Some(&manager),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str().unwrap()),
        (400, "display_name")
    );
    let r = app
        .client
        .delete(app.url("/api/v1/pharmacy/staff/not-a-uuid"))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    let (s, b) = problem(r).await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str().unwrap()),
        (400, "id"),
        "a bad path parameter is a 400 naming it"
    );
}
