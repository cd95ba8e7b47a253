use chrono::{DateTime, Utc};
use shared::alerts::{AlertKind, AlertStatus};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use shared::{
    auth::{
        Scope,
        scope::{ScopeColumns, scoped_select},
    },
    paging::PageRequest,
};

pub const SCOPE: ScopeColumns = ScopeColumns::pharmacy("a.pharmacy_id", "a.district_code");

#[derive(Debug, Clone, FromRow)]
pub struct AlertRow {
    pub alert_id: Uuid,
    pub kind: AlertKind,
    pub status: AlertStatus,
    pub district_code: Option<String>,
    pub pharmacy_id: Option<Uuid>,
    pub pharmacy_name: Option<String>,
    pub registration_id: Option<Uuid>,
    pub refused_attempt_id: Option<Uuid>,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<Uuid>,
    pub resolution_note: Option<String>,
}

const SELECT: &str = "SELECT a.alert_id, a.kind, a.status, a.district_code, a.pharmacy_id, p.name AS pharmacy_name,
        a.registration_id, a.refused_attempt_id, a.detail, a.created_at, a.resolved_at, a.resolved_by, a.resolution_note
    FROM alert a LEFT JOIN pharmacy p ON p.pharmacy_id = a.pharmacy_id";

#[derive(Debug, Default)]
pub struct Filter {
    pub kind: Option<AlertKind>,
    pub status: Option<AlertStatus>,
    pub pharmacy_id: Option<Uuid>,
    pub district: Option<String>,
}

pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    page: PageRequest,
) -> Result<(Vec<AlertRow>, i64), sqlx::Error> {
    let build = |select: &'static str| {
        let mut qb = scoped_select(scope, SCOPE, select);
        if let Some(k) = &f.kind {
            qb.push(" AND a.kind = ").push_bind(*k);
        }
        if let Some(s) = &f.status {
            qb.push(" AND a.status = ").push_bind(*s);
        }
        if let Some(p) = f.pharmacy_id {
            qb.push(" AND a.pharmacy_id = ").push_bind(p);
        }
        if let Some(d) = &f.district {
            qb.push(" AND a.district_code = ").push_bind(d.clone());
        }
        qb
    };
    let total: i64 = build("SELECT count(*) FROM alert a")
        .build_query_scalar()
        .fetch_one(db)
        .await?;
    let mut qb = build(SELECT);
    qb.push(" ORDER BY a.created_at DESC, a.alert_id DESC LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    Ok((qb.build_query_as().fetch_all(db).await?, total))
}

/// One alert within the scope, locked for an update.
pub async fn get_for_update(
    conn: &mut PgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<AlertRow>, sqlx::Error> {
    let mut qb = scoped_select(scope, SCOPE, SELECT);
    qb.push(" AND a.alert_id = ")
        .push_bind(id)
        .push(" FOR UPDATE OF a");
    qb.build_query_as().fetch_optional(conn).await
}

pub async fn resolve(
    conn: &mut PgConnection,
    id: Uuid,
    by: Uuid,
    note: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE alert SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution_note = $3 WHERE alert_id = $1", id, by, note)
        .execute(conn)
        .await
        .map(|_| ())
}
