use chrono::{DateTime, FixedOffset, NaiveDate};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use serde_json::json;
use shared::{
    ApiError, AppState,
    audit::{self, Actor, Entry},
    auth::{PharmacyStaff, RegistrationReader, Role},
    body::JsonBody,
    domain::{Gtin, ResidentIdNumber, mask_id_number, mask_name},
    idempotency::IdempotencyKey,
    paging::{Page, PageRequest},
    time::{to_china, today_in_china},
};

use super::{record, repo};
use crate::{
    Tag,
    scans::{api::GenderView, identity::Source},
};

pub struct RegistrationsApi;

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// GTIN-8/12/13/14 of the minimum package.
    pub barcode: String,
    /// Minimum packages.
    pub quantity: u32,
    /// 生产批号
    pub batch_no: Option<String>,
    /// 追溯码, kept as scanned.
    pub trace_code: Option<String>,
}

/// A buyer typed in by hand (no card at hand): flagged for review.
#[derive(Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ManualBuyer {
    pub name: String,
    pub id_number: String,
}

impl std::fmt::Debug for ManualBuyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManualBuyer { .. }")
    }
}

/// A sale: the buyer from a scan (`scan_token`) or typed in (`buyer`), and its items.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewRegistration {
    pub scan_token: Option<String>,
    pub buyer: Option<ManualBuyer>,
    pub items: Vec<NewItem>,
    /// Prescription reference: lifts the per-sale cap, required for prescription-only drugs.
    pub prescription_no: Option<String>,
    /// When the clerk composed the sale (it may be sent later from a queue).
    pub client_time: Option<DateTime<FixedOffset>>,
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

#[derive(ApiResponse)]
pub enum Created {
    /// Registered (or, for a repeated `Idempotency-Key`, the first answer).
    #[oai(status = 201)]
    Created(Json<Registration>),
}

/// Decrypts and masks a stored row for a response.
pub fn view(
    state: &AppState,
    row: repo::RegistrationRow,
    items: Vec<repo::ItemRow>,
    alerts: Vec<String>,
) -> Result<Registration, ApiError> {
    let id_plain = state
        .pii
        .decrypt(&row.buyer_id_enc, record::AAD_BUYER_ID)
        .map_err(ApiError::internal)?;
    let name = state
        .pii
        .decrypt(&row.buyer_name_enc, record::AAD_BUYER_NAME)
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
        source: match row.source.as_str() {
            "ss_card" => Source::SsCard,
            "manual" => Source::Manual,
            _ => Source::IdCard,
        },
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

/// The sales rules in force (SPEC §4.2; a city may be stricter than the defaults).
#[derive(Debug, Clone, Serialize, Object)]
pub struct SalesPolicy {
    /// Packages one registration may hold without a prescription.
    pub per_sale_limit: u32,
    /// Packages one buyer may buy across all pharmacies in `window_days`.
    pub window_limit: u32,
    pub window_days: u32,
    /// `block` (refused) or `alert` (registered and reported).
    pub window_action: String,
    /// Sales to buyers under 18 are refused.
    pub refuse_minors: bool,
}

pub fn not_found() -> ApiError {
    ApiError::not_found("REGISTRATION_NOT_FOUND", "登记记录不存在")
}

#[OpenApi(tag = "Tag::Registrations")]
impl RegistrationsApi {
    /// Register a sale of a special-drug preparation
    ///
    /// Honours `Idempotency-Key`: a retry with the same key and body returns
    /// the first answer and registers nothing more.
    #[oai(
        path = "/registrations",
        method = "post",
        operation_id = "registration_create"
    )]
    #[tracing::instrument(name = "registrations.create", skip_all)]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PharmacyStaff,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
        body: JsonBody<NewRegistration>,
    ) -> Result<Created, ApiError> {
        let registration = record::record(&state, &auth, &key, body.0).await?;
        Ok(Created::Created(Json(registration)))
    }

    /// Registrations visible to the caller, newest first
    ///
    /// Pharmacy staff see their pharmacy's, inspectors their district's, city
    /// admins all. `buyer_id_number` is for inspectors and city admins only.
    #[oai(
        path = "/registrations",
        method = "get",
        operation_id = "registration_list"
    )]
    #[tracing::instrument(name = "registrations.list", skip_all)]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: RegistrationReader,
        /// First day (China time), inclusive.
        from: Query<Option<NaiveDate>>,
        /// Last day (China time), inclusive.
        to: Query<Option<NaiveDate>>,
        pharmacy_id: Query<Option<Uuid>>,
        #[oai(validator(pattern = r"^[0-9]{6}$"))] district: Query<Option<String>>,
        barcode: Query<Option<String>>,
        buyer_id_number: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Registration>>, ApiError> {
        let (from, to) = shared::time::day_range(from.0, to.0)?;
        let buyer_id_index = match buyer_id_number
            .0
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(raw) => {
                if !matches!(auth.role, Role::Inspector | Role::CityAdmin) {
                    return Err(ApiError::forbidden().with_code(
                        "BUYER_LOOKUP_FORBIDDEN",
                        "只有检查人员和管理员可以按身份证号查询",
                    ));
                }
                let id = ResidentIdNumber::parse_on(raw, today_in_china()).map_err(|e| {
                    let err: ApiError = e.into();
                    let code = err.code.clone();
                    err.field("buyer_id_number", code, "身份证号码不正确")
                })?;
                Some(record::buyer_index(&state, &id))
            }
        };
        let barcode = match barcode
            .0
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(b) => Some(Gtin::parse(b)?.as_str().to_owned()),
        };
        let page = PageRequest::new(page.0, page_size.0);
        let filter = repo::Filter {
            from,
            to,
            pharmacy_id: pharmacy_id.0,
            district: district.0,
            barcode,
            buyer_id_index,
        };
        let scope = auth.scope();
        if let Some(index) = &filter.buyer_id_index {
            audit::append_alone(
                &state.db,
                Entry {
                    stream: Entry::stream_of(&auth.0),
                    actor: Actor::from(&auth.0),
                    action: "buyer.lookup",
                    object_type: "buyer",
                    object_id: Some(hex::encode(index)),
                    detail: json!({ "via": "registration_list" }),
                },
            )
            .await?;
        }
        let (rows, total) = repo::list(&state.db, &scope, &filter, page).await?;
        let items = record::views(&state, rows)?;
        Ok(Json(Page::new(items, total, page)))
    }

    /// The sales rules in force, for clients to explain them before submitting
    #[oai(path = "/policy", method = "get", operation_id = "sales_policy")]
    async fn policy(
        &self,
        state: Data<&AppState>,
        _auth: shared::auth::AnyUser,
    ) -> Result<Json<SalesPolicy>, ApiError> {
        let p = &state.config.policy;
        Ok(Json(SalesPolicy {
            per_sale_limit: p.per_sale_limit,
            window_limit: p.window_limit,
            window_days: p.window_days,
            window_action: if p.window_action == shared::config::WindowAction::Block {
                "block"
            } else {
                "alert"
            }
            .to_owned(),
            refuse_minors: p.refuse_minors,
        }))
    }

    /// One registration (404 when it is not visible to the caller)
    #[oai(
        path = "/registrations/:id",
        method = "get",
        operation_id = "registration_get"
    )]
    #[tracing::instrument(name = "registrations.get", skip_all)]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: RegistrationReader,
        id: Path<Uuid>,
    ) -> Result<Json<Registration>, ApiError> {
        let mut conn = state.db.acquire().await?;
        let row = repo::get(&mut conn, &auth.scope(), id.0)
            .await?
            .ok_or_else(not_found)?;
        drop(conn);
        let mut views = record::views(&state, vec![row])?;
        Ok(Json(views.remove(0)))
    }
}
