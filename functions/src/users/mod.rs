//! City admins manage users: list, create (invite code and/or initial
//! password that must be changed at first sign-in), deactivate, reset.

pub mod api;
pub mod repo;
