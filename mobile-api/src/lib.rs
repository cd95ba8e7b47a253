//! Inspection (inspectors' app and the mini-program's district side) and
//! approvals (H5 inside the collaboration platform, SPEC §8).
//!
//! The function groups of this crate arrive with their issues (inspection:
//! issue 4; approvals: later); the `yaojian` command already composes whatever
//! `groups()` returns, so adding a group here needs no change elsewhere.

use shared::group::FunctionGroup;

/// Every API of this crate, composed by the `yaojian` command.
pub type Api = ();

pub fn api() -> Api {}

pub fn groups() -> Vec<FunctionGroup> {
    Vec::new()
}
