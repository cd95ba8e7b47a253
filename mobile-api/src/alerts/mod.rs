//! Alerts for inspectors (own district) and city admins (all): list, resolve.

pub mod api;
pub mod repo;
