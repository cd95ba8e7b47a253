//! Signed requests from systems we do not own (`shared::inbound`): a nonce is
//! used once, across instances (Redis), and a forged request cannot use up a
//! real one.

use poem::http::{HeaderMap, HeaderValue};
use shared::inbound::{self, NONCE, SIGNATURE, TIMESTAMP};

use crate::helpers::*;

fn signed(key: &[u8], nonce: &str, body: &[u8]) -> HeaderMap {
    let ts = chrono::Utc::now().timestamp().to_string();
    let mut h = HeaderMap::new();
    h.insert(TIMESTAMP, HeaderValue::from_str(&ts).unwrap());
    h.insert(NONCE, HeaderValue::from_str(nonce).unwrap());
    h.insert(
        SIGNATURE,
        HeaderValue::from_str(&inbound::sign(key, &ts, nonce, body)).unwrap(),
    );
    h
}

#[tokio::test]
async fn a_nonce_is_used_once_and_a_forgery_does_not_use_it_up() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let key = b"platform-key";
    let body = br#"{"case_id":"YWTB-1"}"#;
    let nonce = format!("n-{}", uuid::Uuid::new_v4().simple());

    // A forgery with the real nonce is refused on its signature…
    let forged = signed(b"wrong-key", &nonce, body);
    let e = inbound::verify(&app.state, "platform", key, &forged, body)
        .await
        .unwrap_err();
    assert_eq!(e.code, "SIGNATURE_INVALID");
    // …and the real request still passes, once, on whichever instance.
    let real = signed(key, &nonce, body);
    inbound::verify(&app.state, "platform", key, &real, body)
        .await
        .unwrap();
    let e = inbound::verify(&other.state, "platform", key, &real, body)
        .await
        .unwrap_err();
    assert_eq!(
        (e.status.as_u16(), e.code.as_ref()),
        (401, "REQUEST_REPLAYED")
    );
    // Nonces are per sender.
    inbound::verify(&app.state, "national", key, &real, body)
        .await
        .unwrap();
}
