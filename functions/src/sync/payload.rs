//! What a data centre receives for each entity: the record as it stands,
//! personal data in full or masked as the target is configured.

use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use shared::{
    AppState,
    domain::{mask_id_number, mask_name},
    time::to_china,
};

use crate::registrations::record::{AAD_BUYER_ID, AAD_BUYER_NAME};

pub async fn data(
    state: &AppState,
    conn: &mut PgConnection,
    entity: &str,
    key: &str,
    pii_full: bool,
) -> anyhow::Result<Value> {
    match entity {
        "registration" => registration(state, conn, key.parse()?, pii_full).await,
        other => anyhow::bail!("no payload for entity {other}"),
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    registration_id: Uuid,
    pharmacy_id: Uuid,
    licence_number: String,
    uscc: Option<String>,
    district_code: String,
    buyer_id_enc: Vec<u8>,
    buyer_name_enc: Vec<u8>,
    source: String,
    prescription_no: Option<String>,
    total_packages: i32,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// barcode, approval number, quantity, batch number, traceability code
type ItemRow = (String, String, i32, Option<String>, Option<String>);

async fn registration(
    state: &AppState,
    conn: &mut PgConnection,
    id: Uuid,
    pii_full: bool,
) -> anyhow::Result<Value> {
    let r: Option<Row> = sqlx::query_as(
        "SELECT r.registration_id, r.pharmacy_id, p.licence_number, p.uscc, r.district_code, r.buyer_id_enc, r.buyer_name_enc,
                r.source, r.prescription_no, r.total_packages, r.created_at
         FROM registration r JOIN pharmacy p ON p.pharmacy_id = r.pharmacy_id WHERE r.registration_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    // Archived since: the data centre already has it, or gets a tombstone.
    let Some(r) = r else {
        return Ok(json!({ "registration_id": id, "archived": true }));
    };
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT i.barcode, d.approval_number, i.quantity, i.batch_no, i.trace_code
         FROM registration_item i JOIN drug d ON d.drug_id = i.drug_id WHERE i.registration_id = $1 ORDER BY i.line_no",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let id_number = state.pii.decrypt(&r.buyer_id_enc, AAD_BUYER_ID)?;
    let name = state.pii.decrypt(&r.buyer_name_enc, AAD_BUYER_NAME)?;
    Ok(json!({
        "registration_id": r.registration_id,
        "pharmacy_id": r.pharmacy_id,
        "pharmacy_licence_number": r.licence_number,
        "pharmacy_uscc": r.uscc,
        "district_code": r.district_code,
        "buyer_name": if pii_full { name } else { mask_name(&name) },
        "buyer_id_number": if pii_full { id_number } else { mask_id_number(&id_number) },
        "source": r.source,
        "prescription_no": r.prescription_no,
        "total_packages": r.total_packages,
        "items": items.into_iter().map(|(barcode, approval_number, quantity, batch_no, trace_code)| json!({
            "barcode": barcode, "approval_number": approval_number, "quantity": quantity, "batch_no": batch_no, "trace_code": trace_code,
        })).collect::<Vec<_>>(),
        "sold_at": to_china(r.created_at),
    }))
}
