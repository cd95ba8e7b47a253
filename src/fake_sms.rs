//! A fake SMS gateway on loopback speaking the protocol of `shared::sms`
//! (the demo's `yaojian dev fake-sms`, and the tests): it checks each
//! request's signature, refuses a number that is not a mainland mobile
//! number (400 `PHONE_INVALID`) and more than 20 messages an hour to one
//! number (429), goes down on request (503, or no answer at all), and keeps
//! every message it took, listed at `GET /messages?phone=…` — where the
//! demo's approvers read their one-time codes.

use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use poem::{
    EndpointExt, Request, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    web::{Data, Json, Query},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The key the demo and the tests sign with.
pub const KEY: &str = "fake-sms-gateway-key";

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: u64,
    pub phone: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// How the gateway behaves now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Up,
    /// Every send answers 503.
    Down,
    /// Every send is held past any client's timeout.
    Hanging,
}

#[derive(Debug, Default)]
pub struct FakeSmsState {
    pub messages: Vec<Message>,
    pub mode: Mode,
    nonces: HashSet<String>,
}

#[derive(Clone)]
pub struct FakeSms {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<FakeSmsState>>,
}

type Shared = Arc<Mutex<FakeSmsState>>;

impl FakeSms {
    pub async fn start() -> FakeSms {
        Self::start_on("127.0.0.1:0").await.expect("fake sms binds")
    }

    pub async fn start_on(bind: &str) -> std::io::Result<FakeSms> {
        let state: Shared = Arc::new(Mutex::new(FakeSmsState::default()));
        let acceptor = TcpListener::bind(bind.to_owned()).into_acceptor().await?;
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("tcp listener has a socket address");
        let app = Route::new()
            .at("/sms/send", poem::post(send))
            .at("/messages", poem::get(messages))
            .data(state.clone());
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Ok(FakeSms { addr, state })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn messages(&self, phone: &str) -> Vec<Message> {
        self.state
            .lock()
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.phone == phone)
            .cloned()
            .collect()
    }

    /// The one-time code of the last message to `phone`.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.messages(phone).last().and_then(|m| code_in(&m.text))
    }
}

/// The first run of six digits in a message.
pub fn code_in(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(6).enumerate().find_map(|(i, w)| {
        let digits = w.iter().all(char::is_ascii_digit);
        let before = i == 0 || !chars[i - 1].is_ascii_digit();
        let after = chars.get(i + 6).is_none_or(|c| !c.is_ascii_digit());
        (digits && before && after).then(|| w.iter().collect())
    })
}

#[derive(Deserialize)]
struct SendBody {
    phone: String,
    text: String,
}

fn answer(status: StatusCode, body: Value) -> poem::Response {
    poem::Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

#[handler]
async fn send(req: &Request, state: Data<&Shared>, body: poem::Body) -> poem::Response {
    let mode = state.lock().unwrap().mode;
    match mode {
        Mode::Down => {
            return answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "code": "UNAVAILABLE" }),
            );
        }
        Mode::Hanging => tokio::time::sleep(Duration::from_secs(60)).await,
        Mode::Up => {}
    }
    let Ok(bytes) = body.into_bytes_limit(64 * 1024).await else {
        return answer(StatusCode::BAD_REQUEST, json!({ "code": "BAD_REQUEST" }));
    };
    let nonce = match shared::inbound::check_signature(
        KEY.as_bytes(),
        req.headers(),
        &bytes,
        Utc::now().timestamp(),
    ) {
        Ok(n) => n,
        Err(_) => {
            return answer(
                StatusCode::UNAUTHORIZED,
                json!({ "code": "SIGNATURE_INVALID" }),
            );
        }
    };
    let Ok(msg) = serde_json::from_slice::<SendBody>(&bytes) else {
        return answer(StatusCode::BAD_REQUEST, json!({ "code": "BAD_REQUEST" }));
    };
    let mobile = msg.phone.len() == 11
        && msg.phone.starts_with('1')
        && msg.phone.bytes().all(|b| b.is_ascii_digit());
    if !mobile {
        return answer(StatusCode::BAD_REQUEST, json!({ "code": "PHONE_INVALID" }));
    }
    let mut s = state.lock().unwrap();
    if !s.nonces.insert(nonce) {
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({ "code": "REQUEST_REPLAYED" }),
        );
    }
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let recent = s
        .messages
        .iter()
        .filter(|m| m.phone == msg.phone && m.at > hour_ago)
        .count();
    if recent >= 20 {
        return answer(
            StatusCode::TOO_MANY_REQUESTS,
            json!({ "code": "RATE_LIMITED" }),
        );
    }
    let id = s.messages.len() as u64 + 1;
    s.messages.push(Message {
        id,
        phone: msg.phone,
        text: msg.text,
        at: Utc::now(),
    });
    answer(
        StatusCode::OK,
        json!({ "message_id": format!("fake-{id}") }),
    )
}

#[derive(Deserialize)]
struct PhoneQuery {
    phone: Option<String>,
}

#[handler]
async fn messages(state: Data<&Shared>, q: Query<PhoneQuery>) -> Json<Vec<Message>> {
    let s = state.lock().unwrap();
    Json(
        s.messages
            .iter()
            .filter(|m| q.phone.as_deref().is_none_or(|p| p == m.phone))
            .cloned()
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_code_is_found_in_a_message() {
        assert_eq!(
            super::code_in("【药监】您的验证码为 042917，用于审批签名，5 分钟内有效。").as_deref(),
            Some("042917")
        );
        assert_eq!(super::code_in("12345 and 1234567"), None);
    }
}
