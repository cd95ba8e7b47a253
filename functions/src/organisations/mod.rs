//! Organisations (SPEC §8.1): the tree of organisations (the city bureau, its
//! district bureaus — mapped from the districts by a migration — institutes),
//! their departments, and the grants that let approvers act on approval steps.
//! City admins manage them; the scope mechanism (`shared::auth::scope`) gives
//! approvers the rows of their organisation.

pub mod api;
pub mod repo;

/// The `organisations` function group.
pub struct Organisations;

impl shared::group::Group for Organisations {
    const NAME: &'static str = "organisations";
    const DESCRIPTION: &'static str = "市局管理：机构、科室与审批授权";
    type Api = api::OrganisationsApi;
    fn api() -> Self::Api {
        api::OrganisationsApi
    }
}
