//! Queries of organisations, departments and grants.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// `organisation.kind`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    poem_openapi::Enum,
    sqlx::Type,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum OrganisationKind {
    /// The city bureau (市局).
    City,
    /// A district bureau (区局), bound to its district.
    District,
    /// An institute, e.g. a supervision institute (监督所).
    Institute,
    Other,
}

#[derive(Debug, Clone, FromRow)]
pub struct OrganisationRow {
    pub organisation_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub uscc: Option<String>,
    pub division_code: String,
    pub district_code: Option<String>,
    pub kind: OrganisationKind,
    pub departments: i64,
    pub created_at: DateTime<Utc>,
}

const SELECT_ORGANISATION: &str = "SELECT o.organisation_id, o.parent_id, o.name, o.uscc, o.division_code, o.district_code, o.kind,
        (SELECT count(*) FROM department d WHERE d.organisation_id = o.organisation_id) AS departments, o.created_at
    FROM organisation o";

pub async fn organisations(db: &PgPool) -> Result<Vec<OrganisationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_ORGANISATION} ORDER BY o.division_code, o.kind, o.name"
    ))
    .fetch_all(db)
    .await
}

pub async fn organisation(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<OrganisationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_ORGANISATION} WHERE o.organisation_id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct NewOrganisation<'a> {
    pub parent_id: Option<Uuid>,
    pub name: &'a str,
    pub uscc: Option<&'a str>,
    pub division_code: &'a str,
    pub kind: OrganisationKind,
}

pub async fn insert_organisation(
    conn: &mut PgConnection,
    o: NewOrganisation<'_>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO organisation (organisation_id, parent_id, name, uscc, division_code, kind)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING organisation_id",
    )
    .bind(Uuid::now_v7())
    .bind(o.parent_id)
    .bind(o.name)
    .bind(o.uscc)
    .bind(o.division_code)
    .bind(o.kind)
    .fetch_one(conn)
    .await
}

/// Whether `candidate` is `id` or lies under it (a parent there would make a
/// cycle).
pub async fn is_within(
    conn: &mut PgConnection,
    id: Uuid,
    candidate: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT $2 IN (SELECT organisation_subtree($1))")
        .bind(id)
        .bind(candidate)
        .fetch_one(conn)
        .await
}

pub async fn update_organisation(
    conn: &mut PgConnection,
    id: Uuid,
    name: Option<&str>,
    parent_id: Option<Uuid>,
    uscc: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE organisation SET name = coalesce($2, name), parent_id = coalesce($3, parent_id), uscc = coalesce($4, uscc)
         WHERE organisation_id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(parent_id)
    .bind(uscc)
    .execute(conn)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, FromRow)]
pub struct DepartmentRow {
    pub department_id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

const SELECT_DEPARTMENT: &str = "SELECT d.department_id, d.organisation_id, d.name,
        (SELECT count(*) FROM app_user u WHERE u.department_id = d.department_id) AS members, d.created_at
    FROM department d";

pub async fn departments(
    db: &PgPool,
    organisation_id: Option<Uuid>,
) -> Result<Vec<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_DEPARTMENT} WHERE $1::uuid IS NULL OR d.organisation_id = $1 ORDER BY d.organisation_id, d.name"
    ))
    .bind(organisation_id)
    .fetch_all(db)
    .await
}

pub async fn department(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_DEPARTMENT} WHERE d.department_id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn insert_department(
    conn: &mut PgConnection,
    organisation_id: Uuid,
    name: &str,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO department (department_id, organisation_id, name) VALUES ($1, $2, $3) RETURNING department_id",
    )
    .bind(Uuid::now_v7())
    .bind(organisation_id)
    .bind(name)
    .fetch_one(conn)
    .await
}

pub async fn rename_department(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE department SET name = $2 WHERE department_id = $1")
        .bind(id)
        .bind(name)
        .execute(conn)
        .await
        .map(|_| ())
}

#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub grant_id: Uuid,
    pub user_id: Uuid,
    pub item_code: Option<String>,
    pub business_line: Option<String>,
    pub step: String,
    pub created_at: DateTime<Utc>,
}

pub async fn grants(db: &PgPool, user_id: Option<Uuid>) -> Result<Vec<GrantRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT grant_id, user_id, item_code, business_line, step, created_at FROM approval_grant
         WHERE $1::uuid IS NULL OR user_id = $1 ORDER BY user_id, created_at",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

pub struct NewGrant<'a> {
    pub user_id: Uuid,
    pub item_code: Option<&'a str>,
    pub business_line: Option<&'a str>,
    pub step: &'a str,
    pub created_by: Uuid,
}

pub async fn insert_grant(
    conn: &mut PgConnection,
    g: NewGrant<'_>,
) -> Result<GrantRow, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO approval_grant (grant_id, user_id, item_code, business_line, step, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING grant_id, user_id, item_code, business_line, step, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(g.user_id)
    .bind(g.item_code)
    .bind(g.business_line)
    .bind(g.step)
    .bind(g.created_by)
    .fetch_one(conn)
    .await
}

/// Deletes a grant; returns whether there was one.
pub async fn delete_grant(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM approval_grant WHERE grant_id = $1")
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The role of a user, when there is one.
pub async fn role_of(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT role FROM app_user WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}
