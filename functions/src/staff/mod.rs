//! A pharmacy manager's staff: list, add (with a single-use invite code that
//! binds the clerk's WeChat), re-invite, remove (sessions end at once).

pub mod api;
pub mod repo;

/// The `staff` function group.
pub struct Staff;

impl shared::group::Group for Staff {
    const NAME: &'static str = "staff";
    const DESCRIPTION: &'static str = "店长管理店员与邀请码";
    type Api = api::StaffApi;
    fn api() -> Self::Api {
        api::StaffApi
    }
}
