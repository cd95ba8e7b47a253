//! The handler functions of the mini-program, scans, registrations, drugs,
//! admin and licences (SPEC §2). One module per function group; each exposes a
//! poem-openapi API (`api.rs`) over its queries (`repo.rs`).

pub mod admin;
pub mod auth;
pub mod drugs;
pub mod imports;
pub mod jobs;
pub mod registrations;
pub mod scans;
pub mod staff;
pub mod sync;
pub mod users;

use shared::group::FunctionGroup;

/// Every API of this crate, composed by the `yaojian` command (a tuple once
/// there are several).
pub type Api = (
    auth::api::AuthApi,
    staff::api::StaffApi,
    drugs::api::DrugsApi,
    scans::api::ScansApi,
    registrations::api::RegistrationsApi,
    admin::api::AdminApi,
    users::api::UsersApi,
    admin::import::ImportApi,
    sync::api::SyncApi,
);

pub fn api() -> Api {
    (
        auth::api::AuthApi,
        staff::api::StaffApi,
        drugs::api::DrugsApi,
        scans::api::ScansApi,
        registrations::api::RegistrationsApi,
        admin::api::AdminApi,
        users::api::UsersApi,
        admin::import::ImportApi,
        sync::api::SyncApi,
    )
}

/// The function groups this crate exports (unit of `serve --only` and of deployment).
pub fn groups() -> Vec<FunctionGroup> {
    vec![
        FunctionGroup::of::<auth::api::AuthApi>("auth", "登录、绑定、退出、当前用户"),
        FunctionGroup::of::<staff::api::StaffApi>("staff", "店长管理店员与邀请码"),
        FunctionGroup::of::<drugs::api::DrugsApi>("drugs", "药品目录：扫码查询、名称搜索"),
        FunctionGroup::of::<scans::api::ScansApi>(
            "scans",
            "身份证、社保卡扫描（读卡器或拍照识别）",
        ),
        FunctionGroup::of::<registrations::api::RegistrationsApi>(
            "registrations",
            "含特殊药品复方制剂销售登记与查询",
        ),
        FunctionGroup::of::<admin::api::AdminApi>("admin", "市局管理：审计日志"),
        FunctionGroup::of::<admin::import::ImportApi>(
            "imports",
            "市局管理：药店和药品批量导入（xlsx、csv）",
        ),
        FunctionGroup::of::<sync::api::SyncApi>("sync-admin", "市局管理：数据同步状态、批次、回流"),
        FunctionGroup::of::<users::api::UsersApi>("users", "市局管理：用户、邀请码、密码重置"),
    ]
}

#[derive(poem_openapi::Tags)]
pub enum Tag {
    /// 登录与账号
    Auth,
    /// 店员管理
    Staff,
    /// 药品目录
    Drugs,
    /// 证件扫描
    Scans,
    /// 销售登记
    Registrations,
    /// 市局管理
    Admin,
}
