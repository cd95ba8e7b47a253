//! `Upload<S>`: a `multipart/form-data` body whose one file field is read
//! with a hard size limit while it streams (SPEC §3: scan photos 4 MiB,
//! inspection photos 10 MiB, import files 20 MiB), so an oversized upload is
//! cut off early instead of filling memory. `S` names the field and the limit.

use crate::codes::{self, Code};
use std::marker::PhantomData;

use poem::{FromRequest, Request, RequestBody, web::Multipart};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
};

use crate::error::ApiError;

/// One kind of upload: its field, its limit, and the form that documents it.
pub trait UploadSpec: Send + Sync + 'static {
    const FIELD: &'static str;
    const LIMIT: usize;
    /// Code of the 413 answer, e.g. `IMAGE_TOO_LARGE`, `FILE_TOO_LARGE`.
    const TOO_LARGE_CODE: Code;
    const TOO_LARGE_TITLE: &'static str;
    /// A `#[derive(poem_openapi::Multipart)]` struct with the field, for the OpenAPI document.
    type Form: Payload;
}

pub struct Upload<S: UploadSpec> {
    pub bytes: Vec<u8>,
    /// As the client named it (never trusted for the format).
    pub filename: Option<String>,
    _spec: PhantomData<S>,
}

impl<S: UploadSpec> std::fmt::Debug for Upload<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

fn too_large<S: UploadSpec>() -> ApiError {
    ApiError::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        S::TOO_LARGE_CODE,
        S::TOO_LARGE_TITLE,
    )
    .field(
        S::FIELD,
        S::TOO_LARGE_CODE,
        format!("不能超过 {} MB", S::LIMIT / (1024 * 1024)),
    )
}

fn malformed() -> ApiError {
    ApiError::bad_request(codes::MALFORMED_MULTIPART, "上传内容格式不正确，请重新上传")
}

impl<S: UploadSpec> Payload for Upload<S> {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(m) if m.type_() == "multipart" && m.subtype() == "form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        <S::Form as Payload>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <S::Form as Payload>::register(registry);
    }
}

impl<S: UploadSpec> ParsePayload for Upload<S> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        // The whole request: the file plus a little form overhead.
        let declared = request
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|n| n > S::LIMIT + 64 * 1024) {
            return Err(too_large::<S>().into());
        }
        let mut form = Multipart::from_request(request, body)
            .await
            .map_err(|_| malformed())?;
        while let Some(field) = form.next_field().await.map_err(|_| malformed())? {
            if field.name() != Some(S::FIELD) {
                continue;
            }
            let filename = field.file_name().map(str::to_owned);
            use tokio::io::AsyncReadExt;
            let mut buf = Vec::new();
            field
                .into_async_read()
                .take(S::LIMIT as u64 + 1)
                .read_to_end(&mut buf)
                .await
                .map_err(|_| malformed())?;
            if buf.len() > S::LIMIT {
                return Err(too_large::<S>().into());
            }
            // An empty file is still a file: its reader says what is wrong with it.
            return Ok(Upload {
                bytes: buf,
                filename,
                _spec: PhantomData,
            });
        }
        Err(
            ApiError::bad_request(codes::VALIDATION_FAILED, "请选择要上传的文件")
                .field(S::FIELD, codes::REQUIRED, format!("缺少 {} 字段", S::FIELD))
                .into(),
        )
    }
}

poem_openapi::impl_apirequest_for_payload!(Upload<S>, S: UploadSpec);
