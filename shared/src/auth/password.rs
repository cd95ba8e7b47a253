//! Password hashing (argon2id) and the complexity rule (MLPS level 3).

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::{blocking::Bound, error::ApiError};

/// At least 10 characters with three of: lower case, upper case, digits, symbols.
pub fn check_complexity(password: &str) -> Result<(), ApiError> {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|&b| b)
    .count();
    if password.chars().count() < 10 || classes < 3 {
        return Err(ApiError::unprocessable(
            "PASSWORD_TOO_WEAK",
            "密码至少 10 位，且包含大写字母、小写字母、数字、符号中的三种",
        )
        .field("password", "PASSWORD_TOO_WEAK", "请设置更复杂的密码"));
    }
    Ok(())
}

/// A random initial password that passes [`check_complexity`] (shown once,
/// to be changed at first sign-in).
pub fn generate() -> String {
    use rand::Rng;
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    let mut rng = rand::thread_rng();
    let mut pick = |set: &[u8]| set[rng.gen_range(0..set.len())] as char;
    let mut s = String::new();
    for i in 0..12 {
        s.push(match i % 3 {
            0 => pick(UPPER),
            1 => pick(LOWER),
            _ => pick(DIGIT),
        });
        if i == 5 {
            s.push('-');
        }
    }
    s
}

/// Hashes and verifications that may run at once in a process. argon2id
/// with the default parameters takes 19 MiB each (`m=19456`), so at most
/// about 80 MB go to password work however many sign-ins arrive together;
/// the rest wait their turn.
pub const CONCURRENT_HASHES: usize = 4;
/// Hashing slots; a sign-in waits at most 20 s for one, then 503 `SERVER_BUSY`.
static HASHING: Bound = Bound::new(
    CONCURRENT_HASHES,
    std::time::Duration::from_secs(20),
    "服务器正忙，请稍后再试",
);

/// argon2id with the crate's default (OWASP) parameters, off the async runtime.
pub async fn hash(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    HASHING
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2: {e}")))
        })
        .await?
}

/// Constant-time verification; an unparsable stored hash never matches.
pub async fn verify(password: &str, stored: &str) -> Result<bool, ApiError> {
    let password = password.to_owned();
    let stored = stored.to_owned();
    HASHING
        .run(move || {
            PasswordHash::new(&stored)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
}

/// A hash to verify against when the user does not exist, so that an unknown
/// username costs the same time as a wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W5pOzoYvMtwvx1uUtBPsXMUzb6dFBjCC0R7p3rKuLXc";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_complex_and_distinct() {
        let a = generate();
        assert!(check_complexity(&a).is_ok(), "{a}");
        assert_ne!(a, generate());
    }

    #[test]
    fn complexity() {
        assert!(check_complexity("Short1!").is_err());
        assert!(check_complexity("alllowercase").is_err());
        assert!(check_complexity("lowerUPPER12").is_ok());
        assert!(check_complexity("lower-case-123").is_ok());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("Correct-Horse-1").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Correct-Horse-1", &h).await.unwrap());
        assert!(!verify("Correct-Horse-2", &h).await.unwrap());
        assert!(!verify("x", "not a hash").await.unwrap());
        assert!(!verify("x", DUMMY_HASH).await.unwrap());
    }
}
