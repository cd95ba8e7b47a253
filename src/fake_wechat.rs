//! A fake of the WeChat API on loopback, speaking the real protocol: used by
//! the tests (through [`FakeWechat::start`]) and by `scripts/run`'s demo
//! (`yaojian dev fake-wechat`), so that the production client runs unchanged.
//!
//! Behaviour, chosen by the request:
//! - `jscode2session`: code `openid:XYZ` → openid `XYZ`; `bad` → 40029;
//!   `used` → 40163; `busy` → -1; `ratelimited` → 45011; `slow` → answers after
//!   10 s; `down` → HTTP 502; any other code → the demo openid.
//! - `stable_token`: a new token `tok-N` each time the current one was revoked
//!   ([`FakeWechat::revoke_token`]), else the current one.
//! - OCR (`/cv/ocr/idcard`, `/cv/ocr/comm`): the image's bytes select the
//!   answer — containing `UNREADABLE` → 101001, `BUSY` → -1; otherwise the
//!   configured identity (default: the demo identity).
//! - Any authed call with a token other than the current one → 40001.
//! - A test may script the next answers of an endpoint
//!   ([`FakeWechat::answer_next`], e.g. `{"errcode": 45009, …}`, an
//!   `errcode` as a string, an OCR of the card's back) or every answer
//!   ([`FakeWechat::answer_always`], e.g. a quota used up for the day):
//!   WeChat's documented failures for the calls we make are then one line of
//!   a test away, and the production client meets them unchanged.

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    EndpointExt, Route, Server, handler,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Json, Multipart, Query},
};
use serde::Deserialize;
use serde_json::{Value, json};

pub const DEMO_OPENID: &str = "oDEMO_user_000000000000000";
pub const APPID: &str = "wx00000000000fa4e0";
pub const SECRET: &str = "fake-wechat-secret";

#[derive(Debug, Default)]
pub struct FakeState {
    pub token_generation: u64,
    pub token_calls: u64,
    pub ocr_calls: u64,
    /// What OCR answers (name, ID number).
    pub identity: Option<(String, String)>,
    /// When set, every endpoint answers HTTP 503 (an outage).
    pub down: bool,
    /// Scripted answers by endpoint, used before the normal behaviour.
    pub next: HashMap<Endpoint, VecDeque<Value>>,
    pub always: HashMap<Endpoint, Value>,
    /// Calls received, by endpoint (scripted or not).
    pub calls: HashMap<Endpoint, u64>,
}

/// The WeChat endpoints the fake speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Jscode2session,
    StableToken,
    OcrIdCard,
    OcrPrinted,
}

#[derive(Clone)]
pub struct FakeWechat {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<FakeState>>,
}

impl FakeWechat {
    /// Starts on an ephemeral loopback port; the server lives as long as the runtime.
    pub async fn start() -> FakeWechat {
        Self::start_on("127.0.0.1:0")
            .await
            .expect("fake wechat binds")
    }

    pub async fn start_on(bind: &str) -> std::io::Result<FakeWechat> {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let acceptor = TcpListener::bind(bind.to_owned()).into_acceptor().await?;
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("tcp listener has a socket address");
        let app = routes().data(state.clone());
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Ok(FakeWechat { addr, state })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes WeChat forget the current access token (next authed call: 40001).
    pub fn revoke_token(&self) {
        self.state.lock().unwrap().token_generation += 1;
    }

    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    pub fn token_calls(&self) -> u64 {
        self.state.lock().unwrap().token_calls
    }

    /// The next call of `endpoint` answers `answer` (a JSON body, HTTP 200),
    /// once; several calls queue.
    pub fn answer_next(&self, endpoint: Endpoint, answer: Value) {
        self.state
            .lock()
            .unwrap()
            .next
            .entry(endpoint)
            .or_default()
            .push_back(answer);
    }

    /// Every call of `endpoint` answers `answer` until [`Self::clear`].
    pub fn answer_always(&self, endpoint: Endpoint, answer: Value) {
        self.state.lock().unwrap().always.insert(endpoint, answer);
    }

    /// How many calls `endpoint` received.
    pub fn calls(&self, endpoint: Endpoint) -> u64 {
        self.state
            .lock()
            .unwrap()
            .calls
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Back to the normal behaviour.
    pub fn clear(&self) {
        let mut s = self.state.lock().unwrap();
        s.next.clear();
        s.always.clear();
    }
}

/// The scripted answer for `endpoint`, if any.
fn scripted(state: &Shared, endpoint: Endpoint) -> Option<Json<Value>> {
    let mut s = state.lock().unwrap();
    *s.calls.entry(endpoint).or_default() += 1;
    if let Some(v) = s.next.get_mut(&endpoint).and_then(VecDeque::pop_front) {
        return Some(Json(v));
    }
    s.always.get(&endpoint).cloned().map(Json)
}

fn routes() -> Route {
    Route::new()
        .at("/sns/jscode2session", poem::get(jscode2session))
        .at("/cgi-bin/stable_token", post(stable_token))
        .at("/cv/ocr/idcard", post(ocr_idcard))
        .at("/cv/ocr/comm", post(ocr_comm))
}

type Shared = Arc<Mutex<FakeState>>;

fn err(code: i64, msg: &str) -> Json<Value> {
    Json(json!({ "errcode": code, "errmsg": msg }))
}

fn outage(state: &Shared) -> Option<poem::Error> {
    state
        .lock()
        .unwrap()
        .down
        .then(|| poem::Error::from_status(poem::http::StatusCode::SERVICE_UNAVAILABLE))
}

#[derive(Deserialize)]
struct CodeQuery {
    appid: String,
    secret: String,
    js_code: String,
    grant_type: String,
}

#[handler]
async fn jscode2session(state: Data<&Shared>, q: Query<CodeQuery>) -> poem::Result<Json<Value>> {
    if let Some(e) = outage(&state) {
        return Err(e);
    }
    if let Some(answer) = scripted(&state, Endpoint::Jscode2session) {
        return Ok(answer);
    }
    if q.appid != APPID || q.secret != SECRET || q.grant_type != "authorization_code" {
        return Ok(err(40013, "invalid appid"));
    }
    Ok(match q.js_code.as_str() {
        "bad" => err(40029, "invalid code"),
        "used" => err(40163, "code been used"),
        "busy" => err(-1, "system error"),
        "ratelimited" => err(45011, "api minute-quota reach limit"),
        "down" => {
            return Err(poem::Error::from_status(
                poem::http::StatusCode::BAD_GATEWAY,
            ));
        }
        "slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            err(-1, "system error")
        }
        code => {
            let openid = code.strip_prefix("openid:").unwrap_or(DEMO_OPENID);
            Json(
                json!({ "openid": openid, "session_key": "c2Vzc2lvbmtleQ==", "unionid": format!("u-{openid}") }),
            )
        }
    })
}

#[derive(Deserialize)]
struct StableTokenBody {
    grant_type: String,
    appid: String,
    secret: String,
}

fn current_token(s: &FakeState) -> String {
    format!("tok-{}", s.token_generation)
}

#[handler]
async fn stable_token(
    state: Data<&Shared>,
    body: Json<StableTokenBody>,
) -> poem::Result<Json<Value>> {
    if let Some(e) = outage(&state) {
        return Err(e);
    }
    if let Some(answer) = scripted(&state, Endpoint::StableToken) {
        return Ok(answer);
    }
    if body.appid != APPID || body.secret != SECRET || body.grant_type != "client_credential" {
        return Ok(err(40013, "invalid appid"));
    }
    let mut s = state.lock().unwrap();
    s.token_calls += 1;
    Ok(Json(
        json!({ "access_token": current_token(&s), "expires_in": 7200 }),
    ))
}

#[derive(Deserialize)]
struct TokenQuery {
    access_token: String,
}

/// 40001 unless the token is the current one.
fn check_token(state: &Shared, token: &str) -> Option<Json<Value>> {
    let s = state.lock().unwrap();
    (token != current_token(&s)).then(|| {
        err(
            40001,
            "invalid credential, access_token is invalid or not latest",
        )
    })
}

async fn read_img(mut form: Multipart) -> Option<Vec<u8>> {
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("img") {
            return field.bytes().await.ok();
        }
    }
    None
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The identity OCR reads, unless the image asks for an error.
async fn ocr_identity(
    state: &Shared,
    token: &str,
    form: Multipart,
) -> Result<(String, String), Json<Value>> {
    if let Some(e) = check_token(state, token) {
        return Err(e);
    }
    state.lock().unwrap().ocr_calls += 1;
    let Some(img) = read_img(form).await else {
        return Err(err(47001, "data format error"));
    };
    if contains(&img, b"UNREADABLE") {
        return Err(err(101001, "certificate not found"));
    }
    if contains(&img, b"BUSY") {
        return Err(err(-1, "system error"));
    }
    let s = state.lock().unwrap();
    Ok(s.identity
        .clone()
        .unwrap_or_else(|| ("张三".into(), "11010519491231002X".into())))
}

#[handler]
async fn ocr_idcard(
    state: Data<&Shared>,
    q: Query<TokenQuery>,
    form: Multipart,
) -> poem::Result<Json<Value>> {
    if let Some(e) = outage(&state) {
        return Err(e);
    }
    if let Some(answer) = scripted(&state, Endpoint::OcrIdCard) {
        return Ok(answer);
    }
    Ok(match ocr_identity(&state, &q.access_token, form).await {
        Err(e) => e,
        Ok((name, id)) => Json(json!({
            "errcode": 0, "errmsg": "ok", "type": "Front", "name": name, "id": id,
            "addr": "北京市朝阳区", "gender": "男", "nationality": "汉"
        })),
    })
}

#[handler]
async fn ocr_comm(
    state: Data<&Shared>,
    q: Query<TokenQuery>,
    form: Multipart,
) -> poem::Result<Json<Value>> {
    if let Some(e) = outage(&state) {
        return Err(e);
    }
    if let Some(answer) = scripted(&state, Endpoint::OcrPrinted) {
        return Ok(answer);
    }
    Ok(match ocr_identity(&state, &q.access_token, form).await {
        Err(e) => e,
        Ok((name, id)) => Json(json!({
            "errcode": 0, "errmsg": "ok",
            "items": [
                { "text": "中华人民共和国社会保障卡", "pos": {} },
                { "text": format!("姓名 {name}"), "pos": {} },
                { "text": format!("社会保障号码 {id}"), "pos": {} },
                { "text": "卡号 A12345678", "pos": {} }
            ],
            "img_size": { "w": 800, "h": 500 }
        })),
    })
}
