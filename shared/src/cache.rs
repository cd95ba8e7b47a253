//! Redis: one multiplexed, self-reconnecting connection per process, and the
//! key prefix that keeps deployments (and tests) apart.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::config::Config;

#[derive(Clone)]
pub struct Cache {
    conn: ConnectionManager,
    prefix: String,
}

impl Cache {
    /// Connects lazily: a Redis that is down at start-up makes `/readyz` 503,
    /// not the process exit; the manager reconnects on its own when it is back.
    pub fn connect(cfg: &Config) -> anyhow::Result<Cache> {
        let client = redis::Client::open(cfg.redis_url.expose_secret())
            .map_err(|_| anyhow::anyhow!("configuration error: REDIS_URL is malformed"))?;
        let manager_cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, manager_cfg)?;
        Ok(Cache {
            conn,
            prefix: cfg.redis_prefix.clone(),
        })
    }

    /// A connection handle (cheap clone of the multiplexed connection).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The full key for `name`: `{prefix}{name}`.
    pub fn key(&self, name: impl std::fmt::Display) -> String {
        format!("{}{}", self.prefix, name)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut c = self.conn();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
    }
}
