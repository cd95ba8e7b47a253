//! Inspection (inspectors' app and the mini-program's district side), alerts,
//! and later approvals (H5 inside the collaboration platform, SPEC §8).

pub mod alerts;
pub mod inspection;

use shared::group::FunctionGroup;

/// Every API of this crate, composed by the `yaojian` command.
pub type Api = (
    inspection::api::InspectionApi,
    inspection::photos::PhotosApi,
    alerts::api::AlertsApi,
);

pub fn api() -> Api {
    (
        inspection::api::InspectionApi,
        inspection::photos::PhotosApi,
        alerts::api::AlertsApi,
    )
}

pub fn groups() -> Vec<FunctionGroup> {
    vec![
        FunctionGroup::of::<inspection::api::InspectionApi>(
            "inspection",
            "区局现场检查：药店查询、记录、检查与照片",
        ),
        FunctionGroup::of::<inspection::photos::PhotosApi>(
            "inspection-photos",
            "检查照片上传与查看",
        ),
        FunctionGroup::of::<alerts::api::AlertsApi>("alerts", "预警查询与处理"),
    ]
}

#[derive(poem_openapi::Tags)]
pub enum Tag {
    /// 现场检查
    Inspection,
    /// 预警
    Alerts,
}
