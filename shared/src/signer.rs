//! Who signs (SPEC §8.4): decisions, and later seals, are signed with SM2 by
//! the key of the person who made them — or the system's own key for what
//! the system did (pre-review, an automatic approval, a view of a
//! material). Keys are reached through [`Signer`], so a deployment can keep
//! them in the government cryptographic service (统一政务密码服务) instead
//! of the database.
//!
//! [`LocalSigner`], the default, keeps one SM2 key pair per holder in
//! `signing_key`, the private key SM4-encrypted under the master key; an
//! approver's pair is made the first time they sign, inside the transaction
//! of that signature.

use async_trait::async_trait;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    ApiError,
    crypto::{PiiCipher, Sm2Key},
};

/// Whose key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    System,
    User(Uuid),
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::System => f.write_str("system"),
            Holder::User(id) => write!(f, "user:{id}"),
        }
    }
}

/// A signature and the public key that checks it (both hex, SPEC §8.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub signature: String,
    pub public_key: String,
}

#[async_trait]
pub trait Signer: Send + Sync {
    /// Signs `message` with `holder`'s key, in the caller's transaction.
    async fn sign(
        &self,
        conn: &mut PgConnection,
        holder: Holder,
        message: &[u8],
    ) -> Result<Signed, ApiError>;
}

/// Keys in the database (see the module documentation).
pub struct LocalSigner {
    pii: PiiCipher,
}

const KEY_AAD: &[u8] = b"signing_key.private_key";

impl LocalSigner {
    pub fn new(pii: PiiCipher) -> LocalSigner {
        LocalSigner { pii }
    }

    async fn key(&self, conn: &mut PgConnection, holder: Holder) -> Result<Sm2Key, ApiError> {
        let name = holder.to_string();
        let found = sqlx::query_scalar!(
            "SELECT private_key_enc FROM signing_key WHERE holder = $1",
            name
        )
        .fetch_optional(&mut *conn)
        .await?;
        let blob = match found {
            Some(blob) => blob,
            None => {
                let key = Sm2Key::generate();
                let blob = self.pii.encrypt(&key.to_hex(), KEY_AAD);
                // Another transaction may make it first: then theirs is the key.
                sqlx::query!(
                    "INSERT INTO signing_key (holder, public_key, private_key_enc) VALUES ($1, $2, $3)
                     ON CONFLICT (holder) DO NOTHING",
                    name,
                    key.public_hex(),
                    blob
                )
                .execute(&mut *conn)
                .await?;
                sqlx::query_scalar!(
                    "SELECT private_key_enc FROM signing_key WHERE holder = $1",
                    name
                )
                .fetch_one(&mut *conn)
                .await?
            }
        };
        let d = self
            .pii
            .decrypt(&blob, KEY_AAD)
            .map_err(ApiError::internal)?;
        Sm2Key::from_hex(&d).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("stored SM2 key of {name} is malformed"))
        })
    }
}

#[async_trait]
impl Signer for LocalSigner {
    async fn sign(
        &self,
        conn: &mut PgConnection,
        holder: Holder,
        message: &[u8],
    ) -> Result<Signed, ApiError> {
        let key = self.key(conn, holder).await?;
        Ok(Signed {
            signature: key.sign(message),
            public_key: key.public_hex(),
        })
    }
}
