//! On-site inspection (inspectors' app and the mini-program's district side):
//! pharmacies of the inspector's district, their recent records, inspection
//! records with photos.

pub mod api;
pub mod photo;
pub mod photos;
pub mod repo;

use shared::group::{Deploy, Group};

/// The `inspection` function group.
pub struct Inspection;

impl Group for Inspection {
    const NAME: &'static str = "inspection";
    const DESCRIPTION: &'static str = "区局现场检查：药店查询、记录、检查与照片";
    type Api = api::InspectionApi;
    fn api() -> Self::Api {
        api::InspectionApi
    }
}

/// The `inspection-photos` function group: uploads decode images, so it is
/// deployed apart, with more memory.
pub struct InspectionPhotos;

impl Group for InspectionPhotos {
    const NAME: &'static str = "inspection-photos";
    const DESCRIPTION: &'static str = "检查照片上传与查看";
    const DEPLOY: Deploy = Deploy { memory_mb: 1024 };
    type Api = photos::PhotosApi;
    fn api() -> Self::Api {
        photos::PhotosApi
    }
}
