//! The alerts group's job: buyers seen at several pharmacies.

use serde_json::json;
use shared::{AppState, alerts, group::Job};

pub const ALERT_SWEEP: Job = Job {
    name: "alert-sweep",
    description: "raise MULTI_PHARMACY for buyers seen at several pharmacies within 24 h that have no alert yet",
    schedule: "0 */10 * * * *",
    run: |state| Box::pin(alert_sweep(state)),
};

async fn alert_sweep(state: &AppState) -> anyhow::Result<serde_json::Value> {
    let threshold = i64::from(state.config.policy.multi_pharmacy_threshold);
    let mut conn = state.db.acquire().await?;
    let n = alerts::sweep_multi_pharmacy(&mut conn, threshold).await?;
    Ok(json!({ "raised": n }))
}
