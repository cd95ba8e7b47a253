use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn password_login_me_and_logout() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "Manager", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["user"]["role"], "pharmacy_manager");
    let token = body["token"].as_str().unwrap();

    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "manager");
    assert_eq!(me["pharmacy_id"], PHARMACY_A.to_string());
    assert_eq!(me["pharmacy_name"], "药店L-A");

    assert_eq!(
        app.post("/api/v1/auth/logout", json!({}), Some(token))
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/api/v1/me", Some(token)).await.status(), 401);

    let (s, b) = problem(
        app.post(
            "/api/v1/auth/login",
            json!({"username": "manager", "password": "wrong"}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (401, "LOGIN_FAILED"));
    let (s, b) = problem(
        app.post(
            "/api/v1/auth/login",
            json!({"username": "nobody", "password": "wrong"}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (401, "LOGIN_FAILED"));
}

/// Two instances on one database and Redis behave as one.
#[tokio::test]
async fn tokens_logout_and_lockout_are_shared_by_instances() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let token = app.login("clerk").await;
    let on_other = app
        .client
        .get(format!("{}/api/v1/me", other.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        on_other.status(),
        200,
        "a token issued by one instance works on the other"
    );
    let out = app
        .client
        .post(format!("{}/api/v1/auth/logout", other.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        401,
        "logout on the other is seen here at once"
    );

    // Failures made on either instance count together: 3 here, 2 there lock.
    for i in 0..5 {
        let base = if i % 2 == 0 { &app.base } else { &other.base };
        let r = app
            .client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "inspector", "password": "bad"}))
            .send()
            .await
            .unwrap();
        let expected = if i < 4 { 401 } else { 429 };
        assert_eq!(r.status(), expected, "attempt {i}");
    }
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "inspector", "password": PASSWORD}),
            None,
        )
        .await;
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 800 && retry_after <= 900, "{retry_after}");
    let (s, b) = problem(r).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (429, "LOGIN_LOCKED"),
        "the right password is refused while locked"
    );
    // Another account is not affected.
    app.login("admin").await;
}

#[tokio::test]
async fn roles_are_enforced_and_initial_passwords_must_be_changed() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let (s, b) = problem(app.get("/api/v1/admin/audit", Some(&clerk)).await).await;
    assert_eq!((s, b["code"].as_str().unwrap()), (403, "FORBIDDEN"));
    let admin = app.login("admin").await;
    assert_eq!(
        app.get("/api/v1/admin/audit", Some(&admin)).await.status(),
        200
    );

    sqlx::query("UPDATE app_user SET must_change_password = true WHERE username = 'admin'")
        .execute(&app.db)
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let (s, b) = problem(app.get("/api/v1/admin/audit", Some(&admin)).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (403, "PASSWORD_CHANGE_REQUIRED")
    );
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.status(), 200);
    let (s, b) = problem(
        app.post(
            "/api/v1/auth/password",
            json!({"old_password": PASSWORD, "new_password": "short"}),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "PASSWORD_TOO_WEAK"));
    let r = app
        .post(
            "/api/v1/auth/password",
            json!({"old_password": PASSWORD, "new_password": "New-Passw0rd-2026"}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.get("/api/v1/me", Some(&admin)).await.status(),
        401,
        "a password change ends the sessions"
    );
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": "New-Passw0rd-2026"}),
            None,
        )
        .await;
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get("/api/v1/admin/audit", Some(&token)).await.status(),
        200
    );
}

#[tokio::test]
async fn wechat_login_bind_with_a_single_use_invite() {
    let app = spawn_app().await;
    let clerk_id: uuid::Uuid =
        sqlx::query_scalar("SELECT user_id FROM app_user WHERE username = 'clerk'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let code = {
        let mut conn = app.db.acquire().await.unwrap();
        shared::auth::invite::issue(&mut conn, &app.state.pii, clerk_id, None)
            .await
            .unwrap()
    };

    let r: Value = app
        .post(
            "/api/v1/auth/wechat/login",
            json!({"code": "openid:oClerk_0000000000000000001"}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["bound"], false);
    let bind_token = r["bind_token"].as_str().unwrap().to_owned();
    assert!(r["token"].is_null());

    let (s, b) = problem(
        app.post(
            "/api/v1/auth/wechat/bind",
            json!({"bind_token": bind_token, "invite_code": "WRONG123"}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "INVITE_INVALID"));
    let (s, b) = problem(
        app.post(
            "/api/v1/auth/wechat/bind",
            json!({"bind_token": bind_token, "invite_code": code}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "BIND_TOKEN_INVALID"),
        "bind tokens are single use"
    );

    let r = bind_wechat(
        &app,
        "openid:oClerk_0000000000000000001",
        &code.to_lowercase(),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["role"], "clerk");
    let unionid: Option<String> =
        sqlx::query_scalar("SELECT wechat_unionid FROM app_user WHERE user_id = $1")
            .bind(clerk_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(unionid.as_deref(), Some("u-oClerk_0000000000000000001"));

    // Bound now: the next login gets a token directly.
    let r: Value = app
        .post(
            "/api/v1/auth/wechat/login",
            json!({"code": "openid:oClerk_0000000000000000001"}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["bound"], true);
    assert!(r["token"].is_string());
    assert_eq!(r["user"]["id"], clerk_id.to_string());

    // The invite was single use.
    let r: Value = app
        .post(
            "/api/v1/auth/wechat/login",
            json!({"code": "openid:oOther_0000000000000000002"}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let (s, b) = problem(
        app.post(
            "/api/v1/auth/wechat/bind",
            json!({"bind_token": r["bind_token"], "invite_code": code}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "INVITE_INVALID"));
}

#[tokio::test]
async fn wechat_errors_map_to_our_codes() {
    let app = spawn_app().await;
    for (code, status, expected) in [
        ("bad", 422, "WECHAT_CODE_INVALID"),
        ("used", 422, "WECHAT_CODE_INVALID"),
        ("ratelimited", 429, "WECHAT_RATE_LIMITED"),
        ("busy", 503, "UPSTREAM_UNAVAILABLE"),
        ("down", 503, "UPSTREAM_UNAVAILABLE"),
        ("slow", 503, "UPSTREAM_UNAVAILABLE"),
    ] {
        let (s, b) = problem(
            app.post("/api/v1/auth/wechat/login", json!({"code": code}), None)
                .await,
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str().unwrap()),
            (status, expected),
            "code {code}"
        );
    }
    app.fake.set_down(true);
    let (s, b) = problem(
        app.post("/api/v1/auth/wechat/login", json!({"code": "any"}), None)
            .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (503, "UPSTREAM_UNAVAILABLE")
    );
}

#[tokio::test]
async fn public_endpoints_are_rate_limited() {
    let app = spawn_app().await;
    let mut limited = false;
    for _ in 0..40 {
        let r = app
            .post(
                "/api/v1/auth/login",
                json!({"username": "ghost", "password": "x"}),
                None,
            )
            .await;
        if r.status() == 429 {
            let (_, b) = problem(r).await;
            // The account lock (5 failures) comes first for one username.
            assert!(b["code"] == "LOGIN_LOCKED" || b["code"] == "RATE_LIMITED");
            if b["code"] == "RATE_LIMITED" {
                limited = true;
                break;
            }
        }
    }
    assert!(
        limited,
        "more than 30 sign-ins a minute from one address are refused"
    );
}

/// Logs of a full sign-in (password and WeChat bind) and of a request that
/// carries an ID number hold none of the secrets or personal data.
#[tokio::test]
async fn logs_never_carry_secrets_or_personal_data() {
    let app = spawn_app().await;
    let token = app.login("manager").await;
    app.get("/api/v1/me", Some(&token)).await;
    let clerk_id: uuid::Uuid =
        sqlx::query_scalar("SELECT user_id FROM app_user WHERE username = 'clerk'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let invite = {
        let mut conn = app.db.acquire().await.unwrap();
        shared::auth::invite::issue(&mut conn, &app.state.pii, clerk_id, None)
            .await
            .unwrap()
    };
    let r: Value = app
        .post(
            "/api/v1/auth/wechat/login",
            json!({"code": "openid:oLogTest_00000000000000001"}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let bind_token = r["bind_token"].as_str().unwrap().to_owned();
    let r: Value = app
        .post(
            "/api/v1/auth/wechat/bind",
            json!({"bind_token": bind_token, "invite_code": invite}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let wechat_token = r["token"].as_str().unwrap().to_owned();
    let id_number = "42010219900307123X";
    app.post(
        "/api/v1/auth/login",
        json!({"username": id_number, "password": "Secret-Pass-42"}),
        None,
    )
    .await;
    app.post(
        "/api/v1/auth/login",
        json!({"username": "manager", "password": id_number, "buyer": {"name": "欧阳娜娜"}}),
        None,
    )
    .await;
    app.get(
        &format!("/api/v1/admin/audit?stream={id_number}"),
        Some(&token),
    )
    .await;
    app.post("/api/v1/auth/logout", json!({}), Some(&token))
        .await;

    let logs = logs();
    assert!(logs.contains("request finished"), "logs were captured");
    for secret in [
        PASSWORD,
        "Secret-Pass-42",
        &token,
        &wechat_token,
        &bind_token,
        &invite,
        id_number,
        "欧阳娜娜",
        "用户clerk",
        "用户manager",
    ] {
        assert!(!logs.contains(secret), "a log line contains `{secret}`");
    }
}

/// Sessions end after the idle timeout, and at their absolute lifetime even
/// when used all along.
#[tokio::test]
async fn sessions_expire_when_idle_and_at_their_lifetime() {
    let app = spawn_app_with(|v| {
        v.insert("YAOJIAN_IDLE_TIMEOUT_SECS".into(), "2".into());
    })
    .await;
    let token = app.login("clerk").await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        401,
        "idle for longer than the timeout"
    );

    let app = spawn_app_with(|v| {
        v.insert("YAOJIAN_TOKEN_TTL_SECS".into(), "3".into());
    })
    .await;
    let token = app.login("clerk").await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        401,
        "past the absolute lifetime"
    );
}
