//! A sale of a special-drug preparation as every group sees it (SPEC §4.2):
//! the registrations group writes it; inspection, the city's queries and
//! exports, and sync read it. What they share lives here so that no group
//! depends on another: the buyer's encryption context and blind index
//! ([`buyer`]), the scanned identity waiting for its sale ([`identity`]), the
//! stored rows and their scoped queries ([`read`]) and the masked response
//! ([`view`]).

pub mod buyer;
pub mod identity;
pub mod read;
pub mod view;

pub use identity::{Identity, Method, Source};
pub use view::{BuyerView, GenderView, Item, Registration};
