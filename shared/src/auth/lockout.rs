//! Login failure lockout (SPEC §5): `threshold` failures within `window` lock
//! the account for `duration`. Counted in Redis, so failures made on any
//! instance count together.

use redis::AsyncCommands;

use crate::{cache::Cache, config::AuthConfig, crypto::sm3_hex, error::ApiError};

#[derive(Clone)]
pub struct Lockout {
    cache: Cache,
    cfg: AuthConfig,
}

impl Lockout {
    pub fn new(cache: Cache, cfg: AuthConfig) -> Self {
        Self { cache, cfg }
    }

    /// Keys use a hash of the (case-folded) username: it is not logged or stored in clear.
    fn keys(&self, username: &str) -> (String, String) {
        let h = sm3_hex(username.trim().to_lowercase().as_bytes());
        (
            self.cache.key(format_args!("login_fail:{h}")),
            self.cache.key(format_args!("login_lock:{h}")),
        )
    }

    /// 429 `LOGIN_LOCKED` with `Retry-After` while the account is locked.
    pub async fn check(&self, username: &str) -> Result<(), ApiError> {
        let (_, lock) = self.keys(username);
        let mut conn = self.cache.conn();
        let ttl: i64 = conn.ttl(&lock).await?;
        if ttl > 0 {
            return Err(locked(ttl as u64));
        }
        Ok(())
    }

    /// Counts a failure; returns the lock error when this one locks the account.
    pub async fn record_failure(&self, username: &str) -> Result<Option<ApiError>, ApiError> {
        let (fail, lock) = self.keys(username);
        let mut conn = self.cache.conn();
        let (count,): (u32,) = redis::pipe()
            .atomic()
            .incr(&fail, 1)
            .cmd("EXPIRE")
            .arg(&fail)
            .arg(self.cfg.lockout_window.as_secs())
            .arg("NX")
            .ignore()
            .query_async(&mut conn)
            .await?;
        if count >= self.cfg.lockout_threshold {
            let secs = self.cfg.lockout_duration.as_secs();
            redis::pipe()
                .set_ex(&lock, 1, secs)
                .del(&fail)
                .query_async::<()>(&mut conn)
                .await?;
            return Ok(Some(locked(secs)));
        }
        Ok(None)
    }

    /// Lifts a lock (an admin reset the password).
    pub async fn unlock(&self, username: &str) -> Result<(), ApiError> {
        let (_, lock) = self.keys(username);
        let mut conn = self.cache.conn();
        let _: () = conn.del(lock).await?;
        Ok(())
    }

    pub async fn clear(&self, username: &str) -> Result<(), ApiError> {
        let (fail, _) = self.keys(username);
        let mut conn = self.cache.conn();
        let _: () = conn.del(fail).await?;
        Ok(())
    }
}

fn locked(retry_after: u64) -> ApiError {
    ApiError::too_many(
        "LOGIN_LOCKED",
        "登录失败次数过多，账号已锁定，请稍后再试",
        retry_after,
    )
}
