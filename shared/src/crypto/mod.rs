//! Cryptography for Yaojian (SPEC §4.4), using Chinese national standard algorithms:
//!
//! * SM3 (GB/T 32905) hashing for the audit chain — [`sm3()`], [`sm3_hex`];
//! * HMAC-SM3 for the blind index and data-centre batch signatures — [`hmac_sm3`],
//!   [`verify_hmac_sm3`], [`data_centre_signature`];
//! * SM4 (GB/T 32907) in GCM mode (RFC 8998) to encrypt ID numbers and names at rest —
//!   [`PiiCipher`], keyed from `YAOJIAN_MASTER_KEY` ([`MasterKeys`]) via HKDF-SM3;
//! * SM2 (GM/T 0003) signatures over approval decisions and seals — [`Sm2Key`],
//!   [`sm2_verify`].
//!
//! Only library implementations of the cipher modes are used (RustCrypto `aes-gcm`
//! instantiated with the `sm4` block cipher, `hmac`, `hkdf`).

mod hash;
mod keys;
mod pii;
mod signing;

#[cfg(test)]
mod tests;

pub use hash::{
    data_centre_signature, hmac_sm3, hmac_sm3_hex, sm3, sm3_hex, verify_data_centre_signature,
    verify_hmac_sm3,
};
pub use keys::{DEVELOPMENT_MASTER_KEY, KeyError, MIN_SECRET_LEN, MasterKeys};
pub use pii::{
    BLOB_VERSION, CryptoError, HKDF_SALT, LABEL_BLIND_INDEX, LABEL_PII_ENC, LABEL_SUBKEY_PREFIX,
    LABEL_TOKEN, MIN_BLOB_LEN, PiiCipher, normalise,
};
pub use signing::{DISTINGUISHING_ID, Sm2Key, verify as sm2_verify};
