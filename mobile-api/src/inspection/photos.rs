//! Inspection photos: upload (checked, re-encoded without metadata, stored
//! through object storage with a thumbnail) and serving them back to callers
//! allowed to see the inspection.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::Path,
    payload::{Binary, Json},
};
use serde_json::json;
use shared::codes::{self, Code};
use sqlx::FromRow;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry},
    auth::{Inspector, InspectorOrAdmin, Role, Scope},
    storage::StorageError,
    upload::{Upload, UploadSpec},
};

use super::{api::PhotoRef, photo};

pub struct PhotosApi;

/// An inspection photo: multipart `image`, at most 10 MiB.
pub struct InspectionPhoto;

#[derive(poem_openapi::Multipart)]
#[allow(dead_code)]
pub struct InspectionPhotoForm {
    /// JPEG or PNG, at most 10 MiB.
    image: poem_openapi::types::multipart::Upload,
}

impl UploadSpec for InspectionPhoto {
    const FIELD: &'static str = "image";
    const LIMIT: usize = 10 * 1024 * 1024;
    const TOO_LARGE_CODE: Code = codes::IMAGE_TOO_LARGE;
    const TOO_LARGE_TITLE: &'static str = "照片超过 10 MB，请降低相机分辨率后重新拍摄";
    type Form = InspectionPhotoForm;
}

#[derive(ApiResponse)]
pub enum Uploaded {
    #[oai(status = 201)]
    Created(Json<PhotoRef>),
}

#[derive(ApiResponse)]
pub enum Image {
    #[oai(status = 200, content_type = "image/jpeg")]
    Jpeg(Binary<Vec<u8>>, #[oai(header = "cache-control")] String),
}

#[derive(Debug, FromRow)]
struct PhotoRow {
    uploaded_by: Uuid,
    district_code: Option<String>,
    inspection_id: Option<Uuid>,
    object_key: String,
    thumbnail_key: String,
}

fn not_found() -> ApiError {
    ApiError::not_found(codes::PHOTO_NOT_FOUND, "照片不存在")
}

fn storage_error(e: StorageError) -> ApiError {
    match e {
        StorageError::NotFound => not_found(),
        other => {
            ApiError::unavailable(codes::STORAGE_UNAVAILABLE, "文件存储暂时不可用，请稍后重试")
                .cause(anyhow::anyhow!("{other}"))
        }
    }
}

/// Unattached photos are the uploader's; attached ones follow the inspection's district.
fn visible(row: &PhotoRow, caller: &InspectorOrAdmin) -> bool {
    if caller.role == Role::CityAdmin {
        return true;
    }
    match (&row.inspection_id, caller.scope()) {
        (None, _) => row.uploaded_by == caller.user_id,
        (Some(_), Scope::District(d)) => row.district_code.as_deref() == Some(d.as_str()),
        _ => false,
    }
}

async fn serve(
    state: &AppState,
    auth: &InspectorOrAdmin,
    id: Uuid,
    thumbnail: bool,
) -> Result<Image, ApiError> {
    let row = sqlx::query_as!(
        PhotoRow,
        "SELECT uploaded_by, district_code, inspection_id, object_key, thumbnail_key FROM inspection_photo WHERE photo_id = $1",
        id
    )
    .fetch_optional(&state.db)
        .await?
        .filter(|r| visible(r, auth))
        .ok_or_else(not_found)?;
    let key = if thumbnail {
        &row.thumbnail_key
    } else {
        &row.object_key
    };
    let bytes = state.storage.get(key).await.map_err(storage_error)?;
    Ok(Image::Jpeg(Binary(bytes), "private, max-age=86400".into()))
}

/// Stores a processed photo (full size and thumbnail) and records it as
/// `uploader`'s, not yet attached to an inspection; its id. The upload and
/// the demo seed both come through here.
pub async fn store(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    uploader: Uuid,
    district: Option<&str>,
    processed: photo::ProcessedPhoto,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let month = chrono::Utc::now().format("%Y/%m");
    let object_key = format!("inspection/{month}/{id}.jpg");
    let thumbnail_key = format!("inspection/{month}/{id}_thumb.jpg");
    let bytes = processed.full.len() as i32;
    state
        .storage
        .put(&object_key, processed.full)
        .await
        .map_err(storage_error)?;
    state
        .storage
        .put(&thumbnail_key, processed.thumbnail)
        .await
        .map_err(storage_error)?;
    sqlx::query!("INSERT INTO inspection_photo (photo_id, uploaded_by, district_code, object_key, thumbnail_key, width, height, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", id, uploader, district, &object_key, &thumbnail_key, processed.width as i32, processed.height as i32, bytes)
    .execute(conn)
    .await?;
    Ok(id)
}

#[OpenApi]
impl PhotosApi {
    /// Upload an inspection photo (re-encoded, location and camera data removed)
    #[oai(
        path = "/inspection/photos",
        method = "post",
        operation_id = "inspection_photo_upload"
    )]
    #[tracing::instrument(name = "inspection.photo_upload", skip_all)]
    async fn upload(
        &self,
        state: Data<&AppState>,
        auth: Inspector,
        body: Upload<InspectionPhoto>,
    ) -> Result<Uploaded, ApiError> {
        let processed = shared::imaging::run_bounded(move || photo::process(&body.bytes)).await??;
        let (width, height, bytes) = (processed.width, processed.height, processed.full.len());
        let mut tx = state.db.begin().await?;
        let id = store(
            &state,
            &mut tx,
            auth.user_id,
            auth.district_code.as_deref(),
            processed,
        )
        .await?;
        Entry::by(&auth.0, Action::InspectionPhotoUpload)
            .object(id)
            .detail(json!({ "bytes": bytes, "width": width, "height": height }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Uploaded::Created(Json(PhotoRef::of(id))))
    }

    /// An inspection photo (JPEG)
    #[oai(
        path = "/inspection/photos/:id",
        method = "get",
        operation_id = "inspection_photo_get"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        id: Path<Uuid>,
    ) -> Result<Image, ApiError> {
        serve(&state, &auth, id.0, false).await
    }

    /// An inspection photo's thumbnail (JPEG, 320 px)
    #[oai(
        path = "/inspection/photos/:id/thumbnail",
        method = "get",
        operation_id = "inspection_photo_thumbnail"
    )]
    async fn thumbnail(
        &self,
        state: Data<&AppState>,
        auth: InspectorOrAdmin,
        id: Path<Uuid>,
    ) -> Result<Image, ApiError> {
        serve(&state, &auth, id.0, true).await
    }
}
