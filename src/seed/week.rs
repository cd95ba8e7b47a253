//! A realistic week for the demo (`yaojian seed-demo`): a few hundred sales
//! across the demo pharmacies, the refusals the rules make of them, every
//! kind of alert, an inspection with a photo, and — when a data centre is
//! configured — a sync backlog. Sales go through the production path
//! (`registrations::record::record`: scan token, rules, idempotency, audit,
//! outbox, alerts), so what the demo shows is what the system would have
//! recorded; afterwards their times are spread over the past seven days,
//! in shop hours. The audit entries keep the time they were written.
//!
//! Idempotent: a database that already holds sales at the demo pharmacies
//! is left as it is.

use chrono::{DateTime, Duration, Timelike, Utc};
use functions::registrations::{
    input::{NewItem, NewRegistration},
    record,
};
use serde_json::json;
use shared::{
    AppState,
    alerts::{self, AlertKind, NewAlert},
    audit::{Action, Entry},
    auth::{Caller, Role},
    domain::ResidentIdNumber,
    idempotency::IdempotencyKey,
    sales::identity::{self, Identity, Method, Source},
};
use uuid::Uuid;

use super::{DEMO_DRUGS, demo_id};

/// What the week added (nothing when it was there already).
#[derive(Debug, Default)]
pub struct Week {
    pub registrations: u32,
    pub refused: u32,
    pub alerts: u32,
}

/// A deterministic generator (xorshift64*): the same demo on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "桂英", "建华", "志强", "海燕", "晓东", "春梅",
];
/// 江岸, 江汉, 硚口, 汉阳, 武昌, 洪山 (Wuhan), and two from elsewhere.
const REGIONS: &[&str] = &[
    "420102", "420103", "420104", "420105", "420106", "420111", "110101", "440106",
];

struct Buyer {
    name: String,
    id_number: ResidentIdNumber,
}

fn buyer(dice: &mut Dice, birth_year: u64) -> anyhow::Result<Buyer> {
    let region = dice.pick(REGIONS);
    let body = format!(
        "{region}{birth_year}{:02}{:02}{:03}",
        1 + dice.below(12),
        1 + dice.below(28),
        dice.below(1000)
    );
    let check = ResidentIdNumber::check_character(&body).expect("17 digits");
    let id_number = ResidentIdNumber::parse(&format!("{body}{check}"))
        .map_err(|e| anyhow::anyhow!("demo buyer: {e:?}"))?;
    let name = format!("{}{}", dice.pick(SURNAMES), dice.pick(GIVEN));
    Ok(Buyer { name, id_number })
}

/// The demo's clerks, one per pharmacy (see `USERS`).
fn clerk(pharmacy_key: &str, district: &str) -> Caller {
    let key = match pharmacy_key {
        "ph1" => "clerk",
        "ph2" => "clerk_ph2",
        _ => "clerk_ph3",
    };
    Caller {
        user_id: demo_id(key),
        role: Role::Clerk,
        pharmacy_id: Some(demo_id(pharmacy_key)),
        district_code: Some(district.to_owned()),
        organisation_id: None,
        department_id: None,
        must_change_password: false,
        session_key: String::new(),
    }
}

/// The time of sale `i` of `n`, spread in order over the past seven days in
/// shop hours (08:00–21:59 China time), never later than a minute per
/// remaining sale before `now`.
fn slot(now: DateTime<Utc>, i: usize, n: usize) -> DateTime<Utc> {
    let china = now + Duration::hours(8);
    let midnight = china - Duration::seconds(i64::from(china.num_seconds_from_midnight()));
    let day = (i * 7 / n) as i64; // 0: six days ago
    let within = (i * 7 % n) as i64 * 14 * 60 / n as i64; // minutes after 08:00
    let t = midnight - Duration::days(6 - day) + Duration::minutes(8 * 60 + within)
        - Duration::hours(8);
    t.min(now - Duration::minutes((n - i) as i64))
}

/// Adds the week unless the demo pharmacies already have sales.
pub async fn seed(state: &AppState, pharmacies: &[(&str, &str)]) -> anyhow::Result<Week> {
    let ids: Vec<Uuid> = pharmacies.iter().map(|(k, _)| demo_id(k)).collect();
    let there: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM registration WHERE pharmacy_id = ANY($1)) AS "there!""#,
        &ids
    )
    .fetch_one(&state.db)
    .await?;
    if there {
        return Ok(Week::default());
    }

    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let otc: Vec<_> = DEMO_DRUGS
        .iter()
        .filter(|d| d.active && !d.rx_only)
        .collect();
    let rx: Vec<_> = DEMO_DRUGS
        .iter()
        .filter(|d| d.active && d.rx_only)
        .collect();
    // Most buyers come once or twice; a few regulars try to buy more than the
    // window allows; a few minors try at all.
    let mut buyers = Vec::new();
    for _ in 0..400 {
        let year = 1950 + dice.below(55);
        buyers.push(buyer(&mut dice, year)?);
    }
    let mut regulars = Vec::new();
    for _ in 0..4 {
        let year = 1965 + dice.below(20);
        regulars.push(buyer(&mut dice, year)?);
    }
    let mut minors = Vec::new();
    for _ in 0..3 {
        let year = 2010 + dice.below(3);
        minors.push(buyer(&mut dice, year)?);
    }
    let traveller = buyer(&mut dice, 1988)?;

    // The plan: (pharmacy, buyer, lines, prescription) in time order.
    struct Sale<'a> {
        pharmacy: usize,
        buyer: &'a Buyer,
        lines: Vec<(&'static str, u32)>,
        prescription: Option<String>,
    }
    let mut plan: Vec<Sale> = Vec::new();
    let total = 320;
    for i in 0..total {
        let buyer = match dice.below(60) {
            0 => &minors[dice.below(minors.len() as u64) as usize],
            1..=5 => &regulars[dice.below(regulars.len() as u64) as usize],
            _ => &buyers[dice.below(buyers.len() as u64) as usize],
        };
        let drug = dice.pick(&otc);
        let quantity = if drug.max_per_purchase.is_none() && dice.below(4) == 0 {
            2
        } else {
            1
        };
        let mut lines = vec![(drug.barcode, quantity)];
        let mut prescription = None;
        if dice.below(8) == 0 && !rx.is_empty() {
            lines.push((dice.pick(&rx).barcode, 1));
            prescription = Some(format!("CF2026{:06}", i));
        } else if dice.below(40) == 0 {
            lines[0].1 = 3; // over the per-sale cap without a prescription
        }
        plan.push(Sale {
            pharmacy: dice.below(pharmacies.len() as u64) as usize,
            buyer,
            lines,
            prescription,
        });
    }
    // The last day: one buyer at every pharmacy within hours (MULTI_PHARMACY).
    for p in 0..pharmacies.len() {
        plan.push(Sale {
            pharmacy: p,
            buyer: &traveller,
            lines: vec![(otc[0].barcode, 1)],
            prescription: None,
        });
    }

    let now = Utc::now();
    let mut week = Week::default();
    let n = plan.len();
    for (i, sale) in plan.iter().enumerate() {
        let (key, district) = pharmacies[sale.pharmacy];
        let caller = clerk(key, district);
        let identity = Identity {
            id_number: sale.buyer.id_number.clone(),
            name: sale.buyer.name.clone(),
            source: Source::IdCard,
            method: if i % 3 == 0 {
                Method::Photo
            } else {
                Method::CardReader
            },
            card_expired: false,
        };
        let token = identity::store(state, caller.user_id, &identity)
            .await
            .map_err(|e| anyhow::anyhow!("demo scan: {}", e.title))?;
        let at = slot(now, i, n);
        let body = NewRegistration {
            scan_token: Some(token),
            buyer: None,
            items: sale
                .lines
                .iter()
                .map(|(barcode, quantity)| NewItem {
                    barcode: (*barcode).to_owned(),
                    quantity: *quantity,
                    batch_no: Some(format!("B26{:04}", 1000 + dice.below(9000))),
                    trace_code: None,
                })
                .collect(),
            prescription_no: sale.prescription.clone(),
            client_time: Some(
                at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")),
            ),
        };
        let idem = IdempotencyKey(Some(format!("demo-week-{i}")));
        match record::record(state, &caller, &idem, body).await {
            Ok(r) => {
                week.registrations += 1;
                sqlx::query!(
                    "UPDATE registration SET created_at = $2 WHERE registration_id = $1",
                    r.id,
                    at
                )
                .execute(&state.db)
                .await?;
            }
            Err(_) => {
                // The rules refused it (window, minor, cap): the attempt is
                // recorded; give it the sale's time.
                week.refused += 1;
                sqlx::query!(
                    "UPDATE refused_attempt SET created_at = $2 WHERE refused_attempt_id =
                         (SELECT refused_attempt_id FROM refused_attempt WHERE clerk_user_id = $1 ORDER BY created_at DESC LIMIT 1)",
                    caller.user_id,
                    at
                )
                .execute(&state.db)
                .await?;
            }
        }
    }
    // Alerts raised by those sales take their time.
    sqlx::query!(
        "UPDATE alert a SET created_at = r.created_at FROM registration r WHERE a.registration_id = r.registration_id"
    )
    .execute(&state.db)
    .await?;
    sqlx::query!(
        "UPDATE alert a SET created_at = f.created_at FROM refused_attempt f WHERE a.refused_attempt_id = f.refused_attempt_id"
    )
    .execute(&state.db)
    .await?;

    inspection(
        state,
        pharmacies[0].1,
        demo_id(pharmacies[0].0),
        now - Duration::days(2),
    )
    .await?;

    // What the sales cannot raise by themselves: the platform's own alerts.
    let mut tx = state.db.begin().await?;
    alerts::sweep_multi_pharmacy(&mut tx, 3).await?;
    for (kind, detail) in [
        (
            AlertKind::SyncLag,
            json!({ "target": "wuhan-dc", "lag_secs": 1260, "pending": 214 }),
        ),
        (
            AlertKind::DeadLetter,
            json!({ "target": "wuhan-dc", "dead": 2, "entity": "registration" }),
        ),
        (
            AlertKind::WechatQuota,
            json!({ "errcode": 45009, "api": "ocr.idcard" }),
        ),
        (
            AlertKind::WechatConfig,
            json!({ "errcode": 40125, "api": "stable_token" }),
        ),
    ] {
        alerts::raise(&mut tx, NewAlert::platform(kind, detail)).await?;
    }
    week.alerts = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM alert"#)
        .fetch_one(&mut *tx)
        .await? as u32;
    Entry::system(Action::SeedDemo)
        .detail(json!({ "week": { "registrations": week.registrations, "refused": week.refused } }))
        .append(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(week)
}

/// The district inspector's visit to the first pharmacy, with a shelf photo
/// stored as an uploaded one would be (full size and thumbnail).
async fn inspection(
    state: &AppState,
    district: &str,
    pharmacy_id: Uuid,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let inspector = demo_id("inspector");
    // A synthetic shelf: rows of boxes in the demo's colours.
    let img = image::RgbImage::from_fn(960, 720, |x, y| {
        let shelf = (y / 120) % 2 == 0;
        let boxed = (x / 80 + y / 120) % 3;
        match (shelf, boxed) {
            (true, 0) => image::Rgb([0, 82, 217]),
            (true, 1) => image::Rgb([227, 77, 89]),
            (true, _) => image::Rgb([242, 243, 245]),
            (false, _) => image::Rgb([120, 90, 60]),
        }
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    let processed = mobile_api::inspection::photo::process(&png)
        .map_err(|e| anyhow::anyhow!("demo photo: {e:?}"))?;
    let mut tx = state.db.begin().await?;
    let id = mobile_api::inspection::repo::insert(
        &mut tx,
        mobile_api::inspection::repo::NewInspection {
            pharmacy_id,
            district_code: district,
            inspector_id: inspector,
            result: "issues_found",
            findings: "含麻黄碱类复方制剂登记台账中 2 笔记录缺少批号；专柜标识不清",
            disposition: "rectify",
            inspected_at: at,
        },
    )
    .await?;
    let photo =
        mobile_api::inspection::photos::store(state, &mut tx, inspector, Some(district), processed)
            .await
            .map_err(|e| anyhow::anyhow!("demo photo: {}", e.title))?;
    mobile_api::inspection::repo::attach_photos(&mut tx, id, inspector, district, &[photo]).await?;
    Entry::system(Action::SeedDemo)
        .object(id)
        .detail(json!({ "inspection": id, "photos": 1 }))
        .append(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
