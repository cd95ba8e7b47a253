//! A pharmacy manager's staff: list, add (with a single-use invite code that
//! binds the clerk's WeChat), re-invite, remove (sessions end at once).

pub mod api;
pub mod repo;
