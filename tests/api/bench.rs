//! A smoke run of the bench's data generator (the bench itself is never run
//! by tests: no timed assertions).

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn bench_data_is_what_the_application_would_have_written() {
    let app = spawn_app().await;
    let data = yaojian::bench::generate(&app.state, 12, 600, |_| {})
        .await
        .unwrap();
    assert_eq!(data.clerk_tokens.len(), 12);
    let (stored, counted): (i64, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM registration), (SELECT sum(n)::bigint FROM registration_count)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((stored, counted), (600, Some(600)));
    // The per-day counting trigger, paused for the load, is on again.
    let enabled: String = sqlx::query_scalar(
        "SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'registration_counted'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(enabled, "O");

    // The tokens sign in; a clerk sees its pharmacy's rows, decrypted and masked.
    let page: Value = app
        .get(
            "/api/v1/registrations?page_size=100",
            Some(&data.clerk_tokens[0]),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 50, "600 sales over 12 pharmacies: {page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    assert!(
        page["items"][0]["buyer"]["id_masked"]
            .as_str()
            .unwrap()
            .contains("********")
    );
    let inspector: Value = app
        .get("/api/v1/registrations", Some(&data.inspector_token))
        .await
        .json()
        .await
        .unwrap();
    let district: i64 =
        sqlx::query_scalar("SELECT count(*) FROM registration WHERE district_code = $1")
            .bind(&data.inspector_district)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(inspector["total"].as_i64(), Some(district));
}
