//! The registry: every function group, in a stable order. Adding a group is
//! one line here (see `docs/ADDING_A_GROUP.md`); everything else — the
//! composed API and its OpenAPI document, `yaojian groups`, `serve --only`,
//! `jobs list`, the sync worker's entities, the deploy manifests, the
//! README's group table — is derived from this list.

use shared::group::{Entity, FunctionGroup, Group, Job};

macro_rules! registry {
    ($($group:path),+ $(,)?) => {
        /// Every group's API, composed: poem-openapi composes pairs, so the
        /// list nests (`(A, (B, (C, D)))`) however long it grows.
        pub type Api = registry!(@api_type $($group),+);

        pub fn api() -> Api {
            registry!(@api_value $($group),+)
        }

        /// Every function group, in the order of the registry.
        pub fn all() -> Vec<FunctionGroup> {
            vec![$(FunctionGroup::of::<$group>()),+]
        }
    };
    (@api_type $g:path) => { <$g as Group>::Api };
    (@api_type $g:path, $($rest:path),+) => { (<$g as Group>::Api, registry!(@api_type $($rest),+)) };
    (@api_value $g:path) => { <$g as Group>::api() };
    (@api_value $g:path, $($rest:path),+) => { (<$g as Group>::api(), registry!(@api_value $($rest),+)) };
}

registry! {
    functions::auth::Auth,
    functions::staff::Staff,
    functions::drugs::Drugs,
    functions::scans::Scans,
    functions::registrations::Registrations,
    functions::admin::Admin,
    functions::imports::Imports,
    functions::sync::SyncAdmin,
    functions::users::Users,
    functions::organisations::Organisations,
    mobile_api::inspection::Inspection,
    mobile_api::inspection::InspectionPhotos,
    mobile_api::alerts::Alerts,
    mobile_api::approval_items::ApprovalItems,
    mobile_api::calendar::WorkingCalendar,
    mobile_api::approvals::Approvals,
    functions::web::Web,
}

/// Jobs of the platform itself rather than of one group.
const PLATFORM_JOBS: &[Job] = &[shared::idempotency::EXPIRY_JOB];

/// Every scheduled job: the platform's, then each group's.
pub fn jobs() -> Vec<Job> {
    let mut jobs = PLATFORM_JOBS.to_vec();
    for g in all() {
        jobs.extend_from_slice(g.jobs);
    }
    jobs
}

/// Every outbox entity the groups write.
pub fn entities() -> Vec<Entity> {
    all()
        .iter()
        .flat_map(|g| g.entities.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique() {
        let groups = super::all();
        let names: BTreeSet<_> = groups.iter().map(|g| g.name).collect();
        assert_eq!(names.len(), groups.len(), "two groups share a name");
        let jobs = super::jobs();
        let names: BTreeSet<_> = jobs.iter().map(|j| j.name).collect();
        assert_eq!(names.len(), jobs.len(), "two jobs share a name");
        let entities = super::entities();
        let names: BTreeSet<_> = entities.iter().map(|e| e.name).collect();
        assert_eq!(names.len(), entities.len(), "two entities share a name");
    }

    #[test]
    fn no_path_belongs_to_two_groups() {
        let mut seen = BTreeSet::new();
        for g in super::all() {
            for p in &g.paths {
                assert!(seen.insert(p.clone()), "{p} is in two groups");
            }
        }
    }
}
