use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use shared::{
    auth::{
        Scope,
        scope::{ScopeColumns, scoped_select},
    },
    paging::PageRequest,
};

/// Registrations are visible by their pharmacy and its district at sale time.
pub const SCOPE: ScopeColumns = ScopeColumns {
    pharmacy_id: "r.pharmacy_id",
    district_code: "r.district_code",
};

#[derive(Debug, Clone, FromRow)]
pub struct Counter {
    pub pharmacy_id: Uuid,
    pub pharmacy_name: String,
    pub district_code: String,
    pub pharmacy_status: String,
}

/// The clerk's pharmacy, if the clerk is still an active member of it.
pub async fn counter(
    conn: &mut PgConnection,
    user_id: Uuid,
    pharmacy_id: Uuid,
) -> Result<Option<Counter>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.pharmacy_id, p.name AS pharmacy_name, p.district_code, p.status AS pharmacy_status
         FROM app_user u JOIN pharmacy p ON p.pharmacy_id = u.pharmacy_id
         WHERE u.user_id = $1 AND u.pharmacy_id = $2 AND u.status = 'active'",
    )
    .bind(user_id)
    .bind(pharmacy_id)
    .fetch_optional(conn)
    .await
}

/// Serialises registrations of one buyer (on any instance) until commit, so
/// two pharmacies cannot both slip under the window limit.
pub async fn lock_buyer(conn: &mut PgConnection, index: &[u8]) -> Result<(), sqlx::Error> {
    let key = i64::from_be_bytes(index[..8].try_into().expect("blind index is 32 bytes"));
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn packages_in_window(
    conn: &mut PgConnection,
    index: &[u8],
    days: u32,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(sum(total_packages), 0)::bigint FROM registration
         WHERE buyer_id_index = $1 AND created_at > now() - make_interval(days => $2)",
    )
    .bind(index)
    .bind(days as i32)
    .fetch_one(conn)
    .await
}

pub async fn pharmacies_in_last_day(
    conn: &mut PgConnection,
    index: &[u8],
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(DISTINCT pharmacy_id) FROM registration WHERE buyer_id_index = $1 AND created_at > now() - interval '24 hours'",
    )
    .bind(index)
    .fetch_one(conn)
    .await
}

pub async fn recent_alert(
    conn: &mut PgConnection,
    index: &[u8],
    kind: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM alert WHERE buyer_id_index = $1 AND kind = $2 AND created_at > now() - interval '24 hours')",
    )
    .bind(index)
    .bind(kind)
    .fetch_one(conn)
    .await
}

pub struct NewAlert<'a> {
    pub kind: &'a str,
    pub district_code: &'a str,
    pub pharmacy_id: Uuid,
    pub buyer_id_index: Option<&'a [u8]>,
    pub registration_id: Option<Uuid>,
    pub refused_attempt_id: Option<Uuid>,
    pub detail: serde_json::Value,
}

pub async fn insert_alert(conn: &mut PgConnection, a: NewAlert<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO alert (alert_id, kind, district_code, pharmacy_id, buyer_id_index, registration_id, refused_attempt_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(a.kind)
    .bind(a.district_code)
    .bind(a.pharmacy_id)
    .bind(a.buyer_id_index)
    .bind(a.registration_id)
    .bind(a.refused_attempt_id)
    .bind(&a.detail)
    .execute(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, FromRow)]
pub struct RegistrationRow {
    pub registration_id: Uuid,
    pub pharmacy_id: Uuid,
    pub pharmacy_name: String,
    pub district_code: String,
    pub clerk_user_id: Uuid,
    pub buyer_id_enc: Vec<u8>,
    pub buyer_name_enc: Vec<u8>,
    pub source: String,
    pub method: String,
    pub prescription_no: Option<String>,
    pub total_packages: i32,
    pub needs_review: bool,
    pub client_time: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
    pub registration_id: Uuid,
    pub line_no: i16,
    pub barcode: String,
    pub drug_name: String,
    pub strength: String,
    pub manufacturer: String,
    pub package_unit: String,
    pub quantity: i32,
    pub batch_no: Option<String>,
    pub trace_code: Option<String>,
}

const SELECT: &str = "SELECT r.registration_id, r.pharmacy_id, p.name AS pharmacy_name, r.district_code, r.clerk_user_id,
        r.buyer_id_enc, r.buyer_name_enc, r.source, r.method, r.prescription_no, r.total_packages, r.needs_review,
        r.client_time, r.created_at
    FROM registration r JOIN pharmacy p ON p.pharmacy_id = r.pharmacy_id";

#[derive(Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub pharmacy_id: Option<Uuid>,
    pub district: Option<String>,
    pub barcode: Option<String>,
    pub buyer_id_index: Option<Vec<u8>>,
}

pub(crate) fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter) {
    if let Some(t) = f.from {
        qb.push(" AND r.created_at >= ").push_bind(t);
    }
    if let Some(t) = f.to {
        qb.push(" AND r.created_at < ").push_bind(t);
    }
    if let Some(p) = f.pharmacy_id {
        qb.push(" AND r.pharmacy_id = ").push_bind(p);
    }
    if let Some(d) = &f.district {
        qb.push(" AND r.district_code = ").push_bind(d.clone());
    }
    if let Some(b) = &f.barcode {
        qb.push(" AND EXISTS (SELECT 1 FROM registration_item i WHERE i.registration_id = r.registration_id AND i.barcode = ")
            .push_bind(b.clone())
            .push(")");
    }
    if let Some(ix) = &f.buyer_id_index {
        qb.push(" AND r.buyer_id_index = ").push_bind(ix.clone());
    }
}

pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    page: PageRequest,
) -> Result<(Vec<RegistrationRow>, i64), sqlx::Error> {
    let mut count = scoped_select(scope, SCOPE, "SELECT count(*) FROM registration r");
    push_filters(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    let mut qb = scoped_select(scope, SCOPE, SELECT);
    push_filters(&mut qb, f);
    qb.push(" ORDER BY r.created_at DESC, r.registration_id DESC LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    let rows = qb.build_query_as().fetch_all(db).await?;
    Ok((rows, total))
}

pub async fn get(
    conn: &mut PgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<RegistrationRow>, sqlx::Error> {
    let mut qb = scoped_select(scope, SCOPE, SELECT);
    qb.push(" AND r.registration_id = ").push_bind(id);
    qb.build_query_as().fetch_optional(conn).await
}

pub async fn items(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.registration_id, i.line_no, i.barcode, d.name AS drug_name, d.strength, d.manufacturer, d.package_unit,
                i.quantity, i.batch_no, i.trace_code
         FROM registration_item i JOIN drug d ON d.drug_id = i.drug_id
         WHERE i.registration_id = ANY($1) ORDER BY i.registration_id, i.line_no",
    )
    .bind(ids)
    .fetch_all(conn)
    .await
}

pub async fn alert_kinds(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT registration_id, kind FROM alert WHERE registration_id = ANY($1) ORDER BY created_at")
        .bind(ids)
        .fetch_all(conn)
        .await
}
