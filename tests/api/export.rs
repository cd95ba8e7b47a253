use crate::helpers::*;

#[tokio::test]
async fn exports_follow_the_scope_mask_and_are_audited() {
    let app = spawn_app().await;
    let a = app.login("clerk").await;
    let c = clerk_of(&app, "clerk-c", PHARMACY_C).await;
    let id_a = id_number("19800101", 21);
    let id_c = id_number("19810101", 22);
    assert_eq!(
        app.post(
            "/api/v1/registrations",
            manual_sale("东方不败", &id_a, &[(KANGTAIKE, 1)]),
            Some(&a)
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        app.post(
            "/api/v1/registrations",
            manual_sale("令狐冲", &id_c, &[(GANCAO, 2)]),
            Some(&c)
        )
        .await
        .status(),
        201
    );

    let inspector = app.login("inspector").await;
    let r = app
        .get(
            "/api/v1/admin/registrations/export?format=csv",
            Some(&inspector),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    let text = r.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    assert_eq!(
        text.lines().count(),
        2,
        "header and the one 江岸 row: {text}"
    );
    assert!(text.contains("东方**") && text.contains("新康泰克") && text.contains("B20261101"));
    assert!(!text.contains(&id_a) && !text.contains("东方不败") && !text.contains("令狐"));
    let (s, b) = problem(
        app.get(
            "/api/v1/admin/registrations/export?format=csv&unmask=true",
            Some(&inspector),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (403, "UNMASK_FORBIDDEN"));

    let admin = app.login("admin").await;
    let text = app
        .get(
            "/api/v1/admin/registrations/export?format=csv&unmask=true",
            Some(&admin),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.contains(&id_a) && text.contains(&id_c) && text.contains("令狐冲"));

    let r = app
        .get(
            "/api/v1/admin/registrations/export?format=xlsx&district=420106",
            Some(&admin),
        )
        .await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "an xlsx (zip) file");
    let clerk = app.login("clerk").await;
    assert_eq!(
        app.get("/api/v1/admin/registrations/export", Some(&clerk))
            .await
            .status(),
        403
    );

    let audited: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'registration.export' ORDER BY audit_log_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(audited.len(), 3);
    assert_eq!(audited[1]["unmask"], true);
}
