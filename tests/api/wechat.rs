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

    let msg = shared::wechat::SubscribeMessage {
        touser: "oSomeone".into(),
        template_id: "tmpl".into(),
        page: None,
        data: serde_json::json!({"thing1": {"value": "预警"}}),
    };
    app.state.wechat.send_subscribe_message(&msg).await.unwrap();
    assert_eq!(app.fake.state.lock().unwrap().sent_messages.len(), 1);
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
