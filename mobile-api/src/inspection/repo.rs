use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use shared::{
    auth::{
        Scope,
        scope::{ScopeColumns, scoped_select},
    },
    paging::PageRequest,
};

pub const PHARMACY_SCOPE: ScopeColumns = ScopeColumns::pharmacy("p.pharmacy_id", "p.district_code");
pub const INSPECTION_SCOPE: ScopeColumns =
    ScopeColumns::pharmacy("i.pharmacy_id", "i.district_code");

#[derive(Debug, Clone, FromRow)]
pub struct PharmacyRow {
    pub pharmacy_id: Uuid,
    pub name: String,
    pub licence_number: String,
    pub uscc: Option<String>,
    pub district_code: String,
    pub district_name: String,
    pub address: String,
    pub contact_phone: String,
    pub status: String,
    pub registrations_30d: i64,
    pub refused_30d: i64,
    pub open_alerts: i64,
    pub last_inspected_at: Option<DateTime<Utc>>,
}

const SELECT_PHARMACY: &str = "SELECT p.pharmacy_id, p.name, p.licence_number, p.uscc, p.district_code, d.name AS district_name,
        p.address, p.contact_phone, p.status,
        (SELECT count(*) FROM registration r WHERE r.pharmacy_id = p.pharmacy_id AND r.created_at > now() - interval '30 days') AS registrations_30d,
        (SELECT count(*) FROM refused_attempt f WHERE f.pharmacy_id = p.pharmacy_id AND f.created_at > now() - interval '30 days') AS refused_30d,
        (SELECT count(*) FROM alert a WHERE a.pharmacy_id = p.pharmacy_id AND a.status = 'open') AS open_alerts,
        (SELECT max(i.inspected_at) FROM inspection i WHERE i.pharmacy_id = p.pharmacy_id) AS last_inspected_at
    FROM pharmacy p JOIN district d ON d.district_code = p.district_code";

/// Name, licence number or address contains `q`.
pub async fn search(
    db: &PgPool,
    scope: &Scope,
    q: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<PharmacyRow>, i64), sqlx::Error> {
    let pattern = q.map(shared::db::contains_pattern);
    let build = |select: &'static str| {
        let mut qb = scoped_select(scope, PHARMACY_SCOPE, select);
        if let Some(p) = &pattern {
            qb.push(" AND (p.name ILIKE ").push_bind(p.clone());
            qb.push(" OR p.licence_number ILIKE ").push_bind(p.clone());
            qb.push(" OR p.address ILIKE ")
                .push_bind(p.clone())
                .push(")");
        }
        qb
    };
    let total: i64 = build("SELECT count(*) FROM pharmacy p")
        .build_query_scalar()
        .fetch_one(db)
        .await?;
    let mut qb = build(SELECT_PHARMACY);
    qb.push(" ORDER BY p.name, p.pharmacy_id LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    Ok((qb.build_query_as().fetch_all(db).await?, total))
}

pub async fn pharmacy(
    conn: &mut PgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<PharmacyRow>, sqlx::Error> {
    let mut qb = scoped_select(scope, PHARMACY_SCOPE, SELECT_PHARMACY);
    qb.push(" AND p.pharmacy_id = ").push_bind(id);
    qb.build_query_as().fetch_optional(conn).await
}

#[derive(Debug, Clone, FromRow)]
pub struct RefusedRow {
    pub refused_attempt_id: Uuid,
    pub code: String,
    pub clerk_user_id: Uuid,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

pub async fn refused_recent(
    conn: &mut PgConnection,
    pharmacy_id: Uuid,
) -> Result<Vec<RefusedRow>, sqlx::Error> {
    sqlx::query_as!(
        RefusedRow,
        "SELECT refused_attempt_id, code, clerk_user_id, detail, created_at FROM refused_attempt
         WHERE pharmacy_id = $1 AND created_at > now() - interval '30 days' ORDER BY created_at DESC LIMIT 100",
        pharmacy_id
    )
    .fetch_all(conn)
    .await
}

shared::text_enum! {
    pub enum InspectionResult {
        Compliant = "compliant",
        IssuesFound = "issues_found",
    }
}

shared::text_enum! {
    pub enum Disposition {
        None = "none",
        /// 责令整改
        Rectify = "rectify",
        /// 警告
        Warning = "warning",
        /// 立案
        CaseOpened = "case_opened",
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct InspectionRow {
    pub inspection_id: Uuid,
    pub pharmacy_id: Uuid,
    pub pharmacy_name: String,
    pub district_code: String,
    pub inspector_id: Uuid,
    pub inspector_name: String,
    pub result: InspectionResult,
    pub findings: String,
    pub disposition: Disposition,
    pub inspected_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

const SELECT_INSPECTION: &str = "SELECT i.inspection_id, i.pharmacy_id, p.name AS pharmacy_name, i.district_code, i.inspector_id,
        u.display_name AS inspector_name, i.result, i.findings, i.disposition, i.inspected_at, i.created_at
    FROM inspection i JOIN pharmacy p ON p.pharmacy_id = i.pharmacy_id JOIN app_user u ON u.user_id = i.inspector_id";

pub async fn inspections(
    db: &PgPool,
    scope: &Scope,
    pharmacy_id: Option<Uuid>,
    page: PageRequest,
) -> Result<(Vec<InspectionRow>, i64), sqlx::Error> {
    let build = |select: &'static str| {
        let mut qb = scoped_select(scope, INSPECTION_SCOPE, select);
        if let Some(p) = pharmacy_id {
            qb.push(" AND i.pharmacy_id = ").push_bind(p);
        }
        qb
    };
    let total: i64 = build("SELECT count(*) FROM inspection i")
        .build_query_scalar()
        .fetch_one(db)
        .await?;
    let mut qb = build(SELECT_INSPECTION);
    qb.push(" ORDER BY i.inspected_at DESC, i.inspection_id DESC LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    Ok((qb.build_query_as().fetch_all(db).await?, total))
}

pub async fn inspection(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<InspectionRow>, sqlx::Error> {
    // [`SELECT_INSPECTION`], checked at compile time.
    sqlx::query_as!(
        InspectionRow,
        r#"SELECT i.inspection_id, i.pharmacy_id, p.name AS pharmacy_name, i.district_code, i.inspector_id,
                u.display_name AS inspector_name, i.result AS "result: InspectionResult", i.findings,
                i.disposition AS "disposition: Disposition", i.inspected_at, i.created_at
         FROM inspection i JOIN pharmacy p ON p.pharmacy_id = i.pharmacy_id JOIN app_user u ON u.user_id = i.inspector_id
         WHERE i.inspection_id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

pub struct NewInspection<'a> {
    pub pharmacy_id: Uuid,
    pub district_code: &'a str,
    pub inspector_id: Uuid,
    pub result: &'a str,
    pub findings: &'a str,
    pub disposition: &'a str,
    pub inspected_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut PgConnection, n: NewInspection<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query!("INSERT INTO inspection (inspection_id, pharmacy_id, district_code, inspector_id, result, findings, disposition, inspected_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", id, n.pharmacy_id, n.district_code, n.inspector_id, n.result, n.findings, n.disposition, n.inspected_at)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Attaches the uploader's unattached photos; returns how many were attached.
pub async fn attach_photos(
    conn: &mut PgConnection,
    inspection_id: Uuid,
    uploader: Uuid,
    district: &str,
    photos: &[Uuid],
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "UPDATE inspection_photo SET inspection_id = $1, district_code = $3
         WHERE photo_id = ANY($4) AND uploaded_by = $2 AND inspection_id IS NULL",
        inspection_id,
        uploader,
        district,
        photos
    )
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn photos_of(
    conn: &mut PgConnection,
    inspection_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT inspection_id AS "inspection_id!", photo_id FROM inspection_photo
           WHERE inspection_id = ANY($1) ORDER BY created_at"#,
        inspection_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.inspection_id, r.photo_id))
        .collect())
}
