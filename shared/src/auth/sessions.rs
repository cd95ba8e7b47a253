//! Bearer tokens: 32 random bytes, kept in Redis under the SM3 hash of the
//! token (a Redis dump does not hand out live tokens). Every instance reads the
//! same keys, so a token issued by one instance works on another and a logout
//! on one is seen by all at once.
//!
//! A session ends at the first of: its absolute lifetime (2 h), the idle timeout
//! (each use pushes the key's TTL forward), logout, or a revocation of all the
//! user's sessions (a clerk removed, a user deactivated).

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use rand::RngCore;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{auth::Caller, cache::Cache, config::AuthConfig, crypto::sm3_hex, error::ApiError};

#[derive(Serialize, Deserialize)]
struct Stored {
    caller: Caller,
    /// Unix seconds.
    expires_at: i64,
}

#[derive(Clone)]
pub struct Sessions {
    cache: Cache,
    cfg: AuthConfig,
}

pub struct Issued {
    pub token: String,
    pub expires_in: u64,
}

impl Sessions {
    pub fn new(cache: Cache, cfg: AuthConfig) -> Self {
        Self { cache, cfg }
    }

    fn session_key(&self, hash: &str) -> String {
        self.cache.key(format_args!("sess:{hash}"))
    }

    fn user_index_key(&self, user_id: Uuid) -> String {
        self.cache.key(format_args!("user_sess:{user_id}"))
    }

    pub async fn issue(&self, caller: &Caller) -> Result<Issued, ApiError> {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = URL_SAFE_NO_PAD.encode(raw);
        let hash = sm3_hex(token.as_bytes());
        let ttl = self.cfg.token_ttl.as_secs();
        let stored = Stored {
            caller: caller.clone(),
            expires_at: Utc::now().timestamp() + ttl as i64,
        };
        let idle = self.cfg.idle_timeout.min(self.cfg.token_ttl).as_secs();
        let mut conn = self.cache.conn();
        let index = self.user_index_key(caller.user_id);
        redis::pipe()
            .atomic()
            .set_ex(
                self.session_key(&hash),
                serde_json::to_string(&stored).expect("serializable"),
                idle,
            )
            .sadd(&index, &hash)
            .expire(&index, ttl as i64)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(Issued {
            token,
            expires_in: ttl,
        })
    }

    /// The caller of a bearer token, or 401.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, ApiError> {
        if token.is_empty() || token.len() > 128 {
            return Err(ApiError::unauthorized());
        }
        let hash = sm3_hex(token.as_bytes());
        let key = self.session_key(&hash);
        let mut conn = self.cache.conn();
        // GETEX refreshes the idle timeout in the same round trip.
        let idle = self.cfg.idle_timeout.min(self.cfg.token_ttl).as_secs();
        let raw: Option<String> = redis::cmd("GETEX")
            .arg(&key)
            .arg("EX")
            .arg(idle)
            .query_async(&mut conn)
            .await?;
        let Some(raw) = raw else {
            return Err(ApiError::unauthorized());
        };
        let stored: Stored = serde_json::from_str(&raw).map_err(|_| ApiError::unauthorized())?;
        let remaining = stored.expires_at - Utc::now().timestamp();
        if remaining <= 0 {
            let _: () = conn.del(&key).await?;
            return Err(ApiError::unauthorized());
        }
        if (remaining as u64) < idle {
            let _: () = conn.expire(&key, remaining).await?;
        }
        let mut caller = stored.caller;
        caller.session_key = hash;
        Ok(caller)
    }

    /// Ends one session (logout).
    pub async fn revoke(&self, caller: &Caller) -> Result<(), ApiError> {
        let mut conn = self.cache.conn();
        redis::pipe()
            .del(self.session_key(&caller.session_key))
            .srem(self.user_index_key(caller.user_id), &caller.session_key)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    /// Ends every session of a user (removed, deactivated, password reset).
    pub async fn revoke_all(&self, user_id: Uuid) -> Result<(), ApiError> {
        let mut conn = self.cache.conn();
        let index = self.user_index_key(user_id);
        let hashes: Vec<String> = conn.smembers(&index).await?;
        let mut pipe = redis::pipe();
        for h in &hashes {
            pipe.del(self.session_key(h));
        }
        pipe.del(&index);
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    /// A short-lived value bound to nothing but itself: bind tokens (SPEC §5).
    pub async fn put_ephemeral(
        &self,
        kind: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<String, ApiError> {
        let mut raw = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = URL_SAFE_NO_PAD.encode(raw);
        let key = self
            .cache
            .key(format_args!("{kind}:{}", sm3_hex(token.as_bytes())));
        let mut conn = self.cache.conn();
        let _: () = conn.set_ex(key, value, ttl.as_secs()).await?;
        Ok(token)
    }

    /// Reads and deletes an ephemeral value (single use).
    pub async fn take_ephemeral(
        &self,
        kind: &str,
        token: &str,
    ) -> Result<Option<String>, ApiError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let key = self
            .cache
            .key(format_args!("{kind}:{}", sm3_hex(token.as_bytes())));
        let mut conn = self.cache.conn();
        let v: Option<String> = redis::cmd("GETDEL").arg(key).query_async(&mut conn).await?;
        Ok(v)
    }
}
