//! PostgreSQL pool and migrations.

use std::time::Duration;

use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, postgres::PgPoolOptions};

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

/// One SQL statement made of data-modifying CTEs, so that a change and
/// everything written with it (outbox row, audit entry, idempotent answer...)
/// reach PostgreSQL in one round trip. Each writer adds its own parts; parts
/// run with one snapshot, and foreign keys are checked at the end of the
/// statement, so a part may reference a row another part inserts.
pub struct Statement<'a> {
    qb: QueryBuilder<'a, Postgres>,
    parts: usize,
}

impl Default for Statement<'_> {
    fn default() -> Self {
        Statement {
            qb: QueryBuilder::new("WITH "),
            parts: 0,
        }
    }
}

impl<'a> Statement<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `name AS (…)`, the body pushed by `body`.
    pub fn part(&mut self, name: &str, body: impl FnOnce(&mut QueryBuilder<'a, Postgres>)) {
        if self.parts > 0 {
            self.qb.push(", ");
        }
        self.parts += 1;
        self.qb.push(name).push(" AS (");
        body(&mut self.qb);
        self.qb.push(")");
    }

    /// Runs every part (the SQL text depends only on which parts were added,
    /// so it is prepared once per connection and reused).
    pub async fn execute(self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.parts == 0 {
            return Ok(());
        }
        self.fetch_scalar::<i32>(conn, "SELECT 1").await.map(|_| ())
    }

    /// Runs every part and answers `select` (which may read the parts'
    /// `RETURNING` columns, e.g. `SELECT id FROM new_row`).
    pub async fn fetch_scalar<T>(
        mut self,
        conn: &mut PgConnection,
        select: &str,
    ) -> Result<T, sqlx::Error>
    where
        T: Send + Unpin + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    {
        self.qb.push(" ").push(select);
        self.qb.build_query_scalar().fetch_one(conn).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_are_literal() {
        assert_eq!(super::contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
    }
}
