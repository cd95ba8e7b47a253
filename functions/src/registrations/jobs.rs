//! The registrations group's job: retention.

use serde_json::json;
use shared::{
    AppState,
    audit::{Action, Entry},
    group::Job,
};
use uuid::Uuid;

pub const RETENTION: Job = Job {
    name: "retention",
    description: "move registrations older than the retention period into registration_archive, verified and audited",
    schedule: "0 30 2 * * *",
    run: |state| Box::pin(retention(state)),
};

/// Moves old registrations into the archive in batches; each batch verifies
/// that what was deleted is exactly what was archived before it commits.
async fn retention(state: &AppState) -> anyhow::Result<serde_json::Value> {
    let years = state.config.retention_years as i32;
    let mut archived = 0u64;
    loop {
        let mut tx = state.db.begin().await?;
        let moved: Vec<Uuid> = sqlx::query_scalar!("INSERT INTO registration_archive (registration_id, pharmacy_id, district_code, created_at, record)
             SELECT r.registration_id, r.pharmacy_id, r.district_code, r.created_at,
                    to_jsonb(r) || jsonb_build_object('items', (SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.line_no), '[]'::jsonb)
                                                                FROM registration_item i WHERE i.registration_id = r.registration_id))
             FROM registration r
             WHERE r.created_at < now() - make_interval(years => $1)
             ORDER BY r.created_at LIMIT 1000
             FOR UPDATE SKIP LOCKED
             RETURNING registration_id", years)
        .fetch_all(&mut *tx)
        .await?;
        if moved.is_empty() {
            tx.commit().await?;
            break;
        }
        let deleted = sqlx::query!(
            "DELETE FROM registration WHERE registration_id = ANY($1)",
            &moved
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted != moved.len() as u64 {
            tx.rollback().await?;
            anyhow::bail!(
                "retention: archived {} registrations but would delete {deleted}; nothing changed",
                moved.len()
            );
        }
        Entry::system(Action::RetentionArchive)
            .detail(json!({ "archived": deleted, "older_than_years": years }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        archived += deleted;
    }
    Ok(json!({ "archived": archived }))
}
