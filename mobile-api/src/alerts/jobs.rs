//! The alerts group's job: buyers seen at several pharmacies.

use serde_json::json;
use shared::{AppState, group::Job};

pub const ALERT_SWEEP: Job = Job {
    name: "alert-sweep",
    description: "raise MULTI_PHARMACY for buyers seen at several pharmacies within 24 h that have no alert yet",
    schedule: "0 */10 * * * *",
    run: |state| Box::pin(alert_sweep(state)),
};

async fn alert_sweep(state: &AppState) -> anyhow::Result<serde_json::Value> {
    let threshold = i64::from(state.config.policy.multi_pharmacy_threshold);
    let n = sqlx::query(
        "INSERT INTO alert (alert_id, kind, district_code, pharmacy_id, buyer_id_index, detail)
         SELECT gen_random_uuid(), 'MULTI_PHARMACY', last.district_code, last.pharmacy_id, b.buyer_id_index,
                jsonb_build_object('pharmacies', b.pharmacies, 'source', 'sweep')
         FROM (SELECT buyer_id_index, count(DISTINCT pharmacy_id) AS pharmacies FROM registration
               WHERE created_at > now() - interval '24 hours' GROUP BY buyer_id_index HAVING count(DISTINCT pharmacy_id) >= $1) b
         CROSS JOIN LATERAL (SELECT district_code, pharmacy_id FROM registration r WHERE r.buyer_id_index = b.buyer_id_index
                             ORDER BY created_at DESC LIMIT 1) last
         WHERE NOT EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'MULTI_PHARMACY' AND a.buyer_id_index = b.buyer_id_index
                           AND a.created_at > now() - interval '24 hours')",
    )
    .bind(threshold)
    .execute(&state.db)
    .await?
    .rows_affected();
    Ok(json!({ "raised": n }))
}
