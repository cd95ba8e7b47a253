//! On-site inspection (inspectors' app and the mini-program's district side):
//! pharmacies of the inspector's district, their recent records, inspection
//! records with photos.

pub mod api;
pub mod photo;
pub mod photos;
pub mod repo;
