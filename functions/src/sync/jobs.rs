//! The sync group's job: is data flowing to every data centre?

use serde_json::json;
use shared::{AppState, group::Job};
use uuid::Uuid;

use super::repo as sync;

pub const SYNC_LAG: Job = Job {
    name: "sync-lag",
    description: "raise SYNC_LAG when a data centre's oldest pending record is older than its threshold",
    schedule: "0 */5 * * * *",
    run: |state| Box::pin(sync_lag(state)),
};

async fn sync_lag(state: &AppState) -> anyhow::Result<serde_json::Value> {
    let mut raised = Vec::new();
    for t in &state.config.sync_targets {
        let s = sync::status(&state.db, &t.name).await?;
        metrics::gauge!("sync_pending", "target" => t.name.clone()).set(s.pending as f64);
        metrics::gauge!("sync_lag_seconds", "target" => t.name.clone())
            .set(s.oldest_pending_secs as f64);
        if s.oldest_pending_secs as u64 <= t.lag_alert.as_secs() {
            continue;
        }
        let open: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM alert WHERE kind = 'SYNC_LAG' AND status = 'open' AND detail->>'target' = $1)")
            .bind(&t.name)
            .fetch_one(&state.db)
            .await?;
        if !open {
            sqlx::query("INSERT INTO alert (alert_id, kind, detail) VALUES ($1, 'SYNC_LAG', $2)")
                .bind(Uuid::now_v7())
                .bind(json!({ "target": t.name, "lag_secs": s.oldest_pending_secs, "pending": s.pending, "threshold_secs": t.lag_alert.as_secs() }))
                .execute(&state.db)
                .await?;
            raised.push(t.name.clone());
        }
    }
    Ok(json!({ "raised": raised }))
}
