//! Registration of special-drug sales (SPEC §4.2): the rules (`rules`), the
//! recording transaction (`record`), queries (`repo`) and the API.

pub mod api;
pub mod export;
pub mod input;
pub mod jobs;
pub mod payload;
pub mod record;
pub mod repo;
pub mod rules;

use shared::group::{Entity, Group, Job};

/// The `registrations` function group.
pub struct Registrations;

impl Group for Registrations {
    const NAME: &'static str = "registrations";
    const DESCRIPTION: &'static str = "含特殊药品复方制剂销售登记与查询";
    const JOBS: &'static [Job] = &[jobs::RETENTION];
    const ENTITIES: &'static [Entity] = &[payload::REGISTRATION];
    type Api = api::RegistrationsApi;
    fn api() -> Self::Api {
        api::RegistrationsApi
    }
}
