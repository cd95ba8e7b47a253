use chrono::{DateTime, Utc};
use shared::auth::Role;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub user_id: Uuid,
    pub role: Role,
    pub display_name: String,
    pub phone: Option<String>,
    pub status: shared::domain::UserStatus,
    pub bound: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub invite_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `sqlx::query_as!` of a [`StaffRow`]: the one SELECT, then `$rest`.
macro_rules! select_staff {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            StaffRow,
            r#"SELECT u.user_id, u.role AS "role: Role", u.display_name, u.phone, u.status AS "status: shared::domain::UserStatus",
                   u.wechat_openid IS NOT NULL AS "bound!", u.last_login_at, u.created_at,
                   (SELECT max(i.expires_at) FROM invite i
                    WHERE i.user_id = u.user_id AND i.used_at IS NULL AND i.expires_at > now()) AS invite_expires_at
               FROM app_user u "# + $rest
            $(, $arg)*
        )
    };
}

/// Active staff of one pharmacy.
pub async fn list(db: &PgPool, pharmacy_id: Uuid) -> Result<Vec<StaffRow>, sqlx::Error> {
    select_staff!(
        "WHERE u.pharmacy_id = $1 AND u.status = 'active' ORDER BY u.role DESC, u.created_at",
        pharmacy_id
    )
    .fetch_all(db)
    .await
}

/// A member of this pharmacy (another pharmacy's staff are not found).
pub async fn get(
    conn: &mut PgConnection,
    pharmacy_id: Uuid,
    user_id: Uuid,
) -> Result<Option<StaffRow>, sqlx::Error> {
    select_staff!(
        "WHERE u.pharmacy_id = $1 AND u.user_id = $2 AND u.status = 'active' FOR UPDATE OF u",
        pharmacy_id,
        user_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn create_clerk(
    conn: &mut PgConnection,
    pharmacy_id: Uuid,
    name: &str,
    phone: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!("INSERT INTO app_user (user_id, role, display_name, pharmacy_id, phone) VALUES ($1, 'clerk', $2, $3, $4) RETURNING user_id", Uuid::now_v7(), name, pharmacy_id, phone)
    .fetch_one(conn)
    .await
}

/// Deactivates and unbinds (the WeChat account may be bound again elsewhere).
pub async fn remove(conn: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE app_user SET status = 'inactive', wechat_openid = NULL, wechat_unionid = NULL WHERE user_id = $1", user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("UPDATE invite SET expires_at = now() WHERE user_id = $1 AND used_at IS NULL AND expires_at > now()", user_id)
        .execute(conn)
        .await
        .map(|_| ())
}
