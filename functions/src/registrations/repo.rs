use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool, Postgres, QueryBuilder, Row, types::Json};
use uuid::Uuid;

use crate::drugs::repo::DrugRow;
use shared::{
    audit::{self, Head},
    auth::{
        Scope,
        scope::{ScopeColumns, push_scope},
    },
    db::Statement,
    paging::PageRequest,
    time::to_china,
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

/// Alerts raised by one sale or refused attempt, as a part of its statement.
pub struct NewAlerts {
    pub district_code: String,
    pub pharmacy_id: Uuid,
    pub buyer_id_index: Vec<u8>,
    pub registration_id: Option<Uuid>,
    pub refused_attempt_id: Option<Uuid>,
    /// `(kind, detail)` of each alert.
    pub alerts: Vec<(&'static str, serde_json::Value)>,
}

impl NewAlerts {
    pub fn push_parts(self, stmt: &mut Statement<'_>) {
        if self.alerts.is_empty() {
            return;
        }
        let ids: Vec<Uuid> = self.alerts.iter().map(|_| Uuid::now_v7()).collect();
        let (kinds, details): (Vec<&'static str>, Vec<serde_json::Value>) =
            self.alerts.into_iter().unzip();
        stmt.part("alerts_raised", |qb| {
            qb.push(
                "INSERT INTO alert (alert_id, kind, district_code, pharmacy_id, buyer_id_index, registration_id, refused_attempt_id, detail)
                 SELECT a.id, a.kind, ",
            )
            .push_bind(self.district_code)
            .push(", ")
            .push_bind(self.pharmacy_id)
            .push(", ")
            .push_bind(self.buyer_id_index)
            .push(", ")
            .push_bind(self.registration_id)
            .push(", ")
            .push_bind(self.refused_attempt_id)
            .push(", a.detail FROM unnest(")
            .push_bind(ids)
            .push("::uuid[], ")
            .push_bind(kinds)
            .push("::text[], ")
            .push_bind(details)
            .push("::jsonb[]) AS a(id, kind, detail)");
        });
    }
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
        ScopeColumns {
            pharmacy_id: "c.pharmacy_id",
            district_code: "c.district_code",
        },
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
