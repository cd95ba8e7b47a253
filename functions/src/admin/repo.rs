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
