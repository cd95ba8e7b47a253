//! Checks a photo before it leaves our server, and shrinks it when WeChat's
//! 2 MB limit needs it. Sniffing, the pixel budget and the decode limits are
//! those of [`shared::imaging`], shared with inspection photos; on top of
//! them a card photo must have sane proportions. Photos are never stored.

use image::{DynamicImage, ImageFormat, codecs::jpeg::JpegEncoder};
use shared::codes;
use shared::{
    ApiError,
    imaging::{self, PhotoError},
};

/// What WeChat's OCR accepts.
pub const WECHAT_MAX_BYTES: usize = 2 * 1024 * 1024;
/// Long side we shrink to when shrinking is needed: enough for OCR.
const TARGET_LONG_SIDE: u32 = 2048;
const MIN_SIDE: u32 = 200;

pub struct Prepared {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

pub fn invalid(message: &'static str) -> ApiError {
    ApiError::unprocessable(codes::IMAGE_INVALID, message).field(
        "image",
        codes::IMAGE_INVALID,
        message,
    )
}

fn refused(e: PhotoError) -> ApiError {
    match e {
        PhotoError::TooLarge => e.into(),
        PhotoError::NotAnImage => invalid("不是可识别的图片，请上传 JPEG 或 PNG 照片"),
        PhotoError::Unsupported => invalid("仅支持 JPEG 或 PNG 照片"),
        PhotoError::Corrupt => invalid("图片已损坏，无法读取，请重新拍摄"),
        PhotoError::TooSmall => invalid("图片尺寸不合适，请对准证件重新拍摄"),
    }
}

/// Validates and, when needed, re-encodes. CPU-bound: call it inside
/// [`imaging::run_bounded`].
pub fn prepare(bytes: Vec<u8>) -> Result<Prepared, ApiError> {
    // Proportions first, from the header: a strip of pixels is no card.
    let (_, w, h) = imaging::dimensions(&bytes).map_err(refused)?;
    if w.min(h) >= MIN_SIDE && w.max(h) / w.min(h).max(1) > 8 {
        return Err(invalid("图片尺寸不合适，请对准证件重新拍摄"));
    }
    let decoded = imaging::decode(&bytes, MIN_SIDE).map_err(refused)?;
    let content_type = match decoded.format {
        ImageFormat::Png => "image/png",
        _ => "image/jpeg",
    };
    if bytes.len() <= WECHAT_MAX_BYTES && w.max(h) <= 4096 {
        return Ok(Prepared {
            bytes,
            content_type,
            width: w,
            height: h,
        });
    }
    shrink(decoded.image)
}

fn shrink(img: DynamicImage) -> Result<Prepared, ApiError> {
    let rgb = imaging::fit(imaging::to_rgb(img), TARGET_LONG_SIDE);
    let rgb = DynamicImage::ImageRgb8(rgb);
    for quality in [85u8, 70, 55] {
        let mut out = Vec::new();
        rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
            .map_err(ApiError::internal)?;
        if out.len() <= WECHAT_MAX_BYTES {
            return Ok(Prepared {
                bytes: out,
                content_type: "image/jpeg",
                width: rgb.width(),
                height: rgb.height(),
            });
        }
    }
    Err(ApiError::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        codes::IMAGE_TOO_LARGE,
        "图片过大，请降低相机分辨率后重新拍摄",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ExtendedColorType, ImageBuffer, ImageEncoder, Rgb, codecs::png::PngEncoder};

    fn jpeg(w: u32, h: u32, noisy: bool) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, y| {
            if noisy {
                let v = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)).to_le_bytes();
                Rgb([v[0], v[1], v[2]])
            } else {
                Rgb([(x % 256) as u8, (y % 256) as u8, 128])
            }
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 95))
            .unwrap();
        out
    }

    #[test]
    fn a_small_photo_passes_unchanged() {
        let bytes = jpeg(800, 500, false);
        let p = prepare(bytes.clone()).unwrap();
        assert_eq!(p.bytes, bytes);
        assert_eq!(p.content_type, "image/jpeg");
    }

    #[test]
    fn a_photo_over_wechats_limit_is_shrunk() {
        let bytes = jpeg(3000, 2000, true);
        assert!(bytes.len() > WECHAT_MAX_BYTES, "{}", bytes.len());
        let p = prepare(bytes).unwrap();
        assert!(p.bytes.len() <= WECHAT_MAX_BYTES);
        assert_eq!((p.width, p.height), (2048, 1365));
        assert_eq!(image::guess_format(&p.bytes).unwrap(), ImageFormat::Jpeg);
    }

    #[test]
    fn non_images_and_broken_images_are_refused() {
        for bad in [
            b"%PDF-1.4 not an image".to_vec(),
            b"GIF89a....".to_vec(),
            jpeg(800, 500, false)[..300].to_vec(),
            jpeg(50, 50, false),
            jpeg(2000, 200, false),
        ] {
            let e = prepare(bad).err().expect("refused");
            assert_eq!(e.code, "IMAGE_INVALID");
        }
    }

    #[test]
    fn a_photo_over_the_pixel_budget_is_refused_with_422() {
        let (w, h) = (7_000u32, 6_000u32);
        let mut bomb = Vec::new();
        PngEncoder::new(&mut bomb)
            .write_image(&vec![0u8; (w * h) as usize], w, h, ExtendedColorType::L8)
            .unwrap();
        let e = prepare(bomb).err().expect("refused");
        assert_eq!(
            (e.status.as_u16(), e.code.as_ref()),
            (422, "IMAGE_TOO_LARGE")
        );
    }
}
