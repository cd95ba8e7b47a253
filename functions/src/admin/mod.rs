//! City administration. So far: the audit log (`GET /admin/audit`); imports,
//! users and exports arrive with issue 4.

pub mod api;
pub mod repo;

use shared::group::{Deploy, Group};

/// The `admin` function group.
pub struct Admin;

impl Group for Admin {
    const NAME: &'static str = "admin";
    const DESCRIPTION: &'static str = "市局管理：审计日志、登记导出";
    const DEPLOY: Deploy = Deploy::HEAVY;
    type Api = api::AdminApi;
    fn api() -> Self::Api {
        api::AdminApi
    }
}
