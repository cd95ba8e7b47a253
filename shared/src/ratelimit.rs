//! Fixed-window rate limits in Redis, shared by every instance: public
//! endpoints (sign-in, bind, licence queries) are limited per client address.

use crate::codes;
use redis::AsyncCommands;

use crate::{cache::Cache, crypto::sm3_hex, error::ApiError};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub bucket: &'static str,
    pub max: u32,
    pub window_secs: u64,
}

/// Sign-in and bind: per address, 30 a minute.
pub const AUTH: Limit = Limit {
    bucket: "auth",
    max: 30,
    window_secs: 60,
};

/// Password changes: per user, 10 in 15 minutes (wrong old passwords also
/// count toward the account's lockout).
pub const PASSWORD_CHANGE: Limit = Limit {
    bucket: "password",
    max: 10,
    window_secs: 15 * 60,
};

/// 429 `RATE_LIMITED` with `Retry-After` once `who` passed `limit` in this window.
pub async fn check(cache: &Cache, limit: Limit, who: &str) -> Result<(), ApiError> {
    let window = chrono::Utc::now().timestamp() as u64 / limit.window_secs;
    let key = cache.key(format_args!(
        "rl:{}:{}:{window}",
        limit.bucket,
        sm3_hex(who.as_bytes())
    ));
    let mut conn = cache.conn();
    let (count,): (u32,) = redis::pipe()
        .atomic()
        .incr(&key, 1)
        .expire(&key, limit.window_secs as i64)
        .ignore()
        .query_async(&mut conn)
        .await?;
    if count > limit.max {
        let _: Result<(), _> = conn.expire(&key, limit.window_secs as i64).await;
        return Err(ApiError::too_many(
            codes::RATE_LIMITED,
            "请求过于频繁，请稍后再试",
            limit.window_secs,
        ));
    }
    Ok(())
}

/// The client address a limit is counted against: the peer, or behind a
/// trusted proxy the address it names (see [`crate::net`]).
pub fn client_address(req: &poem::Request, proxies: &crate::net::TrustedProxies) -> String {
    proxies.client_of(req)
}
