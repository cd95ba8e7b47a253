//! Queries of organisations, departments and grants.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

shared::text_enum! {
    /// `organisation.kind`.
    pub enum OrganisationKind {
        /// The city bureau (市局).
        City = "city",
        /// A district bureau (区局), bound to its district.
        District = "district",
        /// An institute, e.g. a supervision institute (监督所).
        Institute = "institute",
        Other = "other",
    }
}

#[derive(Debug, Clone)]
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

/// `sqlx::query_as!` of an [`OrganisationRow`]: the one SELECT, then `$rest`.
macro_rules! select_organisation {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            OrganisationRow,
            r#"SELECT o.organisation_id, o.parent_id, o.name, o.uscc, o.division_code, o.district_code,
                   o.kind AS "kind: OrganisationKind",
                   (SELECT count(*) FROM department d WHERE d.organisation_id = o.organisation_id) AS "departments!",
                   o.created_at
               FROM organisation o "# + $rest
            $(, $arg)*
        )
    };
}

pub async fn organisations(db: &PgPool) -> Result<Vec<OrganisationRow>, sqlx::Error> {
    select_organisation!("ORDER BY o.division_code, o.kind, o.name")
        .fetch_all(db)
        .await
}

pub async fn organisation(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<OrganisationRow>, sqlx::Error> {
    select_organisation!("WHERE o.organisation_id = $1", id)
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
    sqlx::query_scalar!(
        "INSERT INTO organisation (organisation_id, parent_id, name, uscc, division_code, kind)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING organisation_id",
        Uuid::now_v7(),
        o.parent_id,
        o.name,
        o.uscc,
        o.division_code,
        o.kind.as_str()
    )
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
    sqlx::query_scalar!(
        r#"SELECT $2 IN (SELECT organisation_subtree($1)) AS "within!""#,
        id,
        candidate
    )
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
    sqlx::query!("UPDATE organisation SET name = coalesce($2, name), parent_id = coalesce($3, parent_id), uscc = coalesce($4, uscc)
         WHERE organisation_id = $1", id, name, parent_id, uscc)
    .execute(conn)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct DepartmentRow {
    pub department_id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

/// `sqlx::query_as!` of a [`DepartmentRow`]: the one SELECT, then `$rest`.
macro_rules! select_department {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            DepartmentRow,
            r#"SELECT d.department_id, d.organisation_id, d.name,
                   (SELECT count(*) FROM app_user u WHERE u.department_id = d.department_id) AS "members!",
                   d.created_at
               FROM department d "# + $rest
            $(, $arg)*
        )
    };
}

pub async fn departments(
    db: &PgPool,
    organisation_id: Option<Uuid>,
) -> Result<Vec<DepartmentRow>, sqlx::Error> {
    select_department!(
        "WHERE $1::uuid IS NULL OR d.organisation_id = $1 ORDER BY d.organisation_id, d.name",
        organisation_id
    )
    .fetch_all(db)
    .await
}

pub async fn department(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<DepartmentRow>, sqlx::Error> {
    select_department!("WHERE d.department_id = $1", id)
        .fetch_optional(conn)
        .await
}

pub async fn insert_department(
    conn: &mut PgConnection,
    organisation_id: Uuid,
    name: &str,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!("INSERT INTO department (department_id, organisation_id, name) VALUES ($1, $2, $3) RETURNING department_id", Uuid::now_v7(), organisation_id, name)
    .fetch_one(conn)
    .await
}

pub async fn rename_department(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE department SET name = $2 WHERE department_id = $1",
        id,
        name
    )
    .execute(conn)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct GrantRow {
    pub grant_id: Uuid,
    pub user_id: Uuid,
    pub item_code: Option<String>,
    pub business_line: Option<String>,
    pub step: String,
    pub created_at: DateTime<Utc>,
}

pub async fn grants(db: &PgPool, user_id: Option<Uuid>) -> Result<Vec<GrantRow>, sqlx::Error> {
    sqlx::query_as!(
        GrantRow,
        "SELECT grant_id, user_id, item_code, business_line, step, created_at FROM approval_grant
         WHERE $1::uuid IS NULL OR user_id = $1 ORDER BY user_id, created_at",
        user_id
    )
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
    sqlx::query_as!(
        GrantRow,
        "INSERT INTO approval_grant (grant_id, user_id, item_code, business_line, step, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING grant_id, user_id, item_code, business_line, step, created_at",
        Uuid::now_v7(),
        g.user_id,
        g.item_code,
        g.business_line,
        g.step,
        g.created_by
    )
    .fetch_one(conn)
    .await
}

/// Deletes a grant; returns it, when there was one.
pub async fn delete_grant(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<GrantRow>, sqlx::Error> {
    sqlx::query_as!(
        GrantRow,
        "DELETE FROM approval_grant WHERE grant_id = $1
         RETURNING grant_id, user_id, item_code, business_line, step, created_at",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Serialises changes of the tree's shape until the transaction ends.
pub async fn lock_tree(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('yaojian:organisation-tree'))")
        .fetch_one(conn)
        .await
        .map(|_| ())
}

/// The role of a user, when there is one.
pub async fn role_of(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT role FROM app_user WHERE user_id = $1", user_id)
        .fetch_optional(conn)
        .await
}
