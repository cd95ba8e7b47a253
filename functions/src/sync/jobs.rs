//! The sync group's job: is data flowing to every data centre?

use serde_json::json;
use shared::{
    AppState,
    alerts::{self, AlertKind, NewAlert},
    group::Job,
};

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
        let mut conn = state.db.acquire().await?;
        if !alerts::open_for_target(&mut conn, AlertKind::SyncLag, &t.name).await? {
            alerts::raise(
                &mut conn,
                NewAlert::platform(
                    AlertKind::SyncLag,
                    json!({ "target": t.name, "lag_secs": s.oldest_pending_secs, "pending": s.pending, "threshold_secs": t.lag_alert.as_secs() }),
                ),
            )
            .await?;
            raised.push(t.name.clone());
        }
    }
    Ok(json!({ "raised": raised }))
}
