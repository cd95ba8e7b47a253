//! Delivery to data centres (SPEC §6): the worker (`worker`), what is sent
//! (`payload`), and the admin API that shows whether data is flowing (`api`).

pub mod api;
pub mod jobs;
pub mod repo;
pub mod worker;

use shared::group::{Group, Job};

/// The `sync-admin` function group.
pub struct SyncAdmin;

impl Group for SyncAdmin {
    const NAME: &'static str = "sync-admin";
    const DESCRIPTION: &'static str = "市局管理：数据同步状态、批次、回流";
    const JOBS: &'static [Job] = &[jobs::SYNC_LAG];
    type Api = api::SyncApi;
    fn api() -> Self::Api {
        api::SyncApi
    }
}
