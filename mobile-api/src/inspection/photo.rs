//! The inspection photo pipeline (SPEC §5, `POST /inspection/photos`).
//!
//! Inspectors photograph a pharmacy's records on site with phones. Every
//! upload is sniffed, decoded under limits, turned upright by its EXIF
//! orientation, scaled down and re-encoded from pixels as JPEG, together with a
//! thumbnail. Re-encoding from pixels is what removes the metadata: the stored
//! files carry no EXIF (no GPS position, no phone model, no time), no XMP and
//! no ICC profile — only the JFIF header the encoder writes.
//!
//! [`process`] is CPU-bound: the caller runs it in
//! [`shared::imaging::run_bounded`], after checking the upload size (10 MiB).
//! Decoding limits are those of [`shared::imaging`], shared with scans.

use std::fmt;

use image::DynamicImage;
use shared::imaging::{self, Decoded, encode_jpeg, fit, to_rgb};
pub use shared::imaging::{MAX_SIDE, PhotoError};

/// Smallest accepted width or height of an upload, in pixels.
pub const MIN_SIDE: u32 = 100;
/// Long side of the stored photo, at most.
pub const FULL_LONG_SIDE: u32 = 2048;
/// Long side of the thumbnail, at most.
pub const THUMBNAIL_LONG_SIDE: u32 = 320;
/// JPEG quality of the stored photo.
pub const FULL_QUALITY: u8 = 82;
/// JPEG quality of the thumbnail.
pub const THUMBNAIL_QUALITY: u8 = 75;

/// An upload made safe to store: upright, at most [`FULL_LONG_SIDE`] pixels
/// long, JPEG without metadata, with its thumbnail.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessedPhoto {
    /// The photo, JPEG.
    pub full: Vec<u8>,
    /// The thumbnail, JPEG, at most [`THUMBNAIL_LONG_SIDE`] pixels long.
    pub thumbnail: Vec<u8>,
    /// Width of `full`, upright.
    pub width: u32,
    /// Height of `full`, upright.
    pub height: u32,
}

impl fmt::Debug for ProcessedPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessedPhoto")
            .field("full", &format_args!("{} bytes", self.full.len()))
            .field("thumbnail", &format_args!("{} bytes", self.thumbnail.len()))
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Checks an upload and re-encodes it (see the module documentation).
///
/// CPU-bound: run it inside [`imaging::run_bounded`], which bounds how many
/// run at once; the memory one takes is stated in [`shared::imaging`].
pub fn process(bytes: &[u8]) -> Result<ProcessedPhoto, PhotoError> {
    let Decoded {
        image: decoded,
        orientation,
        ..
    } = imaging::decode(bytes, MIN_SIDE)?;

    // Scaling to a long side commutes with the EXIF transforms (all of them
    // keep or swap the two sides), so scale first and turn the small image.
    let mut full = DynamicImage::ImageRgb8(fit(to_rgb(decoded), FULL_LONG_SIDE));
    full.apply_orientation(orientation);
    let full = full.into_rgb8();
    let thumbnail = fit(full.clone(), THUMBNAIL_LONG_SIDE);

    Ok(ProcessedPhoto {
        width: full.width(),
        height: full.height(),
        full: encode_jpeg(&full, FULL_QUALITY)?,
        thumbnail: encode_jpeg(&thumbnail, THUMBNAIL_QUALITY)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::codecs::png::PngEncoder;
    use image::metadata::Orientation;
    use image::{ExtendedColorType, ImageEncoder, Rgb, Rgba, RgbaImage};
    use image::{ImageDecoder, ImageFormat, ImageReader, RgbImage};
    use std::io::Cursor;

    const RED: Rgb<u8> = Rgb([230, 20, 20]);
    const GREEN: Rgb<u8> = Rgb([20, 200, 40]);
    const BLUE: Rgb<u8> = Rgb([20, 40, 220]);
    const WHITE: Rgb<u8> = Rgb([250, 250, 250]);
    const GREY: Rgb<u8> = Rgb([110, 110, 110]);

    const XMP_NS: &[u8] = b"http://ns.adobe.com/xap";
    const EXIF_HEADER: &[u8] = b"Exif\0\0";

    // ----- building inputs -------------------------------------------------

    /// A `width`×`height` grey photo with a 40-pixel coloured square in each
    /// corner: red top-left, green top-right, blue bottom-left, white
    /// bottom-right.
    fn marked(width: u32, height: u32) -> RgbImage {
        let mut img = RgbImage::from_pixel(width, height, GREY);
        let s = 40;
        for y in 0..s {
            for x in 0..s {
                img.put_pixel(x, y, RED);
                img.put_pixel(width - 1 - x, y, GREEN);
                img.put_pixel(x, height - 1 - y, BLUE);
                img.put_pixel(width - 1 - x, height - 1 - y, WHITE);
            }
        }
        img
    }

    fn jpeg(img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 92)
            .encode_image(img)
            .unwrap();
        out
    }

    fn png_rgba(img: &RgbaImage) -> Vec<u8> {
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                ExtendedColorType::Rgba8,
            )
            .unwrap();
        out
    }

    fn png_rgb(img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                ExtendedColorType::Rgb8,
            )
            .unwrap();
        out
    }

    /// One TIFF directory entry; `value` holds the raw value bytes (stored
    /// inline when 4 bytes or fewer, else in the data area after the IFD).
    struct Entry {
        tag: u16,
        kind: u16,
        count: u32,
        value: Vec<u8>,
    }

    const BYTE: u16 = 1;
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;

    fn rationals(values: &[(u32, u32)]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
            .collect()
    }

    fn ifd_len(entries: &[Entry]) -> usize {
        let data: usize = entries
            .iter()
            .filter(|e| e.value.len() > 4)
            .map(|e| e.value.len().next_multiple_of(2))
            .sum();
        2 + 12 * entries.len() + 4 + data
    }

    /// A little-endian IFD placed at TIFF offset `at`, followed by its data.
    fn ifd(entries: &[Entry], at: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut data = Vec::new();
        let data_start = at + 2 + 12 * entries.len() + 4;
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for e in entries {
            out.extend_from_slice(&e.tag.to_le_bytes());
            out.extend_from_slice(&e.kind.to_le_bytes());
            out.extend_from_slice(&e.count.to_le_bytes());
            if e.value.len() <= 4 {
                let mut inline = e.value.clone();
                inline.resize(4, 0);
                out.extend_from_slice(&inline);
            } else {
                let offset = (data_start + data.len()) as u32;
                out.extend_from_slice(&offset.to_le_bytes());
                data.extend_from_slice(&e.value);
                if data.len() % 2 == 1 {
                    data.push(0);
                }
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
        out.extend_from_slice(&data);
        assert_eq!(out.len(), ifd_len(entries));
        out
    }

    /// An APP1 Exif segment as a phone writes it: IFD0 with Make, Model,
    /// Orientation and a GPSInfo pointer; a GPS IFD with a position in
    /// Beijing.
    fn exif_app1(orientation: u16) -> Vec<u8> {
        let gps = vec![
            Entry {
                tag: 0x0000,
                kind: BYTE,
                count: 4,
                value: vec![2, 3, 0, 0],
            },
            Entry {
                tag: 0x0001,
                kind: ASCII,
                count: 2,
                value: b"N\0".to_vec(),
            },
            Entry {
                tag: 0x0002,
                kind: RATIONAL,
                count: 3,
                value: rationals(&[(39, 1), (54, 1), (2712, 100)]),
            },
            Entry {
                tag: 0x0003,
                kind: ASCII,
                count: 2,
                value: b"E\0".to_vec(),
            },
            Entry {
                tag: 0x0004,
                kind: RATIONAL,
                count: 3,
                value: rationals(&[(116, 1), (23, 1), (4417, 100)]),
            },
            Entry {
                tag: 0x0005,
                kind: BYTE,
                count: 1,
                value: vec![0],
            },
            Entry {
                tag: 0x0006,
                kind: RATIONAL,
                count: 1,
                value: rationals(&[(4380, 100)]),
            },
        ];
        let mut ifd0 = vec![
            Entry {
                tag: 0x010F,
                kind: ASCII,
                count: 7,
                value: b"Xiaomi\0".to_vec(),
            },
            Entry {
                tag: 0x0110,
                kind: ASCII,
                count: 9,
                value: b"Redmi K7\0".to_vec(),
            },
            Entry {
                tag: 0x0112,
                kind: SHORT,
                count: 1,
                value: orientation.to_le_bytes().to_vec(),
            },
            Entry {
                tag: 0x8825,
                kind: LONG,
                count: 1,
                value: vec![0; 4],
            },
        ];
        let ifd0_at = 8;
        let gps_at = ifd0_at + ifd_len(&ifd0);
        ifd0[3].value = (gps_at as u32).to_le_bytes().to_vec();

        let mut tiff = b"II\x2A\x00".to_vec();
        tiff.extend_from_slice(&(ifd0_at as u32).to_le_bytes());
        tiff.extend(ifd(&ifd0, ifd0_at));
        assert_eq!(tiff.len(), gps_at);
        tiff.extend(ifd(&gps, gps_at));

        let mut payload = EXIF_HEADER.to_vec();
        payload.extend(tiff);
        segment(0xE1, &payload)
    }

    /// An APP1 XMP segment holding a GPS position too.
    fn xmp_app1() -> Vec<u8> {
        let mut payload = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        payload.extend_from_slice(
            br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="39,54.452N" exif:GPSLongitude="116,23.736E"/></rdf:RDF></x:xmpmeta>"#,
        );
        segment(0xE1, &payload)
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut seg = vec![0xFF, marker];
        seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        seg.extend_from_slice(payload);
        seg
    }

    /// `jpeg` with `segments` inserted right after SOI.
    fn with_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let mut out = jpeg[..2].to_vec();
        for s in segments {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn phone_photo(img: &RgbImage, orientation: u16) -> Vec<u8> {
        with_segments(&jpeg(img), &[exif_app1(orientation), xmp_app1()])
    }

    // ----- reading outputs -------------------------------------------------

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// The markers of the segments before the first scan.
    fn header_markers(jpeg: &[u8]) -> Vec<u8> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
        let mut markers = Vec::new();
        let mut i = 2;
        loop {
            assert_eq!(jpeg[i], 0xFF, "marker expected at {i}");
            let marker = jpeg[i + 1];
            markers.push(marker);
            if marker == 0xDA {
                return markers;
            }
            let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
            i += 2 + len;
        }
    }

    /// No metadata of any kind: the only application segment is the JFIF
    /// APP0, there is no comment, and no trace of the input's EXIF or XMP.
    fn assert_clean(jpeg: &[u8]) {
        assert!(jpeg.ends_with(&[0xFF, 0xD9]));
        assert!(!contains(jpeg, EXIF_HEADER), "Exif segment in output");
        assert!(!contains(jpeg, XMP_NS), "XMP in output");
        assert!(
            !contains(jpeg, b"Xiaomi") && !contains(jpeg, b"Redmi"),
            "camera in output"
        );
        let latitude = rationals(&[(39, 1), (54, 1), (2712, 100)]);
        assert!(!contains(jpeg, &latitude), "GPS latitude in output");
        assert!(!contains(jpeg, b"ICC_PROFILE"), "ICC profile in output");
        for marker in header_markers(jpeg) {
            let app_or_comment = (0xE0..=0xEF).contains(&marker) || marker == 0xFE;
            assert!(
                !app_or_comment || marker == 0xE0,
                "segment FF{marker:02X} in output"
            );
        }
        let app0 = &jpeg[4..11];
        assert_eq!(app0, b"\x00\x10JFIF\0", "the APP0 is JFIF");
    }

    fn decode(jpeg: &[u8]) -> RgbImage {
        assert_eq!(image::guess_format(jpeg).unwrap(), ImageFormat::Jpeg);
        image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
            .unwrap()
            .into_rgb8()
    }

    fn close(a: Rgb<u8>, b: Rgb<u8>) -> bool {
        a.0.iter().zip(b.0).all(|(x, y)| x.abs_diff(y) <= 40)
    }

    /// The colour in the middle of the 40-pixel square of each corner
    /// (scaled when the image was), as [top-left, top-right, bottom-left,
    /// bottom-right].
    fn corners(img: &RgbImage, square: u32) -> [Rgb<u8>; 4] {
        let (w, h) = img.dimensions();
        let c = square / 2;
        [
            *img.get_pixel(c, c),
            *img.get_pixel(w - 1 - c, c),
            *img.get_pixel(c, h - 1 - c),
            *img.get_pixel(w - 1 - c, h - 1 - c),
        ]
    }

    fn assert_corners(img: &RgbImage, square: u32, expected: [Rgb<u8>; 4]) {
        let got = corners(img, square);
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!(
                close(*g, e),
                "corner {i}: got {g:?}, expected {e:?} (all: {got:?})"
            );
        }
    }

    // ----- the tests -------------------------------------------------------

    #[test]
    fn the_test_exif_is_real() {
        // The hand-made EXIF must be what a decoder reads, or the tests
        // below prove nothing.
        let input = phone_photo(&marked(400, 300), 6);
        assert!(contains(&input, EXIF_HEADER) && contains(&input, XMP_NS));
        let mut decoder = ImageReader::with_format(Cursor::new(&input[..]), ImageFormat::Jpeg)
            .into_decoder()
            .unwrap();
        assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);
        let exif = decoder.exif_metadata().unwrap().expect("exif chunk");
        assert!(contains(&exif, b"Xiaomi"));
        assert!(contains(
            &exif,
            &rationals(&[(39, 1), (54, 1), (2712, 100)])
        ));
        assert!(decoder.xmp_metadata().unwrap().is_some());
        // Without processing, the decoder's own image is sideways.
        let raw = image::load_from_memory(&input).unwrap();
        assert_eq!((raw.width(), raw.height()), (400, 300));
    }

    #[test]
    fn a_rotated_phone_photo_comes_back_upright_without_metadata() {
        let input = phone_photo(&marked(400, 300), 6);
        let photo = process(&input).unwrap();

        assert_clean(&photo.full);
        assert_clean(&photo.thumbnail);
        assert_eq!((photo.width, photo.height), (300, 400));
        let full = decode(&photo.full);
        assert_eq!(full.dimensions(), (300, 400));
        // Orientation 6: turn 90° clockwise. The top-left corner goes to the
        // top right, the bottom-left one to the top left.
        assert_corners(&full, 40, [BLUE, RED, WHITE, GREEN]);

        // The thumbnail is the same upright picture, 320 px long.
        let thumb = decode(&photo.thumbnail);
        assert_eq!(thumb.dimensions(), (240, 320));
        assert_corners(&thumb, 32, [BLUE, RED, WHITE, GREEN]);
    }

    #[test]
    fn every_rotation_is_applied() {
        // [top-left, top-right, bottom-left, bottom-right] of the output.
        let cases = [
            (1, (400, 300), [RED, GREEN, BLUE, WHITE]),
            (3, (400, 300), [WHITE, BLUE, GREEN, RED]),
            (6, (300, 400), [BLUE, RED, WHITE, GREEN]),
            (8, (300, 400), [GREEN, WHITE, RED, BLUE]),
            // Mirrored: flip left-right.
            (2, (400, 300), [GREEN, RED, WHITE, BLUE]),
        ];
        for (orientation, dims, expected) in cases {
            let photo = process(&phone_photo(&marked(400, 300), orientation)).unwrap();
            assert_clean(&photo.full);
            let full = decode(&photo.full);
            assert_eq!(full.dimensions(), dims, "orientation {orientation}");
            assert_corners(&full, 40, expected);
        }
    }

    #[test]
    fn a_large_rotated_photo_is_scaled_and_turned() {
        // 2400×1800 sideways → 1536×2048 upright.
        let photo = process(&phone_photo(&marked(2400, 1800), 6)).unwrap();
        assert_eq!((photo.width, photo.height), (1536, 2048));
        let full = decode(&photo.full);
        assert_eq!(full.dimensions(), (1536, 2048));
        assert_corners(&full, 34, [BLUE, RED, WHITE, GREEN]);
        assert_eq!(decode(&photo.thumbnail).dimensions(), (240, 320));
        assert_clean(&photo.full);
    }

    #[test]
    fn a_big_photo_is_scaled_to_2048() {
        let img = RgbImage::from_fn(5000, 3000, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut img = img;
        for y in 0..400 {
            for x in 0..400 {
                img.put_pixel(x, y, RED);
            }
        }
        let input = jpeg(&img);
        let photo = process(&input).unwrap();
        assert_eq!((photo.width, photo.height), (2048, 1229));
        let full = decode(&photo.full);
        assert_eq!(full.dimensions(), (2048, 1229));
        assert!(close(*full.get_pixel(50, 50), RED));
        let thumb = decode(&photo.thumbnail);
        assert_eq!(thumb.dimensions(), (320, 192));
        assert!(close(*thumb.get_pixel(10, 10), RED));
        assert!(photo.full.len() < input.len());
        assert!(photo.thumbnail.len() < photo.full.len());
        assert_clean(&photo.full);
        assert_clean(&photo.thumbnail);
    }

    #[test]
    fn png_comes_back_as_jpeg() {
        let mut img = RgbaImage::from_pixel(640, 480, Rgba([20, 40, 220, 255]));
        // A fully transparent band whose hidden colour is black: it must come
        // out white, as a viewer shows it.
        for y in 0..480 {
            for x in 0..100 {
                img.put_pixel(x, y, Rgba([0, 0, 0, 0]));
            }
        }
        let photo = process(&png_rgba(&img)).unwrap();
        assert_clean(&photo.full);
        assert_eq!((photo.width, photo.height), (640, 480));
        let full = decode(&photo.full);
        assert!(close(*full.get_pixel(50, 240), Rgb([255, 255, 255])));
        assert!(close(*full.get_pixel(400, 240), BLUE));
        assert_eq!(decode(&photo.thumbnail).dimensions(), (320, 240));

        // Opaque RGB PNG, portrait.
        let photo = process(&png_rgb(&marked(300, 700))).unwrap();
        assert_eq!((photo.width, photo.height), (300, 700));
        assert_corners(&decode(&photo.full), 40, [RED, GREEN, BLUE, WHITE]);
        assert_eq!(decode(&photo.thumbnail).dimensions(), (137, 320));
    }

    #[test]
    fn small_photos_are_kept_at_their_size() {
        let photo = process(&jpeg(&marked(100, 100))).unwrap();
        assert_eq!((photo.width, photo.height), (100, 100));
        assert_eq!(decode(&photo.thumbnail).dimensions(), (100, 100));
        let photo = process(&jpeg(&marked(2048, 120))).unwrap();
        assert_eq!((photo.width, photo.height), (2048, 120));
        assert_eq!(decode(&photo.thumbnail).dimensions(), (320, 19));
    }

    #[test]
    fn what_is_not_a_photo_is_refused() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
        let mut random = vec![0u8; 4096];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for b in &mut random {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = (state >> 24) as u8;
        }
        random[0] = 0x42; // never a magic number by chance
        random[1] = 0x42;
        for (name, bytes) in [
            ("pdf", pdf),
            ("random", random),
            ("empty", Vec::new()),
            ("text", "检查记录".as_bytes().to_vec()),
        ] {
            let err = process(&bytes).unwrap_err();
            assert_eq!(err, PhotoError::NotAnImage, "{name}");
            assert_eq!(err.code(), "IMAGE_INVALID");
        }

        // Images of other formats.
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        let webp = b"RIFF\x24\x00\x00\x00WEBPVP8 ".to_vec();
        let heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec();
        for (name, bytes) in [("gif", gif), ("webp", webp), ("heic", heic)] {
            let err = process(&bytes).unwrap_err();
            assert_eq!(err, PhotoError::Unsupported, "{name}");
            assert_eq!(err.code(), "IMAGE_INVALID");
        }
    }

    #[test]
    fn damaged_photos_are_refused() {
        let good = phone_photo(&marked(400, 300), 6);
        assert!(process(&good).is_ok());
        // Cut anywhere: in the headers, in the EXIF, in the scan, just
        // before the end marker.
        for cut in [
            3,
            20,
            100,
            good.len() / 3,
            good.len() / 2,
            good.len() - 200,
            good.len() - 2,
        ] {
            let err = process(&good[..cut]).unwrap_err();
            assert_eq!(err, PhotoError::Corrupt, "cut at {cut} of {}", good.len());
            assert_eq!(err.code(), "IMAGE_INVALID");
        }
        // Data appended after the end marker (some phones do) is fine.
        let mut trailer = good.clone();
        trailer.extend_from_slice(b"MotionPhoto_Data\0\0\0\x01");
        assert!(process(&trailer).is_ok());

        // PNG cut short, and PNG with a broken checksum.
        let png = png_rgb(&marked(300, 200));
        for cut in [10, 40, png.len() / 2, png.len() - 20] {
            assert_eq!(
                process(&png[..cut]),
                Err(PhotoError::Corrupt),
                "png cut at {cut}"
            );
        }
        let mut bad_crc = png.clone();
        bad_crc[29] ^= 0xFF; // IHDR CRC
        assert_eq!(process(&bad_crc), Err(PhotoError::Corrupt));
    }

    #[test]
    fn sizes_out_of_bounds_are_refused() {
        for (w, h) in [(50, 50), (99, 400), (400, 99)] {
            let err = process(&jpeg(&RgbImage::from_pixel(w, h, GREY))).unwrap_err();
            assert_eq!(err, PhotoError::TooSmall, "{w}x{h}");
            assert_eq!(err.code(), "IMAGE_INVALID");
        }
        assert_eq!(
            process(&png_rgb(&RgbImage::new(50, 50))),
            Err(PhotoError::TooSmall)
        );

        // Wider than 12,000 px.
        let wide = RgbImage::from_pixel(MAX_SIDE + 1, 100, GREY);
        for bytes in [jpeg(&wide), png_rgb(&wide)] {
            let err = process(&bytes).unwrap_err();
            assert_eq!(err, PhotoError::TooLarge);
            assert_eq!(err.code(), "IMAGE_TOO_LARGE");
        }
        // A forged PNG header claiming 12,000×12,000 16-bit RGBA (1.1 GB
        // decoded) is refused before anything is allocated.
        let bomb = forge_png_size(&png_rgba(&RgbaImage::new(100, 100)), 12_000, 12_000, 16);
        assert_eq!(process(&bomb), Err(PhotoError::TooLarge));
        // And one claiming 100,000 px.
        let bomb = forge_png_size(&png_rgba(&RgbaImage::new(100, 100)), 100_000, 100, 8);
        assert_eq!(process(&bomb), Err(PhotoError::TooLarge));
    }

    /// `png` with its IHDR rewritten to `width`×`height` RGBA of `depth`
    /// bits, checksum fixed.
    fn forge_png_size(png: &[u8], width: u32, height: u32, depth: u8) -> Vec<u8> {
        let mut out = png.to_vec();
        assert_eq!(&out[12..16], b"IHDR");
        out[16..20].copy_from_slice(&width.to_be_bytes());
        out[20..24].copy_from_slice(&height.to_be_bytes());
        out[24] = depth;
        out[25] = 6; // RGBA
        let crc = crc32(&out[12..29]);
        out[29..33].copy_from_slice(&crc.to_be_bytes());
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn errors_have_codes_and_chinese_messages() {
        let all = [
            PhotoError::NotAnImage,
            PhotoError::Unsupported,
            PhotoError::Corrupt,
            PhotoError::TooSmall,
            PhotoError::TooLarge,
        ];
        for e in all {
            let expected = if e == PhotoError::TooLarge {
                "IMAGE_TOO_LARGE"
            } else {
                "IMAGE_INVALID"
            };
            assert_eq!(e.code(), expected);
            assert!(
                e.message()
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
            assert!(e.to_string().starts_with(expected));
        }
        let messages: std::collections::HashSet<_> = all.iter().map(|e| e.message()).collect();
        assert_eq!(messages.len(), all.len());
    }

    #[test]
    fn debug_does_not_dump_bytes() {
        let photo = process(&jpeg(&marked(200, 150))).unwrap();
        let shown = format!("{photo:?}");
        assert!(shown.contains("width: 200") && shown.len() < 200, "{shown}");
    }
}
