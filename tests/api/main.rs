//! End-to-end tests of the composed server: real PostgreSQL (a fresh database
//! per test), real Redis (a key prefix per test), a fake WeChat on loopback.

mod helpers;

mod audit;
mod auth;
mod cli;
mod errors;
mod ops;
mod scope;
mod wechat;
