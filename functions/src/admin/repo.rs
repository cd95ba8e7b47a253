use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use shared::paging::PageRequest;

#[derive(Debug, FromRow)]
pub struct AuditRow {
    pub audit_log_id: i64,
    pub stream: String,
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub stream: Option<String>,
    pub actor_user_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, f: &AuditFilter) {
    qb.push(" WHERE TRUE");
    if let Some(a) = &f.action {
        qb.push(" AND action = ").push_bind(a.clone());
    }
    if let Some(s) = &f.stream {
        qb.push(" AND stream = ").push_bind(s.clone());
    }
    if let Some(u) = f.actor_user_id {
        qb.push(" AND actor_user_id = ").push_bind(u);
    }
    if let Some(t) = f.from {
        qb.push(" AND created_at >= ").push_bind(t);
    }
    if let Some(t) = f.to {
        qb.push(" AND created_at < ").push_bind(t);
    }
}

pub async fn list(
    db: &PgPool,
    f: &AuditFilter,
    page: PageRequest,
) -> Result<(Vec<AuditRow>, i64), sqlx::Error> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM audit_log");
    push_filters(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    let mut qb = QueryBuilder::new(
        "SELECT audit_log_id, stream, seq, created_at, actor_user_id, actor_role, action, object_type, object_id, detail FROM audit_log",
    );
    push_filters(&mut qb, f);
    qb.push(" ORDER BY created_at DESC, audit_log_id DESC LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    let rows = qb.build_query_as().fetch_all(db).await?;
    Ok((rows, total))
}

#[derive(Debug, FromRow)]
pub struct PharmacyRow {
    pub pharmacy_id: Uuid,
    pub name: String,
    pub licence_number: String,
    pub uscc: Option<String>,
    pub uscc_flagged: bool,
    pub district_code: String,
    pub address: String,
    pub contact_phone: String,
    pub status: shared::domain::PharmacyStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const PHARMACY_COLUMNS: &str = "pharmacy_id, name, licence_number, uscc, uscc_flagged, district_code, address, contact_phone, status, created_at, updated_at";

pub async fn pharmacies(
    db: &PgPool,
    q: Option<&str>,
    district: Option<&str>,
    status: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<PharmacyRow>, i64), sqlx::Error> {
    let build = |select: &str| {
        let mut qb = QueryBuilder::new(select.to_owned());
        qb.push(" WHERE TRUE");
        if let Some(q) = q {
            let p = shared::db::contains_pattern(q);
            qb.push(" AND (name ILIKE ")
                .push_bind(p.clone())
                .push(" OR licence_number ILIKE ")
                .push_bind(p.clone());
            qb.push(" OR address ILIKE ")
                .push_bind(p.clone())
                .push(" OR uscc ILIKE ")
                .push_bind(p)
                .push(")");
        }
        if let Some(d) = district {
            qb.push(" AND district_code = ").push_bind(d.to_owned());
        }
        if let Some(s) = status {
            qb.push(" AND status = ").push_bind(s.to_owned());
        }
        qb
    };
    let total: i64 = build("SELECT count(*) FROM pharmacy")
        .build_query_scalar()
        .fetch_one(db)
        .await?;
    let select = format!("SELECT {PHARMACY_COLUMNS} FROM pharmacy");
    let mut qb = build(&select);
    qb.push(" ORDER BY district_code, name, pharmacy_id LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    Ok((qb.build_query_as().fetch_all(db).await?, total))
}

pub async fn set_pharmacy_status(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    status: &str,
) -> Result<Option<PharmacyRow>, sqlx::Error> {
    sqlx::query_as!(
        PharmacyRow,
        r#"UPDATE pharmacy SET status = $2 WHERE pharmacy_id = $1
         RETURNING pharmacy_id, name, licence_number, uscc, uscc_flagged, district_code, address, contact_phone,
                   status AS "status: shared::domain::PharmacyStatus", created_at, updated_at"#,
        id,
        status
    )
    .fetch_optional(conn)
    .await
}
