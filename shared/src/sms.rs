//! The SMS gateway (短信网关) one-time codes go out through (approval
//! signatures, seals, two-factor sign-in), behind a trait so the gateway a
//! province runs can be swapped in.
//!
//! # The HTTP protocol ([`HttpSms`])
//! `POST {YAOJIAN_SMS_URL}/sms/send` with a JSON body
//! `{"phone": "13800000000", "text": "…"}`, signed as [`crate::inbound`]
//! describes (HMAC-SM3 with `YAOJIAN_SMS_KEY` over timestamp, nonce and
//! body, in `X-Yaojian-Timestamp`, `X-Yaojian-Nonce`, `X-Yaojian-Signature`).
//! The gateway answers 200 `{"message_id": "…"}` when it took the message;
//! 400 `{"code": "PHONE_INVALID"}` for a number it cannot reach; 401 for a
//! bad signature; 429 when the number had too many messages; 5xx or no
//! answer in `YAOJIAN_SMS_TIMEOUT_SECS` (default 5) during an outage. Any
//! answer but 200 means the message was not sent. `yaojian dev fake-sms`
//! speaks this protocol for the demo and the tests.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

/// Why a message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("no SMS gateway is configured (YAOJIAN_SMS_URL)")]
    NotConfigured,
    #[error("the SMS gateway refused the number")]
    PhoneInvalid,
    #[error("the SMS gateway is rate limiting this number")]
    RateLimited,
    #[error("the SMS gateway is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// Sends `text` to `phone` (never logged: it holds a code).
    async fn send(&self, phone: &str, text: &str) -> Result<(), SmsError>;
}

/// Where the gateway is (`YAOJIAN_SMS_URL`, `YAOJIAN_SMS_KEY`).
#[derive(Clone)]
pub struct SmsConfig {
    pub url: String,
    pub key: SecretString,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The gateway of the protocol above.
pub struct HttpSms {
    client: reqwest::Client,
    config: SmsConfig,
}

impl HttpSms {
    pub fn new(config: SmsConfig) -> anyhow::Result<HttpSms> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .no_proxy()
            .build()?;
        Ok(HttpSms { client, config })
    }
}

#[async_trait]
impl SmsGateway for HttpSms {
    async fn send(&self, phone: &str, text: &str) -> Result<(), SmsError> {
        let body = serde_json::to_vec(&serde_json::json!({ "phone": phone, "text": text }))
            .expect("a JSON object serialises");
        let ts = chrono::Utc::now().timestamp().to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let signature = crate::inbound::sign(
            self.config.key.expose_secret().as_bytes(),
            &ts,
            &nonce,
            &body,
        );
        let answer = self
            .client
            .post(format!("{}/sms/send", self.config.url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(crate::inbound::TIMESTAMP, ts)
            .header(crate::inbound::NONCE, nonce)
            .header(crate::inbound::SIGNATURE, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| SmsError::Unavailable(e.without_url().to_string()))?;
        match answer.status().as_u16() {
            200 => Ok(()),
            400 => Err(SmsError::PhoneInvalid),
            429 => Err(SmsError::RateLimited),
            status => Err(SmsError::Unavailable(format!("HTTP {status}"))),
        }
    }
}

/// No gateway configured: every message fails, and says so.
pub struct NoSms;

#[async_trait]
impl SmsGateway for NoSms {
    async fn send(&self, _phone: &str, _text: &str) -> Result<(), SmsError> {
        Err(SmsError::NotConfigured)
    }
}
