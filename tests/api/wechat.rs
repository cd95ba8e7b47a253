//! The production WeChat client against the fake: the access token is cached
//! in Redis and shared by instances, refreshed once on 40001, and OCR errors
//! map to our codes.

use shared::wechat::WechatError;

use crate::helpers::*;

const JPEG: &[u8] = b"\xff\xd8\xff\xe0 fake jpeg bytes";

#[tokio::test]
async fn access_token_is_shared_and_refreshed_once_when_rejected() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let ocr = app
        .state
        .wechat
        .ocr_id_card(JPEG.to_vec(), "image/jpeg")
        .await
        .unwrap();
    assert_eq!(ocr.id_number, "11010519491231002X");
    assert_eq!(app.fake.token_calls(), 1);
    other
        .state
        .wechat
        .ocr_id_card(JPEG.to_vec(), "image/jpeg")
        .await
        .unwrap();
    assert_eq!(
        app.fake.token_calls(),
        1,
        "the other instance used the token cached in Redis"
    );

    app.fake.revoke_token();
    let text = other
        .state
        .wechat
        .ocr_printed_text(JPEG.to_vec(), "image/jpeg")
        .await
        .unwrap();
    assert!(text.iter().any(|l| l.contains("社会保障号码")));
    assert_eq!(
        app.fake.token_calls(),
        2,
        "40001 invalidated the token and fetched a new one, once"
    );
    app.state
        .wechat
        .ocr_id_card(JPEG.to_vec(), "image/jpeg")
        .await
        .unwrap();
    assert_eq!(
        app.fake.token_calls(),
        2,
        "the refreshed token is shared too"
    );
}

#[tokio::test]
async fn ocr_errors_and_outages() {
    let app = spawn_app().await;
    let w = &app.state.wechat;
    assert_eq!(
        w.ocr_id_card(b"..UNREADABLE..".to_vec(), "image/jpeg")
            .await
            .unwrap_err(),
        WechatError::Unreadable(101001)
    );
    assert!(matches!(
        w.ocr_id_card(b"..BUSY..".to_vec(), "image/jpeg")
            .await
            .unwrap_err(),
        WechatError::Unavailable(_)
    ));
    let e = shared::ApiError::from(WechatError::Unreadable(101001));
    assert_eq!(
        (e.status.as_u16(), e.code.as_ref()),
        (422, "OCR_UNREADABLE")
    );
    app.fake.set_down(true);
    let e = w
        .ocr_printed_text(JPEG.to_vec(), "image/png")
        .await
        .unwrap_err();
    assert!(matches!(e, WechatError::Unavailable(_)), "{e:?}");
    let e = shared::ApiError::from(e);
    assert_eq!(
        (e.status.as_u16(), e.code.as_ref()),
        (503, "UPSTREAM_UNAVAILABLE")
    );
}

// ---- WeChat's error space, through our API ----------------------------------

use serde_json::{Value, json};
use yaojian::fake_wechat::Endpoint;

async fn wechat_login(app: &TestApp, code: &str) -> (u16, Value) {
    let r = app
        .post("/api/v1/auth/wechat/login", json!({ "code": code }), None)
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn scan_photo(app: &TestApp, clerk: &str) -> (u16, Value) {
    let r = upload(app, "/api/v1/scan/id-card", clerk, jpeg(1000, 640, None)).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn open_alerts(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM alert WHERE kind = $1 AND status = 'open'")
        .bind(kind)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

fn wechat_error(code: Value) -> Value {
    json!({ "errcode": code, "errmsg": "scripted" })
}

/// Every errcode jscode2session documents (and a few it sends anyway), each
/// answered by the fake and met by the production client: the user is told
/// what to do, and a failure only operators can fix is alerted, once.
#[tokio::test]
async fn sign_in_meets_each_wechat_error_with_its_own_answer() {
    let app = spawn_app().await;
    let cases: &[(Value, u16, &str)] = &[
        (json!(40029), 422, "WECHAT_CODE_INVALID"),
        (json!(40163), 422, "WECHAT_CODE_INVALID"),
        (json!(45011), 429, "WECHAT_RATE_LIMITED"),
        (json!(40226), 403, "WECHAT_USER_BLOCKED"),
        (json!(40013), 503, "WECHAT_MISCONFIGURED"),
        (json!(40125), 503, "WECHAT_MISCONFIGURED"),
        (json!(-1), 503, "UPSTREAM_UNAVAILABLE"),
    ];
    for (errcode, status, code) in cases {
        app.fake
            .answer_next(Endpoint::Jscode2session, wechat_error(errcode.clone()));
        let (s, body) = wechat_login(&app, "any").await;
        assert_eq!(
            (s, body["code"].as_str().unwrap()),
            (*status, *code),
            "errcode {errcode}"
        );
        assert!(!body["title"].as_str().unwrap().is_empty());
    }
    // Wrong credentials were met twice: one alert for operators, and a loud log.
    assert_eq!(open_alerts(&app, "WECHAT_CONFIG").await, 1);
    assert!(logs().contains("wechat refuses our calls; operators alerted"));

    // No unionid (an app outside an open-platform account): signs in all the same.
    app.fake.answer_next(
        Endpoint::Jscode2session,
        json!({ "openid": yaojian::fake_wechat::DEMO_OPENID, "session_key": "c2Vzc2lvbmtleQ==" }),
    );
    let (s, body) = wechat_login(&app, "any").await;
    assert_eq!(s, 200, "{body}");
}

/// OCR's failures, through `POST /scan/id-card` with a photo.
#[tokio::test]
async fn scanning_meets_each_ocr_failure_with_its_own_answer() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let cases: &[(Value, u16, &str)] = &[
        (wechat_error(json!(101000)), 422, "OCR_UNREADABLE"),
        (wechat_error(json!(101001)), 422, "OCR_UNREADABLE"),
        (wechat_error(json!(101002)), 422, "OCR_UNREADABLE"),
        (wechat_error(json!(47003)), 503, "UPSTREAM_UNAVAILABLE"),
        (wechat_error(json!(-1)), 503, "UPSTREAM_UNAVAILABLE"),
        // errcode sent as a string
        (wechat_error(json!("101001")), 422, "OCR_UNREADABLE"),
        // the back of the card
        (
            json!({"errcode": 0, "errmsg": "ok", "type": "Back", "valid_date": "20200101-20400101"}),
            422,
            "OCR_UNREADABLE",
        ),
        // the front, its fields unreadable
        (
            json!({"errcode": 0, "errmsg": "ok", "type": "Front", "name": "", "id": "1101"}),
            422,
            "OCR_UNREADABLE",
        ),
    ];
    for (answer, status, code) in cases {
        app.fake.answer_next(Endpoint::OcrIdCard, answer.clone());
        let (s, body) = scan_photo(&app, &clerk).await;
        assert_eq!(
            (s, body["code"].as_str().unwrap()),
            (*status, *code),
            "{answer}"
        );
    }

    // An expired or invalid token is refreshed once and the scan goes through.
    for errcode in [40001, 42001, 40014] {
        app.fake
            .answer_next(Endpoint::OcrIdCard, wechat_error(json!(errcode)));
        let (s, body) = scan_photo(&app, &clerk).await;
        assert_eq!(s, 200, "errcode {errcode}: {body}");
    }

    // The day's quota used up (also as a string): the clerk is sent to the
    // card reader or typing, never told to try again; operators get one alert.
    app.fake
        .answer_always(Endpoint::OcrIdCard, wechat_error(json!(45009)));
    for _ in 0..2 {
        let (s, body) = scan_photo(&app, &clerk).await;
        assert_eq!(
            (s, body["code"].as_str().unwrap()),
            (422, "OCR_QUOTA_EXHAUSTED")
        );
        assert!(body["title"].as_str().unwrap().contains("读卡器"));
    }
    app.fake
        .answer_always(Endpoint::OcrIdCard, wechat_error(json!("45009")));
    let (s, body) = scan_photo(&app, &clerk).await;
    assert_eq!(
        (s, body["code"].as_str().unwrap()),
        (422, "OCR_QUOTA_EXHAUSTED")
    );
    assert_eq!(open_alerts(&app, "WECHAT_QUOTA").await, 1);
    app.fake.clear();
    // The card reader still works while the quota is out.
    let id = id_number("19850505", 55);
    scan_id_card(&app, &clerk, "李四", &id).await;
}

/// WeChat refusing our secret when we ask for an access token: an answer with
/// its own code, an alert, and no retry loop.
#[tokio::test]
async fn refused_credentials_are_not_retried() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    app.fake
        .answer_always(Endpoint::StableToken, wechat_error(json!(40125)));
    let before = app.fake.calls(Endpoint::StableToken);
    let (s, body) = scan_photo(&app, &clerk).await;
    assert_eq!(
        (s, body["code"].as_str().unwrap()),
        (503, "WECHAT_MISCONFIGURED")
    );
    assert_eq!(open_alerts(&app, "WECHAT_CONFIG").await, 1);
    assert_eq!(
        app.fake.calls(Endpoint::StableToken) - before,
        1,
        "one scan asks for a token once: no retry loop"
    );
    assert_eq!(
        app.fake.calls(Endpoint::OcrIdCard),
        0,
        "no OCR without a token"
    );
}
