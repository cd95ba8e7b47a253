use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use shared::auth::{Caller, Role};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub user_id: Uuid,
    pub role: Role,
    pub display_name: String,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub pharmacy_id: Option<Uuid>,
    pub pharmacy_name: Option<String>,
    pub district_code: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub status: shared::domain::UserStatus,
}

impl UserRow {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.user_id,
            role: self.role(),
            pharmacy_id: self.pharmacy_id,
            district_code: self.district_code.clone(),
            organisation_id: self.organisation_id,
            department_id: self.department_id,
            must_change_password: self.must_change_password,
            session_key: String::new(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == shared::domain::UserStatus::Active
    }
}

/// `sqlx::query_as!` of a [`UserRow`] with `$where` after the one SELECT
/// every look-up shares (checked at compile time like any `query!`).
macro_rules! select_user {
    ($where:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            UserRow,
            r#"SELECT u.user_id, u.role AS "role: Role", u.display_name, u.username, u.password_hash,
                   u.must_change_password, u.pharmacy_id, p.name AS "pharmacy_name?", u.district_code,
                   coalesce(dep.organisation_id, bureau.organisation_id) AS organisation_id,
                   u.department_id, u.status AS "status: shared::domain::UserStatus"
               FROM app_user u LEFT JOIN pharmacy p ON p.pharmacy_id = u.pharmacy_id
                   LEFT JOIN department dep ON dep.department_id = u.department_id
                   LEFT JOIN organisation bureau ON bureau.district_code = u.district_code "#
                + $where
            $(, $arg)*
        )
    };
}

pub async fn by_username(db: &PgPool, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
    select_user!("WHERE lower(u.username) = lower($1)", username.trim())
        .fetch_optional(db)
        .await
}

pub async fn by_openid(db: &PgPool, openid: &str) -> Result<Option<UserRow>, sqlx::Error> {
    select_user!("WHERE u.wechat_openid = $1", openid)
        .fetch_optional(db)
        .await
}

pub async fn by_id(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    select_user!("WHERE u.user_id = $1", user_id)
        .fetch_optional(conn)
        .await
}

pub async fn touch_login(conn: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE app_user SET last_login_at = now() WHERE user_id = $1",
        user_id
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Binds a WeChat account; false when the user already has one.
pub async fn bind_wechat(
    conn: &mut PgConnection,
    user_id: Uuid,
    openid: &str,
    unionid: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE app_user SET wechat_openid = $2, wechat_unionid = $3, last_login_at = now()
         WHERE user_id = $1 AND wechat_openid IS NULL AND status = 'active'",
        user_id,
        openid,
        unionid
    )
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_password(
    conn: &mut PgConnection,
    user_id: Uuid,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE app_user SET password_hash = $2, must_change_password = false WHERE user_id = $1",
        user_id,
        hash
    )
    .execute(conn)
    .await
    .map(|_| ())
}
