//! Object storage for inspection photos, licence images and case materials
//! (SPEC §2), through the `object_store` crate.
//!
//! A local directory by default; any S3-compatible store (AWS S3, MinIO, a
//! cloud vendor's S3 interface) by configuration. Keys are validated here, so
//! a key that reaches the store can never climb out of its directory or
//! prefix.

use std::fmt;
use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// Longest accepted key, in bytes (keys are ASCII).
pub const MAX_KEY_LEN: usize = 512;

/// A handle on the configured object store; cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Where the objects live, for logs: never carries a credential.
    description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// No object under this key.
    NotFound,
    /// The key breaks the key rules (see [`validate_key`]).
    InvalidKey,
    /// The storage URL or an option is wrong; names the setting, never a value.
    Config(String),
    /// The store failed or could not be reached.
    Unavailable(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::NotFound => f.write_str("object not found"),
            StorageError::InvalidKey => f.write_str("invalid object key"),
            StorageError::Config(msg) => write!(f, "object storage configuration: {msg}"),
            StorageError::Unavailable(msg) => write!(f, "object storage unavailable: {msg}"),
        }
    }
}

impl std::error::Error for StorageError {}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("location", &self.description)
            .finish()
    }
}

impl Storage {
    /// Opens the store named by `url`:
    ///
    /// - `file:///abs/dir` or a plain path (relative or absolute): a local
    ///   directory, created if missing;
    /// - `s3://bucket` or `s3://bucket/prefix`: an S3-compatible store, set up
    ///   only by `options` — the standard `AWS_*` names, in any case:
    ///   `AWS_ENDPOINT` (or `AWS_ENDPOINT_URL`), `AWS_REGION`,
    ///   `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    ///   `AWS_ALLOW_HTTP=true` for a MinIO-style store on plain HTTP,
    ///   `AWS_VIRTUAL_HOSTED_STYLE_REQUEST` (path-style requests by default).
    ///   The process environment is not read. An unknown option name is a
    ///   configuration error (a typo would otherwise go unnoticed); options
    ///   with an empty value are ignored; the bucket comes from the URL only.
    ///
    /// Nothing is contacted here: a wrong endpoint or credential shows on the
    /// first request as [`StorageError::Unavailable`].
    pub fn from_url(url: &str, options: &[(String, String)]) -> Result<Storage, StorageError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(StorageError::Config("the storage URL is empty".into()));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            return Self::s3(rest, options);
        }
        let dir = if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(StorageError::Config(
                    "a file:// storage URL needs an absolute path (file:///dir)".into(),
                ));
            }
            path
        } else if let Some((scheme, _)) = url.split_once("://") {
            return Err(StorageError::Config(format!(
                "unsupported storage scheme `{scheme}` (use a path, file:// or s3://)"
            )));
        } else {
            url
        };
        if !options.iter().all(|(_, v)| v.trim().is_empty()) {
            return Err(StorageError::Config(
                "storage options apply only to s3:// URLs".into(),
            ));
        }
        Self::local(dir)
    }

    /// An empty store in memory, for tests.
    pub fn in_memory() -> Storage {
        Storage {
            store: Arc::new(InMemory::new()),
            description: "memory".into(),
        }
    }

    /// Where the objects live (a directory, `s3://bucket/prefix` or `memory`),
    /// for logs and health output; carries no credential.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Stores `bytes` under `key`, replacing any object there. Atomic: a
    /// reader sees the old object or the new one, never a part.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        let path = object_path(key)?;
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(map_error)
    }

    /// The object under `key`; [`StorageError::NotFound`] when there is none.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        let path = object_path(key)?;
        let result = self.store.get(&path).await.map_err(map_error)?;
        let bytes = result.bytes().await.map_err(map_error)?;
        Ok(bytes.to_vec())
    }

    /// Deletes the object under `key`. Deleting a missing object is not an
    /// error (S3 does not tell; the local store is made to agree).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = object_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }

    fn local(dir: &str) -> Result<Storage, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StorageError::Config(format!("cannot create storage directory {dir}: {e}"))
        })?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| StorageError::Config(format!("storage directory {dir}: {e}")))?
            // Deleting the last object of a folder removes the empty folder.
            .with_automatic_cleanup(true);
        let description = std::fs::canonicalize(dir)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| dir.to_string());
        Ok(Storage {
            store: Arc::new(fs),
            description,
        })
    }

    fn s3(rest: &str, options: &[(String, String)]) -> Result<Storage, StorageError> {
        let (bucket, prefix) = match rest.split_once('/') {
            Some((bucket, prefix)) => (bucket, prefix.trim_matches('/')),
            None => (rest, ""),
        };
        if !valid_bucket(bucket) {
            return Err(StorageError::Config(
                "the s3:// URL needs a bucket name (s3://bucket/prefix)".into(),
            ));
        }
        if !prefix.is_empty() && validate_key(prefix).is_err() {
            return Err(StorageError::Config(
                "the s3:// prefix may hold only A-Z a-z 0-9 / _ . -".into(),
            ));
        }

        let mut builder = AmazonS3Builder::new();
        for (name, value) in options {
            if value.trim().is_empty() {
                continue;
            }
            let lower = name.trim().to_ascii_lowercase();
            let key: AmazonS3ConfigKey = lower
                .parse()
                .map_err(|_| StorageError::Config(format!("unknown S3 option {name}")))?;
            if matches!(key, AmazonS3ConfigKey::Bucket) {
                return Err(StorageError::Config(format!(
                    "{name}: the bucket is taken from the s3:// URL"
                )));
            }
            builder = builder.with_config(key, value.trim());
        }
        let s3 = builder
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| StorageError::Config(format!("S3 store: {e}")))?;

        let description = if prefix.is_empty() {
            format!("s3://{bucket}")
        } else {
            format!("s3://{bucket}/{prefix}")
        };
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            let prefix = Path::parse(prefix)
                .map_err(|_| StorageError::Config("invalid s3:// prefix".into()))?;
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(Storage { store, description })
    }
}

/// Checks a key: 1 to [`MAX_KEY_LEN`] characters of `A-Z a-z 0-9 / _ . -`,
/// no leading or trailing `/`, no empty segment (`//`), no `..` anywhere and
/// no `.` segment.
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'.' | b'-'))
        && !key.contains("..")
        && key
            .split('/')
            .all(|segment| !segment.is_empty() && segment != ".");
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidKey)
    }
}

fn object_path(key: &str) -> Result<Path, StorageError> {
    validate_key(key)?;
    // `Path::parse` checks again (it refuses `.`/`..` segments and empty
    // segments); both checks must agree for a key to pass.
    Path::parse(key).map_err(|_| StorageError::InvalidKey)
}

/// S3 bucket names: 3–63 of `a-z 0-9 . -` (checked loosely; the store has
/// the last word).
fn valid_bucket(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
}

fn map_error(e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::NotFound,
        object_store::Error::InvalidPath { .. } => StorageError::InvalidKey,
        other => StorageError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    async fn round_trip(storage: &Storage) {
        let key = "inspections/2026/11/3f2a-photo.full.jpg";
        storage.put(key, b"first".to_vec()).await.unwrap();
        assert_eq!(storage.get(key).await.unwrap(), b"first");
        // A second put replaces the object.
        storage.put(key, b"second".to_vec()).await.unwrap();
        assert_eq!(storage.get(key).await.unwrap(), b"second");
        // Empty objects are objects.
        storage.put("empty", Vec::new()).await.unwrap();
        assert_eq!(storage.get("empty").await.unwrap(), Vec::<u8>::new());

        storage.delete(key).await.unwrap();
        assert_eq!(storage.get(key).await, Err(StorageError::NotFound));
        // Deleting again (or deleting what never was) is fine.
        storage.delete(key).await.unwrap();
        storage.delete("never/was.jpg").await.unwrap();
        assert_eq!(
            storage.get("never/was.jpg").await,
            Err(StorageError::NotFound)
        );
        // A prefix of a key is not an object.
        storage.put("a/b/c.jpg", vec![1]).await.unwrap();
        assert_eq!(storage.get("a/b").await, Err(StorageError::NotFound));
    }

    async fn refuses_bad_keys(storage: &Storage) {
        for key in BAD_KEYS {
            assert_eq!(
                storage.put(key, b"x".to_vec()).await,
                Err(StorageError::InvalidKey),
                "put {key:?}"
            );
            assert_eq!(
                storage.get(key).await,
                Err(StorageError::InvalidKey),
                "get {key:?}"
            );
            assert_eq!(
                storage.delete(key).await,
                Err(StorageError::InvalidKey),
                "delete {key:?}"
            );
        }
    }

    const BAD_KEYS: &[&str] = &[
        "",
        "../etc/passwd",
        "a/../../etc/passwd",
        "..",
        "a/..",
        "a..b",
        "/etc/passwd",
        "a//b",
        "a/",
        ".",
        "./a",
        "a/./b",
        "a b",
        "a\\b",
        "a\0b",
        "a%2e%2e/b",
        "照片.jpg",
        "a:b",
        "a?b",
        "~/x",
    ];

    #[test]
    fn key_rules() {
        for key in BAD_KEYS {
            assert_eq!(validate_key(key), Err(StorageError::InvalidKey), "{key:?}");
        }
        assert_eq!(
            validate_key(&"a".repeat(MAX_KEY_LEN + 1)),
            Err(StorageError::InvalidKey)
        );
        for key in [
            "a",
            "photo.jpg",
            ".hidden",
            "inspections/0195f1c2-7d3e-7a10-9b1e-4c3d2a1b0f9e/full.jpg",
            "A-Z_a-z.0-9/x",
        ] {
            assert_eq!(validate_key(key), Ok(()), "{key:?}");
            assert!(object_path(key).is_ok(), "{key:?}");
        }
        let longest = "a".repeat(MAX_KEY_LEN);
        assert_eq!(validate_key(&longest), Ok(()));
    }

    #[tokio::test]
    async fn in_memory_round_trip() {
        let storage = Storage::in_memory();
        round_trip(&storage).await;
        refuses_bad_keys(&storage).await;
        assert_eq!(storage.description(), "memory");
        // Clones share the store.
        let other = storage.clone();
        storage.put("shared.jpg", vec![7, 8]).await.unwrap();
        assert_eq!(other.get("shared.jpg").await.unwrap(), vec![7, 8]);
    }

    #[tokio::test]
    async fn local_directory_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        // A directory that does not exist yet is created.
        let root = dir.path().join("objects").join("nested");
        let storage = Storage::from_url(root.to_str().unwrap(), &[]).unwrap();
        assert!(root.is_dir());
        round_trip(&storage).await;
        refuses_bad_keys(&storage).await;

        // Objects are plain files under the directory, and nowhere else.
        storage
            .put("inspections/p1/full.jpg", b"jpeg".to_vec())
            .await
            .unwrap();
        let file = root.join("inspections").join("p1").join("full.jpg");
        assert_eq!(std::fs::read(&file).unwrap(), b"jpeg");
        assert!(!dir.path().join("inspections").exists());

        // Deleting the last object of a folder removes the folder.
        storage.delete("inspections/p1/full.jpg").await.unwrap();
        assert!(!file.exists());
        assert!(!root.join("inspections").join("p1").exists());

        // A key never escapes the directory, even where `..` resolves to a
        // real file.
        std::fs::write(dir.path().join("objects").join("secret"), b"s").unwrap();
        assert_eq!(
            storage.get("../secret").await,
            Err(StorageError::InvalidKey)
        );
    }

    #[tokio::test]
    async fn file_url_round_trip_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().join("store").display());
        let storage = Storage::from_url(&url, &[]).unwrap();
        storage.put("x/y.png", vec![1, 2, 3]).await.unwrap();
        assert!(
            storage.description().ends_with("/store"),
            "{}",
            storage.description()
        );
        // A second handle on the same directory sees the object.
        let again = Storage::from_url(&url, &[]).unwrap();
        assert_eq!(again.get("x/y.png").await.unwrap(), vec![1, 2, 3]);
        assert!(format!("{again:?}").contains("store"));
    }

    #[test]
    fn local_configuration_errors() {
        for url in [
            "",
            "   ",
            "file://relative/dir",
            "gs://bucket",
            "http://minio:9000/b",
        ] {
            assert!(
                matches!(Storage::from_url(url, &[]), Err(StorageError::Config(_))),
                "{url:?}"
            );
        }
        // A path under a regular file cannot be created.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let under = file.join("sub");
        assert!(matches!(
            Storage::from_url(under.to_str().unwrap(), &[]),
            Err(StorageError::Config(_))
        ));
        // S3 options on a local store are a mistake worth saying.
        assert!(matches!(
            Storage::from_url(
                dir.path().to_str().unwrap(),
                &opts(&[("AWS_REGION", "cn-north-1")])
            ),
            Err(StorageError::Config(_))
        ));
    }

    const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";

    #[test]
    fn s3_builds_without_network() {
        // MinIO-style: custom endpoint over plain HTTP, path-style requests.
        let minio = opts(&[
            ("AWS_ENDPOINT", "http://127.0.0.1:9000"),
            ("AWS_REGION", "cn-north-1"),
            ("AWS_ACCESS_KEY_ID", "minioadmin"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_SESSION_TOKEN", ""), // empty: ignored
        ]);
        let storage = Storage::from_url("s3://yaojian-photos/prod/inspections/", &minio).unwrap();
        assert_eq!(
            storage.description(),
            "s3://yaojian-photos/prod/inspections"
        );
        let shown = format!("{storage:?}");
        assert!(
            !shown.contains(SECRET) && !shown.contains("minioadmin"),
            "{shown}"
        );

        // Without a prefix, and with lower-case option names.
        let storage = Storage::from_url(
            "s3://yaojian-photos",
            &opts(&[
                ("aws_access_key_id", "AKIDEXAMPLE"),
                ("aws_secret_access_key", SECRET),
                ("aws_region", "cn-northwest-1"),
            ]),
        )
        .unwrap();
        assert_eq!(storage.description(), "s3://yaojian-photos");

        // The handle is usable for keys without contacting anything.
        assert!(object_path("inspections/a.jpg").is_ok());
    }

    #[test]
    fn s3_configuration_errors() {
        let creds = [
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ];
        let config_err = |url: &str, extra: &[(&str, &str)]| {
            let mut all = opts(&creds);
            all.extend(opts(extra));
            match Storage::from_url(url, &all) {
                Err(StorageError::Config(msg)) => msg,
                Err(other) => panic!("{url}: expected Config, got {other:?}"),
                Ok(_) => panic!("{url}: expected Config, got a store"),
            }
        };
        config_err("s3://", &[]);
        config_err("s3:///prefix", &[]);
        config_err("s3://Bad_Bucket/p", &[]);
        config_err("s3://bucket/../p", &[]);
        let msg = config_err("s3://bucket/p", &[("AWS_ENDPONT", "http://x")]);
        assert!(msg.contains("AWS_ENDPONT"), "{msg}");
        config_err("s3://bucket/p", &[("AWS_BUCKET", "other")]);
        // A secret without its key id, and the message does not repeat it.
        let msg =
            match Storage::from_url("s3://bucket", &opts(&[("AWS_SECRET_ACCESS_KEY", SECRET)])) {
                Err(StorageError::Config(msg)) => msg,
                _ => panic!("expected Config"),
            };
        assert!(!msg.contains(SECRET), "{msg}");
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let storage = Storage::in_memory();
        let put = storage.put("a", vec![]);
        assert_send(&put);
        let get = storage.get("a");
        assert_send(&get);
        let delete = storage.delete("a");
        assert_send(&delete);
    }

    #[test]
    fn errors_display() {
        assert_eq!(StorageError::NotFound.to_string(), "object not found");
        assert_eq!(StorageError::InvalidKey.to_string(), "invalid object key");
        assert!(StorageError::Config("x".into()).to_string().contains('x'));
        assert!(
            StorageError::Unavailable("down".into())
                .to_string()
                .contains("down")
        );
        let boxed: Box<dyn std::error::Error> = Box::new(StorageError::NotFound);
        assert_eq!(boxed.to_string(), "object not found");
    }
}
