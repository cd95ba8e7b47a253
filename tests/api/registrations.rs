use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_scanned_sale_is_registered_with_outbox_and_audit() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let id = id_number("19900307", 123);
    let scan = scan_id_card(&app, &clerk, "张三丰", &id).await;
    let r = register(
        &app,
        &clerk,
        json!({"scan_token": scan["scan_token"], "items": [{"barcode": KANGTAIKE, "quantity": 1, "batch_no": "20261001", "trace_code": "81234567890123456789"}, {"barcode": GANCAO, "quantity": 1}],
               "client_time": "2026-11-22T10:00:00+08:00"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let reg: Value = r.json().await.unwrap();
    assert_eq!(reg["buyer"]["name_masked"], "张**");
    assert_eq!(
        reg["buyer"]["id_masked"].as_str().unwrap(),
        format!("420102********{}", &id[14..])
    );
    assert_eq!(reg["source"], "id_card");
    assert_eq!(reg["total_packages"], 2);
    assert_eq!(reg["needs_review"], false);
    assert_eq!(reg["items"][0]["trace_code"], "81234567890123456789");
    assert!(
        reg["items"][0]["drug_name"]
            .as_str()
            .unwrap()
            .contains("新康泰克")
    );
    assert!(reg["created_at"].as_str().unwrap().ends_with("+08:00"));
    let reg_id = reg["id"].as_str().unwrap();

    let got: Value = app
        .get(&format!("/api/v1/registrations/{reg_id}"), Some(&clerk))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["items"], reg["items"]);
    let outbox: Vec<(String, String)> = sqlx::query_as("SELECT entity, entity_key FROM outbox")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(outbox, vec![("registration".to_owned(), reg_id.to_owned())]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'registration.create'"
        )
        .await,
        1
    );
    assert!(shared::audit::verify(&app.db).await.unwrap().is_ok());
}

/// A dump of the tables shows no ID number or name in clear.
#[tokio::test]
async fn personal_data_is_encrypted_at_rest() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let id = id_number("19720815", 777);
    let minor = id_number("20150101", 778);
    assert_eq!(
        register(
            &app,
            &clerk,
            manual_sale("司马相如", &id, &[(KANGTAIKE, 1)])
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        register(
            &app,
            &clerk,
            manual_sale("司马小童", &minor, &[(KANGTAIKE, 1)])
        )
        .await
        .status(),
        422
    );
    let dump: String = sqlx::query_scalar(
        "SELECT string_agg(t, E'\\n') FROM (
            SELECT r::text AS t FROM registration r UNION ALL SELECT i::text FROM registration_item i
            UNION ALL SELECT a::text FROM refused_attempt a UNION ALL SELECT l::text FROM alert l
            UNION ALL SELECT o::text FROM outbox o UNION ALL SELECT g::text FROM audit_log g
            UNION ALL SELECT k::text FROM idempotency_key k) x",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(dump.contains("registration"), "the dump has rows");
    for secret in [
        id.as_str(),
        &id[..14],
        minor.as_str(),
        "司马相如",
        "相如",
        "司马小童",
    ] {
        assert!(
            !dump.contains(secret),
            "`{secret}` is in clear in the database"
        );
    }
    // And the ciphertext is what the list decrypts.
    let page: Value = app
        .get("/api/v1/registrations", Some(&clerk))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["buyer"]["name_masked"], "司马**");
    assert_eq!(page["items"][0]["needs_review"], true, "typed in by hand");
}

#[tokio::test]
async fn each_rule_refuses_with_its_code_and_records_the_attempt() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let adult = id_number("19800101", 11);
    let minor = id_number(
        &format!(
            "{}0101",
            chrono::Utc::now()
                .format("%Y")
                .to_string()
                .parse::<i32>()
                .unwrap()
                - 17
        ),
        12,
    );
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            manual_sale("王五", &minor, &[(KANGTAIKE, 1)]),
            422,
            "MINOR_NOT_ALLOWED",
        ),
        (
            manual_sale("王五", &adult, &[(KANGTAIKE, 2), (GANCAO, 1)]),
            422,
            "PURCHASE_LIMIT_EXCEEDED",
        ),
        (
            manual_sale("王五", &adult, &[(CHILDREN_CAP1, 2)]),
            422,
            "PURCHASE_LIMIT_EXCEEDED",
        ),
        (
            manual_sale("王五", &adult, &[(KEDAIYIN_RX, 1)]),
            422,
            "PRESCRIPTION_REQUIRED",
        ),
        (
            manual_sale("王五", &adult, &[(DISCONTINUED, 1)]),
            422,
            "DRUG_INACTIVE",
        ),
        (
            manual_sale("王五", &adult, &[("6901234560091", 1)]),
            422,
            "DRUG_NOT_FOUND",
        ),
        (
            manual_sale("王五", &adult, &[("6901234560016", 1)]),
            422,
            "BARCODE_INVALID",
        ),
        (
            manual_sale("王五", &format!("{}0", &adult[..17]), &[(KANGTAIKE, 1)]),
            422,
            "ID_CHECKSUM",
        ),
        (
            manual_sale("", &adult, &[(KANGTAIKE, 1)]),
            422,
            "NAME_INVALID",
        ),
        (manual_sale("王五", &adult, &[]), 400, "VALIDATION_FAILED"),
        (
            manual_sale("王五", &adult, &[(KANGTAIKE, 0)]),
            400,
            "VALIDATION_FAILED",
        ),
        (
            json!({"items": [{"barcode": KANGTAIKE, "quantity": 1}]}),
            400,
            "VALIDATION_FAILED",
        ),
    ];
    for (body, status, code) in cases {
        if code == "ID_CHECKSUM" && body["buyer"]["id_number"] == adult {
            continue;
        }
        let (s, b) = problem(register(&app, &clerk, body.clone()).await).await;
        assert_eq!((s, b["code"].as_str().unwrap()), (status, code), "{body}");
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM registration").await,
        0,
        "nothing was registered"
    );
    let refused: Vec<String> =
        sqlx::query_scalar("SELECT code FROM refused_attempt ORDER BY created_at")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        refused,
        vec![
            "MINOR_NOT_ALLOWED",
            "PURCHASE_LIMIT_EXCEEDED",
            "PURCHASE_LIMIT_EXCEEDED",
            "PRESCRIPTION_REQUIRED",
            "DRUG_INACTIVE",
            "DRUG_NOT_FOUND"
        ]
    );
    let alerts: Vec<(String, String)> = sqlx::query_as("SELECT kind, district_code FROM alert")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        alerts,
        vec![("MINOR_ATTEMPT".to_owned(), "420102".to_owned())]
    );

    // With a prescription: prescription-only drugs and more than two packages.
    let mut body = manual_sale("王五", &adult, &[(KEDAIYIN_RX, 1), (KANGTAIKE, 2)]);
    body["prescription_no"] = json!("RX-2026-0001");
    assert_eq!(register(&app, &clerk, body).await.status(), 201);

    // A clerk moved to another pharmacy mid-session cannot register for the old one.
    let moved = clerk_of(&app, "clerk-moved", PHARMACY_A).await;
    sqlx::query("UPDATE app_user SET pharmacy_id = $1 WHERE username = 'clerk-moved'")
        .bind(PHARMACY_B)
        .execute(&app.db)
        .await
        .unwrap();
    let (s, b) =
        problem(register(&app, &moved, manual_sale("王五", &adult, &[(GANCAO, 1)])).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (403, "NOT_PHARMACY_MEMBER")
    );

    // A suspended pharmacy registers nothing.
    sqlx::query("UPDATE pharmacy SET status = 'suspended' WHERE pharmacy_id = $1")
        .bind(PHARMACY_A)
        .execute(&app.db)
        .await
        .unwrap();
    let (s, b) =
        problem(register(&app, &clerk, manual_sale("王五", &adult, &[(GANCAO, 1)])).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "PHARMACY_SUSPENDED")
    );
}

#[tokio::test]
async fn the_rolling_window_spans_pharmacies_and_alerts() {
    let app = spawn_app().await;
    let a = app.login("clerk").await;
    let c = clerk_of(&app, "clerk-c", PHARMACY_C).await;
    let buyer = id_number("19750505", 55);
    for (token, n) in [(&a, 2), (&c, 2), (&a, 1)] {
        assert_eq!(
            register(&app, token, manual_sale("赵六", &buyer, &[(GANCAO, n)]))
                .await
                .status(),
            201
        );
    }
    let (s, b) =
        problem(register(&app, &c, manual_sale("赵六", &buyer, &[(GANCAO, 1)])).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "WINDOW_LIMIT_EXCEEDED")
    );
    let alert: (String, String) =
        sqlx::query_as("SELECT kind, district_code FROM alert WHERE kind = 'WINDOW_LIMIT'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        alert.1, "420106",
        "raised for the refusing pharmacy's district"
    );

    // A third pharmacy within 24 h: MULTI_PHARMACY, once.
    let app2 = spawn_app_with(|v| {
        v.insert("YAOJIAN_WINDOW_ACTION".into(), "alert".into());
    })
    .await;
    let a = app2.login("clerk").await;
    let b_ = clerk_of(&app2, "clerk-b", PHARMACY_B).await;
    let c = clerk_of(&app2, "clerk-c", PHARMACY_C).await;
    for token in [&a, &b_, &c, &c] {
        let r: Value = register(&app2, token, manual_sale("赵六", &buyer, &[(GANCAO, 2)]))
            .await
            .json()
            .await
            .unwrap();
        assert!(r["id"].is_string(), "{r}");
    }
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM alert ORDER BY kind")
        .fetch_all(&app2.db)
        .await
        .unwrap();
    // 2+2+2 passes 5 at the third pharmacy (and makes it the third within 24 h);
    // the fourth sale passes it again. MULTI_PHARMACY is raised once.
    assert_eq!(
        kinds,
        vec!["MULTI_PHARMACY", "WINDOW_LIMIT", "WINDOW_LIMIT"],
        "alert mode registers over the limit and alerts"
    );
    assert_eq!(count(&app2, "SELECT count(*) FROM registration").await, 4);
    let last: Value = app2
        .get("/api/v1/registrations?page_size=1", Some(&c))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"][0]["alerts"], json!(["WINDOW_LIMIT"]));
}

/// Many simultaneous sales to one buyer, from three pharmacies and two
/// server instances: exactly the window's allowance succeeds.
#[tokio::test]
async fn the_window_holds_under_concurrency() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let tokens = [
        app.login("clerk").await,
        clerk_of(&app, "clerk-b", PHARMACY_B).await,
        clerk_of(&app, "clerk-c", PHARMACY_C).await,
    ];
    let buyer = id_number("19660606", 66);
    let mut tasks = Vec::new();
    for i in 0..15 {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            other.base.clone()
        };
        let token = tokens[i % 3].clone();
        let client = app.client.clone();
        let body = manual_sale("钱七", &buyer, &[(BAIJIAHEI, 1)]);
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{base}/api/v1/registrations"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT coalesce(sum(total_packages), 0)::bigint FROM registration"
        )
        .await,
        5
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM refused_attempt WHERE code = 'WINDOW_LIMIT_EXCEEDED'"
        )
        .await,
        10
    );
}

#[tokio::test]
async fn idempotency_keys_make_retries_safe_across_instances() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let clerk = app.login("clerk").await;
    let body = manual_sale("孙八", &id_number("19900101", 88), &[(KANGTAIKE, 1)]);
    let send = |base: String, body: Value, key: &'static str| {
        let client = app.client.clone();
        let clerk = clerk.clone();
        async move {
            let r = client
                .post(format!("{base}/api/v1/registrations"))
                .bearer_auth(clerk)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let mut tasks = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            other.base.clone()
        };
        tasks.push(tokio::spawn(send(base, body.clone(), "sale-0001")));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (status, b) = t.await.unwrap();
        assert_eq!(status, 201, "{b}");
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every retry answers the first registration");
    assert_eq!(count(&app, "SELECT count(*) FROM registration").await, 1);

    let mut changed = body.clone();
    changed["items"][0]["quantity"] = json!(2);
    let (status, b) = send(app.base.clone(), changed, "sale-0001").await;
    assert_eq!(
        (status, b["code"].as_str().unwrap()),
        (422, "IDEMPOTENCY_KEY_REUSED")
    );

    // A refusal is replayed too, and recorded once.
    let minor = manual_sale("孙小", &id_number("20200101", 89), &[(KANGTAIKE, 1)]);
    for _ in 0..3 {
        let (status, b) = send(other.base.clone(), minor.clone(), "sale-0002").await;
        assert_eq!(
            (status, b["code"].as_str().unwrap()),
            (422, "MINOR_NOT_ALLOWED")
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM refused_attempt").await, 1);
}

#[tokio::test]
async fn queries_follow_the_callers_scope() {
    let app = spawn_app().await;
    let a = app.login("clerk").await;
    let b = clerk_of(&app, "clerk-b", PHARMACY_B).await;
    let c = clerk_of(&app, "clerk-c", PHARMACY_C).await;
    let buyer = id_number("19880808", 8);
    let mut ids = Vec::new();
    for t in [&a, &b, &c] {
        let r: Value = register(&app, t, manual_sale("周九", &buyer, &[(GANCAO, 1)]))
            .await
            .json()
            .await
            .unwrap();
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    register(
        &app,
        &a,
        manual_sale("吴十", &id_number("19700101", 10), &[(KANGTAIKE, 1)]),
    )
    .await;

    let total = |v: Value| v["total"].as_i64().unwrap();
    assert_eq!(
        total(
            app.get("/api/v1/registrations", Some(&a))
                .await
                .json()
                .await
                .unwrap()
        ),
        2
    );
    // A clerk asking for another pharmacy's registration: 404, even with a filter.
    let (s, body) = problem(
        app.get(&format!("/api/v1/registrations/{}", ids[1]), Some(&a))
            .await,
    )
    .await;
    assert_eq!(
        (s, body["code"].as_str().unwrap()),
        (404, "REGISTRATION_NOT_FOUND")
    );
    assert_eq!(
        total(
            app.get(
                &format!("/api/v1/registrations?pharmacy_id={PHARMACY_B}"),
                Some(&a)
            )
            .await
            .json()
            .await
            .unwrap()
        ),
        0
    );
    let (s, body) = problem(
        app.get(
            &format!("/api/v1/registrations?buyer_id_number={buyer}"),
            Some(&a),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, body["code"].as_str().unwrap()),
        (403, "BUYER_LOOKUP_FORBIDDEN")
    );

    let inspector = app.login("inspector").await;
    assert_eq!(
        total(
            app.get("/api/v1/registrations", Some(&inspector))
                .await
                .json()
                .await
                .unwrap()
        ),
        3,
        "江岸: A and B"
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/registrations/{}", ids[2]),
            Some(&inspector)
        )
        .await
        .status(),
        404,
        "武昌 is not theirs"
    );
    let by_buyer: Value = app
        .get(
            &format!(
                "/api/v1/registrations?buyer_id_number={}",
                buyer.to_lowercase()
            ),
            Some(&inspector),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(total(by_buyer), 2, "blind-index lookup within the district");

    let admin = app.login("admin").await;
    let by_buyer: Value = app
        .get(
            &format!("/api/v1/registrations?buyer_id_number={buyer}"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_buyer["total"], 3);
    assert!(!by_buyer.to_string().contains(&buyer));
    let filtered: Value = app
        .get(
            &format!("/api/v1/registrations?barcode={KANGTAIKE}&district=420102"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["total"], 1);
    let today = chrono::Utc::now()
        .with_timezone(&shared::time::china())
        .date_naive();
    let dated: Value = app
        .get(
            &format!("/api/v1/registrations?from={today}&to={today}"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dated["total"], 4);
    let dated: Value = app
        .get(
            &format!("/api/v1/registrations?to={}", today.pred_opt().unwrap()),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dated["total"], 0);
    let (s, _) = problem(
        app.get("/api/v1/registrations/not-a-uuid", Some(&admin))
            .await,
    )
    .await;
    assert_eq!(s, 400);
    let (s, body) = problem(
        app.get("/api/v1/registrations?buyer_id_number=123", Some(&admin))
            .await,
    )
    .await;
    assert_eq!(
        (s, body["errors"][0]["field"].as_str().unwrap()),
        (422, "buyer_id_number")
    );
}

/// The database connection dies mid-request: nothing is half-written.
#[tokio::test]
async fn a_connection_killed_mid_request_leaves_nothing_half_written() {
    let pg = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let app = spawn_app_with(|vars| {
        let mut db = reqwest::Url::parse(&vars["DATABASE_URL"]).unwrap();
        db.set_port(Some(pg.addr.port())).unwrap();
        vars.insert("DATABASE_URL".into(), db.to_string());
    })
    .await;
    let clerk = app.login("clerk").await;
    // Items take a second to insert: time to cut the connection after the
    // registration row and before the commit.
    sqlx::raw_sql(
        "CREATE FUNCTION slow_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$;
         CREATE TRIGGER slow_item BEFORE INSERT ON registration_item FOR EACH ROW EXECUTE FUNCTION slow_item();",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let request = {
        let client = app.client.clone();
        let url = app.url("/api/v1/registrations");
        let body = manual_sale("郑十一", &id_number("19790909", 99), &[(KANGTAIKE, 1)]);
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(clerk)
                .header("Idempotency-Key", "k-cut")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    pg.cut();
    let status = request.await.unwrap();
    assert_eq!(status, 503, "the client is told to retry");
    pg.restore();
    for table in [
        "registration",
        "registration_item",
        "outbox",
        "idempotency_key",
        "alert",
        "refused_attempt",
    ] {
        assert_eq!(
            count(&app, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table} holds a half-written row"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action LIKE 'registration.%'"
        )
        .await,
        0
    );
}

/// A full scan-and-register flow leaves no ID number or name in the logs.
#[tokio::test]
async fn logs_of_a_scan_and_register_flow_hold_no_personal_data() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let id = id_number("19930303", 303);
    app.fake.state.lock().unwrap().identity = Some(("慕容复".into(), id.clone()));
    let scan: Value = upload(&app, "/api/v1/scan/id-card", &clerk, jpeg(1000, 640, None))
        .await
        .json()
        .await
        .unwrap();
    let r = register(
        &app,
        &clerk,
        json!({"scan_token": scan["scan_token"], "items": [{"barcode": KANGTAIKE, "quantity": 1}]}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let card: Value = app
        .post(
            "/api/v1/scan/ss-card",
            json!({"card_reader": {"name": "上官婉儿", "ss_number": id_number("19940404", 404)}}),
            Some(&clerk),
        )
        .await
        .json()
        .await
        .unwrap();
    register(
        &app,
        &clerk,
        json!({"scan_token": card["scan_token"], "items": [{"barcode": GANCAO, "quantity": 3}]}),
    )
    .await;
    let admin = app.login("admin").await;
    app.get(
        &format!("/api/v1/registrations?buyer_id_number={id}"),
        Some(&admin),
    )
    .await;
    let logs = logs();
    assert!(logs.contains("sale registered"));
    for secret in [
        id.as_str(),
        &id_number("19940404", 404),
        "慕容复",
        "上官婉儿",
        scan["scan_token"].as_str().unwrap(),
    ] {
        assert!(!logs.contains(secret), "a log line contains `{secret}`");
    }
}

/// `total` over whole days comes from the per-day counts the triggers keep;
/// it must equal a row-by-row count for every scope and filter, also after
/// registrations move between days or are deleted.
#[tokio::test]
async fn list_totals_equal_an_exact_count() {
    let app = spawn_app().await;
    let a = app.login("clerk").await;
    let b = clerk_of(&app, "clerk-b", PHARMACY_B).await;
    let c = clerk_of(&app, "clerk-c", PHARMACY_C).await;
    let mut n = 0;
    for (token, sales) in [(&a, 3), (&b, 2), (&c, 1)] {
        for _ in 0..sales {
            n += 1;
            let r = register(
                &app,
                token,
                manual_sale("郑一", &id_number("19800101", n), &[(GANCAO, 1)]),
            )
            .await;
            assert_eq!(r.status(), 201);
        }
    }
    // One of A's sales three days back (an UPDATE), one of B's gone (a DELETE).
    sqlx::query(
        "UPDATE registration SET created_at = created_at - interval '3 days' WHERE registration_id =
             (SELECT registration_id FROM registration WHERE pharmacy_id = $1 LIMIT 1)",
    )
    .bind(PHARMACY_A)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "DELETE FROM registration WHERE registration_id =
             (SELECT registration_id FROM registration WHERE pharmacy_id = $1 LIMIT 1)",
    )
    .bind(PHARMACY_B)
    .execute(&app.db)
    .await
    .unwrap();

    let today = shared::time::today_in_china();
    let back = today - chrono::Duration::days(3);
    let inspector = app.login("inspector").await;
    let admin = app.login("admin").await;
    let cases: Vec<(&str, String, String)> = vec![
        (&a, String::new(), format!("pharmacy_id = '{PHARMACY_A}'")),
        (
            &a,
            format!("from={today}"),
            format!(
                "pharmacy_id = '{PHARMACY_A}' AND created_at >= '{today} 00:00+08'::timestamptz"
            ),
        ),
        (
            &a,
            format!("from={back}&to={back}"),
            format!(
                "pharmacy_id = '{PHARMACY_A}' AND created_at >= '{back} 00:00+08'::timestamptz AND created_at < '{today} 00:00+08'::timestamptz - interval '2 days'"
            ),
        ),
        (&inspector, String::new(), "district_code = '420102'".into()),
        (
            &inspector,
            format!("to={today}"),
            format!(
                "district_code = '420102' AND created_at < '{today} 00:00+08'::timestamptz + interval '1 day'"
            ),
        ),
        (
            &inspector,
            format!("pharmacy_id={PHARMACY_B}"),
            format!("pharmacy_id = '{PHARMACY_B}'"),
        ),
        (
            &inspector,
            format!("barcode={GANCAO}&from={back}"),
            format!("district_code = '420102' AND created_at >= '{back} 00:00+08'::timestamptz"),
        ),
        (&admin, String::new(), "true".into()),
        (
            &admin,
            "district=420106".into(),
            "district_code = '420106'".into(),
        ),
        (
            &admin,
            format!("from={back}&to={back}&district=420102"),
            format!(
                "district_code = '420102' AND created_at < '{today} 00:00+08'::timestamptz - interval '2 days'"
            ),
        ),
    ];
    for (token, query, predicate) in cases {
        let exact: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM registration WHERE {predicate}"
        ))
        .fetch_one(&app.db)
        .await
        .unwrap();
        let listed: Value = app
            .get(&format!("/api/v1/registrations?{query}"), Some(token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"].as_i64(), Some(exact), "?{query}: {listed}");
    }
    // The exact counts above are not all alike, or the comparison proves little.
    let distinct: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT (pharmacy_id, day)) FROM registration_count WHERE n > 0",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(distinct, 4, "A today, A three days back, B today, C today");
}

/// A row that no longer decrypts is a server fault (500, problem+json), and its
/// log line names the cause in one line — no backtrace, however the process
/// was started.
#[tokio::test]
async fn an_unreadable_row_is_a_short_logged_server_error() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let r = register(
        &app,
        &clerk,
        manual_sale("王五", &id_number("19800101", 77), &[(GANCAO, 1)]),
    )
    .await;
    assert_eq!(r.status(), 201);
    sqlx::query("UPDATE registration SET buyer_name_enc = '\\x00ff'")
        .execute(&app.db)
        .await
        .unwrap();
    let (status, body) = problem(app.get("/api/v1/registrations", Some(&clerk)).await).await;
    assert_eq!((status, body["code"].as_str()), (500, Some("INTERNAL")));
    let logs = logs();
    let line = logs
        .lines()
        .find(|l| l.contains("request failed") && l.contains("encrypted field is malformed"))
        .expect("the failure is logged with its cause");
    assert!(
        line.len() < 2_000 && !line.contains("backtrace"),
        "one short line: {} bytes",
        line.len()
    );
}

/// The `alert-sweep` job raises MULTI_PHARMACY for a buyer the sales missed
/// (here: the sale's own alert removed), once.
#[tokio::test]
async fn the_alert_sweep_raises_what_the_sales_missed_once() {
    let app = spawn_app().await;
    let id = id_number("19750505", 505);
    for (username, pharmacy) in [
        ("sweep-a", PHARMACY_A),
        ("sweep-b", PHARMACY_B),
        ("sweep-c", PHARMACY_C),
    ] {
        let clerk = clerk_of(&app, username, pharmacy).await;
        let r = register(&app, &clerk, manual_sale("赵六", &id, &[(GANCAO, 1)])).await;
        assert_eq!(r.status(), 201);
    }
    sqlx::query("DELETE FROM alert WHERE kind = 'MULTI_PHARMACY'")
        .execute(&app.db)
        .await
        .unwrap();
    let done = run_job(&app.state, "alert-sweep").await.unwrap();
    assert_eq!(done, shared::jobs::Outcome::Done(json!({ "raised": 1 })));
    let (district, source): (Option<String>, String) = sqlx::query_as(
        "SELECT district_code, detail->>'source' FROM alert WHERE kind = 'MULTI_PHARMACY'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (district.as_deref(), source.as_str()),
        (Some("420106"), "sweep"),
        "raised in the district of the latest sale"
    );
    let again = run_job(&app.state, "alert-sweep").await.unwrap();
    assert_eq!(again, shared::jobs::Outcome::Done(json!({ "raised": 0 })));
}
