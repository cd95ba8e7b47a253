use std::time::Duration;

use redis::AsyncCommands;
use secrecy::ExposeSecret;
use serde::Deserialize;
use wechat_mp_sdk::{
    WechatClient,
    api::{WechatContext, auth::AuthApi},
    token::TokenManager,
    types::{AppId, AppSecret},
};

use super::{IdCardOcr, WechatApi, WechatError, WechatSession};
use crate::{cache::Cache, config::Config};

/// Access tokens are refreshed this long before WeChat says they expire.
const TOKEN_MARGIN_SECS: i64 = 300;

pub struct WechatMiniProgram {
    auth: AuthApi,
    http: reqwest::Client,
    api_base: String,
    cache: Cache,
}

impl WechatMiniProgram {
    pub fn new(cfg: &Config, cache: Cache) -> anyhow::Result<Self> {
        let w = &cfg.wechat;
        let client = WechatClient::builder()
            // The SDK checks the `wx` + 16 shape; a wrong appid is a start-up error.
            .appid(AppId::new(w.appid.clone()).map_err(|_| {
                anyhow::anyhow!(
                    "configuration error: WECHAT_APPID is malformed (expected wx + 16 characters)"
                )
            })?)
            .secret(
                AppSecret::new(w.secret.expose_secret().to_owned()).map_err(|_| {
                    anyhow::anyhow!("configuration error: WECHAT_SECRET is malformed")
                })?,
            )
            .base_url(w.api_base.clone())
            .timeout(w.timeout)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| anyhow::anyhow!("wechat client: {e}"))?;
        let http = client.http().clone();
        let ctx = std::sync::Arc::new(WechatContext::new(
            std::sync::Arc::new(client.clone()),
            // Unused: authed calls go through our Redis-shared token below.
            std::sync::Arc::new(TokenManager::new(client)),
        ));
        Ok(Self {
            auth: AuthApi::new(ctx),
            http,
            api_base: w.api_base.clone(),
            cache,
        })
    }

    fn token_key(&self) -> String {
        self.cache.key("wechat:access_token")
    }

    /// The shared access token: from Redis, else from `stable_token` (one
    /// instance refreshes at a time; the others wait briefly for its result).
    async fn access_token(&self) -> Result<String, WechatError> {
        let mut conn = self.cache.conn();
        let key = self.token_key();
        if let Ok(Some(t)) = conn.get::<_, Option<String>>(&key).await {
            return Ok(t);
        }
        let lock = self.cache.key("wechat:access_token:lock");
        let got_lock: bool = redis::cmd("SET")
            .arg(&lock)
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(10)
            .query_async::<Option<String>>(&mut conn)
            .await
            .map(|r| r.is_some())
            .unwrap_or(true);
        if !got_lock {
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Ok(Some(t)) = conn.get::<_, Option<String>>(&key).await {
                    return Ok(t);
                }
            }
        }
        let result = self.auth.get_stable_access_token(false).await;
        let _: Result<(), _> = conn.del(&lock).await;
        let resp = result.map_err(map_sdk_error)?;
        let ttl = (resp.expires_in - TOKEN_MARGIN_SECS).max(60);
        let _: Result<(), _> = conn.set_ex(&key, &resp.access_token, ttl as u64).await;
        Ok(resp.access_token)
    }

    /// Drops `bad` from the cache unless another instance already replaced it.
    async fn invalidate(&self, bad: &str) {
        let mut conn = self.cache.conn();
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
        );
        let _: Result<i32, _> = script
            .key(self.token_key())
            .arg(bad)
            .invoke_async(&mut conn)
            .await;
    }

    /// Runs an authed call; on 40001/42001 the token is invalidated and the
    /// call retried once with a fresh one.
    async fn with_token<T, F, Fut>(&self, call: F) -> Result<T, WechatError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, WechatError>>,
    {
        let token = self.access_token().await?;
        match call(token.clone()).await {
            Err(WechatError::TokenRejected(code)) => {
                tracing::warn!(
                    errcode = code,
                    "wechat access token rejected; refreshing once"
                );
                self.invalidate(&token).await;
                let token = self.access_token().await?;
                call(token).await
            }
            other => other,
        }
    }

    async fn post_image(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: &str,
        image: Vec<u8>,
        content_type: &str,
    ) -> Result<serde_json::Value, WechatError> {
        let filename = if content_type.contains("png") {
            "image.png"
        } else {
            "image.jpg"
        };
        let part = reqwest::multipart::Part::bytes(image)
            .file_name(filename)
            .mime_str(content_type)
            .map_err(|_| WechatError::Other(0))?;
        let form = reqwest::multipart::Form::new().part("img", part);
        let resp = self
            .http
            .post(format!("{}{}", self.api_base, path))
            .query(query)
            .query(&[("access_token", token)])
            .multipart(form)
            .send()
            .await
            .map_err(transport)?;
        read_json(resp).await
    }
}

#[derive(Deserialize)]
struct OcrIdCard {
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    valid_date: Option<String>,
}

#[derive(Deserialize)]
struct OcrText {
    #[serde(default)]
    items: Vec<OcrItem>,
}

#[derive(Deserialize)]
struct OcrItem {
    #[serde(default)]
    text: String,
}

fn transport(e: reqwest::Error) -> WechatError {
    WechatError::Unavailable(if e.is_timeout() {
        "timeout".into()
    } else {
        "transport error".into()
    })
}

/// Status, then `errcode`, then the body.
async fn read_json(resp: reqwest::Response) -> Result<serde_json::Value, WechatError> {
    let status = resp.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(WechatError::Unavailable(format!("HTTP {status}")));
    }
    let value: serde_json::Value = resp.json().await.map_err(|e| {
        if e.is_timeout() {
            WechatError::Unavailable("timeout".into())
        } else {
            WechatError::Unavailable("unreadable answer".into())
        }
    })?;
    // WeChat has been seen to send `errcode` as a string ("45009").
    let code = match value.get("errcode") {
        None | Some(serde_json::Value::Null) => None,
        Some(c) => Some(
            c.as_i64()
                .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| WechatError::Unavailable("unreadable errcode".into()))?,
        ),
    };
    match code {
        Some(0) | None => Ok(value),
        Some(code) => Err(WechatError::from_code(code)),
    }
}

fn map_sdk_error(e: wechat_mp_sdk::WechatError) -> WechatError {
    use wechat_mp_sdk::{WechatError as E, error::HttpError};
    match e {
        E::Api { code, .. } => WechatError::from_code(code as i64),
        E::Http(HttpError::Reqwest(err)) => {
            if err.is_timeout() {
                WechatError::Unavailable("timeout".into())
            } else if let Some(s) = err.status() {
                WechatError::Unavailable(format!("HTTP {s}"))
            } else {
                WechatError::Unavailable("transport error".into())
            }
        }
        E::Http(HttpError::Decode(_)) | E::Json(_) => {
            WechatError::Unavailable("unreadable answer".into())
        }
        _ => WechatError::Other(0),
    }
}

#[async_trait::async_trait]
impl WechatApi for WechatMiniProgram {
    async fn code_to_session(&self, code: &str) -> Result<WechatSession, WechatError> {
        if code.is_empty() || code.len() > 128 {
            return Err(WechatError::CodeInvalid(40029));
        }
        let resp = self.auth.login(code).await.map_err(map_sdk_error)?;
        if resp.openid.is_empty() {
            return Err(WechatError::Unavailable("no openid in answer".into()));
        }
        Ok(WechatSession {
            openid: resp.openid,
            unionid: resp.unionid.filter(|u| !u.is_empty()),
        })
    }

    async fn ocr_id_card(
        &self,
        image: Vec<u8>,
        content_type: &str,
    ) -> Result<IdCardOcr, WechatError> {
        let value = self
            .with_token(|token| {
                let image = image.clone();
                async move {
                    self.post_image(
                        "/cv/ocr/idcard",
                        &[("type", "photo")],
                        &token,
                        image,
                        content_type,
                    )
                    .await
                }
            })
            .await?;
        let r: OcrIdCard = serde_json::from_value(value)
            .map_err(|_| WechatError::Unavailable("unreadable answer".into()))?;
        Ok(IdCardOcr {
            name: r.name,
            id_number: r.id,
            valid_date: r.valid_date,
            side: r.r#type,
        })
    }

    async fn ocr_printed_text(
        &self,
        image: Vec<u8>,
        content_type: &str,
    ) -> Result<Vec<String>, WechatError> {
        let value = self
            .with_token(|token| {
                let image = image.clone();
                async move {
                    self.post_image("/cv/ocr/comm", &[], &token, image, content_type)
                        .await
                }
            })
            .await?;
        let r: OcrText = serde_json::from_value(value)
            .map_err(|_| WechatError::Unavailable("unreadable answer".into()))?;
        Ok(r.items.into_iter().map(|i| i.text).collect())
    }
}
