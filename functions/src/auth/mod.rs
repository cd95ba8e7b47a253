//! Sign-in: WeChat login and bind, password login with lockout, logout, `/me`,
//! password change.

pub mod api;
pub mod repo;
