use chrono::{DateTime, FixedOffset};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::codes::{self, Code};
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::{CityAdmin, Role, invite, password},
    body::JsonBody,
    idempotency::{self, IdempotencyKey},
    paging::{Page, PageRequest},
    time::to_china,
};

use super::repo::{self, UserRow};

pub struct UsersApi;

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserView {
    pub id: Uuid,
    pub role: Role,
    pub name: String,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub pharmacy_id: Option<Uuid>,
    pub pharmacy_name: Option<String>,
    pub district_code: Option<String>,
    /// An approver's department.
    pub department_id: Option<Uuid>,
    /// `active` or `inactive`
    pub status: String,
    /// A WeChat account is bound.
    pub bound: bool,
    pub must_change_password: bool,
    pub last_login_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView {
            id: u.user_id,
            role: u.role,
            name: u.display_name,
            username: u.username,
            phone: u.phone,
            pharmacy_id: u.pharmacy_id,
            pharmacy_name: u.pharmacy_name,
            district_code: u.district_code,
            department_id: u.department_id,
            status: u.status.as_str().to_owned(),
            bound: u.bound,
            must_change_password: u.must_change_password,
            last_login_at: u.last_login_at.map(to_china),
            created_at: to_china(u.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    /// Required for clerks and pharmacy managers.
    pub pharmacy_id: Option<Uuid>,
    /// Required for inspectors.
    pub district_code: Option<String>,
    /// For approvers: the department they belong to (`/admin/departments`).
    pub department_id: Option<Uuid>,
    /// For password sign-in (inspectors' app, admins): an initial password is
    /// generated and must be changed at first sign-in.
    pub username: Option<String>,
    pub phone: Option<String>,
}

/// A created (or reset) user with the one-time secrets to hand over.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserWithSecrets {
    #[oai(flatten)]
    #[serde(flatten)]
    pub user: UserView,
    /// Binds a WeChat account (72 h, single use). A replay of the same
    /// `Idempotency-Key` more than 10 minutes later leaves it out (it is not
    /// kept): issue a new one with `reissue_invite`.
    pub invite_code: Option<String>,
    /// Shown once; must be changed at first sign-in. A replay of the same
    /// `Idempotency-Key` more than 10 minutes later leaves it out (it is not
    /// kept): reset it with `reset_password`.
    pub initial_password: Option<String>,
}

pub use shared::domain::UserStatus;

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub status: Option<UserStatus>,
    /// A new initial password (must be changed at first sign-in).
    #[serde(default)]
    pub reset_password: bool,
    /// Unbind WeChat and issue a new invite code (a lost phone).
    #[serde(default)]
    pub reissue_invite: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Move an approver to another department.
    pub department_id: Option<Uuid>,
}

#[derive(ApiResponse)]
pub enum CreatedUser {
    #[oai(status = 201)]
    Created(Json<UserWithSecrets>),
}

fn bad(field: &str, code: Code, title: &'static str) -> ApiError {
    ApiError::unprocessable(
        if code == codes::REQUIRED {
            codes::VALIDATION_FAILED
        } else {
            codes::USER_INVALID
        },
        title,
    )
    .field(field, code, title)
}

/// The bindings a role needs (SPEC §5): staff to a pharmacy, inspectors to a district.
fn check_binding(body: &NewUser) -> Result<(), ApiError> {
    shared::body::text(&body.name, "name", 40)?;
    match body.role {
        Role::Clerk | Role::PharmacyManager if body.pharmacy_id.is_none() => {
            return Err(bad(
                "pharmacy_id",
                codes::REQUIRED,
                "店员和店长必须指定所属药店",
            ));
        }
        Role::Inspector if body.district_code.is_none() => {
            return Err(bad(
                "district_code",
                codes::REQUIRED,
                "检查员必须指定所属区",
            ));
        }
        Role::CityAdmin | Role::Approver | Role::Enterprise if body.username.is_none() => {
            return Err(bad(
                "username",
                codes::REQUIRED,
                "该角色以用户名和密码登录，请填写用户名",
            ));
        }
        _ => {}
    }
    if !body.role.is_pharmacy_staff() && body.pharmacy_id.is_some() {
        return Err(bad(
            "pharmacy_id",
            codes::NOT_ALLOWED,
            "只有店员和店长属于药店",
        ));
    }
    if body.role != Role::Approver && body.department_id.is_some() {
        return Err(bad(
            "department_id",
            codes::NOT_ALLOWED,
            "只有审批人员属于科室",
        ));
    }
    if body.role != Role::Inspector && body.district_code.is_some() {
        return Err(bad("district_code", codes::NOT_ALLOWED, "只有检查员属于区"));
    }
    if let Some(u) = &body.username
        && !(3..=32).contains(&u.len())
    {
        return Err(
            ApiError::bad_request(codes::VALIDATION_FAILED, "用户名不正确").field(
                "username",
                codes::USERNAME_INVALID,
                "3–32 个字母、数字、-、_、.",
            ),
        );
    }
    if let Some(u) = &body.username
        && !u
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(
            ApiError::bad_request(codes::VALIDATION_FAILED, "用户名不正确").field(
                "username",
                codes::USERNAME_INVALID,
                "3–32 个字母、数字、-、_、.",
            ),
        );
    }
    Ok(())
}

async fn audit_user(
    tx: &mut sqlx::PgConnection,
    auth: &CityAdmin,
    action: Action,
    id: Uuid,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    Entry::by(&auth.0, action)
        .on(Stream::City)
        .object(id)
        .detail(detail)
        .append(tx)
        .await?;
    Ok(())
}

fn invite_not_allowed() -> ApiError {
    ApiError::unprocessable(
        codes::INVITE_NOT_ALLOWED,
        "该角色不通过微信登录，不能发放邀请码；可重置密码",
    )
    .field(
        "reissue_invite",
        codes::INVITE_NOT_ALLOWED,
        "只有店员、店长和检查员可以发放邀请码",
    )
}

fn user_not_found() -> ApiError {
    ApiError::not_found(codes::USER_NOT_FOUND, "用户不存在")
}

#[OpenApi]
impl UsersApi {
    /// Users, newest first
    #[oai(
        path = "/admin/users",
        method = "get",
        operation_id = "admin_user_list"
    )]
    #[tracing::instrument(name = "admin.users", skip_all)]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: CityAdmin,
        role: Query<Option<Role>>,
        status: Query<Option<UserStatus>>,
        /// Name or username contains.
        #[oai(validator(max_length = 64))]
        q: Query<Option<String>>,
        pharmacy_id: Query<Option<Uuid>>,
        #[oai(validator(pattern = r"^[0-9]{6}$"))] district_code: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<UserView>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let filter = repo::Filter {
            role: role.0.map(|r| r.as_str().to_owned()),
            status: status.0.map(|s| s.as_str().to_owned()),
            q: q.0.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
            pharmacy_id: pharmacy_id.0,
            district_code: district_code.0,
        };
        let (rows, total) = repo::list(&state.db, &filter, page).await?;
        Ok(Json(Page::new(
            rows.into_iter().map(Into::into).collect(),
            total,
            page,
        )))
    }

    /// Create a user: an invite code for WeChat sign-in, an initial password for username sign-in
    #[oai(
        path = "/admin/users",
        method = "post",
        operation_id = "admin_user_create"
    )]
    #[tracing::instrument(name = "admin.user_create", skip_all)]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewUser>,
    ) -> Result<CreatedUser, ApiError> {
        check_binding(&body)?;
        let phone = body
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let initial_password = body.username.as_ref().map(|_| password::generate());
        let hash = match &initial_password {
            Some(p) => Some(password::hash(p).await?),
            None => None,
        };
        let answer = idempotency::run(
            &state,
            auth.user_id,
            &key,
            &body.0,
            &["invite_code", "initial_password"],
            async |tx| {
                let id = repo::insert(
                    tx,
                    repo::NewUser {
                        role: body.role.as_str(),
                        display_name: body.name.trim(),
                        username: body.username.as_deref(),
                        password_hash: hash.as_deref(),
                        pharmacy_id: body.pharmacy_id,
                        district_code: body.district_code.as_deref(),
                        department_id: body.department_id,
                        phone,
                    },
                )
                .await?;
                // Staff and inspectors sign in through the mini-program.
                let invite_code = if body.role.signs_in_with_wechat() {
                    Some(invite::issue(tx, &state.pii, id, Some(auth.user_id)).await?)
                } else {
                    None
                };
                audit_user(
                    tx,
                    &auth,
                    Action::UserCreate,
                    id,
                    json!({ "role": body.role.as_str() }),
                )
                .await?;
                let user = repo::get(tx, id).await?.ok_or_else(user_not_found)?;
                let answer = UserWithSecrets {
                    user: user.into(),
                    invite_code,
                    initial_password,
                };
                Ok(answer)
            },
        )
        .await?;
        Ok(CreatedUser::Created(Json(answer)))
    }

    /// Deactivate or reactivate, reset the password, reissue an invite, rename
    ///
    /// Deactivation and resets end the user's sessions at once.
    #[oai(
        path = "/admin/users/:id",
        method = "patch",
        operation_id = "admin_user_update"
    )]
    #[tracing::instrument(name = "admin.user_update", skip_all)]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: CityAdmin,
        id: Path<Uuid>,
        body: JsonBody<UserChange>,
    ) -> Result<Json<UserWithSecrets>, ApiError> {
        if let Some(n) = &body.name {
            shared::body::text(n, "name", 40)?;
        }
        if id.0 == auth.user_id && body.status == Some(UserStatus::Inactive) {
            return Err(ApiError::unprocessable(
                codes::CANNOT_DEACTIVATE_SELF,
                "不能停用自己的账号",
            ));
        }
        let mut tx = state.db.begin().await?;
        let user = repo::get(&mut tx, id.0).await?.ok_or_else(user_not_found)?;
        let mut end_sessions = false;
        let mut changes = Vec::new();
        if let Some(status) = body.status {
            repo::set_status(&mut tx, id.0, status.as_str()).await?;
            end_sessions |= status == UserStatus::Inactive;
            changes.push(format!("status:{}", status.as_str()));
        }
        let mut initial_password = None;
        if body.reset_password {
            if user.username.is_none() {
                return Err(ApiError::unprocessable(
                    codes::NO_PASSWORD_SIGN_IN,
                    "该用户没有用户名，不能重置密码；可重新发放邀请码",
                ));
            }
            let p = password::generate();
            repo::reset_password(&mut tx, id.0, &password::hash(&p).await?).await?;
            initial_password = Some(p);
            end_sessions = true;
            changes.push("reset_password".into());
        }
        let mut invite_code = None;
        if body.reissue_invite && !user.role.signs_in_with_wechat() {
            return Err(invite_not_allowed());
        }
        if body.reissue_invite {
            repo::unbind_wechat(&mut tx, id.0).await?;
            invite_code = Some(invite::issue(&mut tx, &state.pii, id.0, Some(auth.user_id)).await?);
            end_sessions = true;
            changes.push("reissue_invite".into());
        }
        if let Some(department) = body.department_id {
            if user.role != Role::Approver {
                return Err(bad(
                    "department_id",
                    codes::NOT_ALLOWED,
                    "只有审批人员属于科室",
                ));
            }
            repo::set_department(&mut tx, id.0, department).await?;
            end_sessions = true;
            changes.push("department".into());
        }
        if body.name.is_some() || body.phone.is_some() {
            repo::update_profile(
                &mut tx,
                id.0,
                body.name.as_deref().map(str::trim),
                body.phone.as_deref().map(str::trim),
            )
            .await?;
            changes.push("profile".into());
        }
        audit_user(
            &mut tx,
            &auth,
            Action::UserUpdate,
            id.0,
            json!({ "changes": changes }),
        )
        .await?;
        let user = repo::get(&mut tx, id.0).await?.ok_or_else(user_not_found)?;
        tx.commit().await?;
        if end_sessions {
            state.sessions.revoke_all(id.0).await?;
        }
        if body.reset_password
            && let Some(u) = &user.username
        {
            state.lockout.clear(u).await?;
            state.lockout.unlock(u).await?;
        }
        Ok(Json(UserWithSecrets {
            user: user.into(),
            invite_code,
            initial_password,
        }))
    }
}
