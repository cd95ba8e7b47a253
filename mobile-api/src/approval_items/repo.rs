//! Approval items and their versions (migration `approval_items`): a version
//! is written once and never changed; the item points at its current one.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::definition::Definition;

pub struct ItemRow {
    pub item_id: Uuid,
    pub code: String,
    pub current_version: i32,
    pub retired: bool,
    pub definition: Json<Definition>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct VersionRow {
    pub version: i32,
    pub definition: Json<Definition>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub async fn list(
    conn: &mut PgConnection,
    include_retired: bool,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as!(
        ItemRow,
        r#"SELECT i.item_id, i.code, i.current_version, i.retired,
                  v.definition AS "definition: Json<Definition>", i.created_at, i.updated_at
           FROM approval_item i
           JOIN approval_item_version v ON v.item_id = i.item_id AND v.version = i.current_version
           WHERE $1 OR NOT i.retired
           ORDER BY i.code"#,
        include_retired
    )
    .fetch_all(conn)
    .await
}

/// The item with its current definition; `lock` holds it for a new version.
pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<ItemRow>, sqlx::Error> {
    if lock {
        sqlx::query!(
            "SELECT item_id FROM approval_item WHERE item_id = $1 FOR UPDATE",
            id
        )
        .fetch_optional(&mut *conn)
        .await?;
    }
    sqlx::query_as!(
        ItemRow,
        r#"SELECT i.item_id, i.code, i.current_version, i.retired,
                  v.definition AS "definition: Json<Definition>", i.created_at, i.updated_at
           FROM approval_item i
           JOIN approval_item_version v ON v.item_id = i.item_id AND v.version = i.current_version
           WHERE i.item_id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn versions(conn: &mut PgConnection, id: Uuid) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as!(
        VersionRow,
        r#"SELECT version, definition AS "definition: Json<Definition>", created_by, created_at
           FROM approval_item_version WHERE item_id = $1 ORDER BY version"#,
        id
    )
    .fetch_all(conn)
    .await
}

/// A new item at version 1 (a taken code is `approval_item_code_key`).
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    code: &str,
    definition: &Definition,
    by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO approval_item (item_id, code, current_version) VALUES ($1, $2, 1)",
        id,
        code
    )
    .execute(&mut *conn)
    .await?;
    add_version(conn, id, 1, definition, by).await
}

/// Writes `version` and makes it current.
pub async fn add_version(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    definition: &Definition,
    by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO approval_item_version (item_id, version, definition, created_by) VALUES ($1, $2, $3, $4)",
        id,
        version,
        Json(definition) as _,
        by
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE approval_item SET current_version = $2 WHERE item_id = $1",
        id,
        version
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_retired(
    conn: &mut PgConnection,
    id: Uuid,
    retired: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE approval_item SET retired = $2 WHERE item_id = $1",
        id,
        retired
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Which of `ids` are departments.
pub async fn departments(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT department_id FROM department WHERE department_id = ANY($1)",
        ids
    )
    .fetch_all(conn)
    .await
}
