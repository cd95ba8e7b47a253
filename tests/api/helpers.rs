//! `spawn_app()`: the composed server on a random port, against a fresh
//! PostgreSQL database (created here, dropped when the app is dropped), Redis
//! keys under a prefix of its own, and a fake WeChat on loopback.

use std::{
    collections::HashMap,
    io::Write,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
};

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};
use serde_json::Value;
use shared::{AppState, config::Config};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::net::TcpStream;
use uuid::Uuid;
use yaojian::{app, fake_wechat::FakeWechat};

pub const TEST_MASTER_KEY: &str =
    "7f1c0b6a3e9d2f4a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a";
pub const PASSWORD: &str = "Test-Passw0rd!";
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn with_database(url: &str, db: &str) -> String {
    let mut u = reqwest::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

// ---- captured logs ---------------------------------------------------------

/// Everything every test server logged (JSON lines, debug level), for the log
/// hygiene tests; echoed to stderr when `TEST_LOG` is set.
pub static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = std::io::stderr().write_all(buf);
        }
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let capture = Capture(buf.clone());
        shared::telemetry::init_logging_to(
            shared::config::LogFormat::Json,
            tracing_subscriber::EnvFilter::new("debug,hyper=info,h2=info,reqwest=info,rustls=info"),
            move || capture.clone(),
        );
        buf
    });
}

pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.get().expect("logging initialised").lock().unwrap()).into_owned()
}

// ---- the app -----------------------------------------------------------------

pub struct TestApp {
    pub base: String,
    pub db: PgPool,
    pub db_name: String,
    pub state: AppState,
    pub fake: FakeWechat,
    pub client: reqwest::Client,
    pub vars: HashMap<String, String>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Another server instance on the same database, Redis and fake WeChat.
    pub async fn another_instance(&self) -> Instance {
        let state = AppState::build(Config::from_vars(self.vars.clone()).unwrap()).unwrap();
        let (base, _) = serve(state.clone()).await;
        Instance { base, state }
    }

    /// Environment that points the `yaojian` binary at this app's database.
    pub fn env(&self) -> HashMap<String, String> {
        self.vars.clone()
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> reqwest::Response {
        let mut r = self.client.post(self.url(path)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request sent")
    }

    /// The Prometheus text of `/metrics`, fetched with the test token.
    pub async fn metrics(&self) -> String {
        let r = self.get("/metrics", Some(METRICS_TOKEN)).await;
        assert_eq!(r.status(), 200, "/metrics");
        r.text().await.unwrap()
    }

    /// Signs in with username and password; returns the token.
    pub async fn login(&self, username: &str) -> String {
        let resp = self
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"username": username, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(resp.status(), 200, "login of {username}");
        resp.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub struct Instance {
    pub base: String,
    pub state: AppState,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let url = admin_url();
        let name = self.db_name.clone();
        // Drop the database from a thread with its own runtime (Drop is sync).
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = PgConnection::connect(&url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut c)
                            .await;
                }
            });
        })
        .join();
    }
}

async fn serve(state: AppState) -> (String, SocketAddr) {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let groups = app::all_groups();
    let endpoint = app::build(state, &groups);
    tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
    });
    (format!("http://{addr}"), addr)
}

/// Creates a fresh, migrated database; returns its name and URL. It is a copy
/// of a template migrated once per set of migrations (`CREATE DATABASE …
/// TEMPLATE`), which costs a file copy instead of running every migration.
pub async fn fresh_database() -> (String, String) {
    let template = migrated_template().await;
    let name = format!("yj_test_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url())
        .await
        .expect("PostgreSQL reachable (TEST_DATABASE_URL)");
    // Shared with other clones, exclusive with a run that builds a template
    // and drops stale ones (another checkout's migrations).
    sqlx::query("SELECT pg_advisory_lock_shared(7305120001)")
        .execute(&mut admin)
        .await
        .unwrap();
    let created = sqlx::query(&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
    ))
    .execute(&mut admin)
    .await;
    let _ = sqlx::query("SELECT pg_advisory_unlock_shared(7305120001)")
        .execute(&mut admin)
        .await;
    created.unwrap();
    (name.clone(), with_database(&admin_url(), &name))
}

/// The template's name: `yj_template_` and a digest of the migrations, so a
/// changed or added migration makes a new one.
fn template_name() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut all = Vec::new();
    for f in files {
        all.extend_from_slice(f.file_name().unwrap().as_encoded_bytes());
        all.extend_from_slice(&std::fs::read(&f).unwrap());
    }
    format!("yj_template_{}", &shared::crypto::sm3_hex(&all)[..16])
}

/// Makes the template once for every test process on the machine: under an
/// advisory lock, a database is migrated under a temporary name and renamed
/// when complete, so a template that exists is always whole.
async fn migrated_template() -> String {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut admin = PgConnection::connect(&admin_url())
                .await
                .expect("PostgreSQL reachable (TEST_DATABASE_URL)");
            sqlx::query("SELECT pg_advisory_lock(7305120001)")
                .execute(&mut admin)
                .await
                .unwrap();
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut admin)
                    .await
                    .unwrap();
            if !exists {
                let building = format!("{name}_building");
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                sqlx::query(&format!("CREATE DATABASE \"{building}\""))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let pool = PgPool::connect(&with_database(&admin_url(), &building))
                    .await
                    .unwrap();
                shared::db::migrate(&pool).await.unwrap();
                pool.close().await;
                sqlx::query(&format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\""))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                // Templates of older migrations are of no further use.
                let stale: Vec<String> = sqlx::query_scalar(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'yj\\_template\\_%' AND datname <> $1",
                )
                .bind(&name)
                .fetch_all(&mut admin)
                .await
                .unwrap();
                for db in stale {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            }
            let _ = sqlx::query("SELECT pg_advisory_unlock(7305120001)")
                .execute(&mut admin)
                .await;
            name
        })
        .await
        .clone()
}

/// A storage directory of the test's own (under the system temp dir).
fn storage_dir(prefix: &str) -> String {
    std::env::temp_dir()
        .join("yaojian-test-objects")
        .join(prefix.replace(':', "_"))
        .display()
        .to_string()
}

pub fn vars_for(
    database_url: &str,
    redis_url: &str,
    prefix: &str,
    wechat_base: &str,
) -> HashMap<String, String> {
    [
        ("DATABASE_URL", database_url),
        ("REDIS_URL", redis_url),
        ("REDIS_KEY_PREFIX", prefix),
        ("WECHAT_APPID", yaojian::fake_wechat::APPID),
        ("WECHAT_SECRET", yaojian::fake_wechat::SECRET),
        ("WECHAT_API_BASE", wechat_base),
        ("WECHAT_TIMEOUT_SECS", "1"),
        ("YAOJIAN_MASTER_KEY", TEST_MASTER_KEY),
        ("YAOJIAN_METRICS_TOKEN", METRICS_TOKEN),
        ("DATABASE_MAX_CONNECTIONS", "5"),
        ("YAOJIAN_STORAGE_URL", &storage_dir(prefix)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A JPEG carrying an EXIF segment with a GPS position.
pub fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let mut tiff = vec![0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00];
    tiff.extend_from_slice(&[
        0x01, 0x00, 0x25, 0x88, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1A, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00,
    ]);
    tiff.extend_from_slice(&[
        0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, b'N', 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00,
    ]);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(&payload);
    let mut out = jpeg(w, h, None);
    out.splice(2..2, seg);
    out
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `tweak` may change the environment before the server starts.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    init_logs();
    let fake = FakeWechat::start().await;
    let (db_name, database_url) = fresh_database().await;
    let redis_prefix = format!("yjt:{}:", Uuid::new_v4().simple());
    let mut vars = vars_for(&database_url, &redis_url(), &redis_prefix, &fake.base_url());
    tweak(&mut vars);
    let state = AppState::build(Config::from_vars(vars.clone()).unwrap()).unwrap();
    let (base, _) = serve(state.clone()).await;
    let db = PgPool::connect(&database_url).await.unwrap();
    let app = TestApp {
        base,
        db,
        db_name,
        state,
        fake,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        vars,
    };
    seed_users(&app).await;
    app
}

// ---- fixtures ----------------------------------------------------------------

pub const PHARMACY_A: Uuid = Uuid::from_u128(0xA);
pub const PHARMACY_B: Uuid = Uuid::from_u128(0xB);
pub const PHARMACY_C: Uuid = Uuid::from_u128(0xC);

/// An active pharmacy named `药店{licence}` in `district`.
pub async fn pharmacy(db: &PgPool, id: Uuid, licence: &str, district: &str) {
    sqlx::query(
        "INSERT INTO pharmacy (pharmacy_id, name, licence_number, district_code) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(format!("药店{licence}"))
    .bind(licence)
    .bind(district)
    .execute(db)
    .await
    .unwrap();
}

/// Districts; pharmacies A, B in 江岸 (420102) and C in 武昌 (420106); users
/// `admin`, `inspector` (江岸), `manager` and `clerk` (A), all with `PASSWORD`.
async fn seed_users(app: &TestApp) {
    let mut tx = app.db.begin().await.unwrap();
    yaojian::seed::drugs(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    for (id, licence, district) in [
        (PHARMACY_A, "L-A", "420102"),
        (PHARMACY_B, "L-B", "420102"),
        (PHARMACY_C, "L-C", "420106"),
    ] {
        pharmacy(&app.db, id, licence, district).await;
    }
    let hash = shared::auth::password::hash(PASSWORD).await.unwrap();
    for (username, role, pharmacy, district) in [
        ("admin", "city_admin", None, None),
        ("inspector", "inspector", None, Some("420102")),
        ("manager", "pharmacy_manager", Some(PHARMACY_A), None),
        ("clerk", "clerk", Some(PHARMACY_A), None),
    ] {
        create_user(app, username, role, pharmacy, district, Some(&hash)).await;
    }
}

pub async fn create_user(
    app: &TestApp,
    username: &str,
    role: &str,
    pharmacy: Option<Uuid>,
    district: Option<&str>,
    hash: Option<&str>,
) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO app_user (user_id, role, display_name, username, password_hash, pharmacy_id, district_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING user_id",
    )
    .bind(Uuid::new_v4())
    .bind(role)
    .bind(format!("用户{username}"))
    .bind(username)
    .bind(hash)
    .bind(pharmacy)
    .bind(district)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

pub async fn problem(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = resp.json().await.expect("problem body is JSON");
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct} for {body}"
    );
    assert!(
        body["code"].is_string() && body["title"].is_string() && body["status"] == status,
        "{body}"
    );
    (status, body)
}

// ---- a chaos proxy -------------------------------------------------------------

/// A TCP proxy in front of a real service that can be cut (connections
/// dropped, new ones refused) and restored, to show recovery without restart.
pub struct Proxy {
    pub addr: SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (up2, gen2) = (up.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    break;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let my_gen = gen2.load(Ordering::SeqCst);
                let gen3 = gen2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let cut = async {
                        while gen3.load(Ordering::SeqCst) == my_gen {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = cut => {} }
                });
            }
        });
        Proxy {
            addr,
            up,
            generation,
        }
    }

    pub fn cut(&self) {
        use std::sync::atomic::Ordering;
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

// ---- domain fixtures -----------------------------------------------------------

/// A valid resident ID number born on `birth` (YYYYMMDD) in 江岸区.
pub fn id_number(birth: &str, seq: u32) -> String {
    let base = format!("420102{birth}{seq:03}");
    let check = shared::domain::ResidentIdNumber::check_character(&base).expect("17 digits");
    format!("{base}{check}")
}

/// Demo catalogue barcodes (see `yaojian::seed::DEMO_DRUGS`).
pub const KANGTAIKE: &str = "6901234560015";
pub const BAIJIAHEI: &str = "6901234560022";
pub const GANCAO: &str = "6901234560039";
pub const KEDAIYIN_RX: &str = "6901234560046";
pub const CHILDREN_CAP1: &str = "6901234560060";
pub const DISCONTINUED: &str = "6901234560077";

/// A sale typed in by hand.
pub fn manual_sale(name: &str, id: &str, items: &[(&str, u32)]) -> Value {
    serde_json::json!({
        "buyer": { "name": name, "id_number": id },
        "items": items.iter().map(|(b, q)| serde_json::json!({"barcode": b, "quantity": q, "batch_no": "B20261101"})).collect::<Vec<_>>(),
    })
}

/// A clerk of `pharmacy` who can sign in with `PASSWORD`; returns its token.
pub async fn clerk_of(app: &TestApp, username: &str, pharmacy: Uuid) -> String {
    let hash = shared::auth::password::hash(PASSWORD).await.unwrap();
    create_user(app, username, "clerk", Some(pharmacy), None, Some(&hash)).await;
    app.login(username).await
}

/// A JPEG of `w`×`h`, with `marker` in a comment segment (the fake OCR reads it).
pub fn jpeg(w: u32, h: u32, marker: Option<&str>) -> Vec<u8> {
    use image::{DynamicImage, ImageBuffer, Rgb, codecs::jpeg::JpegEncoder};
    let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    if let Some(m) = marker {
        let len = (m.len() + 2) as u16;
        let mut seg = vec![0xFF, 0xFE];
        seg.extend_from_slice(&len.to_be_bytes());
        seg.extend_from_slice(m.as_bytes());
        out.splice(2..2, seg);
    }
    out
}

pub async fn upload(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("card.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await
        .unwrap()
}

// ---- child processes ---------------------------------------------------------

/// A child process killed when dropped.
pub struct Child(pub std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn wait_ready(client: &reqwest::Client, url: &str) {
    for _ in 0..100 {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

/// Every row of every table of the app's database, as text: what a
/// `pg_dump` of the data would show.
pub async fn dump_every_table(db: &PgPool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT quote_ident(table_name) FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut out = String::new();
    for t in tables {
        let rows: Option<String> =
            sqlx::query_scalar(&format!("SELECT string_agg(x::text, E'\\n') FROM {t} x"))
                .fetch_one(db)
                .await
                .unwrap();
        out.push_str(&t);
        out.push('\n');
        out.push_str(&rows.unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Runs the job named `name` once, as `yaojian jobs run NAME --once` does.
pub async fn run_job(
    state: &shared::AppState,
    name: &str,
) -> anyhow::Result<shared::jobs::Outcome> {
    let jobs = yaojian::groups::jobs();
    shared::jobs::run_once(state, shared::jobs::find(&jobs, name)?).await
}

// ---- the common flows -------------------------------------------------------

/// `POST /registrations` as `token`.
pub async fn register(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/registrations", body, Some(token)).await
}

/// Scans a buyer's ID card through the card reader as `token`; returns the
/// scan's answer (`scan_token`, masked identity, window).
pub async fn scan_id_card(app: &TestApp, token: &str, name: &str, id_number: &str) -> Value {
    let r = app
        .post(
            "/api/v1/scan/id-card",
            serde_json::json!({"card_reader": {"name": name, "id_number": id_number}}),
            Some(token),
        )
        .await;
    assert_eq!(r.status(), 200, "scan refused");
    r.json().await.unwrap()
}

/// Signs in through WeChat with `code` (the fake WeChat's openid is the
/// code) and binds the account with `invite_code`; returns the bind answer.
pub async fn bind_wechat(app: &TestApp, code: &str, invite_code: &str) -> reqwest::Response {
    let login: Value = app
        .post(
            "/api/v1/auth/wechat/login",
            serde_json::json!({ "code": code }),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let bind_token = login["bind_token"]
        .as_str()
        .expect("an unbound account gets a bind token");
    app.post(
        "/api/v1/auth/wechat/bind",
        serde_json::json!({ "bind_token": bind_token, "invite_code": invite_code }),
        None,
    )
    .await
}

/// `POST /admin/{what}/import` (`what`: `pharmacies` or `drugs`) with the
/// file `name`.
pub async fn import(
    app: &TestApp,
    token: &str,
    what: &str,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    app.client
        .post(app.url(&format!("/api/v1/admin/{what}/import?dry_run={dry_run}")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// A drug of the catalogue with barcode `gtin` (a valid GTIN), of
/// `category` (`ephedrine`, `codeine`, `diphenoxylate`, `liquorice`).
pub async fn drug(app: &TestApp, gtin: &str, name: &str, category: &str, rx_only: bool) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO drug (drug_id, barcode, approval_number, name, strength, manufacturer, special_category, rx_only)
         VALUES ($1, $2, '国药准字H20000001', $3, '10片', '测试药厂', $4, $5) RETURNING drug_id",
    )
    .bind(Uuid::new_v4())
    .bind(gtin)
    .bind(name)
    .bind(category)
    .bind(rx_only)
    .fetch_one(&app.db)
    .await
    .unwrap()
}
