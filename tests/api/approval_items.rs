//! Approval items (SPEC §8.2): city admins define them; a change is a new
//! version and the old one stays exactly as it was; every reason a
//! definition is unusable comes in one answer.

use serde_json::{Value, json};

use crate::helpers::*;

fn definition(name: &str) -> Value {
    json!({
        "name": name,
        "business_line": "公共场所卫生",
        "kind": "licence",
        "level": "district",
        "legal_days": 20,
        "steps": [
            { "code": "accept", "name": "受理", "mode": "single", "days": 1 },
            { "code": "review", "name": "审查", "mode": "all", "days": 10 },
            { "code": "decide", "name": "决定", "mode": "any" }
        ],
        "materials": [
            { "code": "application", "name": "申请书", "required": true, "types": ["pdf"], "max_bytes": 10485760 },
            { "code": "floor_plan", "name": "平面图", "required": false, "types": ["pdf", "jpeg", "png"], "max_bytes": 20971520 }
        ],
        "fields": [
            { "code": "uscc", "label": "统一社会信用代码", "type": "identifier", "required": true, "identifier": "uscc" },
            { "code": "category", "label": "场所类别", "type": "choice", "required": true, "options": ["住宿", "沐浴", "美容美发"] },
            { "code": "area", "label": "营业面积（㎡）", "type": "number", "required": false }
        ],
        "sensitive": false,
        "automatic": false,
        "licence_type": "public_place_hygiene"
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
    token: &str,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn items_are_created_versioned_and_retired_by_city_admins() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let r = app
        .post(
            "/api/v1/admin/approval-items",
            json!({ "code": "GGCS-001", "definition": definition("公共场所卫生许可") }),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status(), 201);
    let item: Value = r.json().await.unwrap();
    assert_eq!(item["version"], 1);
    assert_eq!(item["definition"]["steps"][1]["mode"], "all");
    let id = item["id"].as_str().unwrap().to_owned();

    // The same code again.
    let (s, p) = problem(
        app.post(
            "/api/v1/admin/approval-items",
            json!({ "code": "GGCS-001", "definition": definition("另一个") }),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (409, Some("APPROVAL_ITEM_CODE_TAKEN"))
    );

    // A change is version 2; version 1 stays as it was.
    let mut changed = definition("公共场所卫生许可（新办）");
    changed["legal_days"] = json!(15);
    let r = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/approval-items/{id}"),
        json!({ "base_version": 1, "definition": changed }),
        &admin,
    )
    .await;
    assert_eq!(r.status(), 200);
    let v2: Value = r.json().await.unwrap();
    assert_eq!(
        (
            v2["version"].as_i64(),
            v2["definition"]["legal_days"].as_i64()
        ),
        (Some(2), Some(15))
    );

    // A change made on version 1 after that is stale.
    let (s, p) = problem(
        send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/admin/approval-items/{id}"),
            json!({ "base_version": 1, "definition": definition("过时的修改") }),
            &admin,
        )
        .await,
    )
    .await;
    assert_eq!((s, p["code"].as_str()), (409, Some("APPROVAL_ITEM_STALE")));
    // The same definition again adds no version.
    let r = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/approval-items/{id}"),
        json!({ "base_version": 2, "definition": changed }),
        &admin,
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["version"], 2);

    let versions: Value = app
        .get(
            &format!("/api/v1/admin/approval-items/{id}/versions"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["definition"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["公共场所卫生许可", "公共场所卫生许可（新办）"]);

    // A written version cannot be changed, even with plain SQL.
    let edited =
        sqlx::query("UPDATE approval_item_version SET definition = '{}' WHERE version = 1")
            .execute(&app.db)
            .await;
    assert!(edited.is_err(), "versions are append-only");

    // Retired: out of the list, back with ?retired=true.
    let r = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/approval-items/{id}/status"),
        json!({ "retired": true }),
        &admin,
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["retired"], true);
    let listed: Value = app
        .get("/api/v1/admin/approval-items", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 0);
    let listed: Value = app
        .get("/api/v1/admin/approval-items?retired=true", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["code"], "GGCS-001");

    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'approval_item.%' ORDER BY audit_log_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        audit,
        [
            "approval_item.create",
            "approval_item.version",
            "approval_item.retire"
        ]
    );
}

#[tokio::test]
async fn every_reason_a_definition_is_unusable_comes_in_one_answer() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let mut d = definition("有误的事项");
    d["automatic"] = json!(true); // a licence is not a filing
    d["steps"][1]["code"] = json!("accept"); // twice
    d["steps"][0]["days"] = json!(30); // over the legal limit
    d["steps"][2]["department_id"] = json!("00000000-0000-4000-8000-000000000000");
    d["materials"][0]["max_bytes"] = json!(1_u64 << 40);
    d["fields"][1]["options"] = json!([]);
    let (s, p) = problem(
        app.post(
            "/api/v1/admin/approval-items",
            json!({ "code": "BAD", "definition": d }),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (422, Some("ITEM_DEFINITION_INVALID"))
    );
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "automatic",
            "steps[1].code",
            "steps[0].days",
            "steps[2].department_id",
            "materials[0].max_bytes",
            "fields[1].options"
        ]
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM approval_item")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing half-written");

    // An unknown mode is the body's own error, with the field named.
    let mut d = definition("x");
    d["steps"][0]["mode"] = json!("majority");
    let (s, p) = problem(
        app.post(
            "/api/v1/admin/approval-items",
            json!({ "code": "X", "definition": d }),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(s, 400, "{p}");
}

#[tokio::test]
async fn only_city_admins_manage_items() {
    let app = spawn_app().await;
    let inspector = app.login("inspector").await;
    assert_eq!(
        app.get("/api/v1/admin/approval-items", Some(&inspector))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get("/api/v1/admin/approval-items", None).await.status(),
        401
    );
    let admin = app.login("admin").await;
    let (s, p) = problem(
        app.get(
            "/api/v1/admin/approval-items/00000000-0000-4000-8000-000000000000",
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (404, Some("APPROVAL_ITEM_NOT_FOUND"))
    );
}
