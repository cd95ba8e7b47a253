//! What a data centre receives for each entity: the record as it stands,
//! personal data in full or masked as the target is configured.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use shared::{
    AppState,
    domain::{mask_id_number, mask_name},
    group::{Entity, Payload},
    sales::Source,
    time::to_china,
};

use shared::sales::buyer::{AAD_ID as AAD_BUYER_ID, AAD_NAME as AAD_BUYER_NAME};

/// The `registration` entity: one sale with its items, as it stands.
pub const REGISTRATION: Entity = Entity {
    name: "registration",
    fields: &[
        "registration_id",
        "pharmacy_id",
        "pharmacy_licence_number",
        "pharmacy_uscc",
        "district_code",
        "buyer_name",
        "buyer_id_number",
        "source",
        "prescription_no",
        "total_packages",
        "items",
        "sold_at",
    ],
    payload: |r| Box::pin(registrations(r.state, r.conn, r.keys, r.pii_full)),
};

struct Row {
    registration_id: Uuid,
    pharmacy_id: Uuid,
    licence_number: String,
    uscc: Option<String>,
    district_code: String,
    buyer_id_enc: Vec<u8>,
    buyer_name_enc: Vec<u8>,
    source: Source,
    prescription_no: Option<String>,
    total_packages: i32,
    created_at: chrono::DateTime<chrono::Utc>,
}

async fn registrations(
    state: &AppState,
    conn: &mut PgConnection,
    keys: &[String],
    pii_full: bool,
) -> anyhow::Result<Payload> {
    let ids: Vec<Uuid> = keys.iter().filter_map(|k| k.parse().ok()).collect();
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT r.registration_id, r.pharmacy_id, p.licence_number, p.uscc, r.district_code, r.buyer_id_enc, r.buyer_name_enc,
                r.source AS "source: Source", r.prescription_no, r.total_packages, r.created_at
         FROM registration r JOIN pharmacy p ON p.pharmacy_id = r.pharmacy_id WHERE r.registration_id = ANY($1)"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut items: HashMap<Uuid, Vec<Value>> = HashMap::new();
    let item_rows = sqlx::query!(
        "SELECT i.registration_id, i.barcode, d.approval_number, i.quantity, i.batch_no, i.trace_code
         FROM registration_item i JOIN drug d ON d.drug_id = i.drug_id WHERE i.registration_id = ANY($1) ORDER BY i.registration_id, i.line_no",
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    for i in item_rows {
        items.entry(i.registration_id).or_default().push(json!({
            "barcode": i.barcode, "approval_number": i.approval_number, "quantity": i.quantity, "batch_no": i.batch_no, "trace_code": i.trace_code,
        }));
    }
    let mut out = HashMap::with_capacity(keys.len());
    let mut unreadable = HashMap::new();
    for r in rows {
        let (id_number, name) = match (
            state.pii.decrypt(&r.buyer_id_enc, AAD_BUYER_ID),
            state.pii.decrypt(&r.buyer_name_enc, AAD_BUYER_NAME),
        ) {
            (Ok(id), Ok(name)) => (id, name),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(registration_id = %r.registration_id, error = %e, "registration cannot be read for sync");
                unreadable.insert(r.registration_id.to_string(), format!("unreadable: {e}"));
                continue;
            }
        };
        out.insert(
            r.registration_id.to_string(),
            json!({
                "registration_id": r.registration_id,
                "pharmacy_id": r.pharmacy_id,
                "pharmacy_licence_number": r.licence_number,
                "pharmacy_uscc": r.uscc,
                "district_code": r.district_code,
                "buyer_name": if pii_full { name } else { mask_name(&name) },
                "buyer_id_number": if pii_full { id_number } else { mask_id_number(&id_number) },
                "source": r.source.as_str(),
                "prescription_no": r.prescription_no,
                "total_packages": r.total_packages,
                "items": items.remove(&r.registration_id).unwrap_or_default(),
                "sold_at": to_china(r.created_at),
            }),
        );
    }
    // Archived since it was queued: the data centre gets a tombstone.
    for k in keys {
        if !unreadable.contains_key(k) {
            out.entry(k.clone())
                .or_insert_with(|| json!({ "registration_id": k, "archived": true }));
        }
    }
    Ok(Payload {
        data: out,
        unreadable,
    })
}
