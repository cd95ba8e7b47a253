//! Login failure lockout (SPEC §5): `threshold` failures within `window` lock
//! the account for `duration`. Counted in Redis, so failures made on any
//! instance count together.
//!
//! An attempt is counted *before* its password is verified
//! ([`Lockout::attempt`]), and forgotten only when it succeeds: counting
//! after the (slow, argon2) verification let 30 parallel guesses all be
//! verified before the first failure was recorded.

use crate::codes;
use redis::AsyncCommands;

use crate::{cache::Cache, config::AuthConfig, crypto::sm3_hex, error::ApiError};

/// A counted attempt: the `n`th within the window.
#[derive(Debug, Clone, Copy)]
#[must_use = "report the outcome with `failed` or `succeeded`"]
pub struct Attempt {
    n: u32,
}

/// KEYS: failures, lock. ARGV: threshold, window, lock seconds.
/// Answers the attempt's number, or minus the seconds the lock has left.
static ATTEMPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        local ttl = redis.call('TTL', KEYS[2])
        if ttl > 0 then return -ttl end
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
        if n > tonumber(ARGV[1]) then
            redis.call('SET', KEYS[2], 1, 'EX', ARGV[3])
            redis.call('DEL', KEYS[1])
            return -tonumber(ARGV[3])
        end
        return n
        ",
    )
});

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

    /// Takes one of the account's attempts, before its password is
    /// verified: 429 `LOGIN_LOCKED` while it is locked, or when this attempt
    /// is one more than the threshold allows in flight or already failed.
    /// Checking and counting are one step in Redis (a script), so a burst of
    /// parallel guesses, on any number of instances, gets at most
    /// `threshold` verifications.
    pub async fn attempt(&self, account: &str) -> Result<Attempt, ApiError> {
        let (fail, lock) = self.keys(account);
        let mut conn = self.cache.conn();
        let n: i64 = ATTEMPT
            .key(&fail)
            .key(&lock)
            .arg(self.cfg.lockout_threshold)
            .arg(self.cfg.lockout_window.as_secs())
            .arg(self.cfg.lockout_duration.as_secs())
            .invoke_async(&mut conn)
            .await?;
        if n < 0 {
            return Err(locked(n.unsigned_abs()));
        }
        Ok(Attempt { n: n as u32 })
    }

    /// The attempt failed: it stays counted; the one that reaches the
    /// threshold locks the account and answers 429 `LOGIN_LOCKED`.
    pub async fn failed(
        &self,
        account: &str,
        attempt: Attempt,
    ) -> Result<Option<ApiError>, ApiError> {
        if attempt.n < self.cfg.lockout_threshold {
            return Ok(None);
        }
        let (fail, lock) = self.keys(account);
        let secs = self.cfg.lockout_duration.as_secs();
        let mut conn = self.cache.conn();
        redis::pipe()
            .set_ex(&lock, 1, secs)
            .del(&fail)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(Some(locked(secs)))
    }

    /// The password was right. Still 429 when the account was locked while
    /// it was being verified (by the guesses around it); else the failures
    /// are forgotten.
    pub async fn succeeded(&self, account: &str) -> Result<(), ApiError> {
        let (fail, lock) = self.keys(account);
        let mut conn = self.cache.conn();
        let ttl: i64 = conn.ttl(&lock).await?;
        if ttl > 0 {
            return Err(locked(ttl as u64));
        }
        let _: () = conn.del(fail).await?;
        Ok(())
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
        codes::LOGIN_LOCKED,
        "登录失败次数过多，账号已锁定，请稍后再试",
        retry_after,
    )
}
