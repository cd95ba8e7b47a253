//! The working-day calendar (SPEC §8.3): the SPEC's vectors hold on the
//! calendar the migration ships, and city admins correct and extend it.

use chrono::NaiveDate;
use serde_json::{Value, json};
use shared::workdays::{Calendar, NotCovered};

use crate::helpers::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn calendar(app: &TestApp) -> Calendar {
    let mut conn = app.db.acquire().await.unwrap();
    Calendar::load(&mut conn).await.unwrap()
}

#[tokio::test]
async fn the_shipped_calendar_gives_the_spec_vectors() {
    let app = spawn_app().await;
    let c = calendar(&app).await;
    assert_eq!(
        c.add_working_days(d("2025-01-20"), 20).unwrap(),
        d("2025-02-21")
    );
    assert_eq!(
        c.add_working_days(d("2024-09-30"), 5).unwrap(),
        d("2024-10-12"),
        "a 调休 Saturday"
    );
    assert_eq!(
        c.add_working_days(d("2025-04-30"), 3).unwrap(),
        d("2025-05-08")
    );
    // 2026's 春节: 2026-02-15 to 02-23 off, 02-14 and 02-28 worked.
    assert!(!c.is_working(d("2026-02-16")).unwrap());
    assert!(c.is_working(d("2026-02-14")).unwrap());
    // Beyond what the calendar covers: refused, not guessed.
    assert_eq!(
        c.add_working_days(d("2026-12-28"), 10),
        Err(NotCovered(2027))
    );
}

#[tokio::test]
async fn city_admins_correct_and_extend_the_calendar() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let y: Value = app
        .get("/api/v1/admin/calendar?year=2025", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(y["covered"], true);
    assert!(
        y["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["day"] == "2025-01-26" && d["working"] == true)
    );

    let put = |day: &str, body: Value| {
        let url = app.url(&format!("/api/v1/admin/calendar/{day}"));
        let token = admin.clone();
        let client = app.client.clone();
        async move {
            client
                .put(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // 2027 is not covered yet: refused until an admin adds the year.
    let (s, p) =
        problem(put("2027-02-08", json!({ "working": false, "name": "春节" })).await).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (422, Some("CALENDAR_YEAR_NOT_COVERED"))
    );
    let r = app
        .post(
            "/api/v1/admin/calendar/years",
            json!({ "year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知" }),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (s, p) = problem(
        app.post(
            "/api/v1/admin/calendar/years",
            json!({ "year": 1999, "source": "x" }),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (400, Some("year")),
        "{p}"
    );
    assert_eq!(
        put("2027-02-08", json!({ "working": false, "name": "春节" }))
            .await
            .status(),
        200
    );
    let c = calendar(&app).await;
    assert!(!c.is_working(d("2027-02-08")).unwrap());
    assert!(c.is_working(d("2027-02-09")).unwrap());

    // A correction changes the count; a reset puts the default back.
    let before = c.add_working_days(d("2026-12-29"), 2).unwrap();
    assert_eq!(before, d("2026-12-31"));
    assert_eq!(
        put(
            "2026-12-31",
            json!({ "working": false, "name": "临时调整" })
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        calendar(&app)
            .await
            .add_working_days(d("2026-12-29"), 2)
            .unwrap(),
        d("2027-01-01")
    );
    let r = app
        .client
        .delete(app.url("/api/v1/admin/calendar/2026-12-31"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        calendar(&app)
            .await
            .add_working_days(d("2026-12-29"), 2)
            .unwrap(),
        d("2026-12-31")
    );

    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'calendar.change'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(audited, 4);
    let inspector = app.login("inspector").await;
    assert_eq!(
        app.get("/api/v1/admin/calendar?year=2025", Some(&inspector))
            .await
            .status(),
        403
    );
}
