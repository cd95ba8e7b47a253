//! Registration of special-drug sales (SPEC §4.2): the rules (`rules`), the
//! recording transaction (`record`), queries (`repo`) and the API.

pub mod api;
pub mod export;
pub mod record;
pub mod repo;
pub mod rules;
