use serde_json::{Value, json};

use crate::helpers::*;

/// A minor's attempt at A (江岸), a sale at C (武昌).
async fn activity(app: &TestApp) {
    let a = app.login("clerk").await;
    let c = clerk_of(app, "clerk-c", PHARMACY_C).await;
    app.post(
        "/api/v1/registrations",
        manual_sale("未成年", &id_number("20150101", 1), &[(KANGTAIKE, 1)]),
        Some(&a),
    )
    .await;
    assert_eq!(
        app.post(
            "/api/v1/registrations",
            manual_sale("刘一", &id_number("19800101", 2), &[(GANCAO, 1)]),
            Some(&a)
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        app.post(
            "/api/v1/registrations",
            manual_sale("陈二", &id_number("19800101", 3), &[(GANCAO, 1)]),
            Some(&c)
        )
        .await
        .status(),
        201
    );
}

#[tokio::test]
async fn inspectors_work_within_their_district() {
    let app = spawn_app().await;
    activity(&app).await;
    let inspector = app.login("inspector").await;

    let found: Value = app
        .get("/api/v1/inspection/pharmacies?q=L-", Some(&inspector))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 2, "A and B of 江岸, not C: {found}");
    let found: Value = app
        .get("/api/v1/inspection/pharmacies?q=L-C", Some(&inspector))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 0);
    assert_eq!(
        app.get(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_C}"),
            Some(&inspector)
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_C}/registrations"),
            Some(&inspector)
        )
        .await
        .status(),
        404
    );

    let detail: Value = app
        .get(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_A}"),
            Some(&inspector),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["pharmacy"]["registrations_30d"], 1);
    assert_eq!(detail["pharmacy"]["refused_30d"], 1);
    assert_eq!(
        detail["recent_registrations"][0]["buyer"]["name_masked"],
        "刘*"
    );
    assert_eq!(detail["refused_attempts"][0]["code"], "MINOR_NOT_ALLOWED");
    assert_eq!(detail["open_alerts"][0]["kind"], "MINOR_ATTEMPT");

    let regs: Value = app
        .get(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_A}/registrations?from=2020-01-01"),
            Some(&inspector),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(regs["total"], 1);

    // Record an inspection, retried with its key.
    let body = json!({"result": "issues_found", "findings": "登记簿缺少 3 月记录", "disposition": "rectify"});
    let send = || {
        app.client
            .post(app.url(&format!(
                "/api/v1/inspection/pharmacies/{PHARMACY_A}/inspections"
            )))
            .bearer_auth(&inspector)
            .header("Idempotency-Key", "visit-1")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["disposition"], "rectify");
    let list: Value = app
        .get("/api/v1/inspection/inspections", Some(&inspector))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);

    let (s, b) = problem(
        app.post(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_C}/inspections"),
            json!({"result": "compliant", "disposition": "none"}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (404, "PHARMACY_NOT_FOUND")
    );
    let (s, b) = problem(
        app.post(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_A}/inspections"),
            json!({"result": "issues_found", "disposition": "warning"}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "FINDINGS_REQUIRED"));
    let (s, b) = problem(
        app.post(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_A}/inspections"),
            json!({"result": "compliant", "disposition": "warning"}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "DISPOSITION_INCONSISTENT")
    );
    let (s, b) = problem(
        app.post(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_A}/inspections"),
            json!({"result": "fine", "disposition": "none"}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str().unwrap()),
        (400, "result")
    );

    // Pharmacy staff have no business here; admins see everything.
    let clerk = app.login("clerk").await;
    assert_eq!(
        app.get("/api/v1/inspection/pharmacies", Some(&clerk))
            .await
            .status(),
        403
    );
    let admin = app.login("admin").await;
    let all: Value = app
        .get("/api/v1/inspection/pharmacies", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 3);
}

#[tokio::test]
async fn alerts_are_listed_by_district_and_resolved_with_a_note() {
    let app = spawn_app().await;
    activity(&app).await;
    // An alert in 武昌 too.
    let c = app.login("clerk-c").await;
    app.post(
        "/api/v1/registrations",
        manual_sale("未成年", &id_number("20150202", 5), &[(GANCAO, 1)]),
        Some(&c),
    )
    .await;

    let inspector = app.login("inspector").await;
    let list: Value = app
        .get("/api/v1/alerts?status=open", Some(&inspector))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "only 江岸's: {list}");
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let admin = app.login("admin").await;
    let all: Value = app
        .get("/api/v1/alerts?kind=MINOR_ATTEMPT", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 2);
    for (district, by_admin, by_inspector) in [("420106", 1, 0), ("420102", 1, 1)] {
        for (token, expected) in [(&admin, by_admin), (&inspector, by_inspector)] {
            let page: Value = app
                .get(
                    &format!("/api/v1/alerts?kind=MINOR_ATTEMPT&district={district}"),
                    Some(token),
                )
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(page["total"], expected, "district {district}: {page}");
        }
    }
    let other = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] != id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = problem(
        app.post(
            &format!("/api/v1/alerts/{other}/resolve"),
            json!({"note": "x"}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!(s, 404, "another district's alert");
    let (s, b) = problem(
        app.post(
            &format!("/api/v1/alerts/{id}/resolve"),
            json!({"note": "  "}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str().unwrap()),
        (400, "note")
    );
    let r: Value = app
        .post(
            &format!("/api/v1/alerts/{id}/resolve"),
            json!({"note": "已电话联系药店，核实为家长代购未售出"}),
            Some(&inspector),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "resolved");
    let (s, b) = problem(
        app.post(
            &format!("/api/v1/alerts/{id}/resolve"),
            json!({"note": "again"}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (409, "ALERT_ALREADY_RESOLVED")
    );
    let (s, _) = problem(app.get("/api/v1/alerts?kind=NOPE", Some(&inspector)).await).await;
    assert_eq!(s, 400);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'alert.resolve'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

/// The province table backs the ID-number rule: each province code is accepted
/// as a region, and two-digit codes outside it (and 81–83, 9x) are refused.
#[tokio::test]
async fn province_codes_back_the_id_number_rule() {
    let app = spawn_app().await;
    let provinces: Vec<String> = sqlx::query_scalar("SELECT province_code FROM province")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(provinces.len(), 31);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for p in 10..=99 {
        let code = format!("{p:02}");
        let base = format!("{code}010219900307123");
        let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let s: u32 = base
            .chars()
            .zip(w)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let id = format!(
            "{base}{}",
            ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(s % 11) as usize]
        );
        let accepted = shared::domain::ResidentIdNumber::parse_on(&id, today).is_ok();
        let expected = provinces.contains(&code)
            || ["81", "82", "83"].contains(&code.as_str())
            || code.starts_with('9');
        assert_eq!(accepted, expected, "region {code}");
    }
}

#[tokio::test]
async fn inspection_photos_lose_their_location_and_follow_the_inspection() {
    let app = spawn_app().await;
    let inspector = app.login("inspector").await;
    let original = jpeg_with_gps(3000, 2000);
    assert!(original.windows(6).any(|w| w == b"Exif\0\0"));
    let r = upload(&app, "/api/v1/inspection/photos", &inspector, original).await;
    assert_eq!(r.status(), 201);
    let photo: Value = r.json().await.unwrap();
    let key = photo["key"].as_str().unwrap().to_owned();

    let full = app
        .get(photo["url"].as_str().unwrap(), Some(&inspector))
        .await;
    assert_eq!(full.headers()["content-type"], "image/jpeg");
    let full = full.bytes().await.unwrap();
    assert!(
        !full.windows(4).any(|w| w == b"Exif"),
        "EXIF (and its GPS position) is stripped"
    );
    let img = image::load_from_memory(&full).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (2048, 1365),
        "long side at most 2048 px"
    );
    let thumb = app
        .get(photo["thumbnail_url"].as_str().unwrap(), Some(&inspector))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(image::load_from_memory(&thumb).unwrap().width(), 320);

    // Another district's inspector cannot see it, before or after it is attached.
    let hash = shared::auth::password::hash(PASSWORD).await.unwrap();
    create_user(
        &app,
        "inspector-wc",
        "inspector",
        None,
        Some("420106"),
        Some(&hash),
    )
    .await;
    let other = app.login("inspector-wc").await;
    assert_eq!(
        app.get(photo["url"].as_str().unwrap(), Some(&other))
            .await
            .status(),
        404
    );
    let r = app
        .post(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_A}/inspections"),
            json!({"result": "compliant", "disposition": "none", "photo_keys": [key]}),
            Some(&inspector),
        )
        .await;
    assert_eq!(r.status(), 201);
    let inspection: Value = r.json().await.unwrap();
    assert_eq!(inspection["photos"][0]["key"], key.as_str());
    assert_eq!(
        app.get(photo["url"].as_str().unwrap(), Some(&other))
            .await
            .status(),
        404
    );
    let admin = app.login("admin").await;
    assert_eq!(
        app.get(photo["url"].as_str().unwrap(), Some(&admin))
            .await
            .status(),
        200
    );
    // A photo serves one inspection only.
    let (s, b) = problem(
        app.post(
            &format!("/api/v1/inspection/pharmacies/{PHARMACY_B}/inspections"),
            json!({"result": "compliant", "disposition": "none", "photo_keys": [key]}),
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "PHOTO_INVALID"));
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM inspection")
            .fetch_one(&app.db)
            .await
            .unwrap(),
        1,
        "the refused inspection left nothing"
    );

    let (s, b) = problem(
        upload(
            &app,
            "/api/v1/inspection/photos",
            &inspector,
            b"%PDF-1.7".to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "IMAGE_INVALID"));
    let (s, b) = problem(
        upload(
            &app,
            "/api/v1/inspection/photos",
            &inspector,
            vec![0; 10 * 1024 * 1024 + 1],
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (413, "IMAGE_TOO_LARGE"));
    let clerk = app.login("clerk").await;
    assert_eq!(
        upload(
            &app,
            "/api/v1/inspection/photos",
            &clerk,
            jpeg(400, 300, None)
        )
        .await
        .status(),
        403
    );
}

/// Recording an inspection is a plain function in a transaction: outside
/// the inspector's district the pharmacy is not found, and a refused photo
/// leaves nothing once the transaction rolls back.
#[tokio::test]
async fn an_inspection_is_recorded_without_http() {
    use mobile_api::inspection::api::{
        Disposition, InspectionResult, NewInspection, record_inspection,
    };
    let app = spawn_app().await;
    let token = app.login("inspector").await;
    let inspector = app.state.sessions.authenticate(&token).await.unwrap();
    let body = |photo_keys: Vec<uuid::Uuid>| NewInspection {
        result: InspectionResult::Compliant,
        findings: String::new(),
        disposition: Disposition::None,
        photo_keys,
        inspected_at: None,
    };
    let mut tx = app.db.begin().await.unwrap();
    let view = record_inspection(&mut tx, &inspector, PHARMACY_A, &body(vec![]))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(view.pharmacy_id, PHARMACY_A);

    let mut tx = app.db.begin().await.unwrap();
    let err = record_inspection(&mut tx, &inspector, PHARMACY_C, &body(vec![]))
        .await
        .unwrap_err();
    assert_eq!(
        err.status.as_u16(),
        404,
        "武昌 is not the inspector's district"
    );
    drop(tx);

    let mut tx = app.db.begin().await.unwrap();
    let err = record_inspection(
        &mut tx,
        &inspector,
        PHARMACY_A,
        &body(vec![uuid::Uuid::new_v4()]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "PHOTO_INVALID");
    tx.rollback().await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM inspection")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(kept, 1, "only the first inspection is kept");
}
