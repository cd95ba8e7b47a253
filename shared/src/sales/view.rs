//! A registration as responses show it: decrypted, masked.

use crate::codes;
use chrono::{DateTime, FixedOffset};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Source, buyer, read};
use crate::{
    ApiError, AppState,
    domain::{Gender, ResidentIdNumber, mask_id_number, mask_name},
    time::to_china,
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum GenderView {
    Male,
    Female,
}

impl From<Gender> for GenderView {
    fn from(g: Gender) -> Self {
        match g {
            Gender::Male => GenderView::Male,
            Gender::Female => GenderView::Female,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct BuyerView {
    pub name_masked: String,
    pub id_masked: String,
    pub gender: GenderView,
    /// Age on the sale date.
    pub age: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Item {
    pub barcode: String,
    pub drug_name: String,
    pub strength: String,
    pub manufacturer: String,
    pub package_unit: String,
    pub quantity: i32,
    pub batch_no: Option<String>,
    pub trace_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Registration {
    pub id: Uuid,
    pub pharmacy_id: Uuid,
    pub pharmacy_name: String,
    pub district_code: String,
    pub clerk_id: Uuid,
    pub buyer: BuyerView,
    pub source: Source,
    pub items: Vec<Item>,
    pub total_packages: i32,
    pub prescription_no: Option<String>,
    /// Typed in by hand: an inspector should look at it.
    pub needs_review: bool,
    /// Alerts this sale raised (`WINDOW_LIMIT` in alert mode, `MULTI_PHARMACY`).
    pub alerts: Vec<String>,
    pub client_time: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

/// Decrypts and masks a stored row for a response.
pub fn view(
    state: &AppState,
    row: read::RegistrationRow,
    items: Vec<read::ItemRow>,
    alerts: Vec<String>,
) -> Result<Registration, ApiError> {
    let id_plain = state
        .pii
        .decrypt(&row.buyer_id_enc, buyer::AAD_ID)
        .map_err(ApiError::internal)?;
    let name = state
        .pii
        .decrypt(&row.buyer_name_enc, buyer::AAD_NAME)
        .map_err(ApiError::internal)?;
    let sale_date = to_china(row.created_at).date_naive();
    // Stored values were parsed before they were stored; parse on the sale date.
    let id = ResidentIdNumber::parse_on(&id_plain, sale_date).map_err(ApiError::internal)?;
    Ok(Registration {
        id: row.registration_id,
        pharmacy_id: row.pharmacy_id,
        pharmacy_name: row.pharmacy_name,
        district_code: row.district_code,
        clerk_id: row.clerk_user_id,
        buyer: BuyerView {
            name_masked: mask_name(&name),
            id_masked: mask_id_number(id.as_str()),
            gender: id.gender().into(),
            age: id.age_on(sale_date),
        },
        source: row.source,
        items: items
            .into_iter()
            .map(|i| Item {
                barcode: i.barcode,
                drug_name: i.drug_name,
                strength: i.strength,
                manufacturer: i.manufacturer,
                package_unit: i.package_unit,
                quantity: i.quantity,
                batch_no: i.batch_no,
                trace_code: i.trace_code,
            })
            .collect(),
        total_packages: row.total_packages,
        prescription_no: row.prescription_no,
        needs_review: row.needs_review,
        alerts,
        client_time: row.client_time.map(to_china),
        created_at: to_china(row.created_at),
    })
}

/// The answer for a registration that does not exist or is out of scope.
pub fn not_found() -> ApiError {
    ApiError::not_found(codes::REGISTRATION_NOT_FOUND, "登记记录不存在")
}

/// Rows (with their items and alert kinds) → responses.
pub fn views(state: &AppState, rows: Vec<read::Listed>) -> Result<Vec<Registration>, ApiError> {
    rows.into_iter()
        .map(|l| view(state, l.row, l.items.0, l.alert_kinds))
        .collect()
}
