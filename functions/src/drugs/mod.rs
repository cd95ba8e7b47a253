//! The catalogue of special-drug compound preparations (SPEC §4.2): lookup by
//! barcode at the counter, search by name.

pub mod api;
pub mod repo;
