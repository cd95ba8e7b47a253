//! The stored registration and its scoped queries.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool, Postgres, QueryBuilder, Row, types::Json};
use uuid::Uuid;

use super::{Method, Source};
use crate::{
    auth::{
        Scope,
        scope::{ScopeColumns, push_scope},
    },
    paging::PageRequest,
    time::to_china,
};

/// Registrations are visible by their pharmacy and its district at sale time.
pub const SCOPE: ScopeColumns = ScopeColumns::pharmacy("r.pharmacy_id", "r.district_code");

pub async fn packages_in_window(
    conn: &mut PgConnection,
    index: &[u8],
    days: u32,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(sum(total_packages), 0)::bigint AS "packages!" FROM registration
         WHERE buyer_id_index = $1 AND created_at > now() - make_interval(days => $2)"#,
        index,
        days as i32
    )
    .fetch_one(conn)
    .await
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
    pub source: Source,
    pub method: Method,
    pub prescription_no: Option<String>,
    pub total_packages: i32,
    pub needs_review: bool,
    pub client_time: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, serde::Deserialize)]
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

/// A registration with its items and alert kinds, as responses show it.
#[derive(Debug, FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub row: RegistrationRow,
    pub items: Json<Vec<ItemRow>>,
    pub alert_kinds: Vec<String>,
}

const SELECT: &str = "SELECT r.registration_id, r.pharmacy_id, p.name AS pharmacy_name, r.district_code, r.clerk_user_id,
        r.buyer_id_enc, r.buyer_name_enc, r.source, r.method, r.prescription_no, r.total_packages, r.needs_review,
        r.client_time, r.created_at
    FROM registration r JOIN pharmacy p ON p.pharmacy_id = r.pharmacy_id WHERE ";

/// Wraps a page of [`SELECT`] (closed with `) page`): items and alert kinds
/// are gathered for the page's rows only, in the same statement.
const WITH_ITEMS: &str = "SELECT page.*,
        (SELECT coalesce(json_agg(json_build_object(
                    'registration_id', i.registration_id, 'line_no', i.line_no, 'barcode', i.barcode,
                    'drug_name', d.name, 'strength', d.strength, 'manufacturer', d.manufacturer,
                    'package_unit', d.package_unit, 'quantity', i.quantity, 'batch_no', i.batch_no,
                    'trace_code', i.trace_code) ORDER BY i.line_no), '[]'::json)
         FROM registration_item i JOIN drug d ON d.drug_id = i.drug_id
         WHERE i.registration_id = page.registration_id) AS items,
        ARRAY(SELECT a.kind FROM alert a WHERE a.registration_id = page.registration_id ORDER BY a.created_at) AS alert_kinds
    FROM (";

#[derive(Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub pharmacy_id: Option<Uuid>,
    pub district: Option<String>,
    pub barcode: Option<String>,
    pub buyer_id_index: Option<Vec<u8>>,
}

impl Filter {
    /// The China days `[from, to)` the filter spans, when it is only a span
    /// of whole days (and scope): then the total is read from
    /// `registration_count`.
    fn whole_days(&self) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
        if self.barcode.is_some() || self.buyer_id_index.is_some() {
            return None;
        }
        let day = |t: Option<DateTime<Utc>>| match t {
            None => Some(None),
            Some(t) => {
                let local = to_china(t);
                (local.time() == NaiveTime::MIN).then(|| Some(local.date_naive()))
            }
        };
        Some((day(self.from)?, day(self.to)?))
    }
}

/// `total` of a list: summed from the per-day counts when the filter is
/// whole days, else counted row by row.
fn push_total(qb: &mut QueryBuilder<'_, Postgres>, scope: &Scope, f: &Filter) {
    let Some((from, to)) = f.whole_days() else {
        qb.push("SELECT count(*) AS total FROM registration r WHERE ");
        push_scope(qb, scope, SCOPE);
        push_filters(qb, f);
        return;
    };
    qb.push("SELECT coalesce(sum(c.n), 0)::bigint AS total FROM registration_count c WHERE ");
    push_scope(
        qb,
        scope,
        ScopeColumns::pharmacy("c.pharmacy_id", "c.district_code"),
    );
    if let Some(d) = from {
        qb.push(" AND c.day >= ").push_bind(d);
    }
    if let Some(d) = to {
        qb.push(" AND c.day < ").push_bind(d);
    }
    if let Some(p) = f.pharmacy_id {
        qb.push(" AND c.pharmacy_id = ").push_bind(p);
    }
    if let Some(d) = &f.district {
        qb.push(" AND c.district_code = ").push_bind(d.clone());
    }
}

pub fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter) {
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

/// How many registrations the filter selects in the scope (from the
/// per-day counts when it spans whole days).
pub async fn count(db: &PgPool, scope: &Scope, f: &Filter) -> Result<i64, sqlx::Error> {
    let mut qb = QueryBuilder::new("");
    push_total(&mut qb, scope, f);
    qb.build_query_scalar().fetch_one(db).await
}

/// One page and the total, in one statement (the count runs even when the
/// page is past the end, so the client still learns the total).
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    page: PageRequest,
) -> Result<(Vec<Listed>, i64), sqlx::Error> {
    let mut qb = QueryBuilder::new("SELECT t.total, v.* FROM (");
    push_total(&mut qb, scope, f);
    qb.push(") t LEFT JOIN LATERAL (")
        .push(WITH_ITEMS)
        .push(SELECT);
    push_scope(&mut qb, scope, SCOPE);
    push_filters(&mut qb, f);
    qb.push(" ORDER BY r.created_at DESC, r.registration_id DESC LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset())
        .push(") page) v ON true ORDER BY v.created_at DESC, v.registration_id DESC");
    let rows = qb.build().fetch_all(db).await?;
    let total = match rows.first() {
        Some(r) => r.try_get("total")?,
        None => 0,
    };
    let mut listed = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<Uuid>, _>("registration_id")?.is_some() {
            listed.push(Listed::from_row(row)?);
        }
    }
    Ok((listed, total))
}

pub async fn get(
    conn: &mut PgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Listed>, sqlx::Error> {
    let mut qb = QueryBuilder::new(WITH_ITEMS);
    qb.push(SELECT);
    push_scope(&mut qb, scope, SCOPE);
    qb.push(" AND r.registration_id = ")
        .push_bind(id)
        .push(") page");
    qb.build_query_as().fetch_optional(conn).await
}
