//! Decoding untrusted photos within a memory budget, shared by both photo
//! pipelines (scans: `functions::scans::photo`; inspection photos:
//! `mobile_api::inspection::photo`).
//!
//! A PNG or JPEG of a few hundred kilobytes can declare 12,000 × 12,000
//! pixels and decode to half a gigabyte. So, before any pixel is decoded:
//! the format is sniffed from the bytes, the declared dimensions must fit
//! [`PIXEL_BUDGET`] and [`MAX_SIDE`], and the decoder's own allocation limit
//! is [`MAX_ALLOC`]. Shrinking uses area averaging, which needs no buffer
//! beyond its output. And at most [`CONCURRENT_DECODES`] decodes run at
//! once in a process ([`run_bounded`]), so simultaneous uploads queue
//! instead of adding up.
//!
//! Peak memory of one decode: the decoded pixels (at most [`MAX_ALLOC`],
//! 160 MiB) plus, for images with transparency or 16-bit channels, their
//! 8-bit RGB copy (at most 120 MB) — about 280 MB at worst, 120 MB for a
//! 40-megapixel JPEG; with [`CONCURRENT_DECODES`] = 2, at most about 560 MB
//! for photos in a process, whatever number of uploads arrive.

use crate::codes::{self, Code};
use std::fmt;
use std::io::Cursor;
use std::time::Duration;

use crate::{ApiError, blocking::Bound};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};

/// Most pixels (width × height) an upload may declare: 40 megapixels, more
/// than any phone camera's default photo.
pub const PIXEL_BUDGET: u64 = 40_000_000;
/// Largest accepted width or height, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Most memory the decoder may take: the budget at 4 bytes a pixel (RGBA);
/// 16-bit images that large are refused.
pub const MAX_ALLOC: u64 = PIXEL_BUDGET * 4;
/// Decodes that may run at once in one process.
pub const CONCURRENT_DECODES: usize = 2;
/// Decode slots; an upload waits at most 30 s for one, then 503 `SERVER_BUSY`.
static DECODES: Bound = Bound::new(
    CONCURRENT_DECODES,
    Duration::from_secs(30),
    "服务器正忙，请稍后重新上传照片",
);

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoError {
    /// The bytes are not an image of any known format.
    NotAnImage,
    /// An image, but not JPEG or PNG (GIF, WebP, HEIC, …).
    Unsupported,
    /// JPEG or PNG, but damaged or cut short.
    Corrupt,
    /// Less than [`MIN_SIDE`] pixels on a side.
    TooSmall,
    /// More than [`MAX_SIDE`] pixels on a side, more than [`PIXEL_BUDGET`]
    /// pixels, or more than [`MAX_ALLOC`] bytes to decode.
    TooLarge,
}

impl PhotoError {
    /// The API error code: `IMAGE_TOO_LARGE` for oversized dimensions,
    /// `IMAGE_INVALID` otherwise (both 422: the bytes fit the upload limit).
    pub fn code(self) -> Code {
        match self {
            PhotoError::TooLarge => codes::IMAGE_TOO_LARGE,
            PhotoError::NotAnImage
            | PhotoError::Unsupported
            | PhotoError::Corrupt
            | PhotoError::TooSmall => codes::IMAGE_INVALID,
        }
    }

    /// The message shown to the inspector.
    pub fn message(self) -> &'static str {
        match self {
            PhotoError::NotAnImage => "上传的文件不是图片，请上传 JPEG 或 PNG 格式的照片",
            PhotoError::Unsupported => "不支持该图片格式，请上传 JPEG 或 PNG 格式的照片",
            PhotoError::Corrupt => "图片已损坏或不完整，请重新拍摄后上传",
            PhotoError::TooSmall => "图片尺寸过小（每边至少 100 像素），请重新拍摄后上传",
            PhotoError::TooLarge => {
                "图片像素过多（不超过 4000 万像素，每边不超过 12000 像素），请降低相机分辨率或压缩后重新上传"
            }
        }
    }
}

impl fmt::Display for PhotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for PhotoError {}

impl From<PhotoError> for ApiError {
    fn from(e: PhotoError) -> ApiError {
        ApiError::unprocessable(e.code(), e.message()).field("image", e.code(), e.message())
    }
}

/// Runs `work` (a decode and whatever follows it while the pixels are held)
/// on the blocking pool, at most [`CONCURRENT_DECODES`] at once per process.
pub async fn run_bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    DECODES.run(work).await
}

/// A decoded upload.
pub struct Decoded {
    pub format: ImageFormat,
    pub image: DynamicImage,
    /// From EXIF; a damaged EXIF block only loses the rotation.
    pub orientation: Orientation,
}

/// The declared dimensions of an upload, read from its header without
/// decoding pixels.
pub fn dimensions(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), PhotoError> {
    let format = sniff(bytes)?;
    let decoder = decoder(bytes, format)?;
    let (w, h) = decoder.dimensions();
    Ok((format, w, h))
}

fn decoder(bytes: &[u8], format: ImageFormat) -> Result<impl ImageDecoder + '_, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    reader.into_decoder().map_err(classify)
}

/// Sniffs, checks the declared size against the budget and `min_side`, then
/// decodes. CPU-bound: call it inside [`run_bounded`].
pub fn decode(bytes: &[u8], min_side: u32) -> Result<Decoded, PhotoError> {
    let format = sniff(bytes)?;
    if format == ImageFormat::Jpeg && jpeg_is_truncated(bytes) {
        // The JPEG decoder is lenient and would fill a cut-off photo with
        // grey; a half photo is no evidence and no identity.
        return Err(PhotoError::Corrupt);
    }
    let mut decoder = decoder(bytes, format)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > PIXEL_BUDGET
        || decoder.total_bytes() > MAX_ALLOC
    {
        return Err(PhotoError::TooLarge);
    }
    if width < min_side || height < min_side {
        return Err(PhotoError::TooSmall);
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    Ok(Decoded {
        format,
        image,
        orientation,
    })
}

/// The format from the first bytes; JPEG and PNG only.
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png)) => Ok(format),
        Ok(_) => Err(PhotoError::Unsupported),
        // iPhones shoot HEIC by default: say "format" rather than "not an image".
        Err(_) if is_heif(bytes) => Err(PhotoError::Unsupported),
        Err(_) => Err(PhotoError::NotAnImage),
    }
}

/// An ISO-BMFF `ftyp` box naming a HEIF/HEIC brand.
fn is_heif(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1"
        )
}

/// True when the JPEG's marker segments lead cleanly to a scan and no
/// end-of-image marker follows it: the file was cut off. Inside entropy-coded
/// data a 0xFF byte is always followed by 0x00 or a restart marker, so
/// `FF D9` after the first scan header can only be the end marker (phones
/// sometimes append data after it, which is fine). When the segments cannot
/// be walked the decoder is left to judge.
pub fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    loop {
        if i >= bytes.len() {
            return true;
        }
        if bytes[i] != 0xFF {
            return false; // not a marker where one belongs: the decoder decides
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1; // fill bytes
        }
        let Some(&marker) = bytes.get(i) else {
            return true;
        };
        i += 1;
        match marker {
            // Markers without a length.
            0x01 | 0xD0..=0xD8 => continue,
            // End of image before any scan: the decoder decides (it fails).
            0xD9 => return false,
            _ => {}
        }
        let Some(len) = bytes
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return true;
        };
        if len < 2 {
            return false;
        }
        if marker == 0xDA {
            let scan = bytes.get(i + len..).unwrap_or(&[]);
            return !scan.windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        i += len;
    }
}

pub fn classify(err: ImageError) -> PhotoError {
    match err {
        ImageError::Limits(_) => PhotoError::TooLarge,
        ImageError::Unsupported(_) => PhotoError::Unsupported,
        ImageError::Decoding(_)
        | ImageError::IoError(_)
        | ImageError::Parameter(_)
        | ImageError::Encoding(_) => PhotoError::Corrupt,
    }
}

/// 8-bit RGB; transparent pixels (PNG) are laid on white, as a viewer shows
/// them, rather than on whatever colour their invisible channels hold.
pub fn to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = px.0;
        let alpha = u32::from(a);
        // At most (255·a + 255·(255 − a) + 127) / 255 = 255.
        let over_white = |c: u8| ((u32::from(c) * alpha + 255 * (255 - alpha) + 127) / 255) as u8;
        *out = image::Rgb([over_white(r), over_white(g), over_white(b)]);
    }
    rgb
}

/// Scales down (never up) so that the long side is at most `long_side`,
/// keeping the aspect ratio (the short side rounded, at least 1 pixel).
pub fn fit(image: RgbImage, long_side: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let long = width.max(height);
    if long <= long_side {
        return image;
    }
    let scale = |side: u32| -> u32 {
        let scaled =
            (u64::from(side) * u64::from(long_side) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled)
            .unwrap_or(long_side)
            .clamp(1, long_side)
    };
    let (new_width, new_height) = if width >= height {
        (long_side, scale(height))
    } else {
        (scale(width), long_side)
    };
    // Area averaging: no intermediate buffer (a filtered resize of a 40 MP
    // photo allocates ~180 MB of f32 pixels on the way) and, for shrinking
    // by large factors, as sharp as a filter.
    image::imageops::thumbnail(&image, new_width, new_height)
}

pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity(image.as_raw().len() / 8);
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        // Encoding pixels into memory fails only on impossible dimensions
        // (over 65,535), which the limits above exclude.
        .map_err(|_| PhotoError::Corrupt)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::png::PngEncoder;
    use image::{ExtendedColorType, ImageEncoder};

    /// A real PNG of `w`×`h` declared pixels: tiny (one colour, compressed).
    fn png(w: u32, h: u32) -> Vec<u8> {
        let pixels = vec![200u8; (w * h * 3) as usize];
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(&pixels, w, h, ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn an_image_over_the_pixel_budget_is_refused_before_decoding() {
        // 8000 × 5001 = 40,008,000 pixels: over by a little, each side allowed.
        let bomb = png(8000, 5001);
        assert!(bomb.len() < 1_000_000, "{}", bomb.len());
        assert_eq!(dimensions(&bomb).unwrap().1, 8000);
        assert_eq!(decode(&bomb, 100).err(), Some(PhotoError::TooLarge));
        let e = ApiError::from(PhotoError::TooLarge);
        assert_eq!(
            (e.status.as_u16(), e.code.as_ref()),
            (422, "IMAGE_TOO_LARGE")
        );
    }

    #[test]
    fn an_image_within_the_budget_decodes() {
        let ok = png(8000, 5000);
        let d = decode(&ok, 100).unwrap();
        assert_eq!((d.image.width(), d.image.height()), (8000, 5000));
        let small = fit(d.image.into_rgb8(), 2048);
        assert_eq!(small.dimensions(), (2048, 1280));
    }

    #[tokio::test]
    async fn decodes_run_at_most_two_at_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(run_bounded(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=CONCURRENT_DECODES).contains(&most), "{most} at once");
    }
}
