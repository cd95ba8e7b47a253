//! Sign-in: WeChat login and bind, password login with lockout, logout, `/me`,
//! password change.

pub mod api;
pub mod repo;

/// The `auth` function group.
pub struct Auth;

impl shared::group::Group for Auth {
    const NAME: &'static str = "auth";
    const DESCRIPTION: &'static str = "登录、绑定、退出、当前用户";
    type Api = api::AuthApi;
    fn api() -> Self::Api {
        api::AuthApi
    }
}
