//! Single-use invite codes that bind a WeChat account to a user (SPEC §5).
//! Only a keyed hash of the code is stored, so a database dump does not reveal
//! live codes and cannot be brute-forced offline.

use chrono::{Duration, Utc};
use rand::Rng;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::crypto::PiiCipher;

/// No 0/O, 1/I/L: codes are read aloud and typed on phones.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 8;
pub const TTL_HOURS: i64 = 72;

pub fn generate_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn code_hash(pii: &PiiCipher, code: &str) -> Vec<u8> {
    let normalised: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    pii.blind_index("invite_code", &normalised).to_vec()
}

/// Creates a fresh code for `user_id`, voiding the user's unused ones.
pub async fn issue(
    conn: &mut PgConnection,
    pii: &PiiCipher,
    user_id: Uuid,
    created_by: Option<Uuid>,
) -> Result<String, sqlx::Error> {
    sqlx::query!("UPDATE invite SET expires_at = now() WHERE user_id = $1 AND used_at IS NULL AND expires_at > now()", user_id)
        .execute(&mut *conn)
        .await?;
    let code = generate_code();
    sqlx::query!("INSERT INTO invite (invite_id, user_id, code_hash, expires_at, created_by) VALUES ($1, $2, $3, $4, $5)", Uuid::new_v4(), user_id, code_hash(pii, &code), Utc::now() + Duration::hours(TTL_HOURS), created_by)
        .execute(&mut *conn)
        .await?;
    Ok(code)
}

/// Marks a valid, unused, unexpired code used and returns its user.
pub async fn redeem(
    conn: &mut PgConnection,
    pii: &PiiCipher,
    code: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE invite SET used_at = now()
         WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
        code_hash(pii, code)
    )
    .fetch_optional(&mut *conn)
    .await
}
