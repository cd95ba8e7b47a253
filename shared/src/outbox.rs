//! The outbox (SPEC §6): every synced change is written here in the same
//! transaction as the change itself, with one pending delivery per data centre
//! that takes the entity, so nothing is lost between the write and the sync.

use sqlx::PgConnection;

use crate::config::Config;

/// Records a change of `entity` `key` and queues it for every target that takes it.
pub async fn record(
    conn: &mut PgConnection,
    config: &Config,
    entity: &str,
    key: &str,
    op: &str,
) -> Result<i64, sqlx::Error> {
    let outbox_id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (entity, entity_key, op) VALUES ($1, $2, $3) RETURNING outbox_id",
    )
    .bind(entity)
    .bind(key)
    .bind(op)
    .fetch_one(&mut *conn)
    .await?;
    let targets: Vec<&str> = config
        .sync_targets
        .iter()
        .filter(|t| t.entities.iter().any(|e| e == entity))
        .map(|t| t.name.as_str())
        .collect();
    if !targets.is_empty() {
        sqlx::query("INSERT INTO sync_delivery (target, outbox_id) SELECT t, $2 FROM unnest($1::text[]) AS t")
            .bind(&targets)
            .bind(outbox_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(outbox_id)
}
