//! PostgreSQL pool and migrations.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::config::Config;

/// The migrations of `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A lazy pool: start-up does not fail when the database is down (a serverless
/// instance should come up and answer `/readyz` 503 until it is back).
pub fn pool(cfg: &Config) -> anyhow::Result<PgPool> {
    let options: sqlx::postgres::PgConnectOptions = cfg
        .database_url()
        .parse()
        .map_err(|_| anyhow::anyhow!("configuration error: DATABASE_URL is malformed"))?;
    let options = options.application_name("yaojian");
    Ok(PgPoolOptions::new()
        .max_connections(cfg.database_max_connections)
        .min_connections(0)
        // A request waits at most this long for a connection, then gets 503.
        .acquire_timeout(Duration::from_secs(3))
        .idle_timeout(Duration::from_secs(300))
        .connect_lazy_with(options))
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// `%q%` for `LIKE`/`ILIKE`, with the wildcards and the escape character the
/// user typed taken literally (a search for `50%` finds "50%", not everything).
pub fn contains_pattern(q: &str) -> String {
    format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_are_literal() {
        assert_eq!(super::contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
    }
}
