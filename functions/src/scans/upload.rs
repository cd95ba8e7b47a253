//! `PhotoUpload`: a `multipart/form-data` body whose `image` field is read
//! with a hard size limit (SPEC §3: scan photos 4 MiB → 413 `IMAGE_TOO_LARGE`),
//! so an oversized upload is cut off while it streams, not after.

use poem::{FromRequest, Request, RequestBody, web::Multipart};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::multipart::Upload,
};
use shared::ApiError;

pub const SCAN_PHOTO_LIMIT: usize = 4 * 1024 * 1024;

/// Schema of the form, for the OpenAPI document.
#[derive(poem_openapi::Multipart)]
#[allow(dead_code)]
struct PhotoForm {
    /// JPEG or PNG, at most 4 MiB.
    image: Upload,
}

pub struct PhotoUpload {
    pub bytes: Vec<u8>,
}

pub fn too_large() -> ApiError {
    ApiError::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        "IMAGE_TOO_LARGE",
        "照片超过 4 MB，请降低相机分辨率后重新拍摄",
    )
    .field("image", "IMAGE_TOO_LARGE", "照片不能超过 4 MB")
}

impl Payload for PhotoUpload {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(m) if m.type_() == "multipart" && m.subtype() == "form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        <PhotoForm as Payload>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <PhotoForm as Payload>::register(registry);
    }
}

impl ParsePayload for PhotoUpload {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        // Whole request: the photo plus a little form overhead.
        if request
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|n| n > SCAN_PHOTO_LIMIT + 64 * 1024)
        {
            return Err(too_large().into());
        }
        let mut form = Multipart::from_request(request, body)
            .await
            .map_err(|_| malformed())?;
        while let Some(field) = form.next_field().await.map_err(|_| malformed())? {
            if field.name() != Some("image") {
                continue;
            }
            use tokio::io::AsyncReadExt;
            let mut buf = Vec::new();
            field
                .into_async_read()
                .take(SCAN_PHOTO_LIMIT as u64 + 1)
                .read_to_end(&mut buf)
                .await
                .map_err(|_| malformed())?;
            if buf.len() > SCAN_PHOTO_LIMIT {
                return Err(too_large().into());
            }
            if buf.is_empty() {
                break;
            }
            return Ok(PhotoUpload { bytes: buf });
        }
        Err(ApiError::bad_request("VALIDATION_FAILED", "请上传证件照片")
            .field("image", "REQUIRED", "缺少 image 字段")
            .into())
    }
}

fn malformed() -> ApiError {
    ApiError::bad_request("MALFORMED_MULTIPART", "上传内容格式不正确，请重新拍摄上传")
}

poem_openapi::impl_apirequest_for_payload!(PhotoUpload,);
