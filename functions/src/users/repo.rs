use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool, QueryBuilder};
use uuid::Uuid;

use shared::{auth::Role, paging::PageRequest};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub user_id: Uuid,
    pub role: Role,
    pub display_name: String,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub pharmacy_id: Option<Uuid>,
    pub pharmacy_name: Option<String>,
    pub district_code: Option<String>,
    pub department_id: Option<Uuid>,
    pub status: shared::domain::UserStatus,
    pub bound: bool,
    pub must_change_password: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT u.user_id, u.role, u.display_name, u.username, u.phone, u.pharmacy_id, p.name AS pharmacy_name,
        u.district_code, u.department_id, u.status, u.wechat_openid IS NOT NULL AS bound, u.must_change_password, u.last_login_at, u.created_at
    FROM app_user u LEFT JOIN pharmacy p ON p.pharmacy_id = u.pharmacy_id";

#[derive(Debug, Default)]
pub struct Filter {
    pub role: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub pharmacy_id: Option<Uuid>,
    pub district_code: Option<String>,
}

pub async fn list(
    db: &PgPool,
    f: &Filter,
    page: PageRequest,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let build = |select: &'static str| {
        let mut qb = QueryBuilder::new(select);
        qb.push(" WHERE TRUE");
        if let Some(r) = &f.role {
            qb.push(" AND u.role = ").push_bind(r.clone());
        }
        if let Some(s) = &f.status {
            qb.push(" AND u.status = ").push_bind(s.clone());
        }
        if let Some(q) = &f.q {
            let pattern = shared::db::contains_pattern(q);
            qb.push(" AND (u.display_name ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR u.username ILIKE ")
                .push_bind(pattern)
                .push(")");
        }
        if let Some(p) = f.pharmacy_id {
            qb.push(" AND u.pharmacy_id = ").push_bind(p);
        }
        if let Some(d) = &f.district_code {
            qb.push(" AND (u.district_code = ")
                .push_bind(d.clone())
                .push(" OR p.district_code = ")
                .push_bind(d.clone())
                .push(")");
        }
        qb
    };
    let total: i64 = build(
        "SELECT count(*) FROM app_user u LEFT JOIN pharmacy p ON p.pharmacy_id = u.pharmacy_id",
    )
    .build_query_scalar()
    .fetch_one(db)
    .await?;
    let mut qb = build(SELECT);
    qb.push(" ORDER BY u.created_at DESC, u.user_id LIMIT ")
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    Ok((qb.build_query_as().fetch_all(db).await?, total))
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    // [`SELECT`], checked at compile time.
    sqlx::query_as!(
        UserRow,
        r#"SELECT u.user_id, u.role AS "role: Role", u.display_name, u.username, u.phone, u.pharmacy_id,
               p.name AS "pharmacy_name?", u.district_code, u.department_id, u.status AS "status: shared::domain::UserStatus",
               u.wechat_openid IS NOT NULL AS "bound!", u.must_change_password, u.last_login_at, u.created_at
           FROM app_user u LEFT JOIN pharmacy p ON p.pharmacy_id = u.pharmacy_id
           WHERE u.user_id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

pub struct NewUser<'a> {
    pub role: &'a str,
    pub display_name: &'a str,
    pub username: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub pharmacy_id: Option<Uuid>,
    pub district_code: Option<&'a str>,
    pub department_id: Option<Uuid>,
    pub phone: Option<&'a str>,
}

pub async fn insert(conn: &mut PgConnection, u: NewUser<'_>) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!("INSERT INTO app_user (user_id, role, display_name, username, password_hash, must_change_password, pharmacy_id, district_code, phone, department_id)
         VALUES ($1, $2, $3, $4, $5::text, $5::text IS NOT NULL, $6, $7, $8, $9) RETURNING user_id", Uuid::now_v7(), u.role, u.display_name, u.username, u.password_hash, u.pharmacy_id, u.district_code, u.phone, u.department_id)
    .fetch_one(conn)
    .await
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    // A deactivated account also frees its WeChat binding.
    sqlx::query!(
        "UPDATE app_user SET status = $2,
             wechat_openid = CASE WHEN $2 = 'inactive' THEN NULL ELSE wechat_openid END,
             wechat_unionid = CASE WHEN $2 = 'inactive' THEN NULL ELSE wechat_unionid END
         WHERE user_id = $1",
        id,
        status
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn reset_password(
    conn: &mut PgConnection,
    id: Uuid,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE app_user SET password_hash = $2, must_change_password = true WHERE user_id = $1",
        id,
        hash
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn unbind_wechat(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE app_user SET wechat_openid = NULL, wechat_unionid = NULL WHERE user_id = $1",
        id
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn update_profile(
    conn: &mut PgConnection,
    id: Uuid,
    name: Option<&str>,
    phone: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE app_user SET display_name = coalesce($2, display_name), phone = coalesce($3, phone) WHERE user_id = $1", id, name, phone)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Moves an approver to another department.
pub async fn set_department(
    conn: &mut PgConnection,
    id: Uuid,
    department_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE app_user SET department_id = $2 WHERE user_id = $1",
        id,
        department_id
    )
    .execute(conn)
    .await
    .map(|_| ())
}
