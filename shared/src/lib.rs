//! The library every Yaojian function stands on (SPEC §2): configuration,
//! errors, telemetry, database, Redis, auth and access rules, domain types,
//! national crypto, the audit chain and the WeChat client.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod blocking;
pub mod body;
pub mod cache;
pub mod codes;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod group;
pub mod idempotency;
pub mod imaging;
pub mod inbound;
pub mod jobs;
pub mod net;
pub mod outbox;
pub mod paging;
pub mod ratelimit;
pub mod sales;
pub mod signer;
pub mod site;
pub mod sms;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod text_enum;
pub mod time;
pub mod upload;
pub mod wechat;
pub mod workdays;

pub use error::ApiError;
pub use state::AppState;
