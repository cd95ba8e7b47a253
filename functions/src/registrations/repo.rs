use sqlx::{FromRow, PgConnection, QueryBuilder, Row};
use uuid::Uuid;

use crate::drugs::repo::DrugRow;
use shared::audit::{self, Head};

#[derive(Debug, Clone, FromRow)]
pub struct Counter {
    pub pharmacy_id: Uuid,
    pub pharmacy_name: String,
    pub district_code: String,
    pub pharmacy_status: shared::domain::PharmacyStatus,
}

/// What a sale needs to know from the database, read in one statement once
/// the buyer is locked: the clerk's pharmacy, the catalogue lines, the
/// buyer's recent purchases, and the pharmacy's audit head (locked).
pub struct SaleFacts {
    /// The clerk's pharmacy, if the clerk is still an active member of it.
    pub counter: Option<Counter>,
    pub drugs: Vec<DrugRow>,
    /// Packages bought by the buyer in the rolling window, at any pharmacy.
    pub window_packages: i64,
    /// Distinct pharmacies that sold to the buyer in the last 24 h...
    pub day_pharmacies: i64,
    /// ...and whether this pharmacy is one of them.
    pub day_here: bool,
    /// A multi-pharmacy alert on the buyer was raised in the last 24 h.
    pub multi_alerted: bool,
    pub head: Head,
}

pub struct SaleQuery<'q> {
    pub user_id: Uuid,
    pub pharmacy_id: Uuid,
    pub buyer_index: &'q [u8],
    pub window_days: u32,
    pub barcodes: Vec<String>,
    pub stream: &'q str,
}

/// Reads the facts of a sale. Run it after [`lock_buyer`]: its snapshot is
/// taken when it starts, so it sees every sale of this buyer committed before
/// the lock was granted.
pub async fn sale_facts(
    conn: &mut PgConnection,
    q: SaleQuery<'_>,
) -> Result<SaleFacts, sqlx::Error> {
    let days = q.window_days as i32;
    let mut qb = QueryBuilder::new("WITH head AS (");
    audit::push_lock_head(&mut qb, q.stream);
    qb.push(
        "), counter AS (
            SELECT p.pharmacy_id, p.name AS pharmacy_name, p.district_code, p.status AS pharmacy_status
            FROM app_user u JOIN pharmacy p ON p.pharmacy_id = u.pharmacy_id
            WHERE u.status = 'active' AND u.user_id = ",
    )
    .push_bind(q.user_id)
    .push(" AND u.pharmacy_id = ")
    .push_bind(q.pharmacy_id)
    .push(
        "), recent AS (
            SELECT coalesce(sum(total_packages) FILTER (WHERE created_at > now() - make_interval(days => ",
    )
    .push_bind(days)
    .push(
        ")), 0)::bigint AS window_packages,
                   count(DISTINCT pharmacy_id) FILTER (WHERE created_at > now() - interval '24 hours') AS day_pharmacies,
                   coalesce(bool_or(pharmacy_id = ",
    )
    .push_bind(q.pharmacy_id)
    .push(
        ") FILTER (WHERE created_at > now() - interval '24 hours'), false) AS day_here
            FROM registration WHERE buyer_id_index = ",
    )
    .push_bind(q.buyer_index.to_vec())
    .push(" AND created_at > now() - make_interval(days => greatest(")
    .push_bind(days)
    .push(
        ", 1)))
        SELECT h.seq AS head_seq, h.hash AS head_hash,
               c.pharmacy_id, c.pharmacy_name, c.district_code, c.pharmacy_status,
               r.window_packages, r.day_pharmacies, r.day_here,
               EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'MULTI_PHARMACY' AND a.created_at > now() - interval '24 hours'
                       AND a.buyer_id_index = ",
    )
    .push_bind(q.buyer_index.to_vec())
    .push(
        ") AS multi_alerted,
               d.drug_id, d.barcode, d.approval_number, d.name, d.strength, d.manufacturer, d.package_unit,
               d.special_category, d.rx_only, d.max_per_purchase, d.active
        FROM head h CROSS JOIN recent r LEFT JOIN counter c ON true LEFT JOIN drug d ON d.barcode = ANY(",
    )
    .push_bind(q.barcodes)
    .push(")");
    let rows = qb.build().fetch_all(conn).await?;
    let first = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    let counter = match first.try_get::<Option<Uuid>, _>("pharmacy_id")? {
        Some(_) => Some(Counter::from_row(first)?),
        None => None,
    };
    let mut drugs = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<Uuid>, _>("drug_id")?.is_some() {
            drugs.push(DrugRow::from_row(row)?);
        }
    }
    Ok(SaleFacts {
        counter,
        drugs,
        window_packages: first.try_get("window_packages")?,
        day_pharmacies: first.try_get("day_pharmacies")?,
        day_here: first.try_get("day_here")?,
        multi_alerted: first.try_get("multi_alerted")?,
        head: Head {
            stream: q.stream.to_owned(),
            seq: first.try_get("head_seq")?,
            hash: first.try_get("head_hash")?,
        },
    })
}

/// Serialises registrations of one buyer (on any instance) until commit, so
/// two pharmacies cannot both slip under the window limit.
pub async fn lock_buyer(conn: &mut PgConnection, index: &[u8]) -> Result<(), sqlx::Error> {
    let key = i64::from_be_bytes(index[..8].try_into().expect("blind index is 32 bytes"));
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", key)
        .execute(conn)
        .await
        .map(|_| ())
}
