//! The hardening of issue "Hardening": secrets at rest, memory bombs,
//! lockout races, formula injection, extreme parameters, role rules at
//! sign-in, audited look-ups, big exports, metrics and the master key —
//! each against the running server.

use std::io::{Cursor, Read, Write};

use serde_json::{Value, json};

use crate::helpers::*;

async fn post_keyed(
    app: &TestApp,
    path: &str,
    key: &str,
    body: &Value,
    token: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

// ---- 1. no secret in the idempotency store ---------------------------------

#[tokio::test]
async fn initial_passwords_and_invite_codes_are_not_kept_in_clear() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let manager = app.login("manager").await;

    let user = json!({"name": "新检查员", "role": "inspector", "district_code": "420102", "username": "new-inspector"});
    let first: Value = post_keyed(&app, "/api/v1/admin/users", "k-user", &user, &admin)
        .await
        .json()
        .await
        .unwrap();
    let password = first["initial_password"].as_str().unwrap().to_owned();
    let user_invite = first["invite_code"].as_str().unwrap().to_owned();
    let clerk = json!({"display_name": "新店员"});
    let r = post_keyed(&app, "/api/v1/pharmacy/staff", "k-staff", &clerk, &manager).await;
    assert_eq!(r.status(), 201);
    let invited: Value = r.json().await.unwrap();
    let clerk_invite = invited["invite_code"].as_str().unwrap().to_owned();

    // A retry on a weak network still gets the secrets, and creates nothing.
    let again: Value = post_keyed(&app, "/api/v1/admin/users", "k-user", &user, &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["id"].clone(), again["initial_password"].as_str()),
        (first["id"].clone(), Some(password.as_str()))
    );
    let again: Value = post_keyed(&app, "/api/v1/pharmacy/staff", "k-staff", &clerk, &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["invite_code"].as_str(), Some(clerk_invite.as_str()));

    // Nowhere in the database in clear.
    let dump = dump_every_table(&app.db).await;
    assert!(dump.contains("idempotency_key"), "the dump has the table");
    for secret in [&password, &user_invite, &clerk_invite] {
        assert!(
            !dump.contains(secret.as_str()),
            "`{secret}` is in clear in the database"
        );
    }

    // After ten minutes a replay answers without them, as documented.
    sqlx::query("UPDATE idempotency_key SET created_at = now() - interval '11 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    let late: Value = post_keyed(&app, "/api/v1/admin/users", "k-user", &user, &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(late["id"], first["id"]);
    assert!(
        late.get("initial_password").is_none_or(Value::is_null),
        "{late}"
    );
    let late: Value = post_keyed(&app, "/api/v1/pharmacy/staff", "k-staff", &clerk, &manager)
        .await
        .json()
        .await
        .unwrap();
    assert!(late.get("invite_code").is_none(), "{late}");

    // The expiry job forgets sealed secrets past their time, and keys after 24 h.
    let out = run_job(&app.state, "idempotency-expiry").await.unwrap();
    assert_eq!(
        out,
        shared::jobs::Outcome::Done(json!({"secrets_cleared": 2, "keys_deleted": 0}))
    );
    sqlx::query("UPDATE idempotency_key SET created_at = now() - interval '25 hours'")
        .execute(&app.db)
        .await
        .unwrap();
    run_job(&app.state, "idempotency-expiry").await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_key")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

// ---- 2. images cannot exhaust memory -----------------------------------------

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small real PNG whose header declares `w`×`h` pixels: what a
/// decompression bomb looks like to a decoder before it allocates.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    use image::{ExtendedColorType, ImageEncoder, codecs::png::PngEncoder};
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(
            &vec![128u8; 300 * 300 * 3],
            300,
            300,
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[tokio::test]
async fn images_past_the_pixel_budget_are_refused_before_decoding() {
    let app = spawn_app().await;
    let inspector = app.login("inspector").await;
    let clerk = app.login("clerk").await;
    let bomb = png_declaring(12_000, 12_000);
    // Three at once, as measured: each refused, none decoded.
    let uploads =
        (0..3).map(|_| upload(&app, "/api/v1/inspection/photos", &inspector, bomb.clone()));
    for r in futures_util::future::join_all(uploads).await {
        let (s, b) = problem(r).await;
        assert_eq!(
            (s, b["code"].as_str().unwrap()),
            (422, "IMAGE_TOO_LARGE"),
            "{b}"
        );
        assert_eq!(b["errors"][0]["field"], "image");
    }
    // Just over 40 megapixels, each side allowed.
    let (s, b) = problem(
        upload(
            &app,
            "/api/v1/inspection/photos",
            &inspector,
            png_declaring(8000, 5001),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "IMAGE_TOO_LARGE"));
    let (s, b) = problem(upload(&app, "/api/v1/scan/id-card", &clerk, bomb).await).await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "IMAGE_TOO_LARGE"));
    // An ordinary photo still goes through.
    assert_eq!(
        upload(
            &app,
            "/api/v1/inspection/photos",
            &inspector,
            jpeg(1600, 1200, None)
        )
        .await
        .status(),
        201
    );
}

// ---- 3. spreadsheets cannot break a request or the process -------------------

/// A real workbook, with its parts rewritten by `edit` (name, bytes) and
/// `extra` entries added.
fn workbook_with(edit: impl Fn(&str, Vec<u8>) -> Vec<u8>, extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["药店名称", "许可证编号", "所属区"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["汉口大药房", "鄂CB0001", "江岸区"].iter().enumerate() {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    let plain = book.save_to_buffer().unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(plain)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = String::from_utf8_lossy(part.name_raw()).into_owned();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        out.start_file(name.as_str(), deflated).unwrap();
        out.write_all(&edit(&name, bytes)).unwrap();
    }
    for (name, bytes) in extra {
        out.start_file(*name, deflated).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

async fn import_pharmacies(app: &TestApp, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    import(app, token, "pharmacies", "药店.xlsx", bytes, true).await
}

#[tokio::test]
async fn forged_and_bombed_workbooks_are_refused_and_the_process_lives() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let honest = workbook_with(|_, b| b, &[]);
    assert_eq!(import_pharmacies(&app, &admin, honest).await.status(), 200);

    // sharedStrings declares ten trillion strings: calamine would reserve 240 TB.
    let forged = workbook_with(
        |name, bytes| {
            if name != "xl/sharedStrings.xml" {
                return bytes;
            }
            let text = String::from_utf8(bytes).unwrap();
            let at = text.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
            let end = at + text[at..].find('"').unwrap();
            format!("{}10000000000000{}", &text[..at], &text[end..]).into_bytes()
        },
        &[],
    );
    assert!(forged.len() < 20_000);
    let (s, b) = problem(import_pharmacies(&app, &admin, forged).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "IMPORT_FILE_INVALID"),
        "{b}"
    );
    assert!(b["title"].as_str().unwrap().contains("uniqueCount"), "{b}");

    // A zip bomb: 60 MB of zeros in a few kilobytes.
    let bomb = workbook_with(
        |_, b| b,
        &[("xl/media/image1.bin", vec![0u8; 60 * 1024 * 1024])],
    );
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let (s, b) = problem(import_pharmacies(&app, &admin, bomb).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "IMPORT_FILE_INVALID"),
        "{b}"
    );
    assert!(b["title"].as_str().unwrap().contains("压缩"), "{b}");

    // The server is still there.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}

// ---- 4, 5. lockout cannot be raced; password changes are bounded -----------

#[tokio::test]
async fn thirty_parallel_guesses_on_two_instances_get_at_most_the_threshold_verified() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let bases = [app.base.clone(), other.base.clone()];
    let attempts = (0..30).map(|i| {
        let base = bases[i % 2].clone();
        let client = app.client.clone();
        let password = if i == 15 {
            PASSWORD.to_owned()
        } else {
            format!("Wrong-{i}-Passw0rd")
        };
        async move {
            let r = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": "inspector", "password": password}))
                .send()
                .await
                .unwrap();
            (i, r.status().as_u16())
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let verified = results.iter().filter(|(_, s)| *s != 429).count();
    assert!(verified <= 5, "{verified} verifications: {results:?}");
    assert!(
        results.iter().filter(|(_, s)| *s == 429).count() >= 25,
        "{results:?}"
    );
    let right = results.iter().find(|(i, _)| *i == 15).unwrap().1;
    assert_ne!(
        right, 200,
        "the right password got in during the burst: {results:?}"
    );
    // Locked now, right password or not (asked of the lockout itself: the
    // burst used up this address's sign-in rate limit too).
    let e = app.state.lockout.attempt("inspector").await.unwrap_err();
    assert_eq!(e.code, "LOGIN_LOCKED");
}

#[tokio::test]
async fn wrong_old_passwords_count_toward_the_lockout_and_changes_are_rate_limited() {
    let app = spawn_app().await;
    let token = app.login("inspector").await;
    let change = |old: &str| json!({"old_password": old, "new_password": "Brand-New-Passw0rd"});
    for i in 1..=4 {
        let (s, b) = problem(
            app.post(
                "/api/v1/auth/password",
                change(&format!("guess-{i}")),
                Some(&token),
            )
            .await,
        )
        .await;
        assert_eq!((s, b["code"].as_str().unwrap()), (422, "PASSWORD_MISMATCH"));
    }
    let (s, b) = problem(
        app.post("/api/v1/auth/password", change("guess-5"), Some(&token))
            .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (429, "LOGIN_LOCKED"));
    // The account is locked for sign-in too, and the right old password no longer helps.
    let (s, _) = problem(
        app.post("/api/v1/auth/password", change(PASSWORD), Some(&token))
            .await,
    )
    .await;
    assert_eq!(s, 429);
    let (s, b) = problem(
        app.post(
            "/api/v1/auth/login",
            json!({"username": "inspector", "password": PASSWORD}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (429, "LOGIN_LOCKED"));

    // Per user, at most 10 changes in 15 minutes (the 11th is refused before any work).
    let clerk = app.login("clerk").await;
    let mut statuses = Vec::new();
    for i in 0..11 {
        app.state.lockout.clear("clerk").await.unwrap();
        let r = app
            .post(
                "/api/v1/auth/password",
                change(&format!("g{i}")),
                Some(&clerk),
            )
            .await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            let (_, b) = problem(r).await;
            assert_eq!(b["code"], "RATE_LIMITED", "{statuses:?}");
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

// ---- 6. no formula injection in exports ------------------------------------

#[tokio::test]
async fn a_formula_typed_as_a_prescription_number_is_exported_as_text() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let admin = app.login("admin").await;
    let formula = "=HYPERLINK(\"http://evil.example/x\",\"点此\")";
    let mut sale = manual_sale("张三", &id_number("19800101", 11), &[(KEDAIYIN_RX, 1)]);
    sale["prescription_no"] = json!(formula);
    let r = register(&app, &clerk, sale).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let csv = app
        .get(
            "/api/v1/admin/registrations/export?format=csv",
            Some(&admin),
        )
        .await
        .text()
        .await
        .unwrap();
    let mut reader =
        csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[13], format!("'{formula}"), "{csv}");
    assert!(row.iter().all(|cell| !cell.starts_with('=')));
}

// ---- 10. no panic on input -------------------------------------------------

#[tokio::test]
async fn extreme_dates_and_pages_answer_400_on_every_list() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let inspector = app.login("inspector").await;
    let lists = [
        ("/api/v1/registrations", &admin),
        ("/api/v1/admin/audit", &admin),
        ("/api/v1/admin/registrations/export", &admin),
        (
            &*format!("/api/v1/inspection/pharmacies/{PHARMACY_A}/registrations"),
            &inspector,
        ),
    ];
    for (path, token) in lists {
        for (query, field) in [
            ("from=-262143-01-01", "from"),
            ("to=%2B262142-12-31", "to"),
            ("from=0001-01-01&to=9999-12-31", "from"),
        ] {
            let (s, b) = problem(app.get(&format!("{path}?{query}"), Some(token)).await).await;
            assert_eq!(s, 400, "{path}?{query}: {b}");
            assert_eq!(b["errors"][0]["field"], field, "{path}?{query}: {b}");
        }
        let r = app
            .get(
                &format!("{path}?page=4294967295&page_size=100"),
                Some(token),
            )
            .await;
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
    }
}

#[tokio::test]
async fn a_panic_answers_500_problem_json_not_a_dropped_connection() {
    use poem::{EndpointExt, Route, handler, middleware::CatchPanic};

    #[handler]
    fn boom() -> &'static str {
        panic!("a bug")
    }
    let _logs = spawn_app().await; // installs the log capture
    let app = Route::new()
        .at("/boom", boom)
        .with(CatchPanic::new().with_handler(shared::error::problem_from_panic));
    let resp =
        poem::Endpoint::get_response(&app, poem::Request::builder().uri_str("/boom").finish())
            .await;
    assert_eq!(resp.status(), poem::http::StatusCode::INTERNAL_SERVER_ERROR);
    let ct = resp
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ct.starts_with("application/problem+json"), "{ct}");
    let body: Value = serde_json::from_str(&resp.into_body().into_string().await.unwrap()).unwrap();
    assert_eq!(body["code"], "INTERNAL");
    assert!(logs().contains("request handler panicked"));
}

// ---- 11. role rules at sign-in ---------------------------------------------

#[tokio::test]
async fn city_admins_get_no_invite_code_and_cannot_sign_in_through_wechat() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let other: Value = app
        .post(
            "/api/v1/admin/users",
            json!({"name": "另一位管理员", "role": "city_admin", "username": "admin2"}),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(other.get("invite_code").is_none_or(Value::is_null));
    let id = other["id"].as_str().unwrap();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"reissue_invite": true}))
        .send()
        .await
        .unwrap();
    let (s, b) = problem(r).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (422, "INVITE_NOT_ALLOWED")
    );

    // An admin account that somehow carries a WeChat binding still cannot use it.
    sqlx::query("UPDATE app_user SET wechat_openid = 'ADMIN-PHONE' WHERE username = 'admin'")
        .execute(&app.db)
        .await
        .unwrap();
    let (s, b) = problem(
        app.post(
            "/api/v1/auth/wechat/login",
            json!({"code": "openid:ADMIN-PHONE"}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (403, "WECHAT_LOGIN_NOT_ALLOWED")
    );
}

// ---- 12. looking up a person is audited -------------------------------------

#[tokio::test]
async fn scans_and_buyer_look_ups_leave_an_audit_entry_without_the_number() {
    let app = spawn_app().await;
    let clerk = app.login("clerk").await;
    let inspector = app.login("inspector").await;
    let admin = app.login("admin").await;
    let id = id_number("19851212", 31);
    let r = app
        .post(
            "/api/v1/scan/id-card",
            json!({"card_reader": {"name": "李四", "id_number": id}}),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .get(
            &format!("/api/v1/registrations?buyer_id_number={id}"),
            Some(&inspector),
        )
        .await;
    assert_eq!(r.status(), 200);

    let page: Value = app
        .get("/api/v1/admin/audit?page_size=100", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let entries = page["items"].as_array().unwrap();
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .cloned()
            .unwrap_or_else(|| panic!("no {action} in {page}"))
    };
    let scan = find("buyer.scan");
    let lookup = find("buyer.lookup");
    assert_eq!(scan["detail"]["method"], "card_reader");
    assert_eq!(scan["object_type"], "buyer");
    // The same person, by blind index, in both entries.
    assert_eq!(scan["object_id"], lookup["object_id"]);
    assert_eq!(scan["object_id"].as_str().unwrap().len(), 64);
    let text = page.to_string();
    assert!(
        !text.contains(&id) && !text.contains(&id[6..14]),
        "the number is in the audit log"
    );
}

// ---- 13. big exports ---------------------------------------------------------

#[tokio::test]
async fn an_xlsx_export_past_its_limit_is_refused_up_front_and_csv_still_works() {
    let app = spawn_app_with(|v| {
        v.insert("YAOJIAN_EXPORT_XLSX_MAX_ROWS".into(), "1".into());
    })
    .await;
    let clerk = app.login("clerk").await;
    let admin = app.login("admin").await;
    for seq in [41, 42] {
        let sale = manual_sale("王五", &id_number("19700101", seq), &[(KANGTAIKE, 1)]);
        assert_eq!(register(&app, &clerk, sale).await.status(), 201);
    }
    let (s, b) = problem(
        app.get(
            "/api/v1/admin/registrations/export?format=xlsx",
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "EXPORT_TOO_LARGE"));
    let r = app
        .get(
            "/api/v1/admin/registrations/export?format=csv",
            Some(&admin),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap().lines().count(), 3);
}

// ---- 8. client address behind gateways --------------------------------------

async fn burst_from(app: &TestApp, forwarded: impl Fn(usize) -> String) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..31 {
        let r = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded(i))
            .json(&json!({"username": "", "password": ""}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn rate_limits_believe_the_forwarded_address_only_from_trusted_proxies() {
    // Not trusted: a client cannot pick a fresh bucket per request.
    let app = spawn_app().await;
    let statuses = burst_from(&app, |i| format!("198.51.100.{i}")).await;
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");

    // Behind a trusted proxy: each client has its own bucket…
    let app = spawn_app_with(|v| {
        v.insert("YAOJIAN_TRUSTED_PROXIES".into(), "127.0.0.1/32, ::1".into());
    })
    .await;
    let statuses = burst_from(&app, |i| format!("6.6.6.6, 198.51.100.{i}")).await;
    assert!(statuses.iter().all(|s| *s == 400), "{statuses:?}");
    // …and one client is still limited, whatever it writes in front.
    let statuses = burst_from(&app, |i| format!("10.9.9.{i}, 203.0.113.7")).await;
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

// ---- 9. /metrics is cheap and not public -------------------------------------

#[tokio::test]
async fn metrics_need_the_token_and_label_unknown_methods_other() {
    let app = spawn_app().await;
    let (s, b) = problem(app.get("/metrics", None).await).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (401, "METRICS_TOKEN_REQUIRED")
    );
    let (s, _) = problem(app.get("/metrics", Some("wrong")).await).await;
    assert_eq!(s, 401);
    let odd = reqwest::Method::from_bytes(b"PROBE123").unwrap();
    let r = app
        .client
        .request(odd, app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert!(r.status().as_u16() < 500);
    let text = app.metrics().await;
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("PROBE123"), "{text}");
}

// ---- 7. the master key cannot be forgotten ------------------------------------

#[tokio::test]
async fn long_running_commands_refuse_a_missing_or_development_master_key() {
    let app = spawn_app().await;
    for args in [
        vec!["serve", "--bind", "127.0.0.1:0"],
        vec!["jobs", "run", "alert-sweep", "--once"],
        vec!["sync", "run", "--target", "none", "--once"],
        vec!["serve-job", "jobs:alert-sweep", "--bind", "127.0.0.1:0"],
    ] {
        for key in [None, Some(""), Some("   ")] {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"));
            cmd.args(&args)
                .envs(app.env())
                .env_remove("YAOJIAN_ENV")
                .env_remove("YAOJIAN_MASTER_KEY");
            if let Some(k) = key {
                cmd.env("YAOJIAN_MASTER_KEY", k);
            }
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} started with key {key:?}");
            assert!(
                err.contains("YAOJIAN_MASTER_KEY is missing"),
                "{args:?}: {err}"
            );
        }
    }
    // In development the demo key is allowed (and warned about).
    let port = free_port();
    let _server = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .envs(app.env())
            .env_remove("YAOJIAN_MASTER_KEY")
            .env("YAOJIAN_ENV", "development")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(&app.client, &format!("http://127.0.0.1:{port}/healthz")).await;
}

#[tokio::test]
async fn metrics_bind_serves_metrics_without_a_token_on_its_own_address() {
    let app = spawn_app().await;
    let (port, metrics_port) = (free_port(), free_port());
    let _server = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"))
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--metrics-bind",
                &format!("127.0.0.1:{metrics_port}"),
            ])
            .envs(app.env())
            .env_remove("YAOJIAN_METRICS_TOKEN")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(&app.client, &format!("http://127.0.0.1:{port}/healthz")).await;
    let public = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 401);
    wait_ready(
        &app.client,
        &format!("http://127.0.0.1:{metrics_port}/metrics"),
    )
    .await;
    let internal = app
        .client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        internal
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );
    // Only /metrics is there.
    let other = app
        .client
        .get(format!("http://127.0.0.1:{metrics_port}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}
