use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use shared::paging::PageRequest;

#[derive(Debug, Clone, FromRow)]
pub struct DrugRow {
    pub drug_id: Uuid,
    pub barcode: String,
    pub approval_number: String,
    pub name: String,
    pub strength: String,
    pub manufacturer: String,
    pub package_unit: String,
    pub special_category: String,
    pub rx_only: bool,
    pub max_per_purchase: Option<i32>,
    pub active: bool,
}

const COLUMNS: &str = "drug_id, barcode, approval_number, name, strength, manufacturer, package_unit, special_category, rx_only, max_per_purchase, active";

pub async fn by_barcode(db: &PgPool, barcode: &str) -> Result<Option<DrugRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM drug WHERE barcode = $1"))
        .bind(barcode)
        .fetch_optional(db)
        .await
}

pub async fn by_barcodes(
    conn: &mut PgConnection,
    barcodes: &[String],
) -> Result<Vec<DrugRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM drug WHERE barcode = ANY($1)"
    ))
    .bind(barcodes)
    .fetch_all(conn)
    .await
}

/// Name (or manufacturer, approval number, barcode) contains `q`; active first.
pub async fn search(
    db: &PgPool,
    q: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<DrugRow>, i64), sqlx::Error> {
    let pattern = q.map(shared::db::contains_pattern);
    let filter = "($1::text IS NULL OR name ILIKE $1 OR manufacturer ILIKE $1 OR approval_number ILIKE $1 OR barcode LIKE $1)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM drug WHERE {filter}"))
        .bind(&pattern)
        .fetch_one(db)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM drug WHERE {filter} ORDER BY active DESC, name, barcode LIMIT $2 OFFSET $3"
    ))
    .bind(&pattern)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}
