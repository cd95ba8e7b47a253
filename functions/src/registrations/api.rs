use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::Serialize;
use shared::codes;
use uuid::Uuid;

use serde_json::json;
use shared::{
    ApiError, AppState,
    audit::{Action, Entry},
    auth::{PharmacyStaff, RegistrationReader, Role},
    body::JsonBody,
    domain::{Gtin, ResidentIdNumber},
    idempotency::IdempotencyKey,
    paging::{Page, PageRequest},
    sales::{Registration, read, view},
    time::today_in_china,
};

use super::{input::NewRegistration, record};

pub struct RegistrationsApi;

#[derive(ApiResponse)]
pub enum Created {
    /// Registered (or, for a repeated `Idempotency-Key`, the first answer).
    #[oai(status = 201)]
    Created(Json<Registration>),
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

#[OpenApi]
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
                        codes::BUYER_LOOKUP_FORBIDDEN,
                        "只有检查人员和管理员可以按身份证号查询",
                    ));
                }
                let id = ResidentIdNumber::parse_on(raw, today_in_china()).map_err(|e| {
                    ApiError::at_field(e, "buyer_id_number", Some("身份证号码不正确"))
                })?;
                Some(shared::sales::buyer::index(&state, &id))
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
        let filter = read::Filter {
            from,
            to,
            pharmacy_id: pharmacy_id.0,
            district: district.0,
            barcode,
            buyer_id_index,
        };
        let scope = auth.scope();
        if let Some(index) = &filter.buyer_id_index {
            Entry::by(&auth.0, Action::BuyerLookup)
                .object(hex::encode(index))
                .detail(json!({ "via": "registration_list" }))
                .append_alone(&state.db)
                .await?;
        }
        let (rows, total) = read::list(&state.db, &scope, &filter, page).await?;
        let items = view::views(&state, rows)?;
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
        let row = read::get(&mut conn, &auth.scope(), id.0)
            .await?
            .ok_or_else(view::not_found)?;
        drop(conn);
        let mut views = view::views(&state, vec![row])?;
        Ok(Json(views.remove(0)))
    }
}
