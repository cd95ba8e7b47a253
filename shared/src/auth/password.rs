//! Password hashing (argon2id) and the complexity rule (MLPS level 3).

use crate::codes;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{self, Output, SaltString, rand_core::OsRng},
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
            codes::PASSWORD_TOO_WEAK,
            "密码至少 10 位，且包含大写字母、小写字母、数字、符号中的三种",
        )
        .field("password", codes::PASSWORD_TOO_WEAK, "请设置更复杂的密码"));
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

/// Argon2 working memory, reused: allocating and freeing 19 MiB per sign-in
/// makes glibc raise its mmap threshold and keep the freed blocks, so 30
/// parallel sign-ins left the process at 540 MB resident (measured) although
/// only four ran at once. At most [`CONCURRENT_HASHES`] buffers exist.
static MEMORY: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());

fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = MEMORY
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop()
        .filter(|m| m.len() >= blocks);
    let mut memory = taken.unwrap_or_else(|| vec![Block::default(); blocks]);
    let out = work(&mut memory[..blocks]);
    let mut pool = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
    if pool.len() < CONCURRENT_HASHES {
        pool.push(memory);
    }
    out
}

/// The PHC string's hash recomputed for `password`, in pooled memory.
fn compute(password: &[u8], phc: &PasswordHash<'_>) -> password_hash::Result<Output> {
    let params = Params::try_from(phc)?;
    let argon = Argon2::new(
        Algorithm::try_from(phc.algorithm)?,
        phc.version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default(),
        params.clone(),
    );
    let salt = phc.salt.ok_or(password_hash::Error::SaltInvalid(
        password_hash::errors::InvalidValue::Malformed,
    ))?;
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let len = phc.hash.map_or(Params::DEFAULT_OUTPUT_LEN, |h| h.len());
    with_memory(params.block_count(), |memory| {
        Output::init_with(len, |out| {
            argon
                .hash_password_into_with_memory(password, salt, out, memory)
                .map_err(|_| password_hash::Error::Password)
        })
    })
}

/// argon2id with the crate's default (OWASP) parameters, off the async runtime.
pub async fn hash(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    HASHING
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            let params = Params::default();
            let mut phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: (&params)
                    .try_into()
                    .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2: {e}")))?,
                salt: Some(salt.as_salt()),
                hash: None,
            };
            phc.hash = Some(
                compute(password.as_bytes(), &phc)
                    .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2: {e}")))?,
            );
            Ok(phc.to_string())
        })
        .await?
}

/// Constant-time verification (`Output`'s equality); an unparsable stored
/// hash never matches.
pub async fn verify(password: &str, stored: &str) -> Result<bool, ApiError> {
    let password = password.to_owned();
    let stored = stored.to_owned();
    HASHING
        .run(move || {
            let Ok(phc) = PasswordHash::new(&stored) else {
                return false;
            };
            let Some(expected) = phc.hash else {
                return false;
            };
            compute(password.as_bytes(), &phc).is_ok_and(|got| got == expected)
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
        // Hashes made by the crate's own hasher verify too, and ours verify with it.
        use argon2::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"Other-Horse-3", &salt)
            .unwrap()
            .to_string();
        assert!(verify("Other-Horse-3", &theirs).await.unwrap());
        let ours = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Correct-Horse-1", &ours)
                .is_ok()
        );
    }
}
