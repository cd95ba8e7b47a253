//! City administration. So far: the audit log (`GET /admin/audit`); imports,
//! users and exports arrive with issue 4.

pub mod api;
pub mod import;
pub mod repo;
