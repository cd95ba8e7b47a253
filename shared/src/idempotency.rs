//! `Idempotency-Key` for creating POSTs (SPEC §3): the same key with the same
//! body within 24 h returns the first response and creates nothing; the same
//! key with another body is 422 `IDEMPOTENCY_KEY_REUSED`.
//!
//! The key row is inserted first thing in the transaction that creates the
//! object and completed with the response before it commits, so the response
//! and the object exist together or not at all. A concurrent request with the
//! same key waits on the row's unique index until the first commits, then
//! replays its response: two submissions create one object, on any instance.
//!
//! An answer that carries a one-time secret (an initial password, an invite
//! code) is stored without it ([`complete_with_secrets`]): the secret fields
//! are sealed with SM4-GCM under the master key in a column of their own and
//! returned on a replay only within [`SECRETS_TTL_MINUTES`] — long enough for
//! a phone on a weak network to retry, short enough that the store holds no
//! live secret for long. The `idempotency-expiry` job clears sealed secrets
//! past that and deletes keys older than [`RETENTION_HOURS`].

use crate::codes;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaParamIn, MetaSchemaRef, Registry},
    types::Type,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    AppState,
    crypto::{PiiCipher, sm3},
    db::Statement,
    error::{ApiError, Problem},
};

/// Replays are kept this long.
pub const RETENTION_HOURS: i64 = 24;
/// One-time secrets in an answer are replayed for this long, then forgotten.
pub const SECRETS_TTL_MINUTES: i64 = 10;

/// The optional `Idempotency-Key` header: 1–128 visible ASCII characters.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl<'a> ApiExtractor<'a> for IdempotencyKey {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    type ParamType = String;
    type ParamRawType = String;

    fn register(registry: &mut Registry) {
        <String as Type>::register(registry);
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(<String as Type>::schema_ref())
    }

    fn param_raw_type(&self) -> Option<&Self::ParamRawType> {
        self.0.as_ref()
    }

    async fn from_request(
        request: &'a poem::Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let Some(v) = request.headers().get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let v =
            v.to_str().ok().map(str::trim).filter(|v| {
                !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic())
            });
        match v {
            Some(v) => Ok(IdempotencyKey(Some(v.to_owned()))),
            None => Err(ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Idempotency-Key 格式不正确",
            )
            .field(
                "Idempotency-Key",
                codes::INVALID_PARAMETER,
                "应为 1–128 个可见 ASCII 字符",
            )
            .into()),
        }
    }
}

/// A stored answer.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub body: Value,
    /// The answer's secret fields, sealed, while still within their time.
    sealed_secrets: Option<(Vec<u8>, Vec<u8>)>,
}

impl Stored {
    /// The answer with its secret fields back in, when they are still kept;
    /// else without them (the fields' descriptions say a replay after
    /// [`SECRETS_TTL_MINUTES`] leaves them out).
    pub fn reveal(self, pii: &PiiCipher) -> Value {
        let mut body = self.body;
        if let Some((blob, aad)) = self.sealed_secrets
            && let Ok(text) = pii.decrypt(&blob, &aad)
            && let Ok(Value::Object(secrets)) = serde_json::from_str::<Value>(&text)
            && let Value::Object(fields) = &mut body
        {
            fields.extend(secrets);
        }
        body
    }
}

/// What binds a sealed secret to its key row.
fn secrets_aad(user_id: Uuid, key: &str) -> Vec<u8> {
    format!("idempotency_key.sealed_secrets:{user_id}:{key}").into_bytes()
}

impl Stored {
    /// The stored answer as the handler gave it: a success as its body (with
    /// its one-time secrets while they are kept), a recorded refusal as the
    /// error it was. Every creating POST replays through this.
    pub fn answer<T: DeserializeOwned>(self, pii: &PiiCipher) -> Result<T, ApiError> {
        if (200..300).contains(&self.status) {
            serde_json::from_value(self.reveal(pii)).map_err(ApiError::internal)
        } else {
            Err(self.into_error())
        }
    }

    /// A stored refusal, as the error it was.
    pub fn into_error(self) -> ApiError {
        let p: Problem = match serde_json::from_value(self.body) {
            Ok(p) => p,
            Err(e) => return ApiError::internal(e),
        };
        let status = poem::http::StatusCode::from_u16(self.status)
            .unwrap_or(poem::http::StatusCode::UNPROCESSABLE_ENTITY);
        let mut err = ApiError::replayed(status, p.code, p.title);
        err.detail = p.detail;
        err.errors = p.errors;
        err
    }
}

/// The claim a request holds on its key inside its transaction.
pub struct Claim {
    user_id: Uuid,
    key: String,
}

enum Begin {
    /// No key sent: nothing to do.
    NoKey,
    /// First use: complete the claim before committing.
    Fresh(Claim),
    /// The key was used with this body: answer this, create nothing.
    Replay(Stored),
}

/// Hash of the request that the key stands for.
pub fn request_hash(body: &impl Serialize) -> Vec<u8> {
    sm3(&serde_json::to_vec(body).unwrap_or_default()).to_vec()
}

/// Inserts or reads the key's row (see [`claim`]).
async fn begin(
    conn: &mut PgConnection,
    user_id: Uuid,
    key: &IdempotencyKey,
    hash: &[u8],
) -> Result<Begin, ApiError> {
    let Some(key) = key.0.clone() else {
        return Ok(Begin::NoKey);
    };
    // Insert, or take over a key older than the retention window (free
    // again); a live key returns no row. A concurrent first use of the same
    // key waits here on the unique index until that transaction ends.
    let fresh: Option<bool> = sqlx::query_scalar!(r#"INSERT INTO idempotency_key AS k (user_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, key) DO UPDATE
             SET request_hash = excluded.request_hash, status_code = 0, response = NULL, sealed_secrets = NULL, created_at = now()
             WHERE k.created_at < now() - make_interval(hours => $4)
         RETURNING true AS "fresh!""#, user_id, &key, hash, RETENTION_HOURS as i32)
    .fetch_optional(&mut *conn)
    .await?;
    if fresh.is_some() {
        return Ok(Begin::Fresh(Claim { user_id, key }));
    }
    let stored = sqlx::query!(
        r#"SELECT request_hash, status_code, response,
                  CASE WHEN created_at > now() - make_interval(mins => $3) THEN sealed_secrets END AS sealed
           FROM idempotency_key WHERE user_id = $1 AND key = $2"#,
        user_id,
        &key,
        SECRETS_TTL_MINUTES as i32
    )
    .fetch_one(&mut *conn)
    .await?;
    let (stored_hash, status, body, sealed) = (
        stored.request_hash,
        stored.status_code,
        stored.response,
        stored.sealed,
    );
    if stored_hash != hash {
        return Err(ApiError::unprocessable(
            codes::IDEMPOTENCY_KEY_REUSED,
            "该 Idempotency-Key 已用于另一个请求，请为新的请求生成新的键",
        )
        .field(
            "Idempotency-Key",
            codes::IDEMPOTENCY_KEY_REUSED,
            "同一个键只能用于同一个请求",
        ));
    }
    match body {
        Some(body) if status > 0 => Ok(Begin::Replay(Stored {
            status: status as u16,
            body,
            sealed_secrets: sealed.map(|blob| (blob, secrets_aad(user_id, &key))),
        })),
        // Committed without a response cannot happen (complete runs before
        // commit); answer as a conflict rather than guess.
        _ => Err(ApiError::conflict(
            codes::IDEMPOTENCY_IN_PROGRESS,
            "相同请求正在处理中，请稍后重试",
        )),
    }
}

/// How a creating POST meets its key, in its transaction.
pub enum Claimed<T> {
    /// The key was used with this request: its first answer (a success, or
    /// the refusal it was). Answer it and create nothing.
    Replayed(Result<T, ApiError>),
    /// Go on; complete the claim (when a key was sent) before committing.
    Fresh(Option<Claim>),
}

/// Claims `key` for `user_id` in the caller's transaction, or replays its
/// answer through [`Stored::answer`]: the one way every creating POST treats
/// its key ([`run`] for most, the sale's one statement for
/// `POST /registrations`). `hash` is [`request_hash`] of the request.
pub async fn claim<T: DeserializeOwned>(
    conn: &mut PgConnection,
    pii: &PiiCipher,
    user_id: Uuid,
    key: &IdempotencyKey,
    hash: &[u8],
) -> Result<Claimed<T>, ApiError> {
    Ok(match begin(conn, user_id, key, hash).await? {
        Begin::Replay(stored) => Claimed::Replayed(stored.answer(pii)),
        Begin::Fresh(claim) => Claimed::Fresh(Some(claim)),
        Begin::NoKey => Claimed::Fresh(None),
    })
}

/// Runs a creating POST under its `Idempotency-Key`, in one transaction:
/// claims the key, replays the first answer when the key was used with this
/// request (creating nothing), else runs `create` and stores its answer
/// (status 201, the `secret_fields` sealed apart) before committing. An error
/// from `create` rolls everything back and stores nothing, so the client may
/// retry with the same key.
///
/// (`POST /registrations` takes its key with the same [`claim`] and folds the
/// completion into its one statement — see `registrations::record`.)
pub async fn run<T, F>(
    state: &AppState,
    user_id: Uuid,
    key: &IdempotencyKey,
    request: &impl Serialize,
    secret_fields: &[&str],
    create: F,
) -> Result<T, ApiError>
where
    T: Serialize + DeserializeOwned,
    F: AsyncFnOnce(&mut PgConnection) -> Result<T, ApiError>,
{
    let mut tx = state.db.begin().await?;
    let claim = match claim(&mut tx, &state.pii, user_id, key, &request_hash(request)).await? {
        Claimed::Replayed(answer) => return answer,
        Claimed::Fresh(claim) => claim,
    };
    let created = create(&mut tx).await?;
    if let Some(claim) = &claim {
        let body = serde_json::to_value(&created).map_err(ApiError::internal)?;
        complete_with_secrets(&mut tx, claim, &state.pii, 201, &body, secret_fields).await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// Records an answer whose `secret_fields` (top-level fields of `body`, e.g.
/// `initial_password`, `invite_code`) must not be stored in clear: the
/// answer is stored without them and they are sealed apart (see the module
/// documentation).
pub async fn complete_with_secrets(
    conn: &mut PgConnection,
    claim: &Claim,
    pii: &PiiCipher,
    status: u16,
    body: &Value,
    secret_fields: &[&str],
) -> Result<(), ApiError> {
    let mut stored = body.clone();
    let mut secrets = serde_json::Map::new();
    if let Value::Object(fields) = &mut stored {
        for name in secret_fields {
            if let Some(v) = fields.remove(*name)
                && !v.is_null()
            {
                secrets.insert((*name).to_owned(), v);
            }
        }
    }
    let sealed = (!secrets.is_empty()).then(|| {
        pii.encrypt(
            &Value::Object(secrets).to_string(),
            &secrets_aad(claim.user_id, &claim.key),
        )
    });
    sqlx::query!("UPDATE idempotency_key SET status_code = $3, response = $4, sealed_secrets = $5 WHERE user_id = $1 AND key = $2", claim.user_id, &claim.key, status as i16, &stored, sealed)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets sealed secrets past their time and keys past the retention window
/// (a job of the platform, not of one group: every creating POST keeps keys).
pub const EXPIRY_JOB: crate::group::Job = crate::group::Job {
    name: "idempotency-expiry",
    description: "forget Idempotency-Key answers after 24 h and the sealed one-time secrets in them after 10 minutes",
    schedule: "0 */5 * * * *",
    run: |state| {
        Box::pin(async move {
            let (cleared, deleted) = expire(&state.db).await?;
            Ok(serde_json::json!({ "secrets_cleared": cleared, "keys_deleted": deleted }))
        })
    },
};

/// The `idempotency-expiry` job's work. Returns (secrets cleared, keys deleted).
pub async fn expire(db: &sqlx::PgPool) -> Result<(u64, u64), sqlx::Error> {
    let cleared = sqlx::query!(
        "UPDATE idempotency_key SET sealed_secrets = NULL
         WHERE sealed_secrets IS NOT NULL AND created_at < now() - make_interval(mins => $1)",
        SECRETS_TTL_MINUTES as i32
    )
    .execute(db)
    .await?
    .rows_affected();
    let deleted = sqlx::query!(
        "DELETE FROM idempotency_key WHERE created_at < now() - make_interval(hours => $1)",
        RETENTION_HOURS as i32
    )
    .execute(db)
    .await?
    .rows_affected();
    Ok((cleared, deleted))
}

impl Claim {
    /// The answer recorded as part of a larger statement.
    pub fn push_complete(&self, stmt: &mut Statement<'_>, status: u16, body: Value) {
        let (user_id, key) = (self.user_id, self.key.clone());
        stmt.part("idempotency_answered", |qb| {
            qb.push("UPDATE idempotency_key SET status_code = ")
                .push_bind(status as i16)
                .push(", response = ")
                .push_bind(body)
                .push(" WHERE user_id = ")
                .push_bind(user_id)
                .push(" AND key = ")
                .push_bind(key);
        });
    }

    /// A refusal recorded as the answer (replayed like a success).
    pub fn push_refusal(&self, stmt: &mut Statement<'_>, err: &ApiError) -> Result<(), ApiError> {
        let body = serde_json::to_value(err.problem()).map_err(ApiError::internal)?;
        self.push_complete(stmt, err.status.as_u16(), body);
        Ok(())
    }
}
