//! Function groups: the unit of deployment (SPEC §2).
//!
//! A group is declared once, by implementing [`Group`] in its folder: its
//! name, description (also its OpenAPI tag), its poem-openapi API, the
//! scheduled jobs and the outbox entities it owns, and how it is deployed.
//! The `yaojian` command lists every group in one registry
//! (`src/groups.rs`); the composed API, `yaojian groups`, `serve --only`,
//! `jobs list`, the sync worker's payloads, the deploy manifests and the
//! README's group table all derive from that list.

use std::{future::Future, pin::Pin};

use poem_openapi::OpenApi;
use serde_json::Value;
use sqlx::PgConnection;

use crate::AppState;

/// A boxed future borrowing from its arguments (jobs and payload builders).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One function group. See the module documentation and
/// `docs/ADDING_A_GROUP.md`.
pub trait Group: 'static {
    /// Used by `serve --only`, `deploy/functions/` and as the OpenAPI tag.
    const NAME: &'static str;
    /// One line, in Chinese: what the group does (also the tag's description).
    const DESCRIPTION: &'static str;
    /// How the group is deployed.
    const DEPLOY: Deploy = Deploy::DEFAULT;
    /// Scheduled jobs the group owns.
    const JOBS: &'static [Job] = &[];
    /// Entities the group writes to the outbox, with their payloads.
    const ENTITIES: &'static [Entity] = &[];
    /// Built browser apps the group serves outside `/api/v1`.
    const SITES: &'static [Site] = &[];

    type Api: OpenApi;
    fn api() -> Self::Api;
}

/// What the deploy manifests need to know about a group's function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deploy {
    /// Memory of the function, MiB.
    pub memory_mb: u32,
}

impl Deploy {
    pub const DEFAULT: Deploy = Deploy { memory_mb: 256 };
    /// Groups that decode photos or parse spreadsheets.
    pub const HEAVY: Deploy = Deploy { memory_mb: 512 };
}

/// A built browser app (SPEC §10) served under `mount` from the folder `dir`
/// of the web directory (`YAOJIAN_WEB_DIR`): see [`crate::site`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Where it is served, without a trailing slash: `/console`.
    pub mount: &'static str,
    /// Its folder in the web directory: `console`.
    pub dir: &'static str,
}

/// A scheduled job (`yaojian jobs run NAME`): run under an advisory lock by
/// `functions::jobs` (`jobs run`) or a timer-triggered function (`serve-job`).
#[derive(Clone, Copy)]
pub struct Job {
    pub name: &'static str,
    pub description: &'static str,
    /// Six-field cron expression (seconds first) of its timer trigger.
    pub schedule: &'static str,
    pub run: for<'a> fn(&'a AppState) -> BoxFuture<'a, anyhow::Result<Value>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("name", &self.name).finish()
    }
}

/// The data of a batch of outbox keys of one entity: by key, and the keys
/// whose data could not be built (e.g. a field that no longer decrypts), with
/// why — those are dead-lettered rather than stopping the whole sync.
#[derive(Debug, Default)]
pub struct Payload {
    pub data: std::collections::HashMap<String, Value>,
    pub unreadable: std::collections::HashMap<String, String>,
}

/// How a payload builder is called: the keys of one batch, and whether the
/// target receives personal data in full (`pii = "full"`) or masked.
pub struct PayloadRequest<'a> {
    pub state: &'a AppState,
    pub conn: &'a mut PgConnection,
    pub keys: &'a [String],
    pub pii_full: bool,
}

/// An entity written to the outbox (`outbox.entity`) and synced to the data
/// centres whose `entities` name it.
#[derive(Clone, Copy)]
pub struct Entity {
    pub name: &'static str,
    /// The payload's fields, as the data centres receive them (documented
    /// in the README's "Data centres").
    pub fields: &'static [&'static str],
    /// Loads the data of every key of a batch in a few queries.
    pub payload: for<'a> fn(PayloadRequest<'a>) -> BoxFuture<'a, anyhow::Result<Payload>>,
}

impl std::fmt::Debug for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entity").field("name", &self.name).finish()
    }
}

/// A group as the registry holds it, once its API's paths are known.
#[derive(Debug, Clone)]
pub struct FunctionGroup {
    pub name: &'static str,
    pub description: &'static str,
    pub deploy: Deploy,
    pub jobs: &'static [Job],
    pub entities: &'static [Entity],
    pub sites: &'static [Site],
    /// Paths (OpenAPI form, `{id}`) relative to `/api/v1`.
    pub paths: Vec<String>,
}

impl FunctionGroup {
    pub fn of<G: Group>() -> FunctionGroup {
        let mut paths: Vec<String> = <G::Api as OpenApi>::meta()
            .into_iter()
            .flat_map(|api| api.paths.into_iter().map(|p| p.path))
            .collect();
        paths.sort();
        paths.dedup();
        FunctionGroup {
            name: G::NAME,
            description: G::DESCRIPTION,
            deploy: G::DEPLOY,
            jobs: G::JOBS,
            entities: G::ENTITIES,
            sites: G::SITES,
            paths,
        }
    }
}

/// `/drugs/by-barcode/{barcode}` → `/drugs/by-barcode/:barcode` (poem's router syntax).
pub fn to_route_pattern(openapi_path: &str) -> String {
    openapi_path
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => seg.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_patterns() {
        assert_eq!(super::to_route_pattern("/a/{id}/b"), "/a/:id/b");
        assert_eq!(super::to_route_pattern("/me"), "/me");
    }
}
