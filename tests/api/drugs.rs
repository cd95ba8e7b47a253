use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn lookup_by_barcode_and_search() {
    let app = spawn_app().await;
    let token = app.login("clerk").await;
    let d: Value = app
        .get(
            &format!("/api/v1/drugs/by-barcode/{KANGTAIKE}"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["special_category"], "ephedrine");
    assert_eq!(d["rx_only"], false);
    assert!(d["name"].as_str().unwrap().contains("伪麻黄碱"));

    let (s, b) = problem(
        app.get("/api/v1/drugs/by-barcode/6901234560016", Some(&token))
            .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "BARCODE_INVALID"));
    let (s, b) = problem(
        app.get("/api/v1/drugs/by-barcode/6901234560091", Some(&token))
            .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (404, "DRUG_NOT_FOUND"));
    assert_eq!(
        app.get(&format!("/api/v1/drugs/by-barcode/{KANGTAIKE}"), None)
            .await
            .status(),
        401
    );

    let page: Value = app
        .get("/api/v1/drugs?q=%E7%94%98%E8%8D%89", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["barcode"], GANCAO);
    let page: Value = app
        .get("/api/v1/drugs?page_size=2&page=2", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().unwrap().len(),
            &page["page"]
        ),
        (Some(7), 2, &serde_json::json!(2))
    );
    let (s, _) = problem(app.get("/api/v1/drugs?q=%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25", Some(&token)).await).await;
    assert_eq!(s, 400, "q longer than 64 characters");
    let page: Value = app
        .get("/api/v1/drugs?q=%25_", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0, "LIKE wildcards in q are literal");
}

/// A drug added to the catalogue is found by its barcode with its category
/// and prescription flag, and sold under them.
#[tokio::test]
async fn a_new_catalogue_entry_is_found_and_sold() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    // 6901234560084: a GTIN-13 with a valid check digit, not in the demo catalogue.
    drug(
        &app,
        "6901234560084",
        "复方地芬诺酯片",
        "diphenoxylate",
        true,
    )
    .await;
    let d: Value = app
        .get("/api/v1/drugs/by-barcode/6901234560084", Some(&clerk))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["special_category"], "diphenoxylate");
    assert_eq!(d["rx_only"], true);
    let id = id_number("19800101", 88);
    let r = register(
        &app,
        &clerk,
        manual_sale("王五", &id, &[("6901234560084", 1)]),
    )
    .await;
    let (s, b) = problem(r).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "PRESCRIPTION_REQUIRED")
    );
}
