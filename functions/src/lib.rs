//! The handler functions of the mini-program, scans, registrations, drugs,
//! admin and licences (SPEC §2). One module per function group; each exposes a
//! poem-openapi API (`api.rs`) over its queries (`repo.rs`).

pub mod admin;
pub mod auth;

use shared::group::FunctionGroup;

/// Every API of this crate, composed by the `yaojian` command (a tuple once
/// there are several).
pub type Api = (auth::api::AuthApi, admin::api::AdminApi);

pub fn api() -> Api {
    (auth::api::AuthApi, admin::api::AdminApi)
}

/// The function groups this crate exports (unit of `serve --only` and of deployment).
pub fn groups() -> Vec<FunctionGroup> {
    vec![
        FunctionGroup::of::<auth::api::AuthApi>("auth", "登录、绑定、退出、当前用户"),
        FunctionGroup::of::<admin::api::AdminApi>("admin", "市局管理：审计日志"),
    ]
}

#[derive(poem_openapi::Tags)]
pub enum Tag {
    /// 登录与账号
    Auth,
    /// 市局管理
    Admin,
}
