//! City admins manage users: list, create (invite code and/or initial
//! password that must be changed at first sign-in), deactivate, reset.

pub mod api;
pub mod repo;

/// The `users` function group.
pub struct Users;

impl shared::group::Group for Users {
    const NAME: &'static str = "users";
    const DESCRIPTION: &'static str = "市局管理：用户、邀请码、密码重置";
    type Api = api::UsersApi;
    fn api() -> Self::Api {
        api::UsersApi
    }
}
