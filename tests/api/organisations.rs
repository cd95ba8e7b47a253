//! Organisations, departments and grants (SPEC §8.1), and the scope they give.

use serde_json::{Value, json};
use shared::auth::{
    Caller, Scope,
    scope::{ScopeColumns, scoped_select},
};
use uuid::Uuid;

use crate::helpers::*;

const PHARMACIES: ScopeColumns = ScopeColumns::pharmacy("p.pharmacy_id", "p.district_code");
const ORGANISATIONS: ScopeColumns = ScopeColumns::organisation("o.organisation_id", None);

async fn caller_of(app: &TestApp, token: &str) -> Caller {
    app.state.sessions.authenticate(token).await.unwrap()
}

async fn visible(
    app: &TestApp,
    scope: &Scope,
    cols: ScopeColumns,
    from: &'static str,
) -> Vec<Uuid> {
    let mut qb = scoped_select(scope, cols, from);
    qb.push(" ORDER BY 1");
    qb.build_query_scalar().fetch_all(&app.db).await.unwrap()
}

async fn create(app: &TestApp, path: &str, body: Value, token: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn the_city_and_its_districts_are_organisations() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let orgs: Vec<Value> = app
        .get("/api/v1/admin/organisations", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let city: Vec<&Value> = orgs.iter().filter(|o| o["kind"] == "city").collect();
    assert_eq!(city.len(), 1);
    assert_eq!(city[0]["division_code"], "420100");
    let districts: Vec<&Value> = orgs.iter().filter(|o| o["kind"] == "district").collect();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM district")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(districts.len() as i64, count);
    for d in districts {
        assert_eq!(d["parent_id"], city[0]["id"]);
        assert_eq!(d["district_code"], d["division_code"]);
    }
    // Only city admins manage them.
    let inspector = app.login("inspector").await;
    let r = app
        .get("/api/v1/admin/organisations", Some(&inspector))
        .await;
    assert_eq!(r.status(), 403);
}

/// Mapping the districts onto organisations changes nothing an inspector or
/// an admin sees: an inspector's organisation is the district's bureau, and
/// the pharmacies in scope are exactly that bureau's.
#[tokio::test]
async fn inspectors_and_admins_see_what_they_saw() {
    let app = spawn_app().await;
    for username in ["inspector", "admin"] {
        let token = app.login(username).await;
        let caller = caller_of(&app, &token).await;
        let scoped = visible(
            &app,
            &Scope::of(&caller),
            PHARMACIES,
            "SELECT p.pharmacy_id FROM pharmacy p",
        )
        .await;
        let by_organisation: Vec<Uuid> = match caller.organisation_id {
            Some(org) => sqlx::query_scalar(
                "SELECT p.pharmacy_id FROM pharmacy p JOIN organisation o ON o.district_code = p.district_code
                 WHERE o.organisation_id IN (SELECT organisation_subtree($1)) ORDER BY 1",
            )
            .bind(org)
            .fetch_all(&app.db)
            .await
            .unwrap(),
            None => sqlx::query_scalar("SELECT pharmacy_id FROM pharmacy ORDER BY 1")
                .fetch_all(&app.db)
                .await
                .unwrap(),
        };
        assert_eq!(scoped, by_organisation, "{username}");
        assert!(!scoped.is_empty(), "{username} sees pharmacies");
    }
    let inspector = caller_of(&app, &app.login("inspector").await).await;
    let bureau: Option<String> =
        sqlx::query_scalar("SELECT district_code FROM organisation WHERE organisation_id = $1")
            .bind(
                inspector
                    .organisation_id
                    .expect("an inspector works for a bureau"),
            )
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(bureau, inspector.district_code);
}

#[tokio::test]
async fn admins_build_the_tree_departments_and_grants() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let city: Uuid =
        sqlx::query_scalar("SELECT organisation_id FROM organisation WHERE kind = 'city'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    // An institute under the city, with an Idempotency-Key replayed.
    let body = json!({"name": "市卫生监督所", "parent_id": city, "division_code": "420100", "kind": "institute", "uscc": "12420100MB1234567X"});
    let key = Uuid::new_v4().to_string();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url("/api/v1/admin/organisations"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", &key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        answers.push(r.json::<Value>().await.unwrap());
    }
    assert_eq!(answers[0], answers[1], "the replay answers the first");
    let institute = answers[0]["id"].as_str().unwrap().to_owned();
    let (s, b) = create(
        &app,
        "/api/v1/admin/organisations",
        json!({"name": "区局", "division_code": "420102", "kind": "district"}),
        &admin,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "ORGANISATION_KIND_INVALID")
    );
    let (s, b) = create(
        &app,
        "/api/v1/admin/organisations",
        json!({"name": "x", "division_code": "42", "kind": "other"}),
        &admin,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "DIVISION_CODE_INVALID")
    );

    // The city cannot move under its own institute.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/admin/organisations/{city}")))
        .bearer_auth(&admin)
        .json(&json!({"parent_id": institute}))
        .send()
        .await
        .unwrap();
    let (s, b) = problem(r).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "ORGANISATION_CYCLE")
    );

    // A department, once per name.
    let (s, dept) = create(
        &app,
        "/api/v1/admin/departments",
        json!({"organisation_id": institute, "name": "许可科"}),
        &admin,
    )
    .await;
    assert_eq!(s, 201);
    let (s, b) = create(
        &app,
        "/api/v1/admin/departments",
        json!({"organisation_id": institute, "name": "许可科"}),
        &admin,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (409, "DEPARTMENT_EXISTS"));

    // An approver in it; only approvers belong to departments.
    let (s, approver) = create(
        &app,
        "/api/v1/admin/users",
        json!({"name": "审批员甲", "role": "approver", "username": "approver1", "department_id": dept["id"]}),
        &admin,
    )
    .await;
    assert_eq!(s, 201, "{approver}");
    assert_eq!(approver["department_id"], dept["id"]);
    let (s, b) = create(
        &app,
        "/api/v1/admin/users",
        json!({"name": "检查员", "role": "inspector", "district_code": "420102", "username": "insp2", "department_id": dept["id"]}),
        &admin,
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str().unwrap()),
        (422, "NOT_ALLOWED")
    );

    // Grants: to approvers only, once each, revoked once.
    let grant =
        json!({"user_id": approver["id"], "item_code": "PUBLIC_PLACE_LICENCE", "step": "review"});
    let (s, g) = create(&app, "/api/v1/admin/grants", grant.clone(), &admin).await;
    assert_eq!(s, 201);
    let (s, b) = create(&app, "/api/v1/admin/grants", grant, &admin).await;
    assert_eq!((s, b["code"].as_str().unwrap()), (409, "GRANT_EXISTS"));
    let inspector_id: Uuid =
        sqlx::query_scalar("SELECT user_id FROM app_user WHERE username = 'inspector'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let (s, b) = create(
        &app,
        "/api/v1/admin/grants",
        json!({"user_id": inspector_id, "business_line": "公共卫生", "step": "review"}),
        &admin,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "GRANT_USER_INVALID")
    );
    let (s, b) = create(
        &app,
        "/api/v1/admin/grants",
        json!({"user_id": approver["id"], "item_code": "A", "business_line": "B", "step": "review"}),
        &admin,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (400, "VALIDATION_FAILED"));
    let listed: Vec<Value> = app
        .get(
            &format!(
                "/api/v1/admin/grants?user_id={}",
                approver["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let revoke = |id: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.client
                .delete(app.url(&format!("/api/v1/admin/grants/{id}")))
                .bearer_auth(admin)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(revoke(g["id"].as_str().unwrap().to_owned()).await, 204);
    assert_eq!(revoke(g["id"].as_str().unwrap().to_owned()).await, 404);

    // Every change is on the city's audit stream.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE stream = 'city' AND action ~ '^(organisation|department|grant)\\.' ORDER BY audit_log_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "organisation.create",
            "department.create",
            "grant.create",
            "grant.revoke"
        ]
    );
    // The revoked grant's entry still says whose grant, on what, it was.
    let revoked: Value =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'grant.revoke'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(revoked["user_id"], approver["id"]);
    assert_eq!(revoked["item_code"], "PUBLIC_PLACE_LICENCE");
    assert_eq!(revoked["step"], "review");

    // An unknown department is named as such.
    let (s, b) = create(
        &app,
        "/api/v1/admin/users",
        json!({"name": "审批员乙", "role": "approver", "username": "approver2", "department_id": Uuid::new_v4()}),
        &admin,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "DEPARTMENT_NOT_FOUND")
    );
}

/// An approver's scope is the organisation of their department and the
/// organisations under it; they see no pharmacy data.
#[tokio::test]
async fn approvers_see_their_organisation_and_below() {
    let app = spawn_app().await;
    let (city, district): (Uuid, Uuid) = sqlx::query_as(
        "SELECT o.parent_id, o.organisation_id FROM organisation o WHERE o.district_code = '420102'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let hash = shared::auth::password::hash(PASSWORD).await.unwrap();
    let mut scopes = Vec::new();
    for (name, org) in [("city-approver", city), ("district-approver", district)] {
        let dept: Uuid = sqlx::query_scalar(
            "INSERT INTO department (department_id, organisation_id, name) VALUES ($1, $2, '审批科') RETURNING department_id",
        )
        .bind(Uuid::new_v4())
        .bind(org)
        .fetch_one(&app.db)
        .await
        .unwrap();
        let user = create_user(&app, name, "approver", None, None, Some(&hash)).await;
        sqlx::query("UPDATE app_user SET department_id = $2 WHERE user_id = $1")
            .bind(user)
            .bind(dept)
            .execute(&app.db)
            .await
            .unwrap();
        let caller = caller_of(&app, &app.login(name).await).await;
        assert_eq!(caller.organisation_id, Some(org));
        assert_eq!(caller.department_id, Some(dept));
        scopes.push(Scope::of(&caller));
    }
    let all_orgs: Vec<Uuid> =
        sqlx::query_scalar("SELECT organisation_id FROM organisation ORDER BY 1")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let from = "SELECT o.organisation_id FROM organisation o";
    assert_eq!(
        visible(&app, &scopes[0], ORGANISATIONS, from).await,
        all_orgs
    );
    assert_eq!(
        visible(&app, &scopes[1], ORGANISATIONS, from).await,
        vec![district]
    );
    for scope in &scopes {
        let pharmacies = visible(
            &app,
            scope,
            PHARMACIES,
            "SELECT p.pharmacy_id FROM pharmacy p",
        )
        .await;
        assert!(pharmacies.is_empty(), "approvers see no pharmacy data");
    }
    // A district's inspector sees no organisation-owned rows.
    let inspector = caller_of(&app, &app.login("inspector").await).await;
    assert!(
        visible(&app, &Scope::of(&inspector), ORGANISATIONS, from)
            .await
            .is_empty()
    );
}
