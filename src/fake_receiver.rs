//! A fake data-centre receiver on loopback (tests and demo), speaking SPEC §6:
//! it verifies the HMAC-SM3 signature (401 when it is wrong or stale),
//! deduplicates on `key`, and on demand answers 5xx, times out, answers
//! slowly, or rejects chosen records.

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
    let batch: Value = serde_json::from_slice(&bytes)
        .map_err(|_| poem::Error::from_status(StatusCode::BAD_REQUEST))?;
    let mut s = state.lock().unwrap();
    let (mut accepted, mut rejected, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for r in batch["records"].as_array().cloned().unwrap_or_default() {
        let key = r["key"].as_str().unwrap_or_default().to_owned();
        if s.reject.iter().any(|k| key.contains(k.as_str())) {
            rejected.push(json!({ "key": key, "reason": "统一社会信用代码与登记机关记录不符" }));
            continue;
        }
        *s.receipts.entry(key.clone()).or_default() += 1;
        s.records.entry(key.clone()).or_insert(r["data"].clone());
        keys.push(key.clone());
        accepted.push(key);
    }
    s.batches.push(keys);
    Ok(Json(json!({ "accepted": accepted, "rejected": rejected })))
}
