//! Master keys as configured in `YAOJIAN_MASTER_KEY`.
//!
//! Accepted formats (surrounding whitespace is ignored everywhere):
//!
//! * a single secret — it gets key id `1`;
//! * a comma-separated list `ID:SECRET,ID:SECRET,...` — the **first** entry is the
//!   current key (used for new encryptions); the others are kept only so that
//!   older ciphertexts still decrypt. Ids are decimal `1..=255` and must be unique.
//!
//! A secret is either hex — 64 hex characters (32 bytes; longer is accepted) — or
//! base64 (standard or URL-safe alphabet, padding optional) decoding to at least
//! 32 bytes. A string made only of hex digits is always read as hex (a random
//! base64 secret of that length never is), so a truncated hex key is reported as
//! too short rather than as bad base64.
//!
//! Error messages name the entry (1-based position and, when known, the id) and
//! the problem, but never contain any secret text.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use std::fmt;

/// Minimum secret length in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// The development master key, as it would be written in `YAOJIAN_MASTER_KEY`.
///
/// It is hex for the ASCII text `yaojian-dev-INSECURE-master-key!`. It is public,
/// so anything encrypted with it is effectively plaintext. Never use it in production;
/// callers that fall back to it must print a loud warning.
pub const DEVELOPMENT_MASTER_KEY: &str =
    "79616f6a69616e2d6465762d494e5345435552452d6d61737465722d6b657921";

/// One secret with its id.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct KeyEntry {
    pub(crate) id: u8,
    pub(crate) secret: Vec<u8>,
}

/// Parsed master keys: the current key plus older keys kept for decryption.
///
/// `Debug` shows only the key ids; secrets are redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKeys {
    /// Entries in configuration order; `entries[0]` is the current key. Never empty.
    entries: Vec<KeyEntry>,
}

/// Why a `YAOJIAN_MASTER_KEY` value was refused. Never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The value is empty or whitespace only.
    Empty,
    /// A list entry is empty (e.g. a doubled or trailing comma).
    EmptyEntry { position: usize },
    /// In list form, an entry is not of the form `ID:SECRET`.
    MissingId { position: usize },
    /// A key id is not a decimal integer in `1..=255`.
    InvalidId { position: usize },
    /// The same key id appears twice.
    DuplicateId { id: u8 },
    /// The secret is neither valid hex (even length) nor valid base64.
    InvalidEncoding { position: usize, id: u8 },
    /// The secret decodes to fewer than [`MIN_SECRET_LEN`] bytes.
    TooShort { position: usize, id: u8, len: usize },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => write!(f, "YAOJIAN_MASTER_KEY is empty"),
            KeyError::EmptyEntry { position } => {
                write!(
                    f,
                    "YAOJIAN_MASTER_KEY entry {position} is empty (stray comma?)"
                )
            }
            KeyError::MissingId { position } => write!(
                f,
                "YAOJIAN_MASTER_KEY entry {position} has no key id; in a list every entry must be ID:SECRET"
            ),
            KeyError::InvalidId { position } => write!(
                f,
                "YAOJIAN_MASTER_KEY entry {position} has an invalid key id; ids must be integers 1..=255"
            ),
            KeyError::DuplicateId { id } => {
                write!(f, "YAOJIAN_MASTER_KEY uses key id {id} more than once")
            }
            KeyError::InvalidEncoding { position, id } => write!(
                f,
                "YAOJIAN_MASTER_KEY entry {position} (key id {id}): secret is neither hex (64 characters) nor base64"
            ),
            KeyError::TooShort { position, id, len } => write!(
                f,
                "YAOJIAN_MASTER_KEY entry {position} (key id {id}): secret is {len} bytes, at least {MIN_SECRET_LEN} bytes are required"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

fn decode_secret(text: &str, position: usize, id: u8) -> Result<Vec<u8>, KeyError> {
    let text = text.trim();
    let bytes = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).map_err(|_| KeyError::InvalidEncoding { position, id })?
    } else {
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or(KeyError::InvalidEncoding { position, id })?
    };
    if bytes.len() < MIN_SECRET_LEN {
        return Err(KeyError::TooShort {
            position,
            id,
            len: bytes.len(),
        });
    }
    Ok(bytes)
}

impl MasterKeys {
    /// Parses the text of `YAOJIAN_MASTER_KEY` (see the module docs for the format).
    pub fn parse(text: &str) -> Result<MasterKeys, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        // Neither hex nor base64 uses ':' or ',', so their presence selects the list form.
        if !text.contains([':', ',']) {
            let secret = decode_secret(text, 1, 1)?;
            return Ok(MasterKeys {
                entries: vec![KeyEntry { id: 1, secret }],
            });
        }
        let mut entries: Vec<KeyEntry> = Vec::new();
        for (index, entry) in text.split(',').enumerate() {
            let position = index + 1;
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(KeyError::EmptyEntry { position });
            }
            let (id_text, secret_text) = entry
                .split_once(':')
                .ok_or(KeyError::MissingId { position })?;
            let id = id_text
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|id| *id != 0)
                .ok_or(KeyError::InvalidId { position })?;
            if entries.iter().any(|e| e.id == id) {
                return Err(KeyError::DuplicateId { id });
            }
            let secret = decode_secret(secret_text, position, id)?;
            entries.push(KeyEntry { id, secret });
        }
        Ok(MasterKeys { entries })
    }

    /// The development default: [`DEVELOPMENT_MASTER_KEY`] as key id 1.
    ///
    /// Fixed, public and obviously insecure. Callers must print a loud warning
    /// (and should refuse it in production; see [`MasterKeys::is_development_default`]).
    pub fn development_default() -> MasterKeys {
        MasterKeys::parse(DEVELOPMENT_MASTER_KEY).expect("development key is well-formed")
    }

    /// True if these keys contain the public development key (as any id).
    pub fn is_development_default(&self) -> bool {
        let dev = Self::development_default();
        self.entries
            .iter()
            .any(|e| e.secret == dev.entries[0].secret)
    }

    /// Id of the current key (used for new encryptions).
    pub fn current_id(&self) -> u8 {
        self.entries[0].id
    }

    /// All key ids in configuration order (current first).
    pub fn key_ids(&self) -> Vec<u8> {
        self.entries.iter().map(|e| e.id).collect()
    }

    pub(crate) fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }
}

impl fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKeys")
            .field("current_id", &self.current_id())
            .field("key_ids", &self.key_ids())
            .field("secrets", &"<redacted>")
            .finish()
    }
}
