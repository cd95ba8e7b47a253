//! Approval cases end to end (SPEC §8.3–§8.4): a signed intake from a
//! platform, pre-review, acceptance, countersign and 或签 steps, return and
//! supplement, one-time codes from the fake SMS gateway, and a trail whose
//! every entry verifies with SM2 — and stops verifying when a row is edited.

use std::collections::HashMap;

use serde_json::{Value, json};
use shared::inbound::{NONCE, SIGNATURE, TIMESTAMP};
use uuid::Uuid;
use yaojian::fake_sms::FakeSms;

use crate::helpers::*;

pub const PLATFORM: &str = "ywtb";
pub const PLATFORM_KEY: &str = "platform-key-for-tests-0001";
/// Wuhan's 江岸区 and 武昌区 (their bureaus come with the districts).
pub const DISTRICT: &str = "420102";
pub const OTHER_DISTRICT: &str = "420106";

pub struct Approvals {
    pub app: TestApp,
    pub sms: FakeSms,
    /// Username → (user id, phone).
    pub users: HashMap<&'static str, (Uuid, String)>,
}

fn organisation_of(district: &str) -> String {
    format!("(SELECT organisation_id FROM organisation WHERE district_code = '{district}')")
}

/// An app with a platform and the fake SMS configured, and approvers of
/// 江岸区 granted the steps of the 公共场所卫生 line: an acceptor, two
/// reviewers (countersign), two deciders (或签) — and one of 武昌区.
pub async fn setup() -> Approvals {
    let sms = FakeSms::start().await;
    let dir = std::env::temp_dir().join(format!("yj-approvals-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("yaojian.toml");
    std::fs::write(
        &path,
        format!("[[approvals.platforms]]\nname = \"{PLATFORM}\"\nkey = \"{PLATFORM_KEY}\"\n"),
    )
    .unwrap();
    let url = sms.url();
    let app = spawn_app_with(|v| {
        v.insert("YAOJIAN_CONFIG".into(), path.display().to_string());
        v.insert("YAOJIAN_SMS_URL".into(), url);
        v.insert("YAOJIAN_SMS_KEY".into(), yaojian::fake_sms::KEY.into());
    })
    .await;
    let hash = shared::auth::password::hash(PASSWORD).await.unwrap();
    let mut users = HashMap::new();
    let mut n = 0;
    for district in [DISTRICT, OTHER_DISTRICT] {
        let dept = Uuid::new_v4();
        sqlx::query(&format!(
            "INSERT INTO department (department_id, organisation_id, name) VALUES ($1, {}, '行政审批科')",
            organisation_of(district)
        ))
        .bind(dept)
        .execute(&app.db)
        .await
        .unwrap();
        let people: &[(&'static str, &str)] = if district == DISTRICT {
            &[
                ("acceptor", "accept"),
                ("reviewer1", "review"),
                ("reviewer2", "review"),
                ("decider1", "decide"),
                ("decider2", "decide"),
            ]
        } else {
            &[("other_acceptor", "accept"), ("other_reviewer", "review")]
        };
        for (username, step) in people {
            n += 1;
            let phone = format!("1380000{n:04}");
            let id: Uuid = sqlx::query_scalar(
                "INSERT INTO app_user (user_id, role, display_name, username, password_hash, department_id, phone)
                 VALUES ($1, 'approver', $2, $3, $4, $5, $6) RETURNING user_id",
            )
            .bind(Uuid::new_v4())
            .bind(format!("审批{username}"))
            .bind(*username)
            .bind(&hash)
            .bind(dept)
            .bind(&phone)
            .fetch_one(&app.db)
            .await
            .unwrap();
            sqlx::query("INSERT INTO approval_grant (grant_id, user_id, business_line, step) VALUES ($1, $2, '公共场所卫生', $3)")
                .bind(Uuid::new_v4())
                .bind(id)
                .bind(*step)
                .execute(&app.db)
                .await
                .unwrap();
            users.insert(*username, (id, phone));
        }
    }
    let admin = app.login("admin").await;
    for (code, def) in [
        ("GGCS-001", item("公共场所卫生许可", false, false)),
        ("GGCS-SENS", item("重特公共场所卫生许可", true, false)),
        ("GGCS-BA", item("公共场所卫生备案", false, true)),
    ] {
        let r = app
            .post(
                "/api/v1/admin/approval-items",
                json!({ "code": code, "definition": def }),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status(), 201, "{code}");
    }
    Approvals { app, sms, users }
}

pub fn item(name: &str, sensitive: bool, automatic: bool) -> Value {
    json!({
        "name": name,
        "business_line": "公共场所卫生",
        "kind": if automatic { "filing" } else { "licence" },
        "level": "district",
        "legal_days": 20,
        "steps": [
            { "code": "accept", "name": "受理", "mode": "single", "days": 1 },
            { "code": "review", "name": "审查", "mode": "all", "days": 10 },
            { "code": "decide", "name": "决定", "mode": "any" }
        ],
        "materials": [
            { "code": "application", "name": "申请书", "required": true, "types": ["pdf"], "max_bytes": 1048576 },
            { "code": "floor_plan", "name": "平面图", "required": false, "types": ["pdf", "png"], "max_bytes": 1048576 }
        ],
        "fields": [
            { "code": "uscc", "label": "统一社会信用代码", "type": "identifier", "required": true, "identifier": "uscc" },
            { "code": "category", "label": "场所类别", "type": "choice", "required": true, "options": ["住宿", "沐浴", "美容美发"] },
            { "code": "area", "label": "营业面积", "type": "number", "required": false }
        ],
        "sensitive": sensitive,
        "automatic": automatic
    })
}

pub const USCC: &str = "91420100MA4K0XXX8X";

pub fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {marker}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n").into_bytes()
}

/// A case part and its files as the platform sends them.
pub fn case_part(platform_id: Option<&str>, item: &str, files: &[(&str, &[u8])]) -> Value {
    let materials: Vec<Value> = files
        .iter()
        .map(|(code, bytes)| json!({ "code": code, "file_name": format!("{code}.pdf"), "sm3": shared::crypto::sm3_hex(bytes) }))
        .collect();
    let mut case = json!({
        "item_code": item,
        "division_code": DISTRICT,
        "applicant": { "kind": "organisation", "name": "武汉江岸某某酒店有限公司", "uscc": valid_uscc(), "contact": "027-88886666" },
        "form": { "uscc": valid_uscc(), "category": "住宿", "area": 320 },
        "materials": materials,
    });
    if let Some(id) = platform_id {
        case["platform_case_id"] = json!(id);
    }
    case
}

/// A USCC whose check character is right (GB 32100).
pub fn valid_uscc() -> String {
    let body = &USCC[..17];
    let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let weights = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = body
        .chars()
        .zip(weights)
        .map(|(c, w)| alphabet.find(c).unwrap() * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    format!("{body}{}", alphabet.chars().nth(check).unwrap())
}

/// A multipart body: (content type, bytes).
pub fn multipart(case: &Value, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("yj{}", Uuid::new_v4().simple());
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\nContent-Type: application/json\r\n\r\n{case}\r\n")
            .as_bytes(),
    );
    for (code, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"material.{code}\"; filename=\"{code}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Approvals {
    /// Sends a signed request from the platform; `key` and `nonce` may be wrong on purpose.
    pub async fn signed(
        &self,
        path: &str,
        body: (String, Vec<u8>),
        key: &str,
        nonce: &str,
    ) -> reqwest::Response {
        let ts = chrono::Utc::now().timestamp().to_string();
        let sig = shared::inbound::sign(key.as_bytes(), &ts, nonce, &body.1);
        self.app
            .client
            .post(self.app.url(path))
            .header("content-type", body.0)
            .header("X-Yaojian-Platform", PLATFORM)
            .header(TIMESTAMP, ts)
            .header(NONCE, nonce)
            .header(SIGNATURE, sig)
            .body(body.1)
            .send()
            .await
            .unwrap()
    }

    pub async fn intake(&self, case: &Value, files: &[(&str, &[u8])]) -> reqwest::Response {
        self.signed(
            "/api/v1/approvals/intake",
            multipart(case, files),
            PLATFORM_KEY,
            &nonce(),
        )
        .await
    }

    /// A case from the platform of item `item`, pre-reviewed: its id.
    pub async fn submit(&self, item: &str) -> Uuid {
        let app_pdf = pdf("application");
        let files: &[(&str, &[u8])] = &[("application", &app_pdf)];
        let r = self
            .intake(
                &case_part(
                    Some(&format!("YWTB-{}", Uuid::new_v4().simple())),
                    item,
                    files,
                ),
                files,
            )
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        v["case_id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn token(&self, user: &str) -> String {
        self.app.login(user).await
    }

    /// The caller's open task on `case`, from their to-do list.
    pub async fn task_of(&self, token: &str, case: Uuid) -> Option<String> {
        let r = self
            .app
            .get("/api/v1/approvals/tasks?page_size=100", Some(token))
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["case_id"] == case.to_string())
            .map(|t| t["task_id"].as_str().unwrap().to_owned())
    }

    /// A fresh one-time code for `user`, read from the fake SMS gateway.
    pub async fn otp(&self, user: &str, token: &str) -> String {
        let r = self
            .app
            .post("/api/v1/approvals/otp", json!({}), Some(token))
            .await;
        assert_eq!(r.status(), 200, "otp for {user}");
        self.sms
            .last_code(&self.users[user].1)
            .expect("a code arrived")
    }

    pub async fn decide(&self, user: &str, case: Uuid, body: Value) -> reqwest::Response {
        let token = self.token(user).await;
        let task = self
            .task_of(&token, case)
            .await
            .unwrap_or_else(|| panic!("{user} has no task on the case"));
        let mut body = body;
        body["otp"] = json!(self.otp(user, &token).await);
        self.app
            .post(
                &format!("/api/v1/approvals/tasks/{task}/decision"),
                body,
                Some(&token),
            )
            .await
    }

    pub async fn case(&self, token: &str, case: Uuid) -> Value {
        let r = self
            .app
            .get(&format!("/api/v1/approvals/cases/{case}"), Some(token))
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

pub fn nonce() -> String {
    format!("n-{}", Uuid::new_v4().simple())
}

async fn state_of(app: &TestApp, case: Uuid) -> String {
    sqlx::query_scalar("SELECT state FROM approval_case WHERE case_id = $1")
        .bind(case)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn open_tasks(app: &TestApp, case: Uuid) -> Vec<(String, Uuid, i32)> {
    sqlx::query_as(
        "SELECT step_code, assignee_id, round FROM approval_task WHERE case_id = $1 AND state IN ('open', 'claimed') ORDER BY step_code, assignee_id",
    )
    .bind(case)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_case_runs_from_intake_to_approval_and_every_entry_is_signed() {
    let a = setup().await;
    let case = a.submit("GGCS-001").await;
    assert_eq!(state_of(&a.app, case).await, "pre_reviewed");
    // Acceptance is a task of the acceptor.
    let r = a
        .decide(
            "acceptor",
            case,
            json!({ "decision": "approve", "opinion": "材料齐全，予以受理" }),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let acceptor = a.token("acceptor").await;
    let detail = a.case(&acceptor, case).await;
    let number = detail["acceptance_number"].as_str().unwrap().to_owned();
    let parsed = shared::domain::AcceptanceNumber::parse(&number).unwrap();
    assert_eq!(parsed.division(), DISTRICT);
    assert_eq!(detail["state"], "in_review");
    assert!(detail["deadline"].is_string());
    assert_eq!(detail["steps"][0]["progress"], "done");
    assert_eq!(detail["steps"][1]["progress"], "current");
    assert_eq!(
        detail["tasks"].as_array().unwrap().len(),
        2,
        "both reviewers countersign"
    );

    // 会签: the first approval leaves the step open for the second.
    let r = a
        .decide(
            "reviewer1",
            case,
            json!({ "decision": "approve", "opinion": "同意" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(state_of(&a.app, case).await, "in_review");
    assert!(
        open_tasks(&a.app, case)
            .await
            .iter()
            .all(|t| t.0 == "review")
    );
    let r = a
        .decide("reviewer2", case, json!({ "decision": "approve" }))
        .await;
    assert_eq!(r.status(), 200);
    // 或签: both deciders have the task; the first decision decides.
    let deciding = open_tasks(&a.app, case).await;
    assert_eq!(deciding.len(), 2);
    assert!(deciding.iter().all(|t| t.0 == "decide"));
    let r = a
        .decide(
            "decider1",
            case,
            json!({ "decision": "approve", "opinion": "准予许可" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let made: Value = r.json().await.unwrap();
    assert_eq!(made["state"], "approved");
    assert!(open_tasks(&a.app, case).await.is_empty());

    // The trail: every entry verifies with SM2 over its signed text, links
    // to the one before, and the decisions are the approvers' own keys.
    let r = a
        .app
        .get(
            &format!("/api/v1/approvals/cases/{case}/trail"),
            Some(&acceptor),
        )
        .await;
    let trail: Vec<Value> = r.json().await.unwrap();
    let actions: Vec<&str> = trail
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "submitted",
            "pre_reviewed",
            "approve",
            "accepted",
            "approve",
            "approve",
            "approve",
            "approved"
        ]
    );
    let mut prev = "0".repeat(64);
    for e in &trail {
        let signed: Value = serde_json::from_str(e["signed"].as_str().unwrap()).unwrap();
        assert_eq!(signed["prev_hash"], prev);
        assert!(shared::crypto::sm2_verify(
            e["public_key"].as_str().unwrap(),
            e["signed"].as_str().unwrap().as_bytes(),
            e["signature"].as_str().unwrap()
        ));
        prev = e["hash"].as_str().unwrap().to_owned();
    }
    assert_eq!(trail[2]["actor_id"], a.users["acceptor"].0.to_string());
    // Decisions are signed with the approver's own key; what the system
    // recorded (submission, pre-review, acceptance, the end) with its key.
    let signer = |e: &Value| -> String {
        serde_json::from_str::<Value>(e["signed"].as_str().unwrap()).unwrap()["signer"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(signer(&trail[2]), format!("user:{}", a.users["acceptor"].0));
    for i in [0, 1, 3, 7] {
        assert_eq!(signer(&trail[i]), "system", "entry {i}");
        assert_eq!(trail[i]["public_key"], trail[0]["public_key"]);
    }
    assert_ne!(
        trail[2]["public_key"], trail[4]["public_key"],
        "each approver signs with their own key"
    );
    let opinion_sm3: Value = serde_json::from_str::<Value>(trail[2]["signed"].as_str().unwrap())
        .unwrap()["opinion_sm3"]
        .clone();
    assert_eq!(
        opinion_sm3,
        shared::crypto::sm3_hex("材料齐全，予以受理".as_bytes())
    );

    // `yaojian approvals verify` accepts it; an edited opinion is named.
    let ok = mobile_api::approvals::trail::verify_cases(&a.app.state, None)
        .await
        .unwrap();
    assert_eq!(ok, Ok((1, 8)));
    sqlx::query("ALTER TABLE approval_trail DISABLE TRIGGER approval_trail_frozen")
        .execute(&a.app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE approval_trail SET opinion = '不同意' WHERE case_id = $1 AND seq = 5")
        .bind(case)
        .execute(&a.app.db)
        .await
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yaojian"))
        .args(["approvals", "verify"])
        .envs(a.app.env())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("case {case} entry 5")), "{text}");
}

#[tokio::test]
async fn a_bad_signature_a_replay_and_a_changed_file_are_refused_and_leave_nothing() {
    let a = setup().await;
    let file = pdf("application");
    let files: &[(&str, &[u8])] = &[("application", &file)];
    let case = case_part(Some("YWTB-SIG-1"), "GGCS-001", files);
    let body = multipart(&case, files);

    let r = a
        .signed(
            "/api/v1/approvals/intake",
            body.clone(),
            "not-the-platform-key",
            &nonce(),
        )
        .await;
    let (s, p) = problem(r).await;
    assert_eq!((s, p["code"].as_str()), (401, Some("SIGNATURE_INVALID")));

    let n = nonce();
    let r = a
        .signed("/api/v1/approvals/intake", body.clone(), PLATFORM_KEY, &n)
        .await;
    assert_eq!(r.status(), 201);
    let r = a
        .signed("/api/v1/approvals/intake", body, PLATFORM_KEY, &n)
        .await;
    let (s, p) = problem(r).await;
    assert_eq!((s, p["code"].as_str()), (401, Some("REQUEST_REPLAYED")));

    // A file that is not the one its digest names.
    let mut case = case_part(Some("YWTB-SIG-2"), "GGCS-001", files);
    let other = pdf("changed on the way");
    let r = a.intake(&case, &[("application", &other)]).await;
    let (s, p) = problem(r).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (422, Some("MATERIAL_DIGEST_MISMATCH"))
    );
    assert_eq!(p["errors"][0]["field"], "case.materials[0].sm3");
    // A platform must send digests.
    case["materials"][0]["sm3"] = Value::Null;
    let (s, p) = problem(a.intake(&case, files).await).await;
    assert_eq!(
        (s, p["errors"][0]["code"].as_str()),
        (422, Some("REQUIRED"))
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM approval_case")
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    assert_eq!(n, 1, "only the one good submission");
}

#[tokio::test]
async fn pre_review_lists_every_reason_at_once_and_a_platform_case_id_is_one_case() {
    let a = setup().await;
    let png_as_application = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];
    let big = {
        let mut b = pdf("big");
        b.resize(1024 * 1024 + 1, b' ');
        b
    };
    let files: &[(&str, &[u8])] = &[("application", &png_as_application), ("floor_plan", &big)];
    let mut case = case_part(Some("YWTB-PRE-1"), "GGCS-001", files);
    let mut wrong_check = valid_uscc();
    let last = wrong_check.pop().unwrap();
    wrong_check.push(if last == '0' { '1' } else { '0' });
    case["form"] =
        json!({ "uscc": wrong_check, "category": "网吧", "area": "三百", "colour": "red" });
    case["applicant"]["uscc"] = json!("not a uscc");
    let r = a.intake(&case, files).await;
    let (s, p) = problem(r).await;
    assert_eq!((s, p["code"].as_str()), (422, Some("PRE_REVIEW_FAILED")));
    let mut got: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> = [
        ("case.applicant.uscc", "USCC_FORMAT"),
        ("case.form.area", "INVALID_TYPE"),
        ("case.form.category", "NOT_ALLOWED"),
        ("case.form.colour", "UNKNOWN_FIELD"),
        ("case.form.uscc", "USCC_CHECKSUM"),
        ("case.materials[0]", "MATERIAL_TYPE_NOT_ALLOWED"),
        ("case.materials[1]", "MATERIAL_TOO_LARGE"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
    // Recorded as failed, with no files; sent again, the same answer.
    let (state, problems): (String, Value) = sqlx::query_as(
        "SELECT state, problems FROM approval_case WHERE external_id = 'YWTB-PRE-1'",
    )
    .fetch_one(&a.app.db)
    .await
    .unwrap();
    assert_eq!(state, "pre_review_failed");
    assert_eq!(problems.as_array().unwrap().len(), 7);
    let (s, again) = problem(a.intake(&case, files).await).await;
    assert_eq!((s, again["errors"].as_array().unwrap().len()), (422, 7));
    let files_kept: i64 = sqlx::query_scalar("SELECT count(*) FROM approval_material")
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    assert_eq!(files_kept, 0);

    // A required material missing.
    let none: &[(&str, &[u8])] = &[];
    let (_, p) = problem(
        a.intake(&case_part(Some("YWTB-PRE-2"), "GGCS-001", none), none)
            .await,
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "MATERIAL_MISSING");

    // The same case id with the same content is the same case; with other content, refused.
    let file = pdf("application");
    let good: &[(&str, &[u8])] = &[("application", &file)];
    let case = case_part(Some("YWTB-ONE"), "GGCS-001", good);
    let first: Value = a.intake(&case, good).await.json().await.unwrap();
    let second: Value = a.intake(&case, good).await.json().await.unwrap();
    assert_eq!(first["case_id"], second["case_id"]);
    assert_eq!(
        (first["replayed"].as_bool(), second["replayed"].as_bool()),
        (Some(false), Some(true))
    );
    let mut changed = case.clone();
    changed["form"]["area"] = json!(999);
    let (s, p) = problem(a.intake(&changed, good).await).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (409, Some("PLATFORM_CASE_CONFLICT"))
    );

    // An unknown item; a retired one.
    let (s, p) = problem(
        a.intake(&case_part(Some("YWTB-X"), "NO-SUCH", good), good)
            .await,
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (404, Some("APPROVAL_ITEM_NOT_FOUND"))
    );
    let admin = a.token("admin").await;
    let id: Uuid = sqlx::query_scalar("SELECT item_id FROM approval_item WHERE code = 'GGCS-001'")
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    let r = a
        .app
        .client
        .put(
            a.app
                .url(&format!("/api/v1/admin/approval-items/{id}/status")),
        )
        .bearer_auth(&admin)
        .json(&json!({ "retired": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, p) = problem(
        a.intake(&case_part(Some("YWTB-Y"), "GGCS-001", good), good)
            .await,
    )
    .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (422, Some("APPROVAL_ITEM_RETIRED"))
    );
}

#[tokio::test]
async fn a_return_at_a_countersign_step_loses_no_task_and_the_supplement_resumes_it() {
    let a = setup().await;
    let case = a.submit("GGCS-001").await;
    assert_eq!(
        a.decide("acceptor", case, json!({ "decision": "approve" }))
            .await
            .status(),
        200
    );
    assert_eq!(
        a.decide("reviewer1", case, json!({ "decision": "approve" }))
            .await
            .status(),
        200
    );
    // A return needs its reason and what to supplement.
    let r = a
        .decide(
            "reviewer2",
            case,
            json!({ "decision": "return", "supplement": ["floor_plan"] }),
        )
        .await;
    let (s, p) = problem(r).await;
    assert_eq!((s, p["code"].as_str()), (422, Some("OPINION_REQUIRED")));
    let r = a
        .decide(
            "reviewer2",
            case,
            json!({ "decision": "return", "opinion": "请补充平面图", "supplement": ["no_such"] }),
        )
        .await;
    assert_eq!(problem(r).await.1["code"], "DECISION_NOT_ALLOWED");
    let r = a.decide("reviewer2", case, json!({ "decision": "return", "opinion": "请补充平面图", "supplement": ["floor_plan", "area"] })).await;
    assert_eq!(r.status(), 200);
    assert_eq!(state_of(&a.app, case).await, "returned");
    assert!(
        open_tasks(&a.app, case).await.is_empty(),
        "nothing is decided while it is with the applicant"
    );
    let paused: Option<chrono::NaiveDate> =
        sqlx::query_scalar("SELECT paused_since FROM approval_case WHERE case_id = $1")
            .bind(case)
            .fetch_one(&a.app.db)
            .await
            .unwrap();
    assert_eq!(paused, Some(shared::time::today_in_china()));

    // The supplement comes back through the platform, signed.
    let external: String =
        sqlx::query_scalar("SELECT external_id FROM approval_case WHERE case_id = $1")
            .bind(case)
            .fetch_one(&a.app.db)
            .await
            .unwrap();
    let plan = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
    let sup = json!({
        "platform_case_id": external,
        "form": { "area": 360 },
        "materials": [{ "code": "floor_plan", "file_name": "平面图.png", "sm3": shared::crypto::sm3_hex(&plan) }]
    });
    let files: &[(&str, &[u8])] = &[("floor_plan", &plan)];
    let r = a
        .signed(
            "/api/v1/approvals/intake/supplement",
            multipart(&sup, files),
            PLATFORM_KEY,
            &nonce(),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert_eq!(state_of(&a.app, case).await, "in_review");
    // Both reviewers have a fresh task of the new round — one each, none left over.
    let tasks = open_tasks(&a.app, case).await;
    assert_eq!(tasks.len(), 2);
    assert!(tasks.iter().all(|t| t.0 == "review" && t.2 == tasks[0].2));
    let mut who: Vec<Uuid> = tasks.iter().map(|t| t.1).collect();
    who.sort();
    let mut reviewers = vec![a.users["reviewer1"].0, a.users["reviewer2"].0];
    reviewers.sort();
    assert_eq!(who, reviewers);
    // The same supplement again is answered as taken; a case not returned refuses one.
    let r = a
        .signed(
            "/api/v1/approvals/intake/supplement",
            multipart(&sup, files),
            PLATFORM_KEY,
            &nonce(),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["replayed"], true);
    let mut other = sup.clone();
    other["form"]["area"] = json!(400);
    let (s, p) = problem(
        a.signed(
            "/api/v1/approvals/intake/supplement",
            multipart(&other, files),
            PLATFORM_KEY,
            &nonce(),
        )
        .await,
    )
    .await;
    assert_eq!((s, p["code"].as_str()), (409, Some("CASE_NOT_RETURNED")));
    // The new revision is what an approver opens.
    let token = a.token("reviewer1").await;
    let detail = a.case(&token, case).await;
    let plan_view = detail["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "floor_plan")
        .unwrap()
        .clone();
    assert_eq!(plan_view["revision"], 1);
    assert_eq!(detail["form"]["area"], 360);
}

#[tokio::test]
async fn two_approvers_deciding_one_any_task_at_once_make_one_decision() {
    let a = setup().await;
    let case = a.submit("GGCS-001").await;
    for (u, d) in [
        ("acceptor", "approve"),
        ("reviewer1", "approve"),
        ("reviewer2", "approve"),
    ] {
        assert_eq!(
            a.decide(u, case, json!({ "decision": d })).await.status(),
            200
        );
    }
    let mut prepared = Vec::new();
    for u in ["decider1", "decider2"] {
        let token = a.token(u).await;
        let task = a.task_of(&token, case).await.unwrap();
        let otp = a.otp(u, &token).await;
        prepared.push((token, task, otp));
    }
    let paths: Vec<String> = prepared
        .iter()
        .map(|(_, task, _)| format!("/api/v1/approvals/tasks/{task}/decision"))
        .collect();
    let sends = prepared.iter().zip(&paths).map(|((token, _, otp), path)| {
        a.app.post(
            path,
            json!({ "decision": "approve", "otp": otp }),
            Some(token),
        )
    });
    let answers = futures_util::future::join_all(sends).await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let decisions: i64 = sqlx::query_scalar("SELECT count(*) FROM approval_trail WHERE case_id = $1 AND step_code = 'decide' AND action = 'approve'")
        .bind(case)
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    assert_eq!(decisions, 1);
    assert_eq!(state_of(&a.app, case).await, "approved");
}

#[tokio::test]
async fn a_one_time_code_is_single_use_and_locks_after_five_wrong_tries() {
    let a = setup().await;
    let case = a.submit("GGCS-001").await;
    let token = a.token("acceptor").await;
    let task = a.task_of(&token, case).await.unwrap();
    let path = format!("/api/v1/approvals/tasks/{task}/decision");
    let decide = |otp: String| {
        a.app.post(
            &path,
            json!({ "decision": "reject", "opinion": "不属于本机关职权范围", "otp": otp }),
            Some(&token),
        )
    };
    // No code sent yet.
    assert_eq!(
        problem(decide("123456".into()).await).await.1["code"],
        "OTP_INVALID"
    );
    let code = a.otp("acceptor", &token).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(
            problem(decide(wrong.into()).await).await.1["code"],
            "OTP_INVALID"
        );
    }
    let (s, p) = problem(decide(wrong.into()).await).await;
    assert_eq!((s, p["code"].as_str()), (429, Some("OTP_LOCKED")));
    // Locked: even the right code no longer passes.
    assert_eq!(problem(decide(code).await).await.1["code"], "OTP_LOCKED");
    // A new code works once.
    let code = a.otp("acceptor", &token).await;
    let r = decide(code.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(state_of(&a.app, case).await, "not_accepted");
    // The SMS gateway down: 503, and the code never stored.
    a.sms.set_mode(yaojian::fake_sms::Mode::Down);
    let r = a
        .app
        .post("/api/v1/approvals/otp", json!({}), Some(&token))
        .await;
    assert_eq!(problem(r).await.0, 503);
    // The messages never hold anything but the code and its purpose.
    let texts = a.sms.messages(&a.users["acceptor"].1);
    assert_eq!(texts.len(), 2);
    assert!(texts.iter().all(|m| m.text.contains("审批签名")));
}

#[tokio::test]
async fn approvers_see_only_their_organisations_cases_and_an_automatic_filing_is_approved_at_once()
{
    let a = setup().await;
    let case = a.submit("GGCS-001").await;
    let other = a.token("other_acceptor").await;
    for path in [
        format!("/api/v1/approvals/cases/{case}"),
        format!("/api/v1/approvals/cases/{case}/trail"),
        format!("/api/v1/approvals/cases/{case}/materials/application"),
    ] {
        let (s, p) = problem(a.app.get(&path, Some(&other)).await).await;
        assert_eq!(
            (s, p["code"].as_str()),
            (404, Some("APPROVAL_CASE_NOT_FOUND")),
            "{path}"
        );
    }
    let list: Value = a
        .app
        .get("/api/v1/approvals/cases", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    // Another approver's task is not found, not forbidden.
    let acceptor = a.token("acceptor").await;
    let task = a.task_of(&acceptor, case).await.unwrap();
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{task}/decision"),
            json!({ "decision": "approve", "otp": "123456" }),
            Some(&other),
        )
        .await;
    assert_eq!(problem(r).await.0, 404);
    let admin = a.token("admin").await;
    let list: Value = a
        .app
        .get("/api/v1/approvals/cases", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);

    // 秒批: accepted and approved at once, by the system, with its trail.
    let filing = a.submit("GGCS-BA").await;
    assert_eq!(state_of(&a.app, filing).await, "approved");
    let trail: Vec<Value> = a
        .app
        .get(
            &format!("/api/v1/approvals/cases/{filing}/trail"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = trail
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submitted", "pre_reviewed", "accepted", "approved"]
    );
    assert!(trail.iter().all(|e| e["actor_id"].is_null()));
}

#[tokio::test]
async fn a_material_opened_is_a_trail_entry_and_a_sensitive_items_files_are_encrypted_at_rest() {
    let a = setup().await;
    let case = a.submit("GGCS-SENS").await;
    let token = a.token("acceptor").await;
    let r = a
        .app
        .get(
            &format!("/api/v1/approvals/cases/{case}/materials/application"),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let sm3 = r.headers()["x-content-sm3"].to_str().unwrap().to_owned();
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..], &pdf("application")[..]);
    assert_eq!(sm3, shared::crypto::sm3_hex(&bytes));
    let stored = a
        .app
        .state
        .storage
        .get(&format!("approvals/{case}/application/1"))
        .await
        .unwrap();
    assert_ne!(stored, pdf("application"), "stored encrypted");
    let viewed: (Option<Uuid>, Value) = sqlx::query_as("SELECT actor_id, detail FROM approval_trail WHERE case_id = $1 AND action = 'material_viewed'")
        .bind(case)
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    assert_eq!(viewed.0, Some(a.users["acceptor"].0));
    // A view needs no one-time code, so the viewer's key does not sign it.
    let view_signer: String = sqlx::query_scalar(
        "SELECT signed::jsonb ->> 'signer' FROM approval_trail WHERE case_id = $1 AND action = 'material_viewed'",
    )
    .bind(case)
    .fetch_one(&a.app.db)
    .await
    .unwrap();
    assert_eq!(view_signer, "system");
    assert_eq!(viewed.1["material"], "application");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'approval_case.material_view' AND object_id = $1")
        .bind(case.to_string())
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // An opinion on a sensitive item is stored encrypted only.
    assert_eq!(a.decide("acceptor", case, json!({ "decision": "return", "opinion": "请补正申请书", "supplement": ["application"] })).await.status(), 200);
    let (opinion, enc): (Option<String>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT opinion, opinion_enc FROM approval_trail WHERE case_id = $1 AND action = 'return'",
    )
    .bind(case)
    .fetch_one(&a.app.db)
    .await
    .unwrap();
    assert!(opinion.is_none() && enc.is_some());
    let trail: Vec<Value> = a
        .app
        .get(
            &format!("/api/v1/approvals/cases/{case}/trail"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(trail.iter().any(|e| e["opinion"] == "请补正申请书"));
    assert_eq!(
        mobile_api::approvals::trail::verify_cases(&a.app.state, Some(case))
            .await
            .unwrap()
            .map(|v| v.0),
        Ok(1)
    );
}

#[tokio::test]
async fn acceptance_numbers_are_unique_under_concurrency() {
    use mobile_api::approvals::flow;
    let a = setup().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(a.submit("GGCS-001").await);
    }
    let state = a.app.state.clone();
    let accepts = ids.iter().map(|id| {
        let state = state.clone();
        let id = *id;
        async move {
            let mut tx = state.db.begin().await.unwrap();
            let calendar = shared::workdays::Calendar::load(&mut tx).await.unwrap();
            let mut case = flow::lock(&mut tx, id).await.unwrap().unwrap();
            let n = flow::accept(&mut tx, &calendar, &mut case).await.unwrap();
            tx.commit().await.unwrap();
            n.as_str().to_owned()
        }
    });
    let numbers = futures_util::future::join_all(accepts).await;
    let mut seqs: Vec<u32> = numbers
        .iter()
        .map(|n| {
            shared::domain::AcceptanceNumber::parse(n)
                .unwrap()
                .sequence()
        })
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=12).collect::<Vec<_>>());
    let stored: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT acceptance_number) FROM approval_case")
            .fetch_one(&a.app.db)
            .await
            .unwrap();
    assert_eq!(stored, 12);
}

#[tokio::test]
async fn a_window_case_is_typed_in_by_someone_who_accepts_the_item_there() {
    let a = setup().await;
    let file = pdf("application");
    let files: &[(&str, &[u8])] = &[("application", &file)];
    let mut case = case_part(None, "GGCS-001", files);
    case["materials"][0]["sm3"] = Value::Null; // a window need not send digests
    let send = async |user: &'static str| {
        let body = multipart(&case, files);
        let token = a.token(user).await;
        a.app
            .client
            .post(a.app.url("/api/v1/approvals/cases"))
            .bearer_auth(token)
            .header("content-type", body.0)
            .body(body.1)
            .send()
            .await
            .unwrap()
    };
    // A reviewer does not accept; another district's acceptor is not here.
    assert_eq!(problem(send("reviewer1").await).await.0, 403);
    assert_eq!(problem(send("other_acceptor").await).await.0, 403);
    let r = send("acceptor").await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let id: Uuid = v["case_id"].as_str().unwrap().parse().unwrap();
    let (source, created_by): (String, Option<Uuid>) =
        sqlx::query_as("SELECT source, created_by FROM approval_case WHERE case_id = $1")
            .bind(id)
            .fetch_one(&a.app.db)
            .await
            .unwrap();
    assert_eq!(
        (source.as_str(), created_by),
        ("window", Some(a.users["acceptor"].0))
    );
    // Bad input at the window is refused with every reason and stores nothing.
    let mut bad = case.clone();
    bad["applicant"] =
        json!({ "kind": "person", "name": "张三", "id_number": "420102199001011234" });
    let body = multipart(&bad, files);
    let r = a
        .app
        .client
        .post(a.app.url("/api/v1/approvals/cases"))
        .bearer_auth(a.token("acceptor").await)
        .header("content-type", body.0)
        .body(body.1)
        .send()
        .await
        .unwrap();
    let (s, p) = problem(r).await;
    assert_eq!(
        (s, p["code"].as_str(), p["errors"][0]["field"].as_str()),
        (
            422,
            Some("PRE_REVIEW_FAILED"),
            Some("case.applicant.id_number")
        )
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM approval_case")
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_task_is_transferred_to_a_colleague_and_a_case_is_sent_back_to_review() {
    let a = setup().await;
    let case = a.submit("GGCS-001").await;
    // A second acceptor, granted after the case came in.
    let dept: Uuid = sqlx::query_scalar("SELECT department_id FROM app_user WHERE user_id = $1")
        .bind(a.users["acceptor"].0)
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    let colleague = create_user(
        &a.app,
        "acceptor2",
        "approver",
        None,
        None,
        Some(&shared::auth::password::hash(PASSWORD).await.unwrap()),
    )
    .await;
    sqlx::query("UPDATE app_user SET department_id = $2 WHERE user_id = $1")
        .bind(colleague)
        .bind(dept)
        .execute(&a.app.db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO approval_grant (grant_id, user_id, item_code, step) VALUES ($1, $2, 'GGCS-001', 'accept')")
        .bind(Uuid::new_v4())
        .bind(colleague)
        .execute(&a.app.db)
        .await
        .unwrap();
    // Not to someone without the grant.
    let r = a
        .decide(
            "acceptor",
            case,
            json!({ "decision": "transfer", "to_user": a.users["reviewer1"].0 }),
        )
        .await;
    assert_eq!(problem(r).await.1["code"], "DECISION_NOT_ALLOWED");
    let r = a
        .decide(
            "acceptor",
            case,
            json!({ "decision": "transfer", "to_user": colleague }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let acceptor = a.token("acceptor").await;
    assert!(a.task_of(&acceptor, case).await.is_none());
    let theirs = a.token("acceptor2").await;
    assert!(a.task_of(&theirs, case).await.is_some());

    // The colleague accepts; review passes; the decider sends it back to review.
    let token = a.token("acceptor2").await;
    let task = a.task_of(&token, case).await.unwrap();
    // acceptor2 has no phone: no code can be sent.
    let r = a
        .app
        .post("/api/v1/approvals/otp", json!({}), Some(&token))
        .await;
    assert_eq!(problem(r).await.1["code"], "PHONE_MISSING");
    sqlx::query("UPDATE app_user SET phone = '13900000099' WHERE user_id = $1")
        .bind(colleague)
        .execute(&a.app.db)
        .await
        .unwrap();
    a.app
        .post("/api/v1/approvals/otp", json!({}), Some(&token))
        .await;
    let otp = a.sms.last_code("13900000099").unwrap();
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{task}/decision"),
            json!({ "decision": "approve", "otp": otp }),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 200);
    for u in ["reviewer1", "reviewer2"] {
        assert_eq!(
            a.decide(u, case, json!({ "decision": "approve" }))
                .await
                .status(),
            200
        );
    }
    let r = a
        .decide(
            "decider1",
            case,
            json!({ "decision": "send_back", "opinion": "请复核面积", "to_step": "accept" }),
        )
        .await;
    assert_eq!(
        problem(r).await.1["code"],
        "DECISION_NOT_ALLOWED",
        "acceptance is not a review step to go back to"
    );
    let r = a
        .decide(
            "decider1",
            case,
            json!({ "decision": "send_back", "opinion": "请复核面积", "to_step": "review" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let tasks = open_tasks(&a.app, case).await;
    assert_eq!(tasks.len(), 2);
    assert!(tasks.iter().all(|t| t.0 == "review"));
    // The decider's colleague's task of the left step is gone, and deciding it is stale.
    let d2 = a.token("decider2").await;
    assert!(a.task_of(&d2, case).await.is_none());
    let stale: (Uuid,) =
        sqlx::query_as("SELECT task_id FROM approval_task WHERE case_id = $1 AND assignee_id = $2")
            .bind(case)
            .bind(a.users["decider2"].0)
            .fetch_one(&a.app.db)
            .await
            .unwrap();
    let code = a.otp("decider2", &d2).await;
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{}/decision", stale.0),
            json!({ "decision": "approve", "otp": code }),
            Some(&d2),
        )
        .await;
    let (s, p) = problem(r).await;
    assert_eq!((s, p["code"].as_str()), (409, Some("TASK_ALREADY_DECIDED")));
}

#[tokio::test]
async fn the_applicant_withdraws_through_the_platform_and_nothing_is_left_to_decide() {
    let a = setup().await;
    let case = a.submit("GGCS-001").await;
    assert_eq!(
        a.decide("acceptor", case, json!({ "decision": "approve" }))
            .await
            .status(),
        200
    );
    let external: String =
        sqlx::query_scalar("SELECT external_id FROM approval_case WHERE case_id = $1")
            .bind(case)
            .fetch_one(&a.app.db)
            .await
            .unwrap();
    let token = a.token("reviewer1").await;
    let task = a.task_of(&token, case).await.unwrap();
    let withdraw = async |body: Value, key: &str| {
        let bytes = body.to_string().into_bytes();
        a.signed(
            "/api/v1/approvals/intake/withdraw",
            ("application/json".to_owned(), bytes),
            key,
            &nonce(),
        )
        .await
    };
    let body = json!({ "platform_case_id": external, "reason": "经营场所变更，暂不申请" });
    assert_eq!(
        problem(withdraw(body.clone(), "wrong-key-000000000").await)
            .await
            .0,
        401
    );
    let (s, p) = problem(
        withdraw(
            json!({ "platform_case_id": external, "reason": " " }),
            PLATFORM_KEY,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (400, Some("reason")),
        "{p}"
    );
    let r = withdraw(body.clone(), PLATFORM_KEY).await;
    assert_eq!(r.status(), 200);
    assert_eq!(state_of(&a.app, case).await, "withdrawn");
    assert!(open_tasks(&a.app, case).await.is_empty());
    let again: Value = withdraw(body, PLATFORM_KEY).await.json().await.unwrap();
    assert_eq!(again["replayed"], true);
    // The reviewer's task went with it.
    let code = a.otp("reviewer1", &token).await;
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{task}/decision"),
            json!({ "decision": "approve", "otp": code }),
            Some(&token),
        )
        .await;
    assert_eq!(problem(r).await.1["code"], "TASK_ALREADY_DECIDED");
    let trail: Vec<Value> = a
        .app
        .get(
            &format!("/api/v1/approvals/cases/{case}/trail"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    let last = trail.last().unwrap();
    assert_eq!(
        (last["action"].as_str(), last["opinion"].as_str()),
        (Some("withdrawn"), Some("经营场所变更，暂不申请"))
    );
    // A decided case cannot be withdrawn.
    let filing = a.submit("GGCS-BA").await;
    let ext: String =
        sqlx::query_scalar("SELECT external_id FROM approval_case WHERE case_id = $1")
            .bind(filing)
            .fetch_one(&a.app.db)
            .await
            .unwrap();
    let (s, p) = problem(
        withdraw(
            json!({ "platform_case_id": ext, "reason": "不需要了" }),
            PLATFORM_KEY,
        )
        .await,
    )
    .await;
    assert_eq!((s, p["code"].as_str()), (409, Some("CASE_CLOSED")));
    assert_eq!(
        mobile_api::approvals::trail::verify_cases(&a.app.state, None)
            .await
            .unwrap()
            .map(|v| v.0),
        Ok(2)
    );
}

#[tokio::test]
async fn a_claimed_single_task_is_taken_from_the_colleagues_and_the_trail_says_who() {
    let a = setup().await;
    // A second acceptor, granted before the case comes in: both get the task.
    let dept: Uuid = sqlx::query_scalar("SELECT department_id FROM app_user WHERE user_id = $1")
        .bind(a.users["acceptor"].0)
        .fetch_one(&a.app.db)
        .await
        .unwrap();
    let hash = shared::auth::password::hash(PASSWORD).await.unwrap();
    let colleague = create_user(&a.app, "acceptor2", "approver", None, None, Some(&hash)).await;
    sqlx::query("UPDATE app_user SET department_id = $2 WHERE user_id = $1")
        .bind(colleague)
        .bind(dept)
        .execute(&a.app.db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO approval_grant (grant_id, user_id, item_code, step) VALUES ($1, $2, 'GGCS-001', 'accept')")
        .bind(Uuid::new_v4())
        .bind(colleague)
        .execute(&a.app.db)
        .await
        .unwrap();
    let case = a.submit("GGCS-001").await;
    assert_eq!(open_tasks(&a.app, case).await.len(), 2);
    let theirs = a.token("acceptor2").await;
    let task = a.task_of(&theirs, case).await.unwrap();
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{task}/claim"),
            json!({}),
            Some(&theirs),
        )
        .await;
    assert_eq!(r.status(), 200);
    let made: Value = r.json().await.unwrap();
    let mine = a.token("acceptor").await;
    assert!(
        a.task_of(&mine, case).await.is_none(),
        "the colleague's task is gone"
    );
    let trail: Vec<Value> = a
        .app
        .get(
            &format!("/api/v1/approvals/cases/{case}/trail"),
            Some(&theirs),
        )
        .await
        .json()
        .await
        .unwrap();
    let claimed = trail.iter().find(|e| e["action"] == "claimed").unwrap();
    assert_eq!(claimed["seq"], made["trail_seq"]);
    assert_eq!(claimed["actor_id"], colleague.to_string());
    // Claiming again changes nothing; someone else's task is not found; a
    // countersign task is not claimed.
    let again: Value = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{task}/claim"),
            json!({}),
            Some(&theirs),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["trail_seq"], made["trail_seq"]);
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{task}/claim"),
            json!({}),
            Some(&mine),
        )
        .await;
    assert_eq!(problem(r).await.0, 404);
    let _ = a
        .app
        .post("/api/v1/approvals/otp", json!({}), Some(&theirs))
        .await;
    sqlx::query("UPDATE app_user SET phone = '13900000098' WHERE user_id = $1")
        .bind(colleague)
        .execute(&a.app.db)
        .await
        .unwrap();
    a.app
        .post("/api/v1/approvals/otp", json!({}), Some(&theirs))
        .await;
    let otp = a.sms.last_code("13900000098").unwrap();
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{task}/decision"),
            json!({ "decision": "approve", "otp": otp }),
            Some(&theirs),
        )
        .await;
    assert_eq!(r.status(), 200);
    let reviewer = a.token("reviewer1").await;
    let review_task = a.task_of(&reviewer, case).await.unwrap();
    let r = a
        .app
        .post(
            &format!("/api/v1/approvals/tasks/{review_task}/claim"),
            json!({}),
            Some(&reviewer),
        )
        .await;
    assert_eq!(problem(r).await.1["code"], "DECISION_NOT_ALLOWED");
    assert_eq!(
        mobile_api::approvals::trail::verify_cases(&a.app.state, Some(case))
            .await
            .unwrap()
            .map(|v| v.1),
        Ok(trail.len() as u64 + 2)
    );
}
