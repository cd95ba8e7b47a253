//! The audit log: append-only, chained with SM3 (SPEC §4.4).
//!
//! Entries are chained per *stream* (a pharmacy, a district, the city, a user's
//! sign-ins...), not globally, so that the chain never serialises all writes:
//! appending locks only the stream's head row, in the caller's transaction, so
//! the entry commits or rolls back with the change it records and two writers
//! of one stream queue on the head row instead of forking the chain.
//!
//! Each entry's hash is SM3 over the previous entry's hash and the entry's
//! canonical fields; `audit_head` keeps each stream's last sequence and hash, so
//! deleting the newest entries is caught as well as editing, deleting or
//! reordering older ones. Entries carry ids and codes, never personal data.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{auth::Caller, crypto::sm3, db::Statement};

/// The hash before the first entry of every stream.
pub const GENESIS: [u8; 32] = [0u8; 32];

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub role: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            role: Some("system".into()),
        }
    }
    pub fn user(user_id: Uuid, role: &str) -> Actor {
        Actor {
            user_id: Some(user_id),
            role: Some(role.to_owned()),
        }
    }
}

impl From<&Caller> for Actor {
    fn from(c: &Caller) -> Actor {
        Actor::user(c.user_id, c.role.as_str())
    }
}

/// Declares every audit action once, with the type of object it is about.
macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident = $action:literal on $object:literal,)+) => {
        /// What an audit entry records (`audit_log.action`), and the type of
        /// object it is about (`audit_log.object_type`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Action {
            $($(#[$doc])* $name,)+
        }

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$name),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Action::$name => $action,)+
                }
            }

            pub const fn object_type(self) -> &'static str {
                match self {
                    $(Action::$name => $object,)+
                }
            }
        }
    };
}

actions! {
    /// A sign-in (detail: `method` password or wechat).
    AuthLogin = "auth.login" on "user",
    /// A refused sign-in (no user: the name tried is not recorded).
    AuthLoginFailed = "auth.login_failed" on "user",
    AuthLogout = "auth.logout" on "user",
    AuthWechatBind = "auth.wechat_bind" on "user",
    AuthPasswordChange = "auth.password_change" on "user",
    UserCreate = "user.create" on "user",
    /// `yaojian create-admin`.
    UserCreateAdmin = "user.create_admin" on "user",
    UserUpdate = "user.update" on "user",
    StaffCreate = "staff.create" on "user",
    StaffInvite = "staff.invite" on "user",
    StaffRemove = "staff.remove" on "user",
    RegistrationCreate = "registration.create" on "registration",
    RegistrationRefused = "registration.refused" on "refused_attempt",
    RegistrationExport = "registration.export" on "registration",
    /// A scan: a look-up of a person (object: the blind index, hex).
    BuyerScan = "buyer.scan" on "buyer",
    /// A query of registrations by a buyer's ID number (object: the blind index, hex).
    BuyerLookup = "buyer.lookup" on "buyer",
    PharmacyUpdate = "pharmacy.update" on "pharmacy",
    PharmacyImport = "pharmacy.import" on "import",
    DrugImport = "drug.import" on "import",
    InspectionCreate = "inspection.create" on "inspection",
    InspectionPhotoUpload = "inspection.photo_upload" on "inspection_photo",
    AlertResolve = "alert.resolve" on "alert",
    RetentionArchive = "retention.archive" on "registration",
    OrganisationCreate = "organisation.create" on "organisation",
    OrganisationUpdate = "organisation.update" on "organisation",
    DepartmentCreate = "department.create" on "department",
    DepartmentUpdate = "department.update" on "department",
    GrantCreate = "grant.create" on "grant",
    GrantRevoke = "grant.revoke" on "grant",
    ApprovalItemCreate = "approval_item.create" on "approval_item",
    ApprovalItemVersion = "approval_item.version" on "approval_item",
    ApprovalItemRetire = "approval_item.retire" on "approval_item",
    CalendarChange = "calendar.change" on "calendar",
    /// A case received from a platform or typed in at a window.
    ApprovalCaseSubmit = "approval_case.submit" on "approval_case",
    /// A case of a person opened (a look-up of a person).
    ApprovalCaseView = "approval_case.view" on "approval_case",
    ApprovalMaterialView = "approval_case.material_view" on "approval_case",
    /// A decision on a task (detail: decision, step, trail entry).
    ApprovalDecide = "approval_case.decide" on "approval_case",
    ApprovalTaskClaim = "approval_case.claim" on "approval_task",
    ApprovalSupplement = "approval_case.supplement" on "approval_case",
    /// The applicant withdrew the case through its platform.
    ApprovalWithdraw = "approval_case.withdraw" on "approval_case",
    /// A one-time code sent for a signature.
    ApprovalOtpSend = "approval.otp_send" on "user",
    SeedDemo = "seed.demo" on "seed",
}

/// The chain an entry belongs to (`audit_log.stream`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    /// A pharmacy's staff and sales.
    Pharmacy(Uuid),
    /// A district's inspectors.
    District(String),
    /// The city's administration: users, pharmacies, imports.
    City,
    /// An organisation's approval work (cases, decisions).
    Organisation(Uuid),
    /// A user without a pharmacy or district.
    User(Uuid),
    /// Refused sign-ins, which have no user.
    Auth,
    /// Jobs and commands.
    System,
}

impl Stream {
    /// The stream a caller's actions belong to: their pharmacy, their
    /// district, else their own user stream.
    pub fn of(caller: &Caller) -> Stream {
        if let Some(p) = caller.pharmacy_id {
            Stream::Pharmacy(p)
        } else if let Some(d) = &caller.district_code {
            Stream::District(d.clone())
        } else {
            Stream::User(caller.user_id)
        }
    }
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stream::Pharmacy(id) => write!(f, "pharmacy:{id}"),
            Stream::District(code) => write!(f, "district:{code}"),
            Stream::City => f.write_str("city"),
            Stream::Organisation(id) => write!(f, "organisation:{id}"),
            Stream::User(id) => write!(f, "user:{id}"),
            Stream::Auth => f.write_str("auth"),
            Stream::System => f.write_str("system"),
        }
    }
}

/// One change to record. Built from who did it ([`Entry::by`],
/// [`Entry::system`], [`Entry::anonymous`]) and what; ids, codes and counts
/// only in `detail`: never names, ID numbers or tokens.
#[derive(Debug, Clone)]
pub struct Entry {
    stream: Stream,
    actor: Actor,
    action: Action,
    object_id: Option<String>,
    detail: Value,
}

impl Entry {
    /// `caller` did `action`, on the caller's stream.
    pub fn by(caller: &Caller, action: Action) -> Entry {
        Entry {
            stream: Stream::of(caller),
            actor: Actor::from(caller),
            action,
            object_id: None,
            detail: Value::Object(Default::default()),
        }
    }

    /// A job or command did `action`, on the system stream.
    pub fn system(action: Action) -> Entry {
        Entry {
            stream: Stream::System,
            actor: Actor::system(),
            action,
            object_id: None,
            detail: Value::Object(Default::default()),
        }
    }

    /// Someone not signed in did `action` on `stream`.
    pub fn anonymous(action: Action, stream: Stream) -> Entry {
        Entry {
            stream,
            actor: Actor {
                user_id: None,
                role: None,
            },
            action,
            object_id: None,
            detail: Value::Object(Default::default()),
        }
    }

    /// On another stream than the actor's.
    pub fn on(mut self, stream: Stream) -> Entry {
        self.stream = stream;
        self
    }

    /// The object it is about (of type `action.object_type()`).
    pub fn object(mut self, id: impl ToString) -> Entry {
        self.object_id = Some(id.to_string());
        self
    }

    pub fn detail(mut self, detail: Value) -> Entry {
        self.detail = detail;
        self
    }

    /// Appends it in the caller's transaction; returns its id.
    pub async fn append(self, conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
        let head = lock_head(&mut *conn, &self.stream.to_string()).await?;
        let mut stmt = Statement::new();
        self.seal(&head).push_parts(&mut stmt);
        stmt.fetch_scalar(conn, "SELECT audit_log_id FROM audit_entry")
            .await
    }

    /// Appends it in a transaction of its own (for events with no other
    /// write, e.g. a failed sign-in or a look-up).
    pub async fn append_alone(self, pool: &PgPool) -> Result<i64, sqlx::Error> {
        let mut tx = pool.begin().await?;
        let id = self.append(&mut tx).await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// Records that `caller` did `action` to `object`, on the caller's stream,
/// in the caller's transaction.
pub async fn record(
    conn: &mut PgConnection,
    caller: &Caller,
    action: Action,
    object: Option<String>,
    detail: Value,
) -> Result<i64, sqlx::Error> {
    let mut entry = Entry::by(caller, action).detail(detail);
    entry.object_id = object;
    entry.append(conn).await
}

/// The hashed form of an entry: every field that is stored, in a fixed order,
/// each length-prefixed so no two different entries serialise alike.
fn entry_hash(
    prev: &[u8],
    stream: &str,
    seq: i64,
    created_at: DateTime<Utc>,
    actor_user_id: Option<Uuid>,
    actor_role: Option<&str>,
    action: &str,
    object_type: &str,
    object_id: Option<&str>,
    detail: &Value,
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(256);
    let mut field = |b: &[u8]| {
        buf.extend_from_slice(&(b.len() as u32).to_be_bytes());
        buf.extend_from_slice(b);
    };
    field(prev);
    field(stream.as_bytes());
    field(&seq.to_be_bytes());
    field(&created_at.timestamp_micros().to_be_bytes());
    field(
        actor_user_id
            .map(|u| u.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    field(actor_role.unwrap_or_default().as_bytes());
    field(action.as_bytes());
    field(object_type.as_bytes());
    field(object_id.unwrap_or_default().as_bytes());
    // serde_json's map is ordered by key, so jsonb read back serialises alike.
    field(serde_json::to_string(detail).unwrap_or_default().as_bytes());
    sm3(&buf)
}

/// A stream's head, locked by this transaction until it commits: the row lock
/// orders writers of one stream.
#[derive(Debug, Clone)]
pub struct Head {
    pub stream: String,
    pub seq: i64,
    pub hash: Vec<u8>,
}

/// Takes (or creates) a stream's head in one statement.
pub async fn lock_head(conn: &mut PgConnection, stream: &str) -> Result<Head, sqlx::Error> {
    let mut qb = sqlx::QueryBuilder::new("");
    push_lock_head(&mut qb, stream);
    let (seq, hash): (i64, Vec<u8>) = qb.build_query_as().fetch_one(conn).await?;
    Ok(Head {
        stream: stream.to_owned(),
        seq,
        hash,
    })
}

/// The head-locking statement, returning `seq, hash`, for callers that fold it
/// into a larger statement as a CTE. (`DO UPDATE` rather than `DO NOTHING`: it
/// locks the row and returns its latest version, even one committed after the
/// statement's snapshot.)
pub fn push_lock_head<'a>(qb: &mut sqlx::QueryBuilder<'a, sqlx::Postgres>, stream: &str) {
    qb.push("INSERT INTO audit_head AS h (stream, seq, hash) VALUES (")
        .push_bind(stream.to_owned())
        .push(", 0, ")
        .push_bind(GENESIS.to_vec())
        .push(") ON CONFLICT (stream) DO UPDATE SET seq = h.seq RETURNING h.seq, h.hash");
}

/// An entry given its place in the chain: everything that is stored.
#[derive(Debug, Clone)]
pub struct Sealed {
    stream: String,
    seq: i64,
    created_at: DateTime<Utc>,
    actor: Actor,
    action: String,
    object_type: String,
    object_id: Option<String>,
    detail: Value,
    prev: Vec<u8>,
    hash: [u8; 32],
}

impl Entry {
    /// Chains the entry after `head` (which must be its stream's, locked).
    pub fn seal(self, head: &Head) -> Sealed {
        let stream = self.stream.to_string();
        assert_eq!(
            head.stream, stream,
            "audit entry sealed on another stream's head"
        );
        let seq = head.seq + 1;
        let created_at = Utc::now().trunc_subsecs(6);
        let hash = entry_hash(
            &head.hash,
            &stream,
            seq,
            created_at,
            self.actor.user_id,
            self.actor.role.as_deref(),
            self.action.as_str(),
            self.action.object_type(),
            self.object_id.as_deref(),
            &self.detail,
        );
        Sealed {
            stream,
            seq,
            created_at,
            actor: self.actor,
            action: self.action.as_str().to_owned(),
            object_type: self.action.object_type().to_owned(),
            object_id: self.object_id,
            detail: self.detail,
            prev: head.hash.clone(),
            hash,
        }
    }
}

impl Sealed {
    /// Adds the entry and the head's move to `stmt`.
    pub fn push_parts(self, stmt: &mut Statement<'_>) {
        let Sealed {
            stream,
            seq,
            created_at,
            actor,
            action,
            object_type,
            object_id,
            detail,
            prev,
            hash,
        } = self;
        let head_stream = stream.clone();
        stmt.part("audit_entry", |qb| {
            qb.push(
                "INSERT INTO audit_log (stream, seq, created_at, actor_user_id, actor_role, action, object_type, object_id, detail, prev_hash, hash) VALUES (",
            );
            let mut v = qb.separated(", ");
            v.push_bind(stream)
                .push_bind(seq)
                .push_bind(created_at)
                .push_bind(actor.user_id)
                .push_bind(actor.role)
                .push_bind(action)
                .push_bind(object_type)
                .push_bind(object_id)
                .push_bind(detail)
                .push_bind(prev)
                .push_bind(hash.to_vec());
            qb.push(") RETURNING audit_log_id");
        });
        stmt.part("audit_head_moved", |qb| {
            qb.push("UPDATE audit_head SET seq = ")
                .push_bind(seq)
                .push(", hash = ")
                .push_bind(hash.to_vec())
                .push(" WHERE stream = ")
                .push_bind(head_stream);
        });
    }
}

/// The first broken link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub stream: String,
    /// The entry at fault, when there is one (absent when entries are missing at the end).
    pub audit_log_id: Option<i64>,
    pub seq: i64,
    pub reason: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.audit_log_id {
            Some(id) => write!(
                f,
                "stream {} seq {} (audit_log_id {}): {}",
                self.stream, self.seq, id, self.reason
            ),
            None => write!(
                f,
                "stream {} seq {}: {}",
                self.stream, self.seq, self.reason
            ),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verified {
    pub streams: u64,
    pub entries: u64,
}

/// Walks every stream from its first entry and checks sequence, links, hashes
/// and the head. Streams are checked in name order; the first break is returned.
pub async fn verify(pool: &PgPool) -> Result<Result<Verified, Broken>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let heads = sqlx::query!("SELECT stream, seq, hash FROM audit_head ORDER BY stream")
        .fetch_all(pool)
        .await?;
    let mut stats = Verified::default();
    // Streams with entries but no head (a head row deleted).
    let orphan = sqlx::query!(
        "SELECT l.stream, l.seq, l.audit_log_id FROM audit_log l LEFT JOIN audit_head h USING (stream)
         WHERE h.stream IS NULL ORDER BY l.stream, l.seq LIMIT 1",
    )
    .fetch_optional(pool)
    .await?
    .map(|r| (r.stream, r.seq, r.audit_log_id));
    if let Some((stream, seq, id)) = orphan {
        return Ok(Err(Broken {
            stream,
            audit_log_id: Some(id),
            seq,
            reason: "stream head missing".into(),
        }));
    }
    for head in heads {
        let (stream, head_seq, head_hash) = (head.stream, head.seq, head.hash);
        stats.streams += 1;
        let mut prev = GENESIS.to_vec();
        let mut expected_seq = 1i64;
        let mut rows = sqlx::query!("SELECT audit_log_id, seq, created_at, actor_user_id, actor_role, action, object_type, object_id, detail, prev_hash, hash
             FROM audit_log WHERE stream = $1 ORDER BY seq", &stream)
        .fetch(pool);
        while let Some(row) = rows.try_next().await? {
            let id = row.audit_log_id;
            let seq = row.seq;
            let broken = |reason: &str| Broken {
                stream: stream.clone(),
                audit_log_id: Some(id),
                seq,
                reason: reason.into(),
            };
            if seq != expected_seq {
                return Ok(Err(broken(&format!(
                    "expected seq {expected_seq}: an entry is missing or out of order"
                ))));
            }
            let stored_prev = row.prev_hash;
            if stored_prev != prev {
                return Ok(Err(broken(
                    "previous-hash link does not match the previous entry",
                )));
            }
            let detail = row.detail;
            let actor_role = row.actor_role;
            let object_id = row.object_id;
            let action = row.action;
            let object_type = row.object_type;
            let computed = entry_hash(
                &prev,
                &stream,
                seq,
                row.created_at,
                row.actor_user_id,
                actor_role.as_deref(),
                &action,
                &object_type,
                object_id.as_deref(),
                &detail,
            );
            let stored = row.hash;
            if stored != computed {
                return Ok(Err(broken("content does not match its hash (edited)")));
            }
            prev = stored;
            expected_seq += 1;
            stats.entries += 1;
        }
        let last = expected_seq - 1;
        if last != head_seq || prev != head_hash {
            return Ok(Err(Broken {
                stream: stream.clone(),
                audit_log_id: None,
                seq: last + 1,
                reason: format!(
                    "head says {head_seq} entries, found {last}: newest entries deleted"
                ),
            }));
        }
    }
    Ok(Ok(stats))
}
