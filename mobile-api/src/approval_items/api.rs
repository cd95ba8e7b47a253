//! `/admin/approval-items` (SPEC §8.2): city admins define the items cases
//! are handled under. A change is a new version (the one a case was accepted
//! under stays as it was); a stale change — made on a version someone else
//! has since replaced — is refused with 409 `APPROVAL_ITEM_STALE`.

use chrono::{DateTime, FixedOffset};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::CityAdmin,
    body::JsonBody,
    codes,
    idempotency::{self, IdempotencyKey},
    time::to_china,
};

use super::{
    definition::Definition,
    repo::{self, ItemRow, VersionRow},
};

pub struct ApprovalItemsApi;

/// An item with its current definition.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct ApprovalItem {
    pub id: Uuid,
    pub code: String,
    /// The version new cases are accepted under.
    pub version: i32,
    /// Takes no new case; cases in flight finish under their version.
    pub retired: bool,
    pub definition: Definition,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<ItemRow> for ApprovalItem {
    fn from(r: ItemRow) -> Self {
        ApprovalItem {
            id: r.item_id,
            code: r.code,
            version: r.current_version,
            retired: r.retired,
            definition: r.definition.0,
            created_at: to_china(r.created_at),
            updated_at: to_china(r.updated_at),
        }
    }
}

/// One version of an item, as it was written.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ItemVersion {
    pub version: i32,
    pub definition: Definition,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<VersionRow> for ItemVersion {
    fn from(r: VersionRow) -> Self {
        ItemVersion {
            version: r.version,
            definition: r.definition.0,
            created_by: r.created_by,
            created_at: to_china(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct NewApprovalItem {
    /// Stable code (`A-Z a-z 0-9 _ . -`, 1–64): grants and the platform name it.
    pub code: String,
    pub definition: Definition,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ApprovalItemChange {
    /// The version this change was made on (the current one, or 409).
    pub base_version: i32,
    pub definition: Definition,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ApprovalItemStatus {
    pub retired: bool,
}

#[derive(ApiResponse)]
pub enum CreatedItem {
    /// Created at version 1 (or, for a repeated `Idempotency-Key`, the first answer).
    #[oai(status = 201)]
    Created(Json<ApprovalItem>),
}

fn not_found() -> ApiError {
    ApiError::of(codes::APPROVAL_ITEM_NOT_FOUND)
}

fn item_code(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    if (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        Ok(v.to_owned())
    } else {
        Err(ApiError::of(codes::ITEM_DEFINITION_INVALID).field(
            "code",
            codes::ITEM_DEFINITION_INVALID,
            "事项编码只能含字母、数字、点、下划线和连字符，1–64 位",
        ))
    }
}

/// The definition's checks, with the departments it names looked up.
async fn checked(conn: &mut sqlx::PgConnection, definition: &Definition) -> Result<(), ApiError> {
    let named: Vec<Uuid> = definition
        .steps
        .iter()
        .filter_map(|s| s.department_id)
        .collect();
    let known = repo::departments(conn, &named).await?;
    definition.check(|d| known.contains(&d))
}

#[OpenApi]
impl ApprovalItemsApi {
    /// The approval items with their current definitions
    #[oai(
        path = "/admin/approval-items",
        method = "get",
        operation_id = "admin_approval_items"
    )]
    #[tracing::instrument(name = "admin.approval_items", skip_all)]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        /// Include retired items.
        retired: Query<Option<bool>>,
    ) -> Result<Json<Vec<ApprovalItem>>, ApiError> {
        let mut conn = state.db.acquire().await?;
        let rows = repo::list(&mut conn, retired.0.unwrap_or(false)).await?;
        Ok(Json(rows.into_iter().map(ApprovalItem::from).collect()))
    }

    /// Define a new item (version 1)
    #[oai(
        path = "/admin/approval-items",
        method = "post",
        operation_id = "admin_approval_item_create"
    )]
    #[tracing::instrument(name = "admin.approval_item_create", skip_all)]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewApprovalItem>,
    ) -> Result<CreatedItem, ApiError> {
        let code = item_code(&body.code)?;
        let created = idempotency::run(&state, auth.user_id, &key, &body.0, &[], async |tx| {
            checked(tx, &body.definition).await?;
            let id = Uuid::now_v7();
            // A taken code is 409 APPROVAL_ITEM_CODE_TAKEN (CONSTRAINT_RULES).
            repo::insert(tx, id, &code, &body.definition, Some(auth.user_id)).await?;
            Entry::by(&auth.0, Action::ApprovalItemCreate)
                .on(Stream::City)
                .object(id)
                .detail(json!({ "code": code, "version": 1 }))
                .append(tx)
                .await?;
            let row = repo::get(tx, id, false).await?.ok_or_else(not_found)?;
            Ok(ApprovalItem::from(row))
        })
        .await?;
        Ok(CreatedItem::Created(Json(created)))
    }

    /// One item with its current definition
    #[oai(
        path = "/admin/approval-items/:id",
        method = "get",
        operation_id = "admin_approval_item"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        id: Path<Uuid>,
    ) -> Result<Json<ApprovalItem>, ApiError> {
        let mut conn = state.db.acquire().await?;
        let row = repo::get(&mut conn, id.0, false)
            .await?
            .ok_or_else(not_found)?;
        Ok(Json(ApprovalItem::from(row)))
    }

    /// Change an item: its definition becomes a new version
    #[oai(
        path = "/admin/approval-items/:id",
        method = "put",
        operation_id = "admin_approval_item_update"
    )]
    #[tracing::instrument(name = "admin.approval_item_update", skip_all)]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        id: Path<Uuid>,
        body: JsonBody<ApprovalItemChange>,
    ) -> Result<Json<ApprovalItem>, ApiError> {
        let mut tx = state.db.begin().await?;
        let current = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or_else(not_found)?;
        if body.base_version != current.current_version {
            return Err(ApiError::of(codes::APPROVAL_ITEM_STALE).field(
                "base_version",
                codes::APPROVAL_ITEM_STALE,
                format!("当前版本为 {}", current.current_version),
            ));
        }
        checked(&mut tx, &body.definition).await?;
        if body.definition == current.definition.0 {
            // Nothing changed: no version for it.
            tx.rollback().await?;
            return Ok(Json(ApprovalItem::from(current)));
        }
        let version = current.current_version + 1;
        repo::add_version(&mut tx, id.0, version, &body.definition, Some(auth.user_id)).await?;
        Entry::by(&auth.0, Action::ApprovalItemVersion)
            .on(Stream::City)
            .object(id.0)
            .detail(json!({ "code": current.code, "version": version }))
            .append(&mut tx)
            .await?;
        let row = repo::get(&mut tx, id.0, false)
            .await?
            .ok_or_else(not_found)?;
        tx.commit().await?;
        Ok(Json(ApprovalItem::from(row)))
    }

    /// Every version of an item, oldest first
    #[oai(
        path = "/admin/approval-items/:id/versions",
        method = "get",
        operation_id = "admin_approval_item_versions"
    )]
    async fn versions(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<ItemVersion>>, ApiError> {
        let mut conn = state.db.acquire().await?;
        repo::get(&mut conn, id.0, false)
            .await?
            .ok_or_else(not_found)?;
        let rows = repo::versions(&mut conn, id.0).await?;
        Ok(Json(rows.into_iter().map(ItemVersion::from).collect()))
    }

    /// Retire an item (no new cases) or bring it back
    #[oai(
        path = "/admin/approval-items/:id/status",
        method = "put",
        operation_id = "admin_approval_item_status"
    )]
    #[tracing::instrument(name = "admin.approval_item_status", skip_all)]
    async fn status(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        id: Path<Uuid>,
        body: JsonBody<ApprovalItemStatus>,
    ) -> Result<Json<ApprovalItem>, ApiError> {
        let mut tx = state.db.begin().await?;
        let current = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or_else(not_found)?;
        if current.retired != body.retired {
            repo::set_retired(&mut tx, id.0, body.retired).await?;
            Entry::by(&auth.0, Action::ApprovalItemRetire)
                .on(Stream::City)
                .object(id.0)
                .detail(json!({ "code": current.code, "retired": body.retired }))
                .append(&mut tx)
                .await?;
        }
        let row = repo::get(&mut tx, id.0, false)
            .await?
            .ok_or_else(not_found)?;
        tx.commit().await?;
        Ok(Json(ApprovalItem::from(row)))
    }
}
