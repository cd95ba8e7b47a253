//! Approval cases (办件, SPEC §8.3–§8.4): intake from the online service
//! platforms and the window, pre-review, acceptance numbers, the tasks of
//! each step and the decisions on them, working-day clocks, and the SM2-signed
//! trail every move leaves.
//!
//! - `submission`: what is handed in, and the pre-review of it;
//! - `intake`, `supplement`: a case comes in, a returned case comes back;
//! - `decision`: what an approver decides;
//! - `flow`: every move of a case (the engine);
//! - `trail`: the signed, hash-linked record of it;
//! - `views`, `detail`: what is read back, in the caller's scope;
//! - `api`: the HTTP surface.

pub mod api;
pub mod decision;
pub mod detail;
pub mod flow;
pub mod intake;
pub mod submission;
pub mod supplement;
pub mod trail;
pub mod views;

/// The `approvals` function group.
pub struct Approvals;

impl shared::group::Group for Approvals {
    const NAME: &'static str = "approvals";
    const DESCRIPTION: &'static str = "审批办件：收件、预审、受理、审查决定与签名留痕";
    type Api = api::ApprovalsApi;
    fn api() -> Self::Api {
        api::ApprovalsApi
    }
}
