//! Field-level encryption of personal data (ID numbers, names) with SM4-GCM, and a
//! keyed blind index (HMAC-SM3) for equality lookups on encrypted columns.
//!
//! # Key derivation
//!
//! Every sub-key is derived with HKDF-SM3 (salt [`HKDF_SALT`]) from one master secret,
//! with a distinct `info` label per purpose:
//!
//! | purpose                    | info                          | master secret used         |
//! |----------------------------|-------------------------------|----------------------------|
//! | SM4-GCM encryption (16 B)  | [`LABEL_PII_ENC`]             | each configured key        |
//! | blind index (32 B)         | [`LABEL_BLIND_INDEX`]         | key with the **lowest id** |
//! | [`PiiCipher::derive_key`]  | [`LABEL_SUBKEY_PREFIX`]+label | **current** key            |
//!
//! # Ciphertext layout
//!
//! `version (1 byte) | key id (1 byte) | nonce (12 bytes, random) | SM4-GCM ciphertext | tag (16 bytes)`
//!
//! The GCM associated data is `version | key id | caller aad`, so the header is
//! authenticated too, and the caller's `aad` (e.g. `b"registration.buyer_name"`)
//! binds a blob to its column: a blob copied into another column fails to decrypt.
//!
//! # Why the blind-index key does not rotate
//!
//! A blind index is stored next to each encrypted value and searched by recomputing
//! it from the query value. If its key followed the *current* encryption key, every
//! rotation would silently make all existing rows unfindable until a full re-index.
//! So the index key is derived from the key with the **lowest id**, which stays the
//! same when a new (higher-id) key is put in front of the list. Consequence: the
//! lowest-id key must stay in `YAOJIAN_MASTER_KEY` for as long as indexes computed
//! with it are stored (it is needed anyway to decrypt the old rows). Changing the
//! index key requires recomputing every stored blind index.

use super::keys::MasterKeys;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::Sm3;
use sm4::Sm4;
use std::fmt;

/// SM4 in GCM mode with a 96-bit nonce and 128-bit tag.
type Sm4Gcm = AesGcm<Sm4, U12>;

/// Current ciphertext format version.
pub const BLOB_VERSION: u8 = 1;
/// Nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// GCM tag length in bytes.
pub const TAG_LEN: usize = 16;
/// Header length (version + key id + nonce).
pub const HEADER_LEN: usize = 2 + NONCE_LEN;
/// Shortest valid blob (empty plaintext).
pub const MIN_BLOB_LEN: usize = HEADER_LEN + TAG_LEN;

/// HKDF salt (fixed, public; domain separation only).
pub const HKDF_SALT: &[u8] = b"yaojian/hkdf-salt/v1";
/// HKDF info for the SM4-GCM field-encryption key.
pub const LABEL_PII_ENC: &str = "yaojian/pii-enc/v1";
/// HKDF info for the blind-index key.
pub const LABEL_BLIND_INDEX: &str = "yaojian/blind-index/v1";
/// Prefix of the HKDF info used by [`PiiCipher::derive_key`]; keeps caller labels
/// from ever reproducing the internal encryption or blind-index keys.
pub const LABEL_SUBKEY_PREFIX: &str = "yaojian/subkey/v1:";
/// Suggested label for [`PiiCipher::derive_key`] when deriving the token-signing key.
pub const LABEL_TOKEN: &str = "yaojian/token/v1";

/// Decryption failure. Never contains plaintext or key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// The blob is too short, has an unknown version, or does not decode to UTF-8.
    Malformed,
    /// The blob names a key id that is not configured.
    UnknownKeyId(u8),
    /// The tag did not verify: wrong key, wrong aad, or the blob was altered.
    Authentication,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::Malformed => write!(f, "encrypted field is malformed"),
            CryptoError::UnknownKeyId(id) => write!(
                f,
                "encrypted field uses master key id {id}, which is not configured in YAOJIAN_MASTER_KEY"
            ),
            CryptoError::Authentication => write!(
                f,
                "encrypted field failed authentication (wrong key or context, or tampered data)"
            ),
        }
    }
}

impl std::error::Error for CryptoError {}

fn hkdf_expand<const N: usize>(secret: &[u8], info: &[&[u8]]) -> [u8; N] {
    let hk = Hkdf::<Sm3>::new(Some(HKDF_SALT), secret);
    let mut out = [0u8; N];
    hk.expand_multi_info(info, &mut out)
        .expect("HKDF output length is far below 255 * 32 bytes");
    out
}

/// SM4-GCM field encryption plus blind index, derived from [`MasterKeys`].
///
/// Cheap to clone (a few hundred bytes per configured key). `Debug` is redacted.
#[derive(Clone)]
pub struct PiiCipher {
    current_id: u8,
    /// (key id, cipher) for every configured key; the current one first.
    ciphers: Vec<(u8, Sm4Gcm)>,
    index_key: [u8; 32],
    /// Current master secret, kept only as HKDF input for `derive_key`.
    current_secret: Vec<u8>,
}

impl fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiiCipher")
            .field("current_id", &self.current_id)
            .field(
                "key_ids",
                &self.ciphers.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            )
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl PiiCipher {
    /// Derives all sub-keys from `keys`.
    pub fn new(keys: &MasterKeys) -> Self {
        let entries = keys.entries();
        let ciphers = entries
            .iter()
            .map(|entry| {
                let key: [u8; 16] = hkdf_expand(&entry.secret, &[LABEL_PII_ENC.as_bytes()]);
                let cipher = <Sm4Gcm as KeyInit>::new(&key.into());
                (entry.id, cipher)
            })
            .collect();
        let oldest = entries
            .iter()
            .min_by_key(|e| e.id)
            .expect("MasterKeys is never empty");
        PiiCipher {
            current_id: entries[0].id,
            ciphers,
            index_key: hkdf_expand(&oldest.secret, &[LABEL_BLIND_INDEX.as_bytes()]),
            current_secret: entries[0].secret.clone(),
        }
    }

    /// Id of the key used for new encryptions.
    pub fn current_key_id(&self) -> u8 {
        self.current_id
    }

    fn cipher(&self, id: u8) -> Option<&Sm4Gcm> {
        self.ciphers.iter().find(|(i, _)| *i == id).map(|(_, c)| c)
    }

    /// Encrypts `plaintext` with the current key and a fresh random nonce.
    /// `aad` binds the blob to its column/context, e.g. `b"registration.buyer_name"`.
    pub fn encrypt(&self, plaintext: &str, aad: &[u8]) -> Vec<u8> {
        self.encrypt_bytes(plaintext.as_bytes(), aad)
    }

    /// [`PiiCipher::encrypt`] of bytes (files, keys): the same blob layout.
    pub fn encrypt_bytes(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let cipher = self
            .cipher(self.current_id)
            .expect("current key is configured");
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let header = [BLOB_VERSION, self.current_id];
        let full_aad = [&header[..], aad].concat();
        let sealed = cipher
            .encrypt(
                &Nonce::<U12>::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &full_aad,
                },
            )
            .expect("SM4-GCM encryption only fails for inputs larger than 64 GiB");
        let mut blob = Vec::with_capacity(HEADER_LEN + sealed.len());
        blob.extend_from_slice(&header);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        blob
    }

    /// Decrypts a blob produced by [`PiiCipher::encrypt`] with the same `aad`.
    /// Uses the key id stored in the blob, so blobs from rotated-out keys still
    /// decrypt as long as that key remains configured.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> Result<String, CryptoError> {
        let plain = self.decrypt_bytes(blob, aad)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Malformed)
    }

    /// [`PiiCipher::decrypt`] of a blob made by [`PiiCipher::encrypt_bytes`].
    pub fn decrypt_bytes(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if blob.len() < MIN_BLOB_LEN || blob[0] != BLOB_VERSION {
            return Err(CryptoError::Malformed);
        }
        let key_id = blob[1];
        let cipher = self
            .cipher(key_id)
            .ok_or(CryptoError::UnknownKeyId(key_id))?;
        let nonce: [u8; NONCE_LEN] = blob[2..HEADER_LEN]
            .try_into()
            .map_err(|_| CryptoError::Malformed)?;
        let full_aad = [&blob[..2], aad].concat();
        cipher
            .decrypt(
                &Nonce::<U12>::from(nonce),
                Payload {
                    msg: &blob[HEADER_LEN..],
                    aad: &full_aad,
                },
            )
            .map_err(|_| CryptoError::Authentication)
    }

    /// Keyed blind index for equality lookups on an encrypted column.
    ///
    /// `HMAC-SM3(index_key, len(label) as u32 BE || label || normalise(value))`.
    /// The `label` (e.g. `"registration.id_number"`) keeps indexes of different
    /// columns unrelated. The index key is stable across key rotation (see module docs).
    pub fn blind_index(&self, label: &str, value: &str) -> [u8; 32] {
        let label_len = u32::try_from(label.len()).expect("label shorter than 4 GiB");
        let mac = <Hmac<Sm3> as KeyInit>::new_from_slice(&self.index_key)
            .expect("HMAC accepts keys of any length")
            .chain_update(label_len.to_be_bytes())
            .chain_update(label.as_bytes())
            .chain_update(normalise(value).as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A 32-byte key for another subsystem (e.g. token signing with [`LABEL_TOKEN`]).
    ///
    /// HKDF-SM3 of the **current** master secret with info
    /// `LABEL_SUBKEY_PREFIX + label`; distinct labels give independent keys, and no
    /// label can reproduce the internal encryption or blind-index keys. Because it
    /// follows the current key, the result changes when the master key is rotated:
    /// use it for short-lived secrets (tokens), not for anything persisted.
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        hkdf_expand(
            &self.current_secret,
            &[LABEL_SUBKEY_PREFIX.as_bytes(), label.as_bytes()],
        )
    }
}

/// Normalisation applied to values before blind indexing, so trivially different
/// spellings of the same ID number or name match:
///
/// * full-width ASCII forms (U+FF01..=U+FF5E, common with Chinese IMEs) become ASCII;
/// * leading/trailing whitespace is removed and inner whitespace runs (including the
///   ideographic space U+3000) collapse to one ASCII space;
/// * ASCII letters are upper-cased (ID-card check digit `x` → `X`).
///
/// No other Unicode normalisation is done.
pub fn normalise(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}
