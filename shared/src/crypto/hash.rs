//! SM3 hashing and HMAC-SM3 helpers.
//!
//! * [`sm3()`] / [`sm3_hex`] — plain SM3 (GB/T 32905), used by the audit hash chain.
//! * [`hmac_sm3`] / [`hmac_sm3_hex`] / [`verify_hmac_sm3`] — HMAC-SM3, used for the
//!   blind index and for signing batches sent to the data centre
//!   (see [`data_centre_signature`]).

use hmac::{Hmac, KeyInit, Mac};
use sm3::{Digest, Sm3};

type HmacSm3 = Hmac<Sm3>;

/// SM3 digest of `data`.
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// SM3 digest of `data` as 64 lowercase hex characters.
pub fn sm3_hex(data: &[u8]) -> String {
    hex::encode(sm3(data))
}

fn hmac_instance(key: &[u8]) -> HmacSm3 {
    // HMAC accepts keys of any length (long keys are hashed first), so this cannot fail.
    <HmacSm3 as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// HMAC-SM3 of `data` under `key`.
pub fn hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
    hmac_instance(key)
        .chain_update(data)
        .finalize()
        .into_bytes()
        .into()
}

/// HMAC-SM3 of `data` under `key`, as 64 lowercase hex characters.
pub fn hmac_sm3_hex(key: &[u8], data: &[u8]) -> String {
    hex::encode(hmac_sm3(key, data))
}

/// Checks `tag` (raw bytes, not hex) against HMAC-SM3 of `data` in constant time.
/// A tag of the wrong length is simply rejected.
pub fn verify_hmac_sm3(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    hmac_instance(key)
        .chain_update(data)
        .verify_slice(tag)
        .is_ok()
}

/// Signature of a data-centre batch: hex of HMAC-SM3 over `timestamp + "\n" + body`.
pub fn data_centre_signature(key: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mac = hmac_instance(key)
        .chain_update(timestamp.as_bytes())
        .chain_update(b"\n")
        .chain_update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Verifies a hex signature produced by [`data_centre_signature`] in constant time.
/// Returns `false` for malformed hex.
pub fn verify_data_centre_signature(
    key: &[u8],
    timestamp: &str,
    body: &[u8],
    signature_hex: &str,
) -> bool {
    let Ok(tag) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    hmac_instance(key)
        .chain_update(timestamp.as_bytes())
        .chain_update(b"\n")
        .chain_update(body)
        .verify_slice(&tag)
        .is_ok()
}
