//! One-time codes sent by SMS (SPEC §8.4): 6 digits, valid 5 minutes, used
//! once, locked after 5 wrong tries — what a signature (and later a seal or
//! a second sign-in factor) is confirmed with. Codes live in Redis, so any
//! instance checks a code another sent; only an HMAC of a code is stored,
//! and a code is never logged.
//!
//! Sending is limited per user (5 a minute, 60 an hour: an approver signs
//! one decision after another) so a stolen session cannot run up the SMS
//! bill or flood a phone.

use rand::Rng;

use crate::{
    ApiError, AppState, codes,
    crypto::{hmac_sm3_hex, sm3_hex},
    ratelimit::{self, Limit},
    sms::SmsError,
};

/// How long a code is valid, seconds.
pub const TTL_SECS: u64 = 300;
/// Wrong tries that lock a code.
pub const MAX_TRIES: u32 = 5;

const PER_MINUTE: Limit = Limit {
    bucket: "otp-minute",
    max: 5,
    window_secs: 60,
};
const PER_HOUR: Limit = Limit {
    bucket: "otp-hour",
    max: 60,
    window_secs: 3600,
};

/// What a code confirms; a code sent for one purpose does not pass another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing an approval decision.
    ApprovalSignature,
}

impl Purpose {
    fn key(self) -> &'static str {
        match self {
            Purpose::ApprovalSignature => "approval-signature",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Purpose::ApprovalSignature => "审批签名",
        }
    }
}

/// KEYS: the code's hash. ARGV: the HMAC of the code tried, the tries that lock.
/// Answers 1 (right: the code is used up), 0 (wrong, or none) or -1 (locked).
static CHECK: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        local h = redis.call('HGET', KEYS[1], 'h')
        if not h then return 0 end
        local tries = tonumber(redis.call('HGET', KEYS[1], 'tries') or '0')
        if tries >= tonumber(ARGV[2]) then return -1 end
        if h == ARGV[1] then
            redis.call('DEL', KEYS[1])
            return 1
        end
        tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
        if tries >= tonumber(ARGV[2]) then return -1 end
        return 0
        ",
    )
});

fn key(state: &AppState, user_id: uuid::Uuid, purpose: Purpose) -> String {
    state
        .cache
        .key(format_args!("otp:{}:{user_id}", purpose.key()))
}

fn mac(state: &AppState, user_id: uuid::Uuid, code: &str) -> String {
    let k = state.pii.derive_key("yaojian/otp/v1");
    hmac_sm3_hex(&k, format!("{user_id}:{code}").as_bytes())
}

/// Sends a fresh code to `phone` for `purpose`, replacing any earlier one.
pub async fn send(
    state: &AppState,
    user_id: uuid::Uuid,
    phone: &str,
    purpose: Purpose,
) -> Result<(), ApiError> {
    let who = format!("{user_id}");
    ratelimit::check(&state.cache, PER_MINUTE, &who).await?;
    ratelimit::check(&state.cache, PER_HOUR, &who).await?;
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let text = format!(
        "【药监】您的验证码为 {code}，用于{}，{} 分钟内有效。请勿告诉他人。",
        purpose.label(),
        TTL_SECS / 60
    );
    // Stored before it is sent: a code that reached the phone always checks.
    let k = key(state, user_id, purpose);
    let mut conn = state.cache.conn();
    redis::pipe()
        .atomic()
        .del(&k)
        .ignore()
        .hset(&k, "h", mac(state, user_id, &code))
        .ignore()
        .hset(&k, "tries", 0)
        .ignore()
        .expire(&k, TTL_SECS as i64)
        .ignore()
        .query_async::<()>(&mut conn)
        .await?;
    match state.sms.send(phone, &text).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let _: Result<(), _> = redis::cmd("DEL").arg(&k).query_async(&mut conn).await;
            tracing::warn!(error = %e, phone = %sm3_hex(phone.as_bytes()), "one-time code not sent");
            Err(match e {
                SmsError::PhoneInvalid => ApiError::of(codes::PHONE_MISSING),
                SmsError::RateLimited => {
                    ApiError::too_many(codes::RATE_LIMITED, "验证码发送过于频繁，请稍后再试", 60)
                }
                SmsError::NotConfigured | SmsError::Unavailable(_) => ApiError::unavailable(
                    codes::UPSTREAM_UNAVAILABLE,
                    "短信服务暂时不可用，请稍后重试",
                ),
            })
        }
    }
}

/// Uses up `code` if it is the one sent: 401 `OTP_INVALID` when it is not
/// (or expired, or was used), 429 `OTP_LOCKED` after [`MAX_TRIES`] wrong tries.
pub async fn check(
    state: &AppState,
    user_id: uuid::Uuid,
    purpose: Purpose,
    code: &str,
) -> Result<(), ApiError> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::of(codes::OTP_INVALID));
    }
    let mut conn = state.cache.conn();
    let answer: i64 = CHECK
        .key(key(state, user_id, purpose))
        .arg(mac(state, user_id, code))
        .arg(MAX_TRIES)
        .invoke_async(&mut conn)
        .await?;
    match answer {
        1 => Ok(()),
        -1 => Err(ApiError::of(codes::OTP_LOCKED)),
        _ => Err(ApiError::of(codes::OTP_INVALID)),
    }
}
