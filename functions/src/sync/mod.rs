//! Delivery to data centres (SPEC §6): the worker (`worker`), what is sent
//! (`payload`), and the admin API that shows whether data is flowing (`api`).

pub mod api;
pub mod payload;
pub mod repo;
pub mod worker;
