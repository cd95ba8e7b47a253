use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use shared::paging::PageRequest;

shared::text_enum! {
    /// The four kinds of 含特殊药品复方制剂.
    pub enum SpecialCategory {
        /// 含麻黄碱类复方制剂
        Ephedrine = "ephedrine",
        /// 含可待因复方口服液体制剂
        Codeine = "codeine",
        /// 复方地芬诺酯片
        Diphenoxylate = "diphenoxylate",
        /// 复方甘草片
        Liquorice = "liquorice",
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct DrugRow {
    pub drug_id: Uuid,
    pub barcode: String,
    pub approval_number: String,
    pub name: String,
    pub strength: String,
    pub manufacturer: String,
    pub package_unit: String,
    pub special_category: SpecialCategory,
    pub rx_only: bool,
    pub max_per_purchase: Option<i32>,
    pub active: bool,
}

/// `sqlx::query_as!` of a [`DrugRow`]: the catalogue's columns, then `$rest`.
macro_rules! select_drug {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            DrugRow,
            r#"SELECT drug_id, barcode, approval_number, name, strength, manufacturer, package_unit,
                    special_category AS "special_category: SpecialCategory", rx_only, max_per_purchase, active
             FROM drug "# + $rest
            $(, $arg)*
        )
    };
}

pub async fn by_barcode(db: &PgPool, barcode: &str) -> Result<Option<DrugRow>, sqlx::Error> {
    select_drug!("WHERE barcode = $1", barcode)
        .fetch_optional(db)
        .await
}

pub async fn by_barcodes(
    conn: &mut PgConnection,
    barcodes: &[String],
) -> Result<Vec<DrugRow>, sqlx::Error> {
    select_drug!("WHERE barcode = ANY($1)", barcodes)
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
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM drug
           WHERE ($1::text IS NULL OR name ILIKE $1 OR manufacturer ILIKE $1 OR approval_number ILIKE $1 OR barcode LIKE $1)"#,
        pattern.as_deref()
    )
    .fetch_one(db)
    .await?;
    let rows = select_drug!(
        "WHERE ($1::text IS NULL OR name ILIKE $1 OR manufacturer ILIKE $1 OR approval_number ILIKE $1 OR barcode LIKE $1)
         ORDER BY active DESC, name, barcode LIMIT $2 OFFSET $3",
        pattern.as_deref(),
        page.limit(),
        page.offset()
    )
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}
