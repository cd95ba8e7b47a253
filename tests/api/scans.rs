use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn card_readers_validate_and_mask_the_identity() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let id = id_number("19900307", 123);
    let r = app.post("/api/v1/scan/id-card", json!({"card_reader": {"name": "欧阳娜娜", "id_number": id, "valid_until": "2020-01-01"}}), Some(&clerk)).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["source"], "id_card");
    assert_eq!(b["name_masked"], "欧阳**");
    assert_eq!(
        b["id_masked"].as_str().unwrap(),
        format!("420102********{}", &id[14..])
    );
    assert_eq!(b["gender"], "male", "17th digit 3 is odd");
    assert_eq!(b["card_expired"], true);
    assert!(b["age"].as_u64().unwrap() >= 36);
    assert!(!b.to_string().contains(&id) && !b.to_string().contains("欧阳娜娜"));

    for (bad, code) in [
        (format!("{}0", &id[..17]), "ID_CHECKSUM"),
        ("420102900307123".to_owned(), "ID_LEGACY_15"),
        (id_number("20990101", 1), "ID_BIRTH_DATE"),
    ] {
        let bad = if code == "ID_CHECKSUM" && bad == id {
            format!("{}1", &id[..17])
        } else {
            bad
        };
        let (s, b) = problem(
            app.post(
                "/api/v1/scan/id-card",
                json!({"card_reader": {"name": "张三", "id_number": bad}}),
                Some(&clerk),
            )
            .await,
        )
        .await;
        assert_eq!((s, b["code"].as_str().unwrap()), (422, code));
        assert_eq!(b["errors"][0]["field"], "card_reader.id_number");
    }
    let r: Value = app
        .post(
            "/api/v1/scan/ss-card",
            json!({"card_reader": {"name": "张三", "ss_number": id}}),
            Some(&clerk),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["source"], "ss_card");
    let (s, b) = problem(
        app.post(
            "/api/v1/scan/id-card",
            json!({"card_reader": {"name": "张三"}}),
            Some(&clerk),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str().unwrap()),
        (400, "card_reader.id_number")
    );
    // Inspectors do not scan at the counter.
    let inspector = app.login("inspector").await;
    assert_eq!(
        app.post(
            "/api/v1/scan/id-card",
            json!({"card_reader": {"name": "张三", "id_number": id}}),
            Some(&inspector)
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn photos_go_through_wechat_ocr() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let id = id_number("19850101", 456);
    app.fake.state.lock().unwrap().identity = Some(("李四".into(), id.clone()));

    let r = upload(&app, "/api/v1/scan/id-card", &clerk, jpeg(1200, 760, None)).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        (b["name_masked"].as_str(), b["gender"].as_str()),
        (Some("李*"), Some("female")),
        "17th digit 6 is even"
    );

    let r = upload(&app, "/api/v1/scan/ss-card", &clerk, jpeg(1200, 760, None)).await;
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["source"], "ss_card");
    assert_eq!(
        b["id_masked"].as_str().unwrap(),
        format!("420102********{}", &id[14..])
    );

    let (s, b) = problem(
        upload(
            &app,
            "/api/v1/scan/id-card",
            &clerk,
            jpeg(1200, 760, Some("UNREADABLE")),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "OCR_UNREADABLE"));
    let (s, b) = problem(
        upload(
            &app,
            "/api/v1/scan/ss-card",
            &clerk,
            jpeg(1200, 760, Some("BUSY")),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (503, "UPSTREAM_UNAVAILABLE")
    );
    app.fake.set_down(true);
    let (s, b) =
        problem(upload(&app, "/api/v1/scan/id-card", &clerk, jpeg(1200, 760, None)).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (503, "UPSTREAM_UNAVAILABLE")
    );
    app.fake.set_down(false);

    let calls = app.fake.state.lock().unwrap().ocr_calls;
    let (s, b) = problem(
        upload(
            &app,
            "/api/v1/scan/id-card",
            &clerk,
            b"%PDF-1.7 this is a pdf".to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "IMAGE_INVALID"));
    let (s, b) = problem(
        upload(
            &app,
            "/api/v1/scan/id-card",
            &clerk,
            vec![0xAB; 4 * 1024 * 1024 + 10],
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (413, "IMAGE_TOO_LARGE"));
    assert_eq!(
        app.fake.state.lock().unwrap().ocr_calls,
        calls,
        "refused photos never leave the server"
    );
}

#[tokio::test]
async fn a_scan_token_serves_only_the_clerk_who_scanned() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let manager = app.login("manager").await;
    let id = id_number("19900307", 123);
    let scan = scan_id_card(&app, &clerk, "张三", &id).await;
    let body =
        json!({"scan_token": scan["scan_token"], "items": [{"barcode": KANGTAIKE, "quantity": 1}]});
    let (s, b) = problem(register(&app, &manager, body.clone()).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "SCAN_TOKEN_INVALID")
    );
    assert_eq!(register(&app, &clerk, body.clone()).await.status(), 201);
    let (s, b) = problem(register(&app, &clerk, body).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "SCAN_TOKEN_INVALID"),
        "a scan serves one sale"
    );

    // What waits in Redis is encrypted.
    let scan = scan_id_card(&app, &clerk, "张三", &id).await;
    let mut conn = app.state.cache.conn();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(app.state.cache.key("scan:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let raw: String = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!raw.contains(&id) && !raw.contains("张三"));
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 590 && ttl <= 600);
    assert!(scan["scan_token"].is_string());
}

/// A scan tells the clerk what the buyer may still buy; /policy states the rules.
#[tokio::test]
async fn scans_state_the_remaining_allowance_and_the_policy_is_published() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let id = id_number("19770707", 77);
    assert_eq!(
        app.post(
            "/api/v1/registrations",
            manual_sale("赵七", &id, &[(GANCAO, 2)]),
            Some(&clerk)
        )
        .await
        .status(),
        201
    );
    let scan = scan_id_card(&app, &clerk, "赵七", &id).await;
    assert_eq!(
        (
            scan["window_remaining"].as_u64(),
            scan["window_days"].as_u64()
        ),
        (Some(3), Some(7))
    );
    let policy: Value = app
        .get("/api/v1/policy", Some(&clerk))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        policy,
        json!({"per_sale_limit": 2, "window_limit": 5, "window_days": 7, "window_action": "block", "refuse_minors": true})
    );
}
