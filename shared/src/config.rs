//! Typed settings, read once at start-up.
//!
//! Sources, in order of precedence: the process environment, then the TOML file
//! named by `$YAOJIAN_CONFIG` (keys are the same names, lower-case, e.g.
//! `database_url = "..."`, plus the `[[sync.targets]]` tables of SPEC §6).
//! A missing or malformed setting stops start-up with one line naming it.

use std::{collections::HashMap, fmt, time::Duration};

use secrecy::{ExposeSecret, SecretString};

use crate::crypto::MasterKeys;

/// One setting that could not be read: the message names the variable and
/// never contains its value (it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

pub const DEFAULT_WECHAT_API_BASE: &str = "https://api.weixin.qq.com";

#[derive(Clone)]
pub struct Config {
    pub database_url: SecretString,
    pub redis_url: SecretString,
    /// Prefix of every Redis key we write, so that several deployments (or
    /// tests) can share one Redis without seeing each other's keys.
    pub redis_prefix: String,
    pub database_max_connections: u32,
    pub wechat: WechatConfig,
    pub master_keys: MasterKeys,
    /// True when the public development key is in use: `YAOJIAN_MASTER_KEY`
    /// missing, empty, or set to that key.
    pub master_key_is_development_default: bool,
    /// `YAOJIAN_ENV=development`: a local demo or test, where the public
    /// development key is allowed (see [`Config::require_production_key`]).
    pub development: bool,
    /// Peers whose client-address header is believed (`YAOJIAN_TRUSTED_PROXIES`).
    pub trusted_proxies: crate::net::TrustedProxies,
    /// Bearer token `/metrics` asks for (`YAOJIAN_METRICS_TOKEN`); without
    /// one, `/metrics` is served only on `--metrics-bind`.
    pub metrics_token: Option<SecretString>,
    /// Most rows an XLSX export may hold (`YAOJIAN_EXPORT_XLSX_MAX_ROWS`); past
    /// it the export is refused up front with `EXPORT_TOO_LARGE` (CSV has no limit).
    pub export_xlsx_max_rows: u64,
    pub auth: AuthConfig,
    pub policy: Policy,
    /// Data centres to deliver to (`[[sync.targets]]` of the TOML file).
    pub sync_targets: Vec<SyncTarget>,
    /// Online service platforms that send approval cases.
    pub approval_platforms: Vec<ApprovalPlatform>,
    /// The SMS gateway of one-time codes, if any.
    pub sms: Option<crate::sms::SmsConfig>,
    /// Registrations older than this are archived by the retention job.
    pub retention_years: u32,
    /// Where photos and files go: a directory (default `./data/objects`) or `s3://bucket/prefix`.
    pub storage_url: String,
    /// `AWS_*` settings for an `s3://` store (endpoint, region, keys...).
    pub storage_options: Vec<(String, String)>,
    /// The built browser apps (`web/dist`: a folder per app, SPEC §10).
    pub web_dir: std::path::PathBuf,
    pub log_format: LogFormat,
    /// The raw TOML document, kept for later sections (sync targets, policy).
    pub file: toml::Table,
}

#[derive(Clone)]
pub struct WechatConfig {
    pub appid: String,
    pub secret: SecretString,
    pub api_base: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Absolute lifetime of an access token (SPEC §3: 2 hours).
    pub token_ttl: Duration,
    /// A token unused for this long expires (MLPS idle timeout).
    pub idle_timeout: Duration,
    /// Failures within `lockout_window` that lock an account.
    pub lockout_threshold: u32,
    pub lockout_window: Duration,
    pub lockout_duration: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(2 * 3600),
            idle_timeout: Duration::from_secs(30 * 60),
            lockout_threshold: 5,
            lockout_window: Duration::from_secs(15 * 60),
            lockout_duration: Duration::from_secs(15 * 60),
        }
    }
}

/// A data centre (SPEC §6).
#[derive(Clone)]
pub struct SyncTarget {
    pub name: String,
    pub url: String,
    /// HMAC-SM3 key of the batch signature.
    pub secret: SecretString,
    pub entities: Vec<String>,
    pub batch_size: u32,
    /// Personal data in full (`full`) or masked (`masked`).
    pub pii_full: bool,
    pub max_attempts: u32,
    pub timeout: Duration,
    /// A `SYNC_LAG` alert is raised when the oldest pending record is older.
    pub lag_alert: Duration,
}

impl fmt::Debug for SyncTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncTarget")
            .field("name", &self.name)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn sync_targets(file: &toml::Table) -> Result<Vec<SyncTarget>, ConfigError> {
    let Some(sync) = file.get("sync") else {
        return Ok(Vec::new());
    };
    let targets = match sync.get("targets") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(ConfigError(
                "sync.targets must be an array of tables ([[sync.targets]])".into(),
            ));
        }
    };
    let mut out: Vec<SyncTarget> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let at = |key: &str| format!("sync.targets[{i}].{key}");
        let text = |key: &str| -> Result<String, ConfigError> {
            match t.get(key) {
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                None => Err(ConfigError(format!("{} is not set", at(key)))),
                _ => Err(ConfigError(format!("{} is malformed", at(key)))),
            }
        };
        let number = |key: &str, default: i64| -> Result<i64, ConfigError> {
            match t.get(key) {
                None => Ok(default),
                Some(toml::Value::Integer(n)) if *n > 0 => Ok(*n),
                _ => Err(ConfigError(format!(
                    "{} must be a positive integer",
                    at(key)
                ))),
            }
        };
        let name = text("name")?;
        if out.iter().any(|o| o.name == name) {
            return Err(ConfigError(format!(
                "{} duplicates another target's name",
                at("name")
            )));
        }
        match t.get("kind").and_then(|k| k.as_str()).unwrap_or("http") {
            "http" => {}
            _ => {
                return Err(ConfigError(format!(
                    "{} is not supported (only http)",
                    at("kind")
                )));
            }
        }
        let url = text("url")?;
        if reqwest::Url::parse(&url).is_err() {
            return Err(ConfigError(format!(
                "{} is malformed (expected a URL)",
                at("url")
            )));
        }
        let entities = match t.get("entities") {
            Some(toml::Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|e| {
                    e.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ConfigError(format!("{} must list strings", at("entities"))))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(ConfigError(format!(
                    "{} must list at least one entity",
                    at("entities")
                )));
            }
        };
        let pii_full = match t.get("pii").and_then(|p| p.as_str()).unwrap_or("masked") {
            "full" => true,
            "masked" => false,
            _ => {
                return Err(ConfigError(format!(
                    "{} is malformed (expected full or masked)",
                    at("pii")
                )));
            }
        };
        out.push(SyncTarget {
            name,
            url,
            secret: SecretString::from(text("secret")?),
            entities,
            batch_size: number("batch_size", 500)?.min(10_000) as u32,
            pii_full,
            max_attempts: number("max_attempts", 10)? as u32,
            timeout: Duration::from_secs(number("timeout_secs", 10)? as u64),
            lag_alert: Duration::from_secs(number("lag_alert_secs", 900)? as u64),
        });
    }
    Ok(out)
}

/// An online service platform (一网通办) that sends cases to
/// `POST /approvals/intake` (`[[approvals.platforms]]`).
#[derive(Clone)]
pub struct ApprovalPlatform {
    /// How it names itself in the `X-Yaojian-Platform` header.
    pub name: String,
    /// HMAC-SM3 key of its requests and of the results sent back to it.
    pub key: SecretString,
    /// Where results are pushed (the `approval_result` outbox target).
    pub result_url: Option<String>,
}

impl fmt::Debug for ApprovalPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApprovalPlatform")
            .field("name", &self.name)
            .field("result_url", &self.result_url)
            .finish_non_exhaustive()
    }
}

fn approval_platforms(file: &toml::Table) -> Result<Vec<ApprovalPlatform>, ConfigError> {
    let list = match file.get("approvals").and_then(|a| a.get("platforms")) {
        None => return Ok(Vec::new()),
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(ConfigError(
                "approvals.platforms must be an array of tables ([[approvals.platforms]])".into(),
            ));
        }
    };
    let mut out: Vec<ApprovalPlatform> = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let at = |key: &str| format!("approvals.platforms[{i}].{key}");
        let text = |key: &str| -> Result<Option<String>, ConfigError> {
            match t.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) if !s.trim().is_empty() => {
                    Ok(Some(s.trim().to_owned()))
                }
                _ => Err(ConfigError(format!("{} is malformed", at(key)))),
            }
        };
        let name =
            text("name")?.ok_or_else(|| ConfigError(format!("{} is not set", at("name"))))?;
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || name.len() > 32
        {
            return Err(ConfigError(format!(
                "{} may hold only A-Z a-z 0-9 - _ (at most 32)",
                at("name")
            )));
        }
        if out.iter().any(|p| p.name == name) {
            return Err(ConfigError(format!(
                "{} duplicates another platform",
                at("name")
            )));
        }
        let key = text("key")?.ok_or_else(|| ConfigError(format!("{} is not set", at("key"))))?;
        if key.len() < 16 {
            return Err(ConfigError(format!(
                "{} must be at least 16 characters",
                at("key")
            )));
        }
        let result_url = text("result_url")?;
        if let Some(u) = &result_url
            && reqwest::Url::parse(u).is_err()
        {
            return Err(ConfigError(format!(
                "{} is malformed (expected a URL)",
                at("result_url")
            )));
        }
        out.push(ApprovalPlatform {
            name,
            key: SecretString::from(key),
            result_url,
        });
    }
    Ok(out)
}

/// The sales rules of SPEC §4.2 that a city may make stricter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Packages of restricted drugs one registration may hold without a prescription.
    pub per_sale_limit: u32,
    /// Packages one buyer may buy across all pharmacies in `window_days`.
    pub window_limit: u32,
    pub window_days: u32,
    pub window_action: WindowAction,
    /// Refuse sales to buyers under 18 (a local policy, on by default).
    pub refuse_minors: bool,
    /// Pharmacies within 24 h that make one buyer a `MULTI_PHARMACY` alert.
    pub multi_pharmacy_threshold: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowAction {
    /// Refuse with `WINDOW_LIMIT_EXCEEDED` and alert.
    Block,
    /// Register and alert.
    Alert,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            per_sale_limit: 2,
            window_limit: 5,
            window_days: 7,
            window_action: WindowAction::Block,
            refuse_minors: true,
            multi_pharmacy_threshold: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("redis_prefix", &self.redis_prefix)
            .field("wechat_appid", &self.wechat.appid)
            .field("wechat_api_base", &self.wechat.api_base)
            .finish_non_exhaustive()
    }
}

/// Where settings come from: the environment first, then the TOML file.
struct Source {
    env: HashMap<String, String>,
    file: toml::Table,
}

impl Source {
    fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.env.get(name).filter(|v| !v.trim().is_empty()) {
            return Some(v.trim().to_owned());
        }
        match self.file.get(&name.to_ascii_lowercase()) {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(toml::Value::Integer(i)) => Some(i.to_string()),
            Some(toml::Value::Boolean(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.get(name)
            .ok_or_else(|| ConfigError(format!("{name} is not set")))
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError(format!("{name} is malformed"))),
        }
    }

    fn seconds(&self, name: &str, default: Duration) -> Result<Duration, ConfigError> {
        let secs: u64 = self.parsed(name, default.as_secs())?;
        if secs == 0 {
            return Err(ConfigError(format!("{name} must be greater than 0")));
        }
        Ok(Duration::from_secs(secs))
    }
}

impl Config {
    /// Reads the process environment (and `$YAOJIAN_CONFIG`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars().collect())
    }

    /// Reads settings from the given variables (and the file they name).
    pub fn from_vars(env: HashMap<String, String>) -> Result<Self, ConfigError> {
        let file = match env.get("YAOJIAN_CONFIG").filter(|p| !p.is_empty()) {
            None => toml::Table::new(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(format!("YAOJIAN_CONFIG: cannot read {path}: {e}")))?;
                text.parse::<toml::Table>().map_err(|e| {
                    ConfigError(format!(
                        "YAOJIAN_CONFIG: {path} is not valid TOML: {}",
                        e.message()
                    ))
                })?
            }
        };
        let src = Source { env, file };

        let database_url = src.required("DATABASE_URL")?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError(
                "DATABASE_URL is malformed (expected postgres://...)".into(),
            ));
        }
        let redis_url = src.required("REDIS_URL")?;
        if redis::IntoConnectionInfo::into_connection_info(redis_url.as_str()).is_err() {
            return Err(ConfigError(
                "REDIS_URL is malformed (expected redis://...)".into(),
            ));
        }

        let api_base = src
            .get("WECHAT_API_BASE")
            .unwrap_or_else(|| DEFAULT_WECHAT_API_BASE.to_owned());
        if reqwest::Url::parse(&api_base).is_err() {
            return Err(ConfigError(
                "WECHAT_API_BASE is malformed (expected a URL)".into(),
            ));
        }
        let wechat = WechatConfig {
            appid: src.required("WECHAT_APPID")?,
            secret: SecretString::from(src.required("WECHAT_SECRET")?),
            api_base: api_base.trim_end_matches('/').to_owned(),
            timeout: src.seconds("WECHAT_TIMEOUT_SECS", Duration::from_secs(5))?,
        };

        // An empty value counts as missing (`get` skips blank values).
        let (master_keys, master_key_is_development_default) = match src.get("YAOJIAN_MASTER_KEY") {
            Some(text) => {
                let keys = MasterKeys::parse(&text)
                    .map_err(|e| ConfigError(format!("YAOJIAN_MASTER_KEY is malformed: {e}")))?;
                let dev = keys.is_development_default();
                (keys, dev)
            }
            None => (MasterKeys::development_default(), true),
        };
        let development = match src.get("YAOJIAN_ENV").as_deref() {
            None | Some("production") => false,
            Some("development") => true,
            Some(_) => {
                return Err(ConfigError(
                    "YAOJIAN_ENV is malformed (expected production or development)".into(),
                ));
            }
        };
        let trusted_proxies = match src.get("YAOJIAN_TRUSTED_PROXIES") {
            None => crate::net::TrustedProxies::none(),
            Some(text) => crate::net::TrustedProxies::parse(
                &text,
                src.get("YAOJIAN_CLIENT_IP_HEADER").as_deref(),
            )
            .map_err(|e| ConfigError(format!("YAOJIAN_TRUSTED_PROXIES is malformed: {e}")))?,
        };
        let metrics_token = src.get("YAOJIAN_METRICS_TOKEN").map(SecretString::from);
        let export_xlsx_max_rows = src.parsed("YAOJIAN_EXPORT_XLSX_MAX_ROWS", 3_000_000u64)?;

        let defaults = AuthConfig::default();
        let auth = AuthConfig {
            token_ttl: src.seconds("YAOJIAN_TOKEN_TTL_SECS", defaults.token_ttl)?,
            idle_timeout: src.seconds("YAOJIAN_IDLE_TIMEOUT_SECS", defaults.idle_timeout)?,
            lockout_threshold: src
                .parsed("YAOJIAN_LOCKOUT_THRESHOLD", defaults.lockout_threshold)?,
            lockout_window: src.seconds("YAOJIAN_LOCKOUT_WINDOW_SECS", defaults.lockout_window)?,
            lockout_duration: src.seconds("YAOJIAN_LOCKOUT_SECS", defaults.lockout_duration)?,
        };

        let d = Policy::default();
        let positive = |name: &str, default: u32| -> Result<u32, ConfigError> {
            let v: u32 = src.parsed(name, default)?;
            if v == 0 {
                return Err(ConfigError(format!("{name} must be greater than 0")));
            }
            Ok(v)
        };
        let policy = Policy {
            per_sale_limit: positive("YAOJIAN_PER_SALE_LIMIT", d.per_sale_limit)?,
            window_limit: positive("YAOJIAN_WINDOW_LIMIT", d.window_limit)?,
            window_days: positive("YAOJIAN_WINDOW_DAYS", d.window_days)?,
            window_action: match src.get("YAOJIAN_WINDOW_ACTION").as_deref() {
                None | Some("block") => WindowAction::Block,
                Some("alert") => WindowAction::Alert,
                Some(_) => {
                    return Err(ConfigError(
                        "YAOJIAN_WINDOW_ACTION is malformed (expected block or alert)".into(),
                    ));
                }
            },
            refuse_minors: src.parsed("YAOJIAN_REFUSE_MINORS", d.refuse_minors)?,
            multi_pharmacy_threshold: positive(
                "YAOJIAN_MULTI_PHARMACY_THRESHOLD",
                d.multi_pharmacy_threshold,
            )?,
        };

        let sync_targets = sync_targets(&src.file)?;
        let approval_platforms = approval_platforms(&src.file)?;
        let sms = match src.get("YAOJIAN_SMS_URL") {
            None => None,
            Some(url) => {
                if reqwest::Url::parse(&url).is_err() {
                    return Err(ConfigError(
                        "YAOJIAN_SMS_URL is malformed (expected a URL)".into(),
                    ));
                }
                Some(crate::sms::SmsConfig {
                    url: url.trim_end_matches('/').to_owned(),
                    key: SecretString::from(src.required("YAOJIAN_SMS_KEY")?),
                    timeout: src.seconds("YAOJIAN_SMS_TIMEOUT_SECS", Duration::from_secs(5))?,
                })
            }
        };
        let retention_years = positive("YAOJIAN_RETENTION_YEARS", 5)?;
        let web_dir = src
            .get("YAOJIAN_WEB_DIR")
            .unwrap_or_else(|| "./web/dist".into())
            .into();
        let storage_url = src
            .get("YAOJIAN_STORAGE_URL")
            .unwrap_or_else(|| "./data/objects".into());
        let storage_options = if storage_url.starts_with("s3://") {
            let mut opts: Vec<(String, String)> = src
                .env
                .iter()
                .filter(|(k, v)| k.starts_with("AWS_") && !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            opts.sort();
            opts
        } else {
            Vec::new()
        };

        let log_format = match src.get("YAOJIAN_LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(_) => {
                return Err(ConfigError(
                    "YAOJIAN_LOG_FORMAT is malformed (expected json or pretty)".into(),
                ));
            }
        };

        Ok(Config {
            database_url: SecretString::from(database_url),
            redis_url: SecretString::from(redis_url),
            redis_prefix: src.get("REDIS_KEY_PREFIX").unwrap_or_else(|| "yj:".into()),
            database_max_connections: src.parsed("DATABASE_MAX_CONNECTIONS", 16)?,
            wechat,
            master_keys,
            master_key_is_development_default,
            development,
            trusted_proxies,
            metrics_token,
            export_xlsx_max_rows,
            auth,
            policy,
            sync_targets,
            approval_platforms,
            sms,
            retention_years,
            storage_url,
            storage_options,
            web_dir,
            log_format,
            file: src.file,
        })
    }

    /// What a long-running command (`serve`, `sync run`, `jobs run`,
    /// `serve-job`) checks before it starts: personal data must not be
    /// encrypted under the public development key outside development.
    pub fn require_production_key(&self) -> Result<(), ConfigError> {
        if self.master_key_is_development_default && !self.development {
            return Err(ConfigError(
                "YAOJIAN_MASTER_KEY is missing, empty or the public development key: set it (64 hex characters, or base64 of at least 32 bytes), or YAOJIAN_ENV=development for a local demo".into(),
            ));
        }
        Ok(())
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HashMap<String, String> {
        [
            ("DATABASE_URL", "postgres://localhost/yaojian"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("WECHAT_APPID", "wx0000000000000000"),
            ("WECHAT_SECRET", "s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn the_four_required_variables_start_a_server() {
        let cfg = Config::from_vars(base()).unwrap();
        assert!(cfg.master_key_is_development_default);
        assert_eq!(cfg.wechat.api_base, DEFAULT_WECHAT_API_BASE);
        assert_eq!(cfg.auth.token_ttl, Duration::from_secs(7200));
    }

    #[test]
    fn a_missing_setting_is_named() {
        for name in ["DATABASE_URL", "REDIS_URL", "WECHAT_APPID", "WECHAT_SECRET"] {
            let mut env = base();
            env.remove(name);
            let err = Config::from_vars(env).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("configuration error: {name} is not set")
            );
        }
    }

    #[test]
    fn a_malformed_setting_is_named_without_its_value() {
        let mut env = base();
        env.insert("YAOJIAN_MASTER_KEY".into(), "tooshort-secret".into());
        let err = Config::from_vars(env).unwrap_err().to_string();
        assert!(err.contains("YAOJIAN_MASTER_KEY"), "{err}");
        assert!(!err.contains("tooshort-secret"), "{err}");

        let mut env = base();
        env.insert("DATABASE_MAX_CONNECTIONS".into(), "many".into());
        assert!(
            Config::from_vars(env)
                .unwrap_err()
                .to_string()
                .contains("DATABASE_MAX_CONNECTIONS")
        );
    }

    #[test]
    fn approval_platforms_come_from_the_file_and_are_checked() {
        let dir = std::env::temp_dir().join(format!("yj-cfg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |text: &str| {
            let path = dir.join("p.toml");
            std::fs::write(&path, text).unwrap();
            let mut vars = base();
            vars.insert("YAOJIAN_CONFIG".into(), path.display().to_string());
            Config::from_vars(vars)
        };
        let cfg = write("[[approvals.platforms]]\nname = \"ywtb\"\nkey = \"0123456789abcdef\"\nresult_url = \"http://127.0.0.1:1/results\"\n").unwrap();
        assert_eq!(cfg.approval_platforms.len(), 1);
        assert_eq!(cfg.approval_platforms[0].name, "ywtb");
        assert!(!format!("{:?}", cfg.approval_platforms[0]).contains("0123456789abcdef"));
        let short =
            write("[[approvals.platforms]]\nname = \"ywtb\"\nkey = \"short\"\n").unwrap_err();
        assert!(
            short.0.contains("approvals.platforms[0].key"),
            "{}",
            short.0
        );
        let twice = write("[[approvals.platforms]]\nname = \"a\"\nkey = \"0123456789abcdef\"\n[[approvals.platforms]]\nname = \"a\"\nkey = \"0123456789abcdef\"\n").unwrap_err();
        assert!(twice.0.contains("duplicates"), "{}", twice.0);
        let mut vars = base();
        vars.insert("YAOJIAN_SMS_URL".into(), "http://127.0.0.1:9782".into());
        assert!(
            Config::from_vars(vars.clone())
                .unwrap_err()
                .0
                .contains("YAOJIAN_SMS_KEY")
        );
        vars.insert("YAOJIAN_SMS_KEY".into(), "k".into());
        assert_eq!(
            Config::from_vars(vars).unwrap().sms.unwrap().url,
            "http://127.0.0.1:9782"
        );
    }

    #[test]
    fn sync_targets_come_from_the_file() {
        let dir = std::env::temp_dir().join(format!("yj-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sync.toml");
        std::fs::write(
            &path,
            "[[sync.targets]]\nname = \"wuhan-dc\"\nkind = \"http\"\nurl = \"http://127.0.0.1:9/ingest\"\nsecret = \"s\"\nentities = [\"registration\"]\nbatch_size = 100\npii = \"full\"\nmax_attempts = 3\n",
        )
        .unwrap();
        let mut env = base();
        env.insert("YAOJIAN_CONFIG".into(), path.display().to_string());
        let cfg = Config::from_vars(env.clone()).unwrap();
        assert_eq!(cfg.sync_targets.len(), 1);
        let t = &cfg.sync_targets[0];
        assert_eq!(
            (t.name.as_str(), t.batch_size, t.pii_full, t.max_attempts),
            ("wuhan-dc", 100, true, 3)
        );

        std::fs::write(
            &path,
            "[[sync.targets]]\nname = \"x\"\nurl = \"http://h/\"\nentities = [\"registration\"]\n",
        )
        .unwrap();
        let err = Config::from_vars(env).unwrap_err().to_string();
        assert!(err.contains("sync.targets[0].secret is not set"), "{err}");
    }

    #[test]
    fn the_file_fills_what_the_environment_lacks() {
        let dir = std::env::temp_dir().join(format!("yj-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("yaojian.toml");
        std::fs::write(
            &path,
            "wechat_api_base = \"http://127.0.0.1:9\"\nredis_key_prefix = \"t:\"\n",
        )
        .unwrap();
        let mut env = base();
        env.insert("YAOJIAN_CONFIG".into(), path.display().to_string());
        let cfg = Config::from_vars(env).unwrap();
        assert_eq!(cfg.wechat.api_base, "http://127.0.0.1:9");
        assert_eq!(cfg.redis_prefix, "t:");

        std::fs::write(&path, "not = [valid").unwrap();
        let mut env = base();
        env.insert("YAOJIAN_CONFIG".into(), path.display().to_string());
        assert!(
            Config::from_vars(env)
                .unwrap_err()
                .to_string()
                .contains("not valid TOML")
        );
    }
}
