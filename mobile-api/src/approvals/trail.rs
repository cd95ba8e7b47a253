//! The trusted trail (可信追溯, SPEC §8.4): each entry is signed with SM2
//! over a canonical JSON — the case, the entry's number, what was done, at
//! which step, by whom and when, SM3 of the opinion and of the detail, and
//! the hash of the entry before it — which is given back verbatim, so anyone
//! can check it with another SM2 implementation. An entry's hash is
//! `SM3(signed ‖ signature)`; the first entry links to 64 zeros.
//!
//! Decisions are signed with the approver's key, and only they: a decision
//! is confirmed with a one-time code, so a signature by that key means the
//! approver confirmed it. Everything else — what the system does, a view of
//! a material — is signed with the system's key, and `signer` says whose
//! key signed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    crypto::{sm2_verify, sm3_hex},
    signer::Holder,
    time::to_china,
};

/// The hash the first entry of a case links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What is signed, in this field order (alphabetical: the canonical form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedEntry {
    pub action: String,
    /// `user:{id}` or `system`.
    pub actor: String,
    pub case_id: Uuid,
    pub detail_sm3: String,
    pub opinion_sm3: Option<String>,
    pub prev_hash: String,
    pub seq: i32,
    /// Whose key signed: `user:{id}` (a decision) or `system`.
    pub signer: String,
    pub step: Option<String>,
    /// RFC 3339, China time, milliseconds.
    pub time: String,
}

/// One entry to append.
pub struct NewEntry<'a> {
    pub action: &'a str,
    pub step: Option<&'a str>,
    pub task_id: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub opinion: Option<&'a str>,
    pub detail: Value,
    /// Signed with the actor's own key: a decision confirmed with a
    /// one-time code. Otherwise the system's key signs.
    pub signed_by_actor: bool,
}

impl<'a> NewEntry<'a> {
    /// `action` by `actor` (none: the system), at no step, with no opinion
    /// and an empty detail.
    pub fn new(action: &'a str, actor: Option<Uuid>) -> NewEntry<'a> {
        NewEntry {
            action,
            step: None,
            task_id: None,
            actor,
            opinion: None,
            detail: Value::Object(Default::default()),
            signed_by_actor: false,
        }
    }

    pub fn at(mut self, step: Option<&'a str>) -> NewEntry<'a> {
        self.step = step;
        self
    }

    pub fn detail(mut self, detail: Value) -> NewEntry<'a> {
        self.detail = detail;
        self
    }

    pub fn opinion(mut self, opinion: Option<&'a str>) -> NewEntry<'a> {
        self.opinion = opinion;
        self
    }
}

/// The canonical text of a detail: keys sorted (serde_json's map is a
/// BTreeMap), no whitespace.
pub fn canonical(detail: &Value) -> String {
    serde_json::to_string(detail).expect("a JSON value serialises")
}

pub fn time_text(at: DateTime<Utc>) -> String {
    to_china(at).to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn holder(actor: Option<Uuid>) -> Holder {
    actor.map_or(Holder::System, Holder::User)
}

/// Appends an entry; the case row must be locked by the caller's transaction
/// (every writer of a case's trail locks it first, so entries are numbered
/// one after another). `sensitive`: the opinion is stored only encrypted.
pub async fn append(
    state: &AppState,
    conn: &mut PgConnection,
    case_id: Uuid,
    sensitive: bool,
    entry: NewEntry<'_>,
) -> Result<i32, ApiError> {
    let last = sqlx::query!(
        "SELECT seq, hash FROM approval_trail WHERE case_id = $1 ORDER BY seq DESC LIMIT 1",
        case_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (seq, prev_hash) = match last {
        Some(r) => (r.seq + 1, r.hash),
        None => (1, GENESIS.to_owned()),
    };
    // Milliseconds: what the signed text says is exactly what is stored.
    let now = Utc::now();
    let at = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    let signer = match entry.actor {
        Some(id) if entry.signed_by_actor => Holder::User(id),
        _ => Holder::System,
    };
    let signed = SignedEntry {
        action: entry.action.to_owned(),
        actor: holder(entry.actor).to_string(),
        case_id,
        detail_sm3: sm3_hex(canonical(&entry.detail).as_bytes()),
        opinion_sm3: entry.opinion.map(|o| sm3_hex(o.as_bytes())),
        prev_hash,
        seq,
        signer: signer.to_string(),
        step: entry.step.map(str::to_owned),
        time: time_text(at),
    };
    let text = serde_json::to_string(&signed).map_err(ApiError::internal)?;
    let sig = state
        .signer
        .sign(&mut *conn, signer, text.as_bytes())
        .await?;
    let hash = sm3_hex(format!("{text}{}", sig.signature).as_bytes());
    let (opinion, opinion_enc) = match entry.opinion {
        Some(o) if sensitive => (None, Some(state.pii.encrypt(o, &opinion_aad(case_id, seq)))),
        Some(o) => (Some(o.to_owned()), None),
        None => (None, None),
    };
    sqlx::query!(
        "INSERT INTO approval_trail (case_id, seq, action, step_code, task_id, actor_id, at, opinion,
                                     opinion_enc, detail, signed, signature, public_key, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        case_id,
        seq,
        entry.action,
        entry.step,
        entry.task_id,
        entry.actor,
        at,
        opinion,
        opinion_enc,
        entry.detail,
        text,
        sig.signature,
        sig.public_key,
        hash
    )
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

fn opinion_aad(case_id: Uuid, seq: i32) -> Vec<u8> {
    format!("approval_trail.opinion:{case_id}:{seq}").into_bytes()
}

/// A stored entry, as `GET /approvals/cases/{id}/trail` gives it.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub case_id: Uuid,
    pub seq: i32,
    pub action: String,
    pub step_code: Option<String>,
    pub task_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
    pub opinion: Option<String>,
    pub opinion_enc: Option<Vec<u8>>,
    pub detail: Value,
    pub signed: String,
    pub signature: String,
    pub public_key: String,
    pub hash: String,
    /// The key on file for the entry's signer (the local signer's), if any.
    pub key_on_file: Option<String>,
}

impl StoredEntry {
    /// The opinion in clear (decrypted for a sensitive item).
    pub fn opinion(&self, state: &AppState) -> Result<Option<String>, ApiError> {
        match (&self.opinion, &self.opinion_enc) {
            (Some(o), _) => Ok(Some(o.clone())),
            (None, Some(blob)) => state
                .pii
                .decrypt(blob, &opinion_aad(self.case_id, self.seq))
                .map(Some)
                .map_err(ApiError::internal),
            (None, None) => Ok(None),
        }
    }
}

pub async fn entries(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    sqlx::query_as!(
        StoredEntry,
        r#"SELECT t.case_id, t.seq, t.action, t.step_code, t.task_id, t.actor_id,
                  u.display_name AS "actor_name?", t.at, t.opinion, t.opinion_enc,
                  t.detail, t.signed, t.signature, t.public_key, t.hash,
                  k.public_key AS "key_on_file?"
           FROM approval_trail t
           LEFT JOIN app_user u ON u.user_id = t.actor_id
           -- read as text: an edited entry need not be JSON any more
           LEFT JOIN signing_key k ON k.holder = substring(t.signed from '"signer":"([^"]+)"')
           WHERE t.case_id = $1 ORDER BY t.seq"#,
        case_id
    )
    .fetch_all(conn)
    .await
}

/// Why an entry does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub case_id: Uuid,
    pub seq: i32,
    pub reason: String,
}

/// Checks a case's entries in order: each signature, each link, and that the
/// stored columns say what was signed.
pub fn verify(state: &AppState, entries: &[StoredEntry]) -> Result<(), Broken> {
    let mut prev = GENESIS.to_owned();
    for (expected_seq, e) in (1..).zip(entries) {
        let broken = |reason: &str| Broken {
            case_id: e.case_id,
            seq: e.seq,
            reason: reason.to_owned(),
        };
        if e.seq != expected_seq {
            return Err(broken("entries are missing before this one"));
        }
        if !sm2_verify(&e.public_key, e.signed.as_bytes(), &e.signature) {
            return Err(broken("the SM2 signature does not verify"));
        }
        if e.key_on_file.as_deref() != Some(e.public_key.as_str()) {
            return Err(broken("signed with a key that is not the signer's"));
        }
        if sm3_hex(format!("{}{}", e.signed, e.signature).as_bytes()) != e.hash {
            return Err(broken("the entry's hash does not match"));
        }
        let Ok(signed) = serde_json::from_str::<SignedEntry>(&e.signed) else {
            return Err(broken("the signed text is not an entry"));
        };
        let opinion = e
            .opinion(state)
            .map_err(|_| broken("the opinion does not decrypt"))?;
        let matches = signed.case_id == e.case_id
            && signed.seq == e.seq
            && signed.prev_hash == prev
            && signed.action == e.action
            && signed.step == e.step_code
            && signed.actor == holder(e.actor_id).to_string()
            // A decision is the approver's own signature, never the system's.
            && (super::decision::DecisionKind::from_text(&e.action).is_none() || signed.signer == signed.actor)
            && signed.time == time_text(e.at)
            && signed.detail_sm3 == sm3_hex(canonical(&e.detail).as_bytes())
            && signed.opinion_sm3 == opinion.map(|o| sm3_hex(o.as_bytes()));
        if !matches {
            return Err(broken("the stored entry differs from what was signed"));
        }
        prev = e.hash.clone();
    }
    Ok(())
}

/// Verifies the trail of `case` (or of every case, oldest first): the
/// number of cases and entries checked, or the first bad entry.
pub async fn verify_cases(
    state: &AppState,
    case: Option<Uuid>,
) -> anyhow::Result<Result<(u64, u64), Broken>> {
    let mut conn = state.db.acquire().await?;
    let ids = match case {
        Some(id) => vec![id],
        None => {
            sqlx::query_scalar!("SELECT case_id FROM approval_case ORDER BY case_id")
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let (mut cases, mut total) = (0, 0);
    for id in ids {
        let list = entries(&mut conn, id).await?;
        if let Err(b) = verify(state, &list) {
            return Ok(Err(b));
        }
        cases += 1;
        total += list.len() as u64;
    }
    Ok(Ok((cases, total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_text_is_canonical() {
        let s = SignedEntry {
            action: "approve".into(),
            actor: "system".into(),
            case_id: Uuid::nil(),
            detail_sm3: "d".into(),
            opinion_sm3: None,
            prev_hash: GENESIS.into(),
            seq: 1,
            signer: "system".into(),
            step: Some("review".into()),
            time: "2026-12-02T15:00:00.000+08:00".into(),
        };
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.starts_with(r#"{"action":"approve","actor":"system","case_id":"#));
        // A detail's keys come out sorted, whatever order they were built in.
        let detail = serde_json::json!({"z": 1, "a": {"y": 2, "b": 3}});
        assert_eq!(canonical(&detail), r#"{"a":{"b":3,"y":2},"z":1}"#);
    }
}
