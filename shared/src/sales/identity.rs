//! A scanned identity waiting for its registration: kept 10 minutes in Redis
//! under the hash of a random `scan_token`, encrypted (SM4-GCM, bound to the
//! scanning clerk), usable only by that clerk.

use crate::codes;
use std::time::Duration;

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use rand::RngCore;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ApiError, AppState, crypto::sm3_hex, domain::ResidentIdNumber};

pub const SCAN_TTL: Duration = Duration::from_secs(600);

crate::text_enum! {
    /// Where the buyer's identity came from: an ID card, a social-security card,
    /// or typed in by hand.
    pub enum Source {
        IdCard = "id_card",
        SsCard = "ss_card",
        Manual = "manual",
    }
}

crate::text_enum! {
    /// How the identity was read: photographed, by a card reader, or typed in.
    pub enum Method {
        Photo = "photo",
        CardReader = "card_reader",
        Manual = "manual",
    }
}

/// A buyer's identity: a valid ID number and a name.
#[derive(Clone, Serialize, Deserialize)]
pub struct Identity {
    pub id_number: ResidentIdNumber,
    pub name: String,
    pub source: Source,
    pub method: Method,
    pub card_expired: bool,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A name as printed on a card: 1–40 characters, letters (any script), `·`
/// and spaces. Returns it trimmed.
pub fn parse_name(raw: &str) -> Result<String, ApiError> {
    let name: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let ok = !name.is_empty()
        && name.chars().count() <= 40
        && name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '·' | '•' | '.' | ' ' | '-'));
    if !ok {
        return Err(ApiError::unprocessable(
            codes::NAME_INVALID,
            "姓名格式不正确，请核对证件上的姓名",
        )
        .field("name", codes::NAME_INVALID, "姓名应为 1–40 个文字"));
    }
    Ok(name)
}

fn key(state: &AppState, token: &str) -> String {
    state
        .cache
        .key(format_args!("scan:{}", sm3_hex(token.as_bytes())))
}

fn aad(clerk: Uuid) -> Vec<u8> {
    format!("scan:{clerk}").into_bytes()
}

pub async fn store(state: &AppState, clerk: Uuid, identity: &Identity) -> Result<String, ApiError> {
    let mut raw = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let plain = serde_json::to_string(identity).map_err(ApiError::internal)?;
    let blob = STANDARD.encode(state.pii.encrypt(&plain, &aad(clerk)));
    let mut conn = state.cache.conn();
    let _: () = conn
        .set_ex(key(state, &token), blob, SCAN_TTL.as_secs())
        .await?;
    Ok(token)
}

pub fn token_invalid() -> ApiError {
    ApiError::unprocessable(
        codes::SCAN_TOKEN_INVALID,
        "证件扫描已过期或无效，请重新扫描证件",
    )
    .field("scan_token", codes::SCAN_TOKEN_INVALID, "请重新扫描证件")
}

/// The identity behind `token`, if it exists and was scanned by `clerk`.
/// (Another clerk's token fails decryption: the clerk id is the AAD.)
pub async fn load(state: &AppState, clerk: Uuid, token: &str) -> Result<Identity, ApiError> {
    if token.is_empty() || token.len() > 64 {
        return Err(token_invalid());
    }
    let mut conn = state.cache.conn();
    let blob: Option<String> = conn.get(key(state, token)).await?;
    let blob = blob.ok_or_else(token_invalid)?;
    let bytes = STANDARD.decode(blob).map_err(|_| token_invalid())?;
    let plain = state
        .pii
        .decrypt(&bytes, &aad(clerk))
        .map_err(|_| token_invalid())?;
    serde_json::from_str(&plain).map_err(|_| token_invalid())
}

pub async fn forget(state: &AppState, token: &str) -> Result<(), ApiError> {
    let mut conn = state.cache.conn();
    let _: () = conn.del(key(state, token)).await?;
    Ok(())
}
