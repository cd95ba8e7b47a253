//! The function groups of the pharmacies' mini-program and the city's
//! administration (SPEC §2). One folder per group: its declaration
//! ([`shared::group::Group`]) in `mod.rs`, its poem-openapi API in `api.rs`,
//! its queries in `repo.rs`. Groups here depend on `shared` only, never on one
//! another's internals beyond the catalogue (`drugs::repo`) and the import
//! parser; `src/groups.rs` of the `yaojian` command lists them.

pub mod admin;
pub mod auth;
pub mod drugs;
pub mod imports;
pub mod organisations;
pub mod registrations;
pub mod scans;
pub mod staff;
pub mod sync;
pub mod users;
pub mod web;
