//! The buyer's personal data at rest (SPEC §4.4): the ID number and the name
//! are SM4-GCM encrypted, each bound to its column by the AAD below, and
//! found through a keyed blind index of the ID number.

use crate::{AppState, domain::ResidentIdNumber};

/// AAD of `registration.buyer_id_enc`.
pub const AAD_ID: &[u8] = b"registration.buyer_id";
/// AAD of `registration.buyer_name_enc`.
pub const AAD_NAME: &[u8] = b"registration.buyer_name";

/// Keyed blind index of an ID number, for equality lookups.
pub fn index(state: &AppState, id: &ResidentIdNumber) -> Vec<u8> {
    state.pii.blind_index("buyer_id", id.as_str()).to_vec()
}
