//! `/admin/organisations`, `/admin/departments`, `/admin/grants` (SPEC §8.1):
//! city admins only. Every change is audited on the city's stream.

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
    domain::Uscc,
    idempotency::{self, IdempotencyKey},
    time::to_china,
};

use super::repo::{self, DepartmentRow, GrantRow, OrganisationKind, OrganisationRow};

pub struct OrganisationsApi;

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Organisation {
    pub id: Uuid,
    /// The organisation above it; absent at the top of the tree.
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub uscc: Option<String>,
    /// GB/T 2260 division of the area it serves.
    pub division_code: String,
    /// For a district bureau: the district whose pharmacies it supervises.
    pub district_code: Option<String>,
    pub kind: OrganisationKind,
    pub departments: i64,
    pub created_at: DateTime<FixedOffset>,
}

impl From<OrganisationRow> for Organisation {
    fn from(r: OrganisationRow) -> Self {
        Organisation {
            id: r.organisation_id,
            parent_id: r.parent_id,
            name: r.name,
            uscc: r.uscc,
            division_code: r.division_code,
            district_code: r.district_code,
            kind: r.kind,
            departments: r.departments,
            created_at: to_china(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub uscc: Option<String>,
    pub division_code: String,
    /// `institute` or `other`: the city and district bureaus come from the
    /// districts.
    pub kind: OrganisationKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChange {
    pub name: Option<String>,
    /// Move it under another organisation (not under itself or one below it).
    pub parent_id: Option<Uuid>,
    pub uscc: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct Department {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    /// Users (approvers) who belong to it.
    pub members: i64,
    pub created_at: DateTime<FixedOffset>,
}

impl From<DepartmentRow> for Department {
    fn from(r: DepartmentRow) -> Self {
        Department {
            id: r.department_id,
            organisation_id: r.organisation_id,
            name: r.name,
            members: r.members,
            created_at: to_china(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    pub organisation_id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct DepartmentChange {
    pub name: String,
}

/// 精细化审批授权: the user may act on `step` of one item (`item_code`) or of
/// every item of a business line (`business_line`) — exactly one of the two.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Grant {
    pub id: Uuid,
    pub user_id: Uuid,
    pub item_code: Option<String>,
    pub business_line: Option<String>,
    pub step: String,
    pub created_at: DateTime<FixedOffset>,
}

impl From<GrantRow> for Grant {
    fn from(r: GrantRow) -> Self {
        Grant {
            id: r.grant_id,
            user_id: r.user_id,
            item_code: r.item_code,
            business_line: r.business_line,
            step: r.step,
            created_at: to_china(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    /// An approver.
    pub user_id: Uuid,
    pub item_code: Option<String>,
    pub business_line: Option<String>,
    pub step: String,
}

#[derive(ApiResponse)]
pub enum CreatedOrganisation {
    /// Created (or, for a repeated `Idempotency-Key`, the first answer).
    #[oai(status = 201)]
    Created(Json<Organisation>),
}

#[derive(ApiResponse)]
pub enum CreatedDepartment {
    /// Created (or, for a repeated `Idempotency-Key`, the first answer).
    #[oai(status = 201)]
    Created(Json<Department>),
}

#[derive(ApiResponse)]
pub enum CreatedGrant {
    /// Created (or, for a repeated `Idempotency-Key`, the first answer).
    #[oai(status = 201)]
    Created(Json<Grant>),
}

#[derive(ApiResponse)]
pub enum Revoked {
    /// The grant is gone.
    #[oai(status = 204)]
    Revoked,
}

fn uscc(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|u| {
        Uscc::parse(u)
            .map(|u| u.as_str().to_owned())
            .map_err(|e| ApiError::at_field(e, "uscc", Some("统一社会信用代码不正确")))
    })
    .transpose()
}

fn division_code(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    if v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err(ApiError::of(codes::DIVISION_CODE_INVALID).field(
            "division_code",
            codes::DIVISION_CODE_INVALID,
            "应为 6 位行政区划代码",
        ))
    }
}

fn organisation_not_found() -> ApiError {
    ApiError::of(codes::ORGANISATION_NOT_FOUND)
}

#[OpenApi]
impl OrganisationsApi {
    /// The organisation tree, flat (each with its parent)
    #[oai(
        path = "/admin/organisations",
        method = "get",
        operation_id = "admin_organisations"
    )]
    #[tracing::instrument(name = "admin.organisations", skip_all)]
    async fn organisations(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
    ) -> Result<Json<Vec<Organisation>>, ApiError> {
        let rows = repo::organisations(&state.db).await?;
        Ok(Json(rows.into_iter().map(Organisation::from).collect()))
    }

    /// Add an organisation (an institute or another body) to the tree
    #[oai(
        path = "/admin/organisations",
        method = "post",
        operation_id = "admin_organisation_create"
    )]
    #[tracing::instrument(name = "admin.organisation_create", skip_all)]
    async fn create_organisation(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewOrganisation>,
    ) -> Result<CreatedOrganisation, ApiError> {
        let name = shared::body::text(&body.name, "name", 100)?;
        let uscc = uscc(body.uscc.as_deref())?;
        let division = division_code(&body.division_code)?;
        if !matches!(
            body.kind,
            OrganisationKind::Institute | OrganisationKind::Other
        ) {
            return Err(ApiError::of(codes::ORGANISATION_KIND_INVALID).field(
                "kind",
                codes::ORGANISATION_KIND_INVALID,
                "只能新增 institute 或 other；市局和区局由区划生成",
            ));
        }
        let created = idempotency::run(&state, auth.user_id, &key, &body.0, &[], async |tx| {
            if let Some(parent) = body.parent_id
                && repo::organisation(tx, parent).await?.is_none()
            {
                return Err(organisation_not_found().field(
                    "parent_id",
                    codes::ORGANISATION_NOT_FOUND,
                    "上级机构不存在",
                ));
            }
            let id = repo::insert_organisation(
                tx,
                repo::NewOrganisation {
                    parent_id: body.parent_id,
                    name: &name,
                    uscc: uscc.as_deref(),
                    division_code: &division,
                    kind: body.kind,
                },
            )
            .await?;
            Entry::by(&auth.0, Action::OrganisationCreate)
                .on(Stream::City)
                .object(id)
                .detail(json!({ "parent_id": body.parent_id, "kind": body.kind }))
                .append(tx)
                .await?;
            let row = repo::organisation(tx, id)
                .await?
                .ok_or_else(organisation_not_found)?;
            Ok(Organisation::from(row))
        })
        .await?;
        Ok(CreatedOrganisation::Created(Json(created)))
    }

    /// Rename an organisation, move it in the tree, set its USCC
    #[oai(
        path = "/admin/organisations/:id",
        method = "patch",
        operation_id = "admin_organisation_update"
    )]
    #[tracing::instrument(name = "admin.organisation_update", skip_all)]
    async fn update_organisation(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        id: Path<Uuid>,
        body: JsonBody<OrganisationChange>,
    ) -> Result<Json<Organisation>, ApiError> {
        let name = body
            .name
            .as_deref()
            .map(|n| shared::body::text(n, "name", 100))
            .transpose()?;
        let uscc = uscc(body.uscc.as_deref())?;
        let mut tx = state.db.begin().await?;
        // Moves are serialised: two concurrent moves (A under B, B under A)
        // would each pass the cycle check against the tree as it was.
        repo::lock_tree(&mut tx).await?;
        repo::organisation(&mut tx, id.0)
            .await?
            .ok_or_else(organisation_not_found)?;
        if let Some(parent) = body.parent_id {
            if repo::organisation(&mut tx, parent).await?.is_none() {
                return Err(organisation_not_found().field(
                    "parent_id",
                    codes::ORGANISATION_NOT_FOUND,
                    "上级机构不存在",
                ));
            }
            if repo::is_within(&mut tx, id.0, parent).await? {
                return Err(ApiError::of(codes::ORGANISATION_CYCLE).field(
                    "parent_id",
                    codes::ORGANISATION_CYCLE,
                    "不能移到自身或其下级机构之下",
                ));
            }
        }
        repo::update_organisation(
            &mut tx,
            id.0,
            name.as_deref(),
            body.parent_id,
            uscc.as_deref(),
        )
        .await?;
        Entry::by(&auth.0, Action::OrganisationUpdate)
            .on(Stream::City)
            .object(id.0)
            .detail(json!({
                "name": name.is_some(), "parent_id": body.parent_id, "uscc": uscc.is_some(),
            }))
            .append(&mut tx)
            .await?;
        let row = repo::organisation(&mut tx, id.0)
            .await?
            .ok_or_else(organisation_not_found)?;
        tx.commit().await?;
        Ok(Json(row.into()))
    }

    /// Departments, of one organisation or of all
    #[oai(
        path = "/admin/departments",
        method = "get",
        operation_id = "admin_departments"
    )]
    #[tracing::instrument(name = "admin.departments", skip_all)]
    async fn departments(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        organisation_id: Query<Option<Uuid>>,
    ) -> Result<Json<Vec<Department>>, ApiError> {
        let rows = repo::departments(&state.db, organisation_id.0).await?;
        Ok(Json(rows.into_iter().map(Department::from).collect()))
    }

    /// Add a department to an organisation
    #[oai(
        path = "/admin/departments",
        method = "post",
        operation_id = "admin_department_create"
    )]
    #[tracing::instrument(name = "admin.department_create", skip_all)]
    async fn create_department(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewDepartment>,
    ) -> Result<CreatedDepartment, ApiError> {
        let name = shared::body::text(&body.name, "name", 100)?;
        let created = idempotency::run(&state, auth.user_id, &key, &body.0, &[], async |tx| {
            if repo::organisation(tx, body.organisation_id)
                .await?
                .is_none()
            {
                return Err(organisation_not_found().field(
                    "organisation_id",
                    codes::ORGANISATION_NOT_FOUND,
                    "机构不存在",
                ));
            }
            let id = repo::insert_department(tx, body.organisation_id, &name).await?;
            Entry::by(&auth.0, Action::DepartmentCreate)
                .on(Stream::City)
                .object(id)
                .detail(json!({ "organisation_id": body.organisation_id }))
                .append(tx)
                .await?;
            let row = repo::department(tx, id)
                .await?
                .ok_or_else(|| ApiError::of(codes::DEPARTMENT_NOT_FOUND))?;
            Ok(Department::from(row))
        })
        .await?;
        Ok(CreatedDepartment::Created(Json(created)))
    }

    /// Rename a department
    #[oai(
        path = "/admin/departments/:id",
        method = "patch",
        operation_id = "admin_department_update"
    )]
    #[tracing::instrument(name = "admin.department_update", skip_all)]
    async fn update_department(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        id: Path<Uuid>,
        body: JsonBody<DepartmentChange>,
    ) -> Result<Json<Department>, ApiError> {
        let name = shared::body::text(&body.name, "name", 100)?;
        let mut tx = state.db.begin().await?;
        repo::department(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::of(codes::DEPARTMENT_NOT_FOUND))?;
        repo::rename_department(&mut tx, id.0, &name).await?;
        Entry::by(&auth.0, Action::DepartmentUpdate)
            .on(Stream::City)
            .object(id.0)
            .append(&mut tx)
            .await?;
        let row = repo::department(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::of(codes::DEPARTMENT_NOT_FOUND))?;
        tx.commit().await?;
        Ok(Json(row.into()))
    }

    /// Approval grants, of one user or of all
    #[oai(path = "/admin/grants", method = "get", operation_id = "admin_grants")]
    #[tracing::instrument(name = "admin.grants", skip_all)]
    async fn grants(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        user_id: Query<Option<Uuid>>,
    ) -> Result<Json<Vec<Grant>>, ApiError> {
        let rows = repo::grants(&state.db, user_id.0).await?;
        Ok(Json(rows.into_iter().map(Grant::from).collect()))
    }

    /// Let an approver act on a step of an item, or of every item of a business line
    #[oai(
        path = "/admin/grants",
        method = "post",
        operation_id = "admin_grant_create"
    )]
    #[tracing::instrument(name = "admin.grant_create", skip_all)]
    async fn create_grant(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewGrant>,
    ) -> Result<CreatedGrant, ApiError> {
        let step = shared::body::text(&body.step, "step", 64)?;
        let item = body
            .item_code
            .as_deref()
            .map(|c| shared::body::text(c, "item_code", 64))
            .transpose()?;
        let line = body
            .business_line
            .as_deref()
            .map(|l| shared::body::text(l, "business_line", 64))
            .transpose()?;
        if item.is_some() == line.is_some() {
            return Err(ApiError::of(codes::VALIDATION_FAILED).field(
                "item_code",
                codes::REQUIRED,
                "事项编码与业务条线须且只能填写一项",
            ));
        }
        if let Some(code) = &item
            && !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(ApiError::of(codes::VALIDATION_FAILED).field(
                "item_code",
                codes::INVALID_VALUE,
                "事项编码只能含字母、数字和 _ . -",
            ));
        }
        let created = idempotency::run(&state, auth.user_id, &key, &body.0, &[], async |tx| {
            match repo::role_of(tx, body.user_id).await?.as_deref() {
                Some("approver") => {}
                Some(_) => {
                    return Err(ApiError::of(codes::GRANT_USER_INVALID).field(
                        "user_id",
                        codes::GRANT_USER_INVALID,
                        "只能授权给审批人员",
                    ));
                }
                None => {
                    return Err(ApiError::of(codes::USER_NOT_FOUND).field(
                        "user_id",
                        codes::USER_NOT_FOUND,
                        "用户不存在",
                    ));
                }
            }
            let row = repo::insert_grant(
                tx,
                repo::NewGrant {
                    user_id: body.user_id,
                    item_code: item.as_deref(),
                    business_line: line.as_deref(),
                    step: &step,
                    created_by: auth.user_id,
                },
            )
            .await?;
            Entry::by(&auth.0, Action::GrantCreate)
                .on(Stream::City)
                .object(row.grant_id)
                .detail(json!({ "user_id": body.user_id, "item_code": item, "business_line": line, "step": step }))
                .append(tx)
                .await?;
            Ok(Grant::from(row))
        })
        .await?;
        Ok(CreatedGrant::Created(Json(created)))
    }

    /// Revoke a grant
    #[oai(
        path = "/admin/grants/:id",
        method = "delete",
        operation_id = "admin_grant_revoke"
    )]
    #[tracing::instrument(name = "admin.grant_revoke", skip_all)]
    async fn revoke_grant(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        id: Path<Uuid>,
    ) -> Result<Revoked, ApiError> {
        let mut tx = state.db.begin().await?;
        let Some(gone) = repo::delete_grant(&mut tx, id.0).await? else {
            return Err(ApiError::of(codes::GRANT_NOT_FOUND));
        };
        // The row is gone: the entry says whose grant, on what, it was.
        Entry::by(&auth.0, Action::GrantRevoke)
            .on(Stream::City)
            .object(id.0)
            .detail(json!({
                "user_id": gone.user_id, "item_code": gone.item_code,
                "business_line": gone.business_line, "step": gone.step,
            }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Revoked::Revoked)
    }
}
