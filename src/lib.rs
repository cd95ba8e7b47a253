//! The `yaojian` command's library: composes the function groups of
//! `functions/` and `mobile-api/` into one server, plus the operations
//! endpoints, the demo seed and the fake WeChat used by the demo and tests.

pub mod app;
pub mod bench;
pub mod deploy;
pub mod fake_receiver;
pub mod fake_sms;
pub mod fake_wechat;
pub mod groups;
pub mod ops;
pub mod seed;
pub mod trigger;
