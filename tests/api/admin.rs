use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn admins_list_and_suspend_pharmacies() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let all: Value = app
        .get(
            "/api/v1/admin/pharmacies?district_code=420102",
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 2);
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/admin/pharmacies/{PHARMACY_A}")))
        .bearer_auth(&admin)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "suspended");
    let suspended: Value = app
        .get("/api/v1/admin/pharmacies?status=suspended", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(suspended["total"], 1);
    let clerk = app.login("clerk").await;
    let (s, b) = problem(
        app.post(
            "/api/v1/registrations",
            manual_sale("甲", &id_number("19800101", 1), &[(GANCAO, 1)]),
            Some(&clerk),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "PHARMACY_SUSPENDED")
    );
    let (s, _) = problem(
        app.client
            .patch(app.url(&format!("/api/v1/admin/pharmacies/{PHARMACY_A}")))
            .bearer_auth(&admin)
            .json(&json!({"status": "closed"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = problem(
        app.client
            .patch(app.url(&format!("/api/v1/admin/pharmacies/{}", uuid::Uuid::nil())))
            .bearer_auth(&admin)
            .json(&json!({"status": "active"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
    let drugs: Value = app
        .get("/api/v1/admin/drugs", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(drugs["total"], 7);
    assert_eq!(
        app.get("/api/v1/admin/pharmacies", Some(&clerk))
            .await
            .status(),
        403
    );
}
