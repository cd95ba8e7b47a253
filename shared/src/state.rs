//! What every handler reaches through `Data<&AppState>`: pools, clients, keys.
//! Nothing here holds per-request or per-user state (SPEC §2 stateless).

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    auth::{lockout::Lockout, sessions::Sessions},
    cache::Cache,
    config::Config,
    crypto::PiiCipher,
    signer::{LocalSigner, Signer},
    sms::{HttpSms, NoSms, SmsGateway},
    storage::Storage,
    wechat::WechatApi,
};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub db: PgPool,
    pub cache: Cache,
    pub sessions: Sessions,
    pub lockout: Lockout,
    pub pii: PiiCipher,
    pub storage: Storage,
    pub wechat: Arc<dyn WechatApi>,
    /// Where one-time codes go out (`YAOJIAN_SMS_URL`).
    pub sms: Arc<dyn SmsGateway>,
    /// Whose keys sign decisions (SPEC §8.4).
    pub signer: Arc<dyn Signer>,
    /// When the database-backed gauges of `/metrics` were last read, so a
    /// scrape costs no query more often than every few seconds.
    pub gauges_refreshed_at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state from configuration; connects lazily (no I/O here
    /// beyond creating a local storage directory).
    pub fn build(config: Config) -> anyhow::Result<AppState> {
        let db = crate::db::pool(&config)?;
        let cache = Cache::connect(&config)?;
        let wechat = Arc::new(crate::wechat::WechatMiniProgram::new(
            &config,
            cache.clone(),
        )?);
        let storage = Storage::from_url(&config.storage_url, &config.storage_options)
            .map_err(|e| anyhow::anyhow!("configuration error: YAOJIAN_STORAGE_URL: {e}"))?;
        Ok(Self::from_parts(config, db, cache, storage, wechat))
    }

    pub fn from_parts(
        config: Config,
        db: PgPool,
        cache: Cache,
        storage: Storage,
        wechat: Arc<dyn WechatApi>,
    ) -> AppState {
        let sessions = Sessions::new(cache.clone(), config.auth.clone());
        let lockout = Lockout::new(cache.clone(), config.auth.clone());
        let pii = PiiCipher::new(&config.master_keys);
        let sms: Arc<dyn SmsGateway> = match &config.sms {
            // Building a reqwest client only fails without a TLS backend.
            Some(c) => Arc::new(HttpSms::new(c.clone()).expect("an HTTP client builds")),
            None => Arc::new(NoSms),
        };
        let signer = Arc::new(LocalSigner::new(pii.clone()));
        AppState(Arc::new(Inner {
            config,
            db,
            cache,
            sessions,
            lockout,
            pii,
            storage,
            wechat,
            sms,
            signer,
            gauges_refreshed_at: std::sync::Mutex::new(None),
        }))
    }
}
