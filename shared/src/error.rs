//! The one error type of the request path, and its problem+json form (SPEC §3).
//!
//! Policy: handlers return `Result<_, ApiError>`. Everything a client can cause
//! maps to a 4xx with a stable `code` and a Chinese `title`; a dependency that is
//! down maps to 503 with `Retry-After`; anything else is a bug, answered 500 with
//! a generic message while its cause goes to the log (never to the client).
//! `anyhow` is for commands and start-up, outside the request path.

use crate::codes::{self, Code};
use std::borrow::Cow;

use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse, Object,
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::{ToJSON, Type},
};

use crate::domain::DomainError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every code's name, for the OpenAPI document's `x-error-codes` (the
/// codes themselves are [`crate::codes`]).
pub fn error_codes() -> Vec<&'static str> {
    crate::codes::ALL.iter().map(|c| c.code).collect()
}

/// One field that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Object, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// Path of the field in the request (`items[0].quantity`, a parameter name).
    pub field: String,
    pub code: String,
    /// Chinese message for the user.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: Code, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: code.code.to_owned(),
            message: message.into(),
        }
    }
}

/// `application/problem+json` body (RFC 9457) with our `code` and field errors.
#[derive(Debug, Clone, Object, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Problem {
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable UPPER_SNAKE code clients switch on.
    pub code: String,
    /// The fields that could not be accepted; absent when there are none.
    #[oai(default, skip_serializing_if_is_empty)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub title: Cow<'static, str>,
    pub detail: Option<String>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    /// Logged (at error level for 5xx), never sent.
    pub cause: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// An answer stored earlier (`Idempotency-Key`), as it was given: its
    /// code was one of [`crate::codes`] when it was stored.
    pub fn replayed(status: StatusCode, code: String, title: String) -> Self {
        let mut err = Self::of(codes::INTERNAL);
        err.status = status;
        err.code = code.into();
        err.title = title.into();
        err
    }

    /// The code's own status and title.
    pub fn of(code: Code) -> Self {
        Self::new(code.status, code, code.title)
    }

    pub fn new(status: StatusCode, code: Code, title: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code: Cow::Borrowed(code.code),
            title: title.into(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            cause: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn field(
        mut self,
        field: impl Into<String>,
        code: Code,
        message: impl Into<String>,
    ) -> Self {
        self.errors.push(FieldError::new(field, code, message));
        self
    }

    /// Same status, another code and title.
    pub fn with_code(mut self, code: Code, title: &'static str) -> Self {
        self.code = Cow::Borrowed(code.code);
        self.title = title.into();
        self
    }

    /// Same status and code, another title.
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = title.into();
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    // ---- the common ones -------------------------------------------------

    pub fn bad_request(code: Code, title: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, title)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            codes::UNAUTHORIZED,
            "未登录或登录已过期，请重新登录",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, codes::FORBIDDEN, "无权执行此操作")
    }

    /// Not found, or not visible to the caller (the two are answered alike).
    pub fn not_found(code: Code, title: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, title)
    }

    pub fn conflict(code: Code, title: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code, title)
    }

    pub fn unprocessable(code: Code, title: &'static str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, title)
    }

    pub fn too_many(code: Code, title: &'static str, retry_after: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, code, title).retry_after(retry_after)
    }

    pub fn unavailable(code: Code, title: &'static str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, title).retry_after(5)
    }

    pub fn upstream_unavailable() -> Self {
        Self::unavailable(
            codes::UPSTREAM_UNAVAILABLE,
            "外部服务暂时不可用，请稍后重试",
        )
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "服务器内部错误，请稍后重试",
        )
        .cause(cause)
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!(
                "https://yaojian.cn/problems/{}",
                self.code.to_ascii_lowercase().replace('_', "-")
            ),
            title: self.title.to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
        }
    }

    fn log(&self) {
        if self.status.is_server_error() {
            match &self.cause {
                // The cause chain on one line (`{:#}`), never anyhow's Debug: with
                // RUST_BACKTRACE set that carries a backtrace of ~30 KB per error.
                Some(cause) => {
                    tracing::error!(code = %self.code, error = %format_args!("{cause:#}"), "request failed")
                }
                None => tracing::error!(code = %self.code, "request failed"),
            }
        } else {
            tracing::info!(status = self.status.as_u16(), code = %self.code, "request refused");
        }
    }
}

impl ApiError {
    /// Logs once (with the cause, for 5xx) and renders problem+json.
    fn render(&self) -> Response {
        self.log();
        let body = self.problem().to_json_string();
        let mut resp = Response::builder()
            .status(self.status)
            .content_type(PROBLEM_JSON)
            .body(body);
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(poem::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.render()
    }
}

/// Also gives `From<ApiError> for poem::Error` (poem's blanket impl), so guards
/// and extractors can fail with an `ApiError`.
impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        self.render()
    }
}

/// So that handlers can return `Result<T, ApiError>` and every error status
/// appears in the OpenAPI document with the problem schema.
impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        let statuses: &[(u16, &str)] = &[
            (400, "请求格式错误"),
            (401, "未登录或令牌无效"),
            (403, "无权操作"),
            (404, "不存在或不可见"),
            (409, "冲突"),
            (413, "请求体或上传文件过大"),
            (415, "内容类型不支持"),
            (422, "业务规则不允许"),
            (429, "请求过多或账号锁定"),
            (503, "依赖服务不可用"),
        ];
        MetaResponses {
            responses: statuses
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: PROBLEM_JSON,
                        schema: Problem::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

impl<E: DomainError> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError::unprocessable(e.code(), e.message())
    }
}

impl ApiError {
    /// A domain type refused the value of `field`: the problem says what the
    /// domain error says, and names the field with the same code and
    /// `message` (the error's own message when `None`).
    pub fn at_field<E: DomainError>(e: E, field: &str, message: Option<&str>) -> ApiError {
        let (code, own) = (e.code(), e.message());
        ApiError::from(e).field(field, code, message.unwrap_or(own))
    }
}

/// A named database constraint and what a client is told when it is violated.
/// Name constraints in migrations so that they can be listed here.
pub struct ConstraintRule {
    pub constraint: &'static str,
    pub status: StatusCode,
    pub code: Code,
    pub title: &'static str,
}

/// Constraints whose violation a client can cause, by name.
pub static CONSTRAINT_RULES: &[ConstraintRule] = &[
    ConstraintRule {
        constraint: "app_user_username_key",
        status: StatusCode::CONFLICT,
        code: codes::USERNAME_TAKEN,
        title: "用户名已被使用",
    },
    ConstraintRule {
        constraint: "app_user_wechat_openid_key",
        status: StatusCode::CONFLICT,
        code: codes::WECHAT_ALREADY_BOUND,
        title: "该微信账号已绑定其他用户",
    },
    ConstraintRule {
        constraint: "pharmacy_licence_number_key",
        status: StatusCode::CONFLICT,
        code: codes::PHARMACY_EXISTS,
        title: "该许可证编号的药店已存在",
    },
    ConstraintRule {
        constraint: "organisation_uscc_key",
        status: StatusCode::CONFLICT,
        code: codes::ORGANISATION_EXISTS,
        title: "该统一社会信用代码的机构已存在",
    },
    ConstraintRule {
        constraint: "department_name_key",
        status: StatusCode::CONFLICT,
        code: codes::DEPARTMENT_EXISTS,
        title: "该机构已有同名科室",
    },
    ConstraintRule {
        constraint: "approval_grant_key",
        status: StatusCode::CONFLICT,
        code: codes::GRANT_EXISTS,
        title: "该用户已有此项授权",
    },
    ConstraintRule {
        constraint: "app_user_department_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: codes::DEPARTMENT_NOT_FOUND,
        title: "科室不存在",
    },
    ConstraintRule {
        constraint: "app_user_department_binding",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: codes::DEPARTMENT_INVALID,
        title: "只有审批人员属于科室",
    },
    ConstraintRule {
        constraint: "approval_item_code_key",
        status: StatusCode::CONFLICT,
        code: codes::APPROVAL_ITEM_CODE_TAKEN,
        title: "事项编码已被使用",
    },
    ConstraintRule {
        constraint: "calendar_day_covered",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: codes::CALENDAR_YEAR_NOT_COVERED,
        title: "工作日历尚未收录该年度，请先添加该年度的节假日安排",
    },
];

pub fn from_sqlx(e: sqlx::Error) -> ApiError {
    use sqlx::Error as E;
    match e {
        E::RowNotFound => ApiError::not_found(codes::NOT_FOUND, "记录不存在"),
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::Protocol(_) => {
            ApiError::unavailable(codes::DATABASE_UNAVAILABLE, "数据库暂时不可用，请稍后重试")
                .cause(e)
        }
        E::Database(ref db) => {
            if let Some(rule) = db
                .constraint()
                .and_then(|c| CONSTRAINT_RULES.iter().find(|r| r.constraint == c))
            {
                return ApiError::new(rule.status, rule.code, rule.title);
            }
            let sqlstate = db.code().map(|c| c.to_string()).unwrap_or_default();
            match sqlstate.as_str() {
                "23505" => ApiError::conflict(codes::CONFLICT, "记录已存在"),
                "23503" => ApiError::unprocessable(codes::REFERENCE_INVALID, "引用的记录不存在"),
                "23502" | "23514" => {
                    ApiError::unprocessable(codes::CONSTRAINT_VIOLATED, "数据不符合要求")
                }
                s if s.starts_with("22") => {
                    ApiError::unprocessable(codes::VALUE_INVALID, "数据格式或取值超出范围")
                }
                // 40001 serialization failure, 40P01 deadlock: the client may retry.
                "40001" | "40P01" => {
                    ApiError::unavailable(codes::RETRY, "系统繁忙，请重试").retry_after(1)
                }
                // admin shutdown, cannot connect now, too many connections
                s if s.starts_with("57P") || s.starts_with("08") || s == "53300" => {
                    ApiError::unavailable(
                        codes::DATABASE_UNAVAILABLE,
                        "数据库暂时不可用，请稍后重试",
                    )
                    .cause(e)
                }
                _ => ApiError::internal(e),
            }
        }
        other => ApiError::internal(other),
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        from_sqlx(e)
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(e: redis::RedisError) -> Self {
        ApiError::unavailable(codes::REDIS_UNAVAILABLE, "缓存服务暂时不可用，请稍后重试").cause(e)
    }
}

/// Turns an error poem or poem-openapi produced before our handler ran (bad
/// JSON, bad parameters, wrong content type, no route...) into problem+json.
/// Installed once on the whole application with `catch_all_error`.
pub fn problem_from_poem_error(err: poem::Error) -> Response {
    problem_in_route(err, None)
}

/// The answer to a request whose handler panicked (installed with poem's
/// `CatchPanic`): a 500 problem+json and one log line, instead of a dropped
/// connection. The panic's message is logged truncated; our own panics name
/// no personal data.
pub fn problem_from_panic(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let message: String = message.chars().take(200).collect();
    tracing::error!(panic = %message, "request handler panicked");
    let err = ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        codes::INTERNAL,
        "服务器内部错误，请稍后重试",
    );
    poem::error::ResponseError::as_response(&err)
}

/// poem-openapi names path parameters `param0`, `param1`... internally; the
/// route template (`/registrations/{id}`) gives their real names.
fn path_param_name(route: Option<&str>, internal: &str) -> String {
    let nth = internal
        .strip_prefix("param")
        .and_then(|n| n.parse::<usize>().ok());
    route
        .zip(nth)
        .and_then(|(r, n)| {
            r.split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .nth(n)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| internal.to_owned())
}

/// As [`problem_from_poem_error`], for an error raised under `route`.
pub fn problem_in_route(err: poem::Error, route: Option<&str>) -> Response {
    use poem_openapi::error::{
        AuthorizationError, ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    if let Some(e) = err.downcast_ref::<ApiError>() {
        return poem::error::ResponseError::as_response(e);
    }
    let api = if let Some(e) = err.downcast_ref::<ParseParamError>() {
        ApiError::bad_request(codes::INVALID_PARAMETER, "请求参数不正确").field(
            e.name,
            codes::INVALID_PARAMETER,
            param_message(&e.reason),
        )
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        ApiError::bad_request(codes::INVALID_PARAMETER, "请求路径参数不正确").field(
            path_param_name(route, e.name),
            codes::INVALID_PARAMETER,
            param_message(&e.reason),
        )
    } else if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        // The parser's reason may quote the input (possibly personal data): not sent.
        let _ = e;
        ApiError::bad_request(codes::MALFORMED_BODY, "请求内容格式不正确")
    } else if let Some(e) = err.downcast_ref::<ParseMultipartError>() {
        ApiError::bad_request(codes::MALFORMED_MULTIPART, "上传内容格式不正确")
            .detail(truncate(&e.reason))
    } else if err.is::<ContentTypeError>() {
        ApiError::bad_request(codes::UNSUPPORTED_CONTENT_TYPE, "请求内容类型不受支持").field(
            "Content-Type",
            codes::UNSUPPORTED_CONTENT_TYPE,
            "请使用接口文档中列出的内容类型",
        )
    } else if err.is::<AuthorizationError>() {
        ApiError::unauthorized()
    } else {
        match err.status() {
            StatusCode::NOT_FOUND => ApiError::not_found(codes::NOT_FOUND, "请求的资源不存在"),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::METHOD_NOT_ALLOWED,
                "不支持该请求方法",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
            StatusCode::UNAUTHORIZED => ApiError::unauthorized(),
            StatusCode::FORBIDDEN => ApiError::forbidden(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::bad_request(codes::UNSUPPORTED_CONTENT_TYPE, "请求内容类型不受支持")
            }
            s if s.is_client_error() => ApiError::new(s, codes::BAD_REQUEST, "请求不正确"),
            _ => ApiError::internal(anyhow::anyhow!("{err}")),
        }
    };
    api.into_response()
}

pub fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::BODY_TOO_LARGE,
        "请求内容过大",
    )
}

fn param_message(reason: &str) -> String {
    format!("参数取值不正确：{}", truncate(reason))
}

/// Parser messages can quote the input; keep them short.
fn truncate(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        s.chars().take(MAX).chain("…".chars()).collect()
    }
}
