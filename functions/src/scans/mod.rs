//! Scans (SPEC §4.3): an ID card or social-security card, read by a card
//! reader at the counter (JSON) or photographed (multipart `image`, sent to
//! WeChat OCR). The validated identity waits in Redis under a `scan_token`
//! usable only by the clerk who scanned; the answer is masked.

pub mod api;
pub mod photo;

/// A scan photo: multipart `image`, at most 4 MiB.
pub struct ScanPhoto;

#[derive(poem_openapi::Multipart)]
#[allow(dead_code)]
pub struct ScanPhotoForm {
    /// JPEG or PNG of the card, at most 4 MiB.
    image: poem_openapi::types::multipart::Upload,
}

impl shared::upload::UploadSpec for ScanPhoto {
    const FIELD: &'static str = "image";
    const LIMIT: usize = 4 * 1024 * 1024;
    const TOO_LARGE_CODE: Code = codes::IMAGE_TOO_LARGE;
    const TOO_LARGE_TITLE: &'static str = "照片超过 4 MB，请降低相机分辨率后重新拍摄";
    type Form = ScanPhotoForm;
}

pub type PhotoUpload = shared::upload::Upload<ScanPhoto>;

use shared::codes::{self, Code};
use shared::group::{Deploy, Group};

/// The `scans` function group.
pub struct Scans;

impl Group for Scans {
    const NAME: &'static str = "scans";
    const DESCRIPTION: &'static str = "身份证、社保卡扫描（读卡器或拍照识别）";
    const DEPLOY: Deploy = Deploy::HEAVY;
    type Api = api::ScansApi;
    fn api() -> Self::Api {
        api::ScansApi
    }
}
