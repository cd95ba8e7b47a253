use shared::codes;
use std::time::Duration;

use poem::{Request, web::Data};
use poem_openapi::{Object, OpenApi, payload::Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::{AnyUser, Caller, Role, invite, password},
    body::JsonBody,
    ratelimit,
};

use super::repo::{self, UserRow};

/// How long an unbound WeChat account has to enter its invite code.
const BIND_TOKEN_TTL: Duration = Duration::from_secs(600);

pub struct AuthApi;

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct PasswordLogin {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct WechatLogin {
    /// The code from `wx.login()`.
    pub code: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct WechatBind {
    pub bind_token: String,
    pub invite_code: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

/// The signed-in user as clients see it.
#[derive(Debug, Clone, Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct User {
    pub id: Uuid,
    pub role: Role,
    pub display_name: String,
    pub username: Option<String>,
    pub pharmacy_id: Option<Uuid>,
    pub pharmacy_name: Option<String>,
    pub district_code: Option<String>,
    pub must_change_password: bool,
}

impl From<&UserRow> for User {
    fn from(u: &UserRow) -> User {
        User {
            id: u.user_id,
            role: u.role(),
            display_name: u.display_name.clone(),
            username: u.username.clone(),
            pharmacy_id: u.pharmacy_id,
            pharmacy_name: u.pharmacy_name.clone(),
            district_code: u.district_code.clone(),
            must_change_password: u.must_change_password,
        }
    }
}

#[derive(Debug, Serialize, Object)]
pub struct Token {
    pub token: String,
    /// Seconds.
    pub expires_in: u64,
    pub user: User,
}

/// Answer of a WeChat login: a token when the account is bound, else a
/// short-lived `bind_token` to exchange with an invite code.
#[derive(Debug, Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WechatLoginResult {
    pub bound: bool,
    pub token: Option<String>,
    pub bind_token: Option<String>,
    pub expires_in: u64,
    pub user: Option<User>,
}

fn wechat_not_allowed() -> ApiError {
    ApiError::forbidden().with_code(
        codes::WECHAT_LOGIN_NOT_ALLOWED,
        "该账号不能通过微信登录，请使用用户名和密码登录",
    )
}

fn login_failed() -> ApiError {
    ApiError::unauthorized().with_code(codes::LOGIN_FAILED, "用户名或密码错误")
}

async fn issue(
    state: &AppState,
    user: &UserRow,
    action: Action,
    detail: serde_json::Value,
) -> Result<Token, ApiError> {
    let caller = user.caller();
    let mut tx = state.db.begin().await?;
    repo::touch_login(&mut tx, user.user_id).await?;
    Entry::by(&caller, action)
        .object(user.user_id)
        .detail(detail)
        .append(&mut tx)
        .await?;
    tx.commit().await?;
    let issued = state.sessions.issue(&caller).await?;
    Ok(Token {
        token: issued.token,
        expires_in: issued.expires_in,
        user: User::from(user),
    })
}

#[OpenApi]
impl AuthApi {
    /// Sign in with username and password
    ///
    /// Five failures within 15 minutes lock the account for 15 minutes
    /// (429 `LOGIN_LOCKED` with `Retry-After`), counted across all instances.
    #[oai(path = "/auth/login", method = "post", operation_id = "auth_login")]
    #[tracing::instrument(name = "auth.login", skip_all)]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: JsonBody<PasswordLogin>,
    ) -> Result<Json<Token>, ApiError> {
        ratelimit::check(
            &state.cache,
            ratelimit::AUTH,
            &ratelimit::client_address(req, &state.config.trusted_proxies),
        )
        .await?;
        let PasswordLogin { username, password } = body.0;
        if username.trim().is_empty() || password.is_empty() {
            return Err(
                ApiError::bad_request(codes::VALIDATION_FAILED, "请输入用户名和密码").field(
                    if username.trim().is_empty() {
                        "username"
                    } else {
                        "password"
                    },
                    codes::REQUIRED,
                    "必填",
                ),
            );
        }
        let attempt = state.lockout.attempt(&username).await?;
        let user = repo::by_username(&state.db, &username).await?;
        let stored = user
            .as_ref()
            .and_then(|u| u.password_hash.as_deref())
            .unwrap_or(password::DUMMY_HASH);
        let ok = password::verify(&password, stored).await?
            && user
                .as_ref()
                .is_some_and(|u| u.is_active() && u.password_hash.is_some());
        let Some(user) = user.filter(|_| ok) else {
            let locked = state.lockout.failed(&username, attempt).await?;
            Entry::anonymous(Action::AuthLoginFailed, Stream::Auth)
                .detail(json!({ "locked": locked.is_some() }))
                .append_alone(&state.db)
                .await?;
            return Err(locked.unwrap_or_else(login_failed));
        };
        state.lockout.succeeded(&username).await?;
        Ok(Json(
            issue(
                &state,
                &user,
                Action::AuthLogin,
                json!({ "method": "password" }),
            )
            .await?,
        ))
    }

    /// Sign in with WeChat (`wx.login` code)
    #[oai(
        path = "/auth/wechat/login",
        method = "post",
        operation_id = "auth_wechat_login"
    )]
    #[tracing::instrument(name = "auth.wechat_login", skip_all)]
    async fn wechat_login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: JsonBody<WechatLogin>,
    ) -> Result<Json<WechatLoginResult>, ApiError> {
        ratelimit::check(
            &state.cache,
            ratelimit::AUTH,
            &ratelimit::client_address(req, &state.config.trusted_proxies),
        )
        .await?;
        let session = match state.wechat.code_to_session(body.code.trim()).await {
            Ok(s) => s,
            Err(e) => return Err(shared::wechat::failed(&state, e).await),
        };
        match repo::by_openid(&state.db, &session.openid).await? {
            Some(user) if !user.role().signs_in_with_wechat() => Err(wechat_not_allowed()),
            Some(user) if user.is_active() => {
                let t = issue(
                    &state,
                    &user,
                    Action::AuthLogin,
                    json!({ "method": "wechat" }),
                )
                .await?;
                Ok(Json(WechatLoginResult {
                    bound: true,
                    token: Some(t.token),
                    bind_token: None,
                    expires_in: t.expires_in,
                    user: Some(t.user),
                }))
            }
            Some(_) => Err(ApiError::forbidden()
                .with_code(codes::ACCOUNT_DISABLED, "账号已停用，请联系管理员")),
            None => {
                let pending =
                    json!({ "openid": session.openid, "unionid": session.unionid }).to_string();
                let bind_token = state
                    .sessions
                    .put_ephemeral("bind", &pending, BIND_TOKEN_TTL)
                    .await?;
                Ok(Json(WechatLoginResult {
                    bound: false,
                    token: None,
                    bind_token: Some(bind_token),
                    expires_in: BIND_TOKEN_TTL.as_secs(),
                    user: None,
                }))
            }
        }
    }

    /// Bind this WeChat account with an invite code
    ///
    /// The `bind_token` is single use: after a wrong code, sign in with WeChat again.
    #[oai(
        path = "/auth/wechat/bind",
        method = "post",
        operation_id = "auth_wechat_bind"
    )]
    #[tracing::instrument(name = "auth.wechat_bind", skip_all)]
    async fn wechat_bind(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: JsonBody<WechatBind>,
    ) -> Result<Json<Token>, ApiError> {
        ratelimit::check(
            &state.cache,
            ratelimit::AUTH,
            &ratelimit::client_address(req, &state.config.trusted_proxies),
        )
        .await?;
        let pending = state
            .sessions
            .take_ephemeral("bind", body.bind_token.trim())
            .await?
            .ok_or_else(|| {
                ApiError::unprocessable(
                    codes::BIND_TOKEN_INVALID,
                    "绑定已过期，请重新登录后再输入邀请码",
                )
            })?;
        let pending: serde_json::Value =
            serde_json::from_str(&pending).map_err(ApiError::internal)?;
        let openid = pending["openid"].as_str().unwrap_or_default().to_owned();
        let unionid = pending["unionid"].as_str().map(str::to_owned);

        let mut tx = state.db.begin().await?;
        let invalid = || {
            ApiError::unprocessable(
                codes::INVITE_INVALID,
                "邀请码无效、已使用或已过期，请向店长或管理员索取新的邀请码",
            )
        };
        let user_id = invite::redeem(&mut tx, &state.pii, &body.invite_code)
            .await?
            .ok_or_else(invalid)?;
        if !repo::bind_wechat(&mut tx, user_id, &openid, unionid.as_deref()).await? {
            return Err(invalid());
        }
        let user = repo::by_id(&mut tx, user_id).await?.ok_or_else(invalid)?;
        if !user.role().signs_in_with_wechat() {
            // Nothing is committed: the code stays unused, the account unbound.
            return Err(wechat_not_allowed());
        }
        let caller = user.caller();
        Entry::by(&caller, Action::AuthWechatBind)
            .object(user_id)
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        let issued = state.sessions.issue(&caller).await?;
        Ok(Json(Token {
            token: issued.token,
            expires_in: issued.expires_in,
            user: User::from(&user),
        }))
    }

    /// Sign out: the token stops working at once on every instance
    #[oai(path = "/auth/logout", method = "post", operation_id = "auth_logout")]
    #[tracing::instrument(name = "auth.logout", skip_all)]
    async fn logout(&self, state: Data<&AppState>, auth: AnyUser) -> Result<Json<Done>, ApiError> {
        state.sessions.revoke(&auth.0).await?;
        audit_self(&state, &auth.0, Action::AuthLogout).await?;
        Ok(Json(Done { ok: true }))
    }

    /// The signed-in user
    #[oai(path = "/me", method = "get", operation_id = "me")]
    #[tracing::instrument(name = "auth.me", skip_all)]
    async fn me(&self, state: Data<&AppState>, auth: AnyUser) -> Result<Json<User>, ApiError> {
        let mut conn = state.db.acquire().await?;
        let user = repo::by_id(&mut conn, auth.user_id)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Json(User::from(&user)))
    }

    /// Change the password (required after an initial or reset password)
    ///
    /// Ends every session of the user; sign in again with the new password.
    #[oai(
        path = "/auth/password",
        method = "post",
        operation_id = "auth_change_password"
    )]
    #[tracing::instrument(name = "auth.change_password", skip_all)]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        auth: AnyUser,
        body: JsonBody<PasswordChange>,
    ) -> Result<Json<Done>, ApiError> {
        ratelimit::check(
            &state.cache,
            ratelimit::PASSWORD_CHANGE,
            &auth.user_id.to_string(),
        )
        .await?;
        let mut conn = state.db.acquire().await?;
        let user = repo::by_id(&mut conn, auth.user_id)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        // Wrong old passwords count toward the sign-in lockout of the same
        // account: a stolen session cannot be used to guess the password.
        let account = user
            .username
            .clone()
            .unwrap_or_else(|| format!("user:{}", user.user_id));
        let attempt = state.lockout.attempt(&account).await?;
        let current = user
            .password_hash
            .as_deref()
            .unwrap_or(password::DUMMY_HASH);
        if !password::verify(&body.old_password, current).await? || user.password_hash.is_none() {
            if let Some(locked) = state.lockout.failed(&account, attempt).await? {
                return Err(locked);
            }
            return Err(
                ApiError::unprocessable(codes::PASSWORD_MISMATCH, "原密码不正确").field(
                    "old_password",
                    codes::PASSWORD_MISMATCH,
                    "原密码不正确",
                ),
            );
        }
        state.lockout.succeeded(&account).await?;
        password::check_complexity(&body.new_password)?;
        if body.new_password == body.old_password {
            return Err(ApiError::unprocessable(
                codes::PASSWORD_REUSED,
                "新密码不能与原密码相同",
            ));
        }
        let hash = password::hash(&body.new_password).await?;
        drop(conn);
        let mut tx = state.db.begin().await?;
        repo::set_password(&mut tx, auth.user_id, &hash).await?;
        Entry::by(&auth.0, Action::AuthPasswordChange)
            .object(auth.user_id)
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        state.sessions.revoke_all(auth.user_id).await?;
        Ok(Json(Done { ok: true }))
    }
}

#[derive(Debug, Serialize, Object)]
pub struct Done {
    pub ok: bool,
}

async fn audit_self(state: &AppState, caller: &Caller, action: Action) -> Result<(), ApiError> {
    Entry::by(caller, action)
        .object(caller.user_id)
        .append_alone(&state.db)
        .await?;
    Ok(())
}
