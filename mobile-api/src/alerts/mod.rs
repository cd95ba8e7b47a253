//! Alerts for inspectors (own district) and city admins (all): list, resolve.

pub mod api;
pub mod jobs;
pub mod repo;

use shared::group::{Group, Job};

/// The `alerts` function group.
pub struct Alerts;

impl Group for Alerts {
    const NAME: &'static str = "alerts";
    const DESCRIPTION: &'static str = "预警查询与处理";
    const JOBS: &'static [Job] = &[jobs::ALERT_SWEEP];
    type Api = api::AlertsApi;
    fn api() -> Self::Api {
        api::AlertsApi
    }
}
