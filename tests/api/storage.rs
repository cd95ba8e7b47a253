//! Object storage against a real S3-compatible server on loopback (moto in
//! server mode, started by scripts/test, its address in `TEST_S3_ENDPOINT`):
//! the production `s3://` path, not a local directory standing in for it.

use serde_json::Value;
use shared::storage::{Storage, StorageError};

use crate::helpers::*;

fn endpoint() -> String {
    std::env::var("TEST_S3_ENDPOINT").expect(
        "TEST_S3_ENDPOINT: the S3-compatible server scripts/test starts (moto); run the tests through scripts/test",
    )
}

fn options(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ALLOW_HTTP", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A bucket of the test's own.
async fn bucket() -> String {
    let name = format!("yj-{}", uuid::Uuid::new_v4().simple());
    let r = reqwest::Client::new()
        .put(format!("{}/{name}", endpoint()))
        .send()
        .await
        .expect("the S3 server answers");
    assert!(r.status().is_success(), "bucket created: {}", r.status());
    name
}

#[tokio::test]
async fn objects_round_trip_through_s3() {
    let bucket = bucket().await;
    let store = Storage::from_url(&format!("s3://{bucket}/photos"), &options(&endpoint())).unwrap();
    store.put("a/one.jpg", b"first".to_vec()).await.unwrap();
    assert_eq!(store.get("a/one.jpg").await.unwrap(), b"first");
    store.put("a/one.jpg", b"second".to_vec()).await.unwrap();
    assert_eq!(store.get("a/one.jpg").await.unwrap(), b"second");
    // Stored under the prefix, as S3 itself lists it.
    let listing = reqwest::get(format!("{}/{bucket}?list-type=2", endpoint()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains("<Key>photos/a/one.jpg</Key>"), "{listing}");
    store.delete("a/one.jpg").await.unwrap();
    assert!(matches!(
        store.get("a/one.jpg").await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store.get("never/was.jpg").await,
        Err(StorageError::NotFound)
    ));
}

#[tokio::test]
async fn a_store_that_is_down_is_unavailable_not_missing() {
    let down = format!("http://127.0.0.1:{}", free_port());
    let store = Storage::from_url("s3://nobucket", &options(&down)).unwrap();
    assert!(matches!(
        store.put("x.jpg", b"x".to_vec()).await,
        Err(StorageError::Unavailable(_))
    ));
    assert!(matches!(
        store.get("x.jpg").await,
        Err(StorageError::Unavailable(_))
    ));
}

/// The server configured with `s3://`: an inspection photo and its thumbnail
/// are written to and read from S3; with the store down, 503.
#[tokio::test]
async fn inspection_photos_live_in_s3() {
    let bucket = bucket().await;
    let endpoint = endpoint();
    let app = spawn_app_with(|v| {
        v.insert(
            "YAOJIAN_STORAGE_URL".into(),
            format!("s3://{bucket}/objects"),
        );
        for (k, val) in options(&endpoint) {
            v.insert(k, val);
        }
    })
    .await;
    let inspector = app.login("inspector").await;
    let r = upload(
        &app,
        "/api/v1/inspection/photos",
        &inspector,
        jpeg(1200, 800, None),
    )
    .await;
    assert_eq!(r.status(), 201);
    let photo: Value = r.json().await.unwrap();
    let full = app
        .get(photo["url"].as_str().unwrap(), Some(&inspector))
        .await;
    assert_eq!(full.status(), 200);
    assert_eq!(
        image::load_from_memory(&full.bytes().await.unwrap())
            .unwrap()
            .width(),
        1200
    );
    let thumb = app
        .get(photo["thumbnail_url"].as_str().unwrap(), Some(&inspector))
        .await;
    assert_eq!(
        image::load_from_memory(&thumb.bytes().await.unwrap())
            .unwrap()
            .width(),
        320
    );
    let listing = reqwest::get(format!("{endpoint}/{bucket}?list-type=2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        listing.matches("<Key>objects/").count(),
        2,
        "photo and thumbnail: {listing}"
    );

    // The bucket gone (the store failing): a photo is 503, not 404 or 500.
    let down = spawn_app_with(|v| {
        v.insert("YAOJIAN_STORAGE_URL".into(), "s3://objects".into());
        for (k, val) in options(&format!("http://127.0.0.1:{}", free_port())) {
            v.insert(k, val);
        }
    })
    .await;
    let inspector = down.login("inspector").await;
    let r = upload(
        &down,
        "/api/v1/inspection/photos",
        &inspector,
        jpeg(800, 600, None),
    )
    .await;
    let (s, b) = problem(r).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (503, "STORAGE_UNAVAILABLE")
    );
}
