//! Approval items (事项, SPEC §8.2): the configuration every approval case
//! is handled under — steps and their modes, materials, form fields, the
//! handling level, flags and the licence type — managed by city admins and
//! versioned, so a case keeps the version it was accepted under.

pub mod api;
pub mod definition;
pub mod repo;

/// The `approval-items` function group.
pub struct ApprovalItems;

impl shared::group::Group for ApprovalItems {
    const NAME: &'static str = "approval-items";
    const DESCRIPTION: &'static str = "审批事项：环节、材料、表单与版本";
    type Api = api::ApprovalItemsApi;
    fn api() -> Self::Api {
        api::ApprovalItemsApi
    }
}
