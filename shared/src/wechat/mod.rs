//! WeChat mini-program services we call, behind our own trait so handlers and
//! tests depend on what we need, not on an SDK's shape.
//!
//! `WechatMiniProgram` is the production implementation: `jscode2session` and
//! `stable_token` through the `wechat-mp-sdk` crate (base URL configurable,
//! errors and `unionid` handled by it); the calls that need an access token
//! (OCR with the image as multipart `img`) go through
//! reqwest with the token cached in Redis and shared by every instance.

mod client;

use crate::codes;
use crate::error::ApiError;

pub use client::WechatMiniProgram;

/// Result of `jscode2session`.
#[derive(Debug, Clone)]
pub struct WechatSession {
    pub openid: String,
    pub unionid: Option<String>,
}

/// Front side of an ID card as read by `/cv/ocr/idcard`.
#[derive(Clone, Default)]
pub struct IdCardOcr {
    pub name: String,
    pub id_number: String,
    /// `Back` side only: `YYYYMMDD-YYYYMMDD` or `YYYYMMDD-长期`.
    pub valid_date: Option<String>,
    pub side: String,
}

impl std::fmt::Debug for IdCardOcr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdCardOcr")
            .field("side", &self.side)
            .finish_non_exhaustive()
    }
}

/// What went wrong talking to WeChat, in the terms we act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WechatError {
    /// 40029 invalid code, 40163 code already used.
    #[error("wechat: login code invalid ({0})")]
    CodeInvalid(i64),
    /// 45011 API minute-quota reached.
    #[error("wechat: rate limited")]
    RateLimited,
    /// The photo could not be read (101000, 101001, 101002).
    #[error("wechat: OCR could not read the image ({0})")]
    Unreadable(i64),
    /// -1 system busy, 5xx, timeout, connection refused.
    #[error("wechat: unavailable ({0})")]
    Unavailable(String),
    /// 40001 / 42001 / 40014: the access token is no longer valid.
    #[error("wechat: access token rejected ({0})")]
    TokenRejected(i64),
    /// 45009: the daily quota of the call (OCR's, in practice) is used up.
    #[error("wechat: daily quota used up")]
    QuotaExhausted,
    /// 40226: WeChat has blocked this user.
    #[error("wechat: user blocked")]
    UserBlocked,
    /// 40013 / 40125 / 40164 / 41002 / 41004: WeChat refuses our appid,
    /// secret or address. Permanent until the configuration is fixed.
    #[error("wechat: our credentials are refused ({0})")]
    Misconfigured(i64),
    /// Any other error code (configuration problems such as 40013, 40125...).
    #[error("wechat: error code {0}")]
    Other(i64),
}

impl WechatError {
    pub fn from_code(code: i64) -> WechatError {
        match code {
            40029 | 40163 => WechatError::CodeInvalid(code),
            45011 => WechatError::RateLimited,
            101000..=101002 => WechatError::Unreadable(code),
            40001 | 42001 | 40014 => WechatError::TokenRejected(code),
            45009 => WechatError::QuotaExhausted,
            40226 => WechatError::UserBlocked,
            40013 | 40125 | 40164 | 41002 | 41004 => WechatError::Misconfigured(code),
            -1 => WechatError::Unavailable("system busy (-1)".into()),
            _ => WechatError::Other(code),
        }
    }
}

impl From<WechatError> for ApiError {
    fn from(e: WechatError) -> ApiError {
        match e {
            WechatError::CodeInvalid(_) => ApiError::unprocessable(
                codes::WECHAT_CODE_INVALID,
                "微信登录凭证无效或已使用，请重新打开小程序登录",
            ),
            WechatError::RateLimited => ApiError::too_many(
                codes::WECHAT_RATE_LIMITED,
                "微信接口调用过于频繁，请稍后重试",
                60,
            ),
            WechatError::Unreadable(_) => ApiError::unprocessable(
                codes::OCR_UNREADABLE,
                "无法识别证件照片，请在光线充足处对准证件重新拍摄，或改用读卡器/手工录入",
            ),
            // OCR is the only call we make that has a daily quota.
            WechatError::QuotaExhausted => ApiError::of(codes::OCR_QUOTA_EXHAUSTED),
            WechatError::UserBlocked => ApiError::of(codes::WECHAT_USER_BLOCKED),
            WechatError::Misconfigured(_) => ApiError::of(codes::WECHAT_MISCONFIGURED).cause(e),
            WechatError::Unavailable(_) | WechatError::TokenRejected(_) | WechatError::Other(_) => {
                ApiError::upstream_unavailable().cause(e)
            }
        }
    }
}

impl WechatError {
    /// What operators must hear of, as an alert, when a request meets it.
    pub fn alert(&self) -> Option<crate::alerts::AlertKind> {
        match self {
            WechatError::QuotaExhausted => Some(crate::alerts::AlertKind::WechatQuota),
            WechatError::Misconfigured(_) => Some(crate::alerts::AlertKind::WechatConfig),
            _ => None,
        }
    }
}

/// The answer to a request that met `e`; a failure operators must hear of
/// is logged loudly and raised as an alert (once while it is open).
pub async fn failed(state: &crate::AppState, e: WechatError) -> ApiError {
    if let Some(kind) = e.alert() {
        tracing::error!(error = %e, alert = kind.as_str(), "wechat refuses our calls; operators alerted");
        if let Ok(mut conn) = state.db.acquire().await {
            let detail = serde_json::json!({ "error": e.to_string() });
            if let Err(db) = crate::alerts::raise_once(&mut conn, kind, detail).await {
                tracing::error!(error = %db, "could not raise the wechat alert");
            }
        }
    }
    e.into()
}

#[async_trait::async_trait]
pub trait WechatApi: Send + Sync {
    /// `jscode2session`: the user's openid (and unionid when the app has one).
    async fn code_to_session(&self, code: &str) -> Result<WechatSession, WechatError>;
    /// `/cv/ocr/idcard` with the photo as multipart `img`.
    async fn ocr_id_card(
        &self,
        image: Vec<u8>,
        content_type: &str,
    ) -> Result<IdCardOcr, WechatError>;
    /// `/cv/ocr/comm` (printed text): the text lines found.
    async fn ocr_printed_text(
        &self,
        image: Vec<u8>,
        content_type: &str,
    ) -> Result<Vec<String>, WechatError>;
}
