use chrono::{DateTime, Duration, FixedOffset, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::codes;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{self, Action},
    auth::{PharmacyManager, Role, invite},
    body::JsonBody,
    idempotency::{self, IdempotencyKey},
    time::to_china,
};

use super::repo::{self, StaffRow};

pub struct StaffApi;

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Staff {
    pub id: Uuid,
    pub role: Role,
    pub display_name: String,
    pub phone: Option<String>,
    /// A WeChat account is bound.
    pub bound: bool,
    pub last_login_at: Option<DateTime<FixedOffset>>,
    /// When the pending invite code expires, if there is one.
    pub invite_expires_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<StaffRow> for Staff {
    fn from(r: StaffRow) -> Staff {
        Staff {
            id: r.user_id,
            role: r.role,
            display_name: r.display_name,
            phone: r.phone,
            bound: r.bound,
            last_login_at: r.last_login_at.map(to_china),
            invite_expires_at: r.invite_expires_at.map(to_china),
            created_at: to_china(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewClerk {
    pub display_name: String,
    pub phone: Option<String>,
}

/// A clerk with the invite code to give them (shown once; only its hash is kept).
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Invited {
    pub staff: Staff,
    /// Absent only on a replay of the same `Idempotency-Key` more than 10
    /// minutes later (the code is not kept): ask for a new one with
    /// `POST /pharmacy/staff/{id}/invite`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
    pub invite_expires_at: DateTime<FixedOffset>,
}

#[derive(ApiResponse)]
pub enum CreatedClerk {
    #[oai(status = 201)]
    Created(Json<Invited>),
}

#[derive(ApiResponse)]
pub enum Removed {
    #[oai(status = 204)]
    Removed,
}

fn staff_not_found() -> ApiError {
    ApiError::not_found(codes::STAFF_NOT_FOUND, "本店没有这名店员")
}

fn parse_clerk(body: &NewClerk) -> Result<(String, Option<String>), ApiError> {
    let name = body.display_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(
            ApiError::bad_request(codes::VALIDATION_FAILED, "请填写店员姓名").field(
                "display_name",
                codes::INVALID_VALUE,
                "1–40 个字符",
            ),
        );
    }
    let phone = body
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(p) = phone
        && !(p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(
            ApiError::bad_request(codes::VALIDATION_FAILED, "手机号格式不正确").field(
                "phone",
                codes::PHONE_INVALID,
                "请填写 11 位手机号",
            ),
        );
    }
    Ok((name, phone.map(str::to_owned)))
}

async fn audit_staff(
    tx: &mut sqlx::PgConnection,
    auth: &PharmacyManager,
    action: Action,
    user_id: Uuid,
) -> Result<(), ApiError> {
    audit::record(tx, &auth.0, action, Some(user_id.to_string()), json!({})).await?;
    Ok(())
}

fn pharmacy_of(auth: &PharmacyManager) -> Result<Uuid, ApiError> {
    auth.pharmacy_id.ok_or_else(ApiError::forbidden)
}

#[OpenApi]
impl StaffApi {
    /// The pharmacy's staff
    #[oai(path = "/pharmacy/staff", method = "get", operation_id = "staff_list")]
    #[tracing::instrument(name = "staff.list", skip_all)]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PharmacyManager,
    ) -> Result<Json<Vec<Staff>>, ApiError> {
        let rows = repo::list(&state.db, pharmacy_of(&auth)?).await?;
        Ok(Json(rows.into_iter().map(Staff::from).collect()))
    }

    /// Add a clerk; answers the invite code that binds their WeChat (72 h, single use)
    #[oai(
        path = "/pharmacy/staff",
        method = "post",
        operation_id = "staff_create"
    )]
    #[tracing::instrument(name = "staff.create", skip_all)]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PharmacyManager,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewClerk>,
    ) -> Result<CreatedClerk, ApiError> {
        let pharmacy_id = pharmacy_of(&auth)?;
        let (name, phone) = parse_clerk(&body)?;
        let invited = idempotency::run(
            &state,
            auth.user_id,
            &key,
            &body.0,
            &["invite_code"],
            async |tx| {
                let user_id = repo::create_clerk(tx, pharmacy_id, &name, phone.as_deref()).await?;
                let code = invite::issue(tx, &state.pii, user_id, Some(auth.user_id)).await?;
                audit_staff(tx, &auth, Action::StaffCreate, user_id).await?;
                let row = repo::get(tx, pharmacy_id, user_id)
                    .await?
                    .ok_or_else(staff_not_found)?;
                let invited = Invited {
                    staff: row.into(),
                    invite_code: Some(code),
                    invite_expires_at: to_china(Utc::now() + Duration::hours(invite::TTL_HOURS)),
                };
                Ok(invited)
            },
        )
        .await?;
        Ok(CreatedClerk::Created(Json(invited)))
    }

    /// A new invite code for a clerk who has not bound WeChat (voids the old one)
    #[oai(
        path = "/pharmacy/staff/:id/invite",
        method = "post",
        operation_id = "staff_invite"
    )]
    #[tracing::instrument(name = "staff.invite", skip_all)]
    async fn invite(
        &self,
        state: Data<&AppState>,
        auth: PharmacyManager,
        id: Path<Uuid>,
    ) -> Result<Json<Invited>, ApiError> {
        let pharmacy_id = pharmacy_of(&auth)?;
        let mut tx = state.db.begin().await?;
        let row = repo::get(&mut tx, pharmacy_id, id.0)
            .await?
            .ok_or_else(staff_not_found)?;
        if row.bound {
            return Err(ApiError::conflict(
                codes::STAFF_ALREADY_BOUND,
                "该店员已绑定微信，无需邀请码",
            ));
        }
        let code = invite::issue(&mut tx, &state.pii, id.0, Some(auth.user_id)).await?;
        audit_staff(&mut tx, &auth, Action::StaffInvite, id.0).await?;
        let row = repo::get(&mut tx, pharmacy_id, id.0)
            .await?
            .ok_or_else(staff_not_found)?;
        tx.commit().await?;
        Ok(Json(Invited {
            staff: row.into(),
            invite_code: Some(code),
            invite_expires_at: to_china(Utc::now() + Duration::hours(invite::TTL_HOURS)),
        }))
    }

    /// Remove a clerk: their sessions end at once, on every instance
    #[oai(
        path = "/pharmacy/staff/:id",
        method = "delete",
        operation_id = "staff_remove"
    )]
    #[tracing::instrument(name = "staff.remove", skip_all)]
    async fn remove(
        &self,
        state: Data<&AppState>,
        auth: PharmacyManager,
        id: Path<Uuid>,
    ) -> Result<Removed, ApiError> {
        let pharmacy_id = pharmacy_of(&auth)?;
        if id.0 == auth.user_id {
            return Err(ApiError::unprocessable(
                codes::CANNOT_REMOVE_SELF,
                "不能移除自己",
            ));
        }
        let mut tx = state.db.begin().await?;
        let row = repo::get(&mut tx, pharmacy_id, id.0)
            .await?
            .ok_or_else(staff_not_found)?;
        if row.role != Role::Clerk {
            return Err(ApiError::forbidden()
                .with_code(codes::CANNOT_REMOVE_MANAGER, "店长只能由市局管理员调整"));
        }
        repo::remove(&mut tx, id.0).await?;
        audit_staff(&mut tx, &auth, Action::StaffRemove, id.0).await?;
        tx.commit().await?;
        state.sessions.revoke_all(id.0).await?;
        Ok(Removed::Removed)
    }
}
