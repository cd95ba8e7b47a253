//! The catalogue of special-drug compound preparations (SPEC §4.2): lookup by
//! barcode at the counter, search by name.

pub mod api;
pub mod repo;

/// The `drugs` function group.
pub struct Drugs;

impl shared::group::Group for Drugs {
    const NAME: &'static str = "drugs";
    const DESCRIPTION: &'static str = "药品目录：扫码查询、名称搜索";
    type Api = api::DrugsApi;
    fn api() -> Self::Api {
        api::DrugsApi
    }
}
