//! Inspection (inspectors' app and the mini-program's district side), alerts,
//! and later approvals (H5 inside the collaboration platform, SPEC §8).

pub mod alerts;
pub mod approval_items;
pub mod approvals;
pub mod calendar;
pub mod inspection;
