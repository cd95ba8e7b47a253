//! End-to-end tests of the composed server: real PostgreSQL (a fresh database
//! per test), real Redis (a key prefix per test), a fake WeChat on loopback.

mod helpers;

mod admin;
mod approval_items;
mod approvals;
mod audit;
mod auth;
mod bench;
mod calendar;
mod cli;
mod codes;
mod deploy;
mod drugs;
mod errors;
mod export;
mod hardening;
mod imports;
mod inbound;
mod inspection;
mod layout;
mod ops;
mod organisations;
mod registrations;
mod scans;
mod scope;
mod staff;
mod storage;
mod sync;
mod users;
mod web;
mod wechat;
