use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};
use shared::codes;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    auth::AnyUser,
    domain::Gtin,
    paging::{Page, PageRequest},
};

use super::repo::{self, DrugRow};

pub struct DrugsApi;

pub use super::repo::SpecialCategory;

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Drug {
    pub id: Uuid,
    pub barcode: String,
    pub approval_number: String,
    pub name: String,
    /// 规格
    pub strength: String,
    pub manufacturer: String,
    pub package_unit: String,
    pub special_category: SpecialCategory,
    pub rx_only: bool,
    /// Per-sale cap of this product when stricter than the policy's.
    pub max_per_purchase: Option<i32>,
    pub active: bool,
}

impl From<DrugRow> for Drug {
    fn from(d: DrugRow) -> Drug {
        Drug {
            id: d.drug_id,
            special_category: d.special_category,
            barcode: d.barcode,
            approval_number: d.approval_number,
            name: d.name,
            strength: d.strength,
            manufacturer: d.manufacturer,
            package_unit: d.package_unit,
            rx_only: d.rx_only,
            max_per_purchase: d.max_per_purchase,
            active: d.active,
        }
    }
}

pub fn drug_not_found() -> ApiError {
    ApiError::not_found(
        codes::DRUG_NOT_FOUND,
        "目录中没有该药品，请核对条形码或联系管理员录入",
    )
}

#[OpenApi]
impl DrugsApi {
    /// Look up a drug by its barcode (GTIN-8/12/13/14)
    #[oai(
        path = "/drugs/by-barcode/:barcode",
        method = "get",
        operation_id = "drug_by_barcode"
    )]
    #[tracing::instrument(name = "drugs.by_barcode", skip_all)]
    async fn by_barcode(
        &self,
        state: Data<&AppState>,
        _auth: AnyUser,
        barcode: Path<String>,
    ) -> Result<Json<Drug>, ApiError> {
        let barcode = Gtin::parse(&barcode.0)?;
        let drug = repo::by_barcode(&state.db, barcode.as_str())
            .await?
            .ok_or_else(drug_not_found)?;
        Ok(Json(drug.into()))
    }

    /// Search the catalogue by name, manufacturer, approval number or barcode
    #[oai(path = "/drugs", method = "get", operation_id = "drug_search")]
    #[tracing::instrument(name = "drugs.search", skip_all)]
    async fn search(
        &self,
        state: Data<&AppState>,
        _auth: AnyUser,
        #[oai(validator(max_length = 64))] q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<Drug>>, ApiError> {
        let page = PageRequest::new(page.0, page_size.0);
        let q = q.0.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let (rows, total) = repo::search(&state.db, q, page).await?;
        Ok(Json(Page::new(
            rows.into_iter().map(Drug::from).collect(),
            total,
            page,
        )))
    }
}
