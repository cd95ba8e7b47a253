//! A fake data-centre receiver on loopback (tests and demo), speaking SPEC §6
//! as strictly as a real one on its worst day:
//! - the HMAC-SM3 signature and the timestamp (Unix seconds, within ±300 s of
//!   its clock) are checked: 401 when wrong or stale;
//! - each batch's shape is checked — `batch_id` (a UUID), `entity` (one the
//!   function groups declare), `records` of `key`, `op` (`create`, `update`,
//!   `delete`) and `data` holding every field the entity declares (or an
//!   archived tombstone) — else 400 with the reason;
//! - every accepted record is kept as delivered, duplicates included
//!   ([`ReceiverState::deliveries`]), so "no record twice" can fail;
//! - on demand it answers 5xx, times out, answers slowly, rejects chosen
//!   records, accepts only part of a batch (the rest in neither list),
//!   answers a malformed 200, or answers any status ([`Answer`]).

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    EndpointExt, Request, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Json},
};
use serde_json::{Value, json};

#[derive(Debug, Default)]
pub struct ReceiverState {
    /// Records held, by key (each once).
    pub records: HashMap<String, Value>,
    /// How many times each key was received (more than once = redelivered).
    pub receipts: HashMap<String, u32>,
    /// Keys of every batch accepted, in order.
    pub batches: Vec<Vec<String>>,
    pub unauthorized: u32,
    pub failures_injected: u32,
    /// Share of batches answered 503 (0.0–1.0), spread evenly over the
    /// batches received so that a test's injected failures are certain.
    pub fail_rate: f64,
    /// Batches received with a valid signature.
    pub received: u64,
    /// Answer after this long.
    pub delay: Duration,
    /// Keys containing any of these are rejected with a reason.
    pub reject: HashSet<String>,
    /// Every accepted record, in order, duplicates included.
    pub deliveries: Vec<(String, Value)>,
    /// Batches refused as malformed, with why.
    pub malformed: Vec<String>,
    /// How the next batches are answered (after the checks above).
    pub answer: Answer,
}

/// How the receiver answers a well-formed, signed batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Answer {
    /// Accepted, except the records of `reject`.
    #[default]
    Normal,
    /// Every other record is in neither list (a receiver that dropped them).
    Partial,
    /// HTTP 200 with a body that is not the expected JSON.
    Malformed,
    /// This HTTP status, with an error body (e.g. 403, 409, 413, 422).
    Status(u16),
}

#[derive(Clone)]
pub struct FakeReceiver {
    pub addr: SocketAddr,
    pub secret: String,
    pub state: Arc<Mutex<ReceiverState>>,
}

impl FakeReceiver {
    pub async fn start(secret: &str) -> FakeReceiver {
        Self::start_on("127.0.0.1:0", secret)
            .await
            .expect("fake receiver binds")
    }

    pub async fn start_on(bind: &str, secret: &str) -> std::io::Result<FakeReceiver> {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let acceptor = TcpListener::bind(bind.to_owned()).into_acceptor().await?;
        let addr = *acceptor.local_addr()[0].as_socket_addr().expect("tcp");
        let app = Route::new()
            .at("/ingest", post(ingest))
            .data(state.clone())
            .data(Secret(secret.to_owned()));
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Ok(FakeReceiver {
            addr,
            secret: secret.to_owned(),
            state,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}/ingest", self.addr)
    }
}

#[derive(Clone)]
struct Secret(String);

type Shared = Arc<Mutex<ReceiverState>>;

#[handler]
async fn ingest(
    req: &Request,
    state: Data<&Shared>,
    secret: Data<&Secret>,
    body: poem::Body,
) -> poem::Result<Json<Value>> {
    let bytes = body.into_vec().await?;
    let ts = req
        .headers()
        .get("x-yaojian-timestamp")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let sig = req
        .headers()
        .get("x-yaojian-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() <= 300);
    if !fresh
        || !shared::crypto::verify_data_centre_signature(secret.0.0.as_bytes(), &ts, &bytes, &sig)
    {
        state.lock().unwrap().unauthorized += 1;
        return Err(poem::Error::from_status(StatusCode::UNAUTHORIZED));
    }
    let (delay, fail) = {
        let mut s = state.lock().unwrap();
        s.received += 1;
        let n = s.received as f64;
        let rate = s.fail_rate.clamp(0.0, 1.0);
        let fail = (n * rate).floor() > ((n - 1.0) * rate).floor();
        if fail {
            s.failures_injected += 1;
        }
        (s.delay, fail)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if fail {
        return Err(poem::Error::from_status(StatusCode::SERVICE_UNAVAILABLE));
    }
    let batch: Value = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(_) => return Err(malformed(&state, "body is not JSON".into())),
    };
    if let Err(why) = check_shape(&batch) {
        return Err(malformed(&state, why));
    }
    let mut s = state.lock().unwrap();
    match s.answer.clone() {
        Answer::Malformed => {
            return Ok(Json(json!({ "accepted": "all of them", "ok": true })));
        }
        Answer::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
            return Err(poem::Error::from_string(
                format!("{{\"error\":\"refused with {code}\"}}"),
                status,
            ));
        }
        Answer::Normal | Answer::Partial => {}
    }
    let partial = s.answer == Answer::Partial;
    let (mut accepted, mut rejected, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in batch["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let key = r["key"].as_str().unwrap_or_default().to_owned();
        if partial && i % 2 == 1 {
            continue; // dropped: in neither list
        }
        if s.reject.iter().any(|k| key.contains(k.as_str())) {
            rejected.push(json!({ "key": key, "reason": "统一社会信用代码与登记机关记录不符" }));
            continue;
        }
        *s.receipts.entry(key.clone()).or_default() += 1;
        s.records.entry(key.clone()).or_insert(r["data"].clone());
        s.deliveries.push((key.clone(), r["data"].clone()));
        keys.push(key.clone());
        accepted.push(key);
    }
    s.batches.push(keys);
    Ok(Json(json!({ "accepted": accepted, "rejected": rejected })))
}

fn malformed(state: &Shared, why: String) -> poem::Error {
    state.lock().unwrap().malformed.push(why.clone());
    poem::Error::from_string(json!({ "error": why }).to_string(), StatusCode::BAD_REQUEST)
}

/// The shape SPEC §6 gives a batch; the entity's fields come from the
/// function groups' declarations.
fn check_shape(batch: &Value) -> Result<(), String> {
    let id = batch["batch_id"].as_str().ok_or("batch_id missing")?;
    uuid::Uuid::parse_str(id).map_err(|_| format!("batch_id {id:?} is not a UUID"))?;
    let entity_name = batch["entity"].as_str().ok_or("entity missing")?;
    let entities = crate::groups::entities();
    let entity = entities
        .iter()
        .find(|e| e.name == entity_name)
        .ok_or_else(|| format!("unknown entity {entity_name:?}"))?;
    let records = batch["records"].as_array().ok_or("records is not a list")?;
    if records.is_empty() {
        return Err("records is empty".into());
    }
    for (i, r) in records.iter().enumerate() {
        if r["key"].as_str().is_none_or(str::is_empty) {
            return Err(format!("records[{i}].key missing"));
        }
        if !matches!(r["op"].as_str(), Some("create" | "update" | "delete")) {
            return Err(format!("records[{i}].op is not create, update or delete"));
        }
        let data = r["data"]
            .as_object()
            .ok_or_else(|| format!("records[{i}].data is not an object"))?;
        if data.get("archived") == Some(&Value::Bool(true)) {
            continue;
        }
        if let Some(field) = entity.fields.iter().find(|f| !data.contains_key(**f)) {
            return Err(format!("records[{i}].data lacks {field}"));
        }
    }
    Ok(())
}
