//! Reference data and the demo (`yaojian seed-demo`). Idempotent: fixed ids,
//! upserts; running it twice changes nothing but the demo passwords' hashes.
//! The demo's week of activity is [`week`]; its approval side [`items`].

pub mod cases;
pub mod items;
pub mod week;

use serde_json::json;
use shared::{
    AppState,
    audit::{Action, Entry},
    auth::{invite, password},
};
use sqlx::PgConnection;
use uuid::Uuid;

/// A realistic demo catalogue of the four special categories (barcodes are
/// valid GTIN-13 in the 69 prefix; names and strengths as sold in China).
pub struct DemoDrug {
    pub barcode: &'static str,
    pub approval_number: &'static str,
    pub name: &'static str,
    pub strength: &'static str,
    pub manufacturer: &'static str,
    pub package_unit: &'static str,
    pub special_category: &'static str,
    pub rx_only: bool,
    pub max_per_purchase: Option<i32>,
    pub active: bool,
}

pub const DEMO_DRUGS: &[DemoDrug] = &[
    DemoDrug {
        barcode: "6901234560015",
        approval_number: "国药准字H10940099",
        name: "复方盐酸伪麻黄碱缓释胶囊（新康泰克）",
        strength: "10粒/盒",
        manufacturer: "中美天津史克制药有限公司",
        package_unit: "盒",
        special_category: "ephedrine",
        rx_only: false,
        max_per_purchase: None,
        active: true,
    },
    DemoDrug {
        barcode: "6901234560022",
        approval_number: "国药准字H10950223",
        name: "氨酚伪麻美芬片Ⅱ/氨麻苯美片（白加黑）",
        strength: "16片/盒",
        manufacturer: "拜耳医药保健有限公司启东分公司",
        package_unit: "盒",
        special_category: "ephedrine",
        rx_only: false,
        max_per_purchase: None,
        active: true,
    },
    DemoDrug {
        barcode: "6901234560039",
        approval_number: "国药准字H44021540",
        name: "复方甘草片",
        strength: "100片/瓶",
        manufacturer: "广东恒健制药有限公司",
        package_unit: "瓶",
        special_category: "liquorice",
        rx_only: false,
        max_per_purchase: None,
        active: true,
    },
    DemoDrug {
        barcode: "6901234560046",
        approval_number: "国药准字H20063901",
        name: "复方磷酸可待因口服溶液",
        strength: "120ml/瓶",
        manufacturer: "广州白云山制药股份有限公司",
        package_unit: "瓶",
        special_category: "codeine",
        rx_only: true,
        max_per_purchase: None,
        active: true,
    },
    DemoDrug {
        barcode: "6901234560053",
        approval_number: "国药准字H32020697",
        name: "复方地芬诺酯片",
        strength: "100片/瓶",
        manufacturer: "常州康普药业有限公司",
        package_unit: "瓶",
        special_category: "diphenoxylate",
        rx_only: true,
        max_per_purchase: None,
        active: true,
    },
    DemoDrug {
        barcode: "6901234560060",
        approval_number: "国药准字H20030741",
        name: "氨酚麻美干混悬剂（儿童）",
        strength: "12袋/盒",
        manufacturer: "湖北午时药业股份有限公司",
        package_unit: "盒",
        special_category: "ephedrine",
        rx_only: false,
        max_per_purchase: Some(1),
        active: true,
    },
    DemoDrug {
        barcode: "6901234560077",
        approval_number: "国药准字H42021337",
        name: "盐酸麻黄碱滴鼻液（已停售）",
        strength: "10ml/支",
        manufacturer: "武汉某制药有限公司",
        package_unit: "支",
        special_category: "ephedrine",
        rx_only: false,
        max_per_purchase: None,
        active: false,
    },
];

/// Upserts the demo catalogue, keyed by barcode.
pub async fn drugs(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    for d in DEMO_DRUGS {
        sqlx::query!("INSERT INTO drug (drug_id, barcode, approval_number, name, strength, manufacturer, package_unit, special_category, rx_only, max_per_purchase, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (barcode) DO UPDATE SET approval_number = excluded.approval_number, name = excluded.name,
                 strength = excluded.strength, manufacturer = excluded.manufacturer, package_unit = excluded.package_unit,
                 special_category = excluded.special_category, rx_only = excluded.rx_only,
                 max_per_purchase = excluded.max_per_purchase, active = excluded.active", demo_id(d.barcode), d.barcode, d.approval_number, d.name, d.strength, d.manufacturer, d.package_unit, d.special_category, d.rx_only, d.max_per_purchase, d.active)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Stable ids for demo rows, so re-running updates instead of duplicating.
fn demo_id(name: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("yaojian-demo/{name}").as_bytes(),
    )
}

pub struct DemoLogins {
    pub password: String,
    pub clerk_invite_code: String,
    /// What the demo week added (nothing on a second run).
    pub week: week::Week,
}

struct DemoPharmacy {
    key: &'static str,
    name: &'static str,
    licence: &'static str,
    uscc: &'static str,
    district: &'static str,
    address: &'static str,
}

const PHARMACIES: &[DemoPharmacy] = &[
    DemoPharmacy {
        key: "ph1",
        name: "江岸区民生大药房",
        licence: "鄂CA0270001",
        uscc: "91110000600037341L",
        district: "420102",
        address: "武汉市江岸区解放大道1000号",
    },
    DemoPharmacy {
        key: "ph2",
        name: "江岸区百姓药店",
        licence: "鄂CA0270002",
        uscc: "91512081MA62K0260E",
        district: "420102",
        address: "武汉市江岸区中山大道200号",
    },
    DemoPharmacy {
        key: "ph3",
        name: "武昌区健康药房",
        licence: "鄂CA0270003",
        uscc: "11100000MB0341032Y",
        district: "420106",
        address: "武汉市武昌区中南路88号",
    },
];

/// (key, role, display name, username, pharmacy key, district, WeChat openid)
type DemoUser = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const USERS: &[DemoUser] = &[
    (
        "admin",
        "city_admin",
        "市局管理员",
        Some("demo-admin"),
        None,
        None,
        None,
    ),
    (
        "inspector",
        "inspector",
        "江岸区检查员",
        Some("demo-inspector"),
        None,
        Some("420102"),
        Some("oDEMO_inspector_0000000000"),
    ),
    (
        "manager",
        "pharmacy_manager",
        "民生店长",
        Some("demo-manager"),
        Some("ph1"),
        None,
        Some("oDEMO_manager_00000000000"),
    ),
    (
        "clerk",
        "clerk",
        "民生店员",
        None,
        Some("ph1"),
        None,
        Some(crate::fake_wechat::DEMO_OPENID),
    ),
    (
        "clerk2",
        "clerk",
        "民生新店员",
        None,
        Some("ph1"),
        None,
        None,
    ),
    (
        "clerk_ph2",
        "clerk",
        "百姓店员",
        None,
        Some("ph2"),
        None,
        None,
    ),
    (
        "clerk_ph3",
        "clerk",
        "健康店员",
        None,
        Some("ph3"),
        None,
        None,
    ),
];

pub async fn demo(state: &AppState, password_text: &str) -> anyhow::Result<DemoLogins> {
    password::check_complexity(password_text)
        .map_err(|e| anyhow::anyhow!("demo password: {}", e.title))?;
    let hash = password::hash(password_text).await?;
    let mut tx = state.db.begin().await?;
    drugs(&mut tx).await?;
    for p in PHARMACIES {
        sqlx::query!("INSERT INTO pharmacy (pharmacy_id, name, licence_number, uscc, district_code, address, contact_phone)
             VALUES ($1, $2, $3, $4, $5, $6, '027-80000000')
             ON CONFLICT (pharmacy_id) DO UPDATE SET name = excluded.name, district_code = excluded.district_code, address = excluded.address", demo_id(p.key), p.name, p.licence, p.uscc, p.district, p.address)
        .execute(&mut *tx)
        .await?;
    }
    for (key, role, name, username, pharmacy, district, openid) in USERS {
        sqlx::query!("INSERT INTO app_user (user_id, role, display_name, username, password_hash, pharmacy_id, district_code, wechat_openid)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, status = 'active',
                 must_change_password = false, wechat_openid = excluded.wechat_openid", demo_id(key), role, name, *username, username.map(|_| hash.as_str()), pharmacy.map(demo_id), *district, *openid)
        .execute(&mut *tx)
        .await?;
    }
    items::seed(&mut tx, &hash).await?;
    let clerk_invite_code = invite::issue(
        &mut tx,
        &state.pii,
        demo_id("clerk2"),
        Some(demo_id("manager")),
    )
    .await?;
    Entry::system(Action::SeedDemo)
.detail(json!({ "pharmacies": PHARMACIES.len(), "users": USERS.len(), "drugs": DEMO_DRUGS.len() }))
    .append(&mut tx)
.await?;
    tx.commit().await?;
    let pharmacies: Vec<(&str, &str)> = PHARMACIES.iter().map(|p| (p.key, p.district)).collect();
    let week = week::seed(state, &pharmacies).await?;
    cases::seed(state).await?;
    Ok(DemoLogins {
        password: password_text.to_owned(),
        clerk_invite_code,
        week,
    })
}
