//! Image work on uploads: recognising the format from the bytes, refusing pixel floods before
//! decoding, applying EXIF orientation, dropping all metadata (EXIF, XMP, GPS) by re-encoding,
//! and producing responsive renditions and focal-point crops. Everything here is synchronous
//! CPU work: callers run it on the blocking pool.

use std::fmt;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageReader, Limits};

/// The raster formats newsdesk accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// GIF.
    Gif,
}

impl Format {
    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The file extension used on disk.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
        }
    }

    /// The format for a media type, if accepted.
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        match content_type {
            "image/jpeg" => Some(Format::Jpeg),
            "image/png" => Some(Format::Png),
            "image/webp" => Some(Format::Webp),
            "image/gif" => Some(Format::Gif),
            _ => None,
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::Webp => image::ImageFormat::WebP,
            Format::Gif => image::ImageFormat::Gif,
        }
    }
}

/// Recognises an accepted image format from its first bytes (never from a name or a declared
/// type). SVG, HTML and everything else is `None`.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Format::Png),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some(Format::Webp),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Format::Gif),
        _ => None,
    }
}

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// Not JPEG, PNG, WebP or GIF (415).
    Unsupported,
    /// The header declares more pixels than allowed (422), found before decoding.
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The configured limit.
        max_pixels: u64,
    },
    /// The bytes claim a format but cannot be decoded (422).
    Corrupt(String),
    /// Encoding a derived image failed (500).
    Encode(String),
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Unsupported => {
                f.write_str("the file is not a JPEG, PNG, WebP or GIF image")
            }
            ImageError::TooManyPixels {
                width,
                height,
                max_pixels,
            } => write!(
                f,
                "the image declares {width}×{height} pixels; the limit is {max_pixels} pixels"
            ),
            ImageError::Corrupt(why) => write!(f, "the image cannot be decoded: {why}"),
            ImageError::Encode(why) => write!(f, "the image could not be re-encoded: {why}"),
        }
    }
}

impl std::error::Error for ImageError {}

/// Format and size, read from the header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The format from the magic bytes.
    pub format: Format,
    /// Declared width in pixels.
    pub width: u32,
    /// Declared height in pixels.
    pub height: u32,
}

/// Reads the format and declared size without decoding any pixels, refusing images over
/// `max_pixels`: a tiny file declaring 60000×60000 costs no memory or time.
pub fn probe(bytes: &[u8], max_pixels: u64) -> Result<Probe, ImageError> {
    let format = sniff(bytes).ok_or(ImageError::Unsupported)?;
    // imagesize reads only the header fields, however large the declared image.
    let size = imagesize::blob_size(bytes).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let (width, height) = (
        u32::try_from(size.width).map_err(|_| ImageError::Corrupt("width out of range".into()))?,
        u32::try_from(size.height)
            .map_err(|_| ImageError::Corrupt("height out of range".into()))?,
    );
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            max_pixels,
        });
    }
    Ok(Probe {
        format,
        width,
        height,
    })
}

/// Decodes with memory limits and applies the EXIF orientation, so the pixels are upright.
pub fn decode(bytes: &[u8], probe: Probe) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), probe.format.image_format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(probe.width);
    limits.max_image_height = Some(probe.height);
    // Room for the decoded pixels at 4 bytes each plus decoder working memory.
    limits.max_alloc =
        Some(u64::from(probe.width) * u64::from(probe.height) * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Encodes pixels in a format. The encoders write no metadata, so nothing of the upload's
/// EXIF, XMP or GPS data survives.
pub fn encode(image: &DynamicImage, format: Format) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    let err = |e: image::ImageError| ImageError::Encode(e.to_string());
    match format {
        Format::Jpeg => {
            let rgb = image.to_rgb8();
            JpegEncoder::new_with_quality(&mut out, 85)
                .write_image(
                    rgb.as_raw(),
                    rgb.width(),
                    rgb.height(),
                    image::ExtendedColorType::Rgb8,
                )
                .map_err(err)?;
        }
        Format::Png => {
            let rgba = image.to_rgba8();
            PngEncoder::new(&mut out)
                .write_image(
                    rgba.as_raw(),
                    rgba.width(),
                    rgba.height(),
                    image::ExtendedColorType::Rgba8,
                )
                .map_err(err)?;
        }
        Format::Webp => {
            let rgba = image.to_rgba8();
            WebPEncoder::new_lossless(&mut out)
                .write_image(
                    rgba.as_raw(),
                    rgba.width(),
                    rgba.height(),
                    image::ExtendedColorType::Rgba8,
                )
                .map_err(err)?;
        }
        Format::Gif => {
            image
                .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Gif)
                .map_err(err)?;
        }
    }
    Ok(out)
}

/// One derived image.
#[derive(Debug, Clone)]
pub struct Derived {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Its format.
    pub format: Format,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
}

/// An upload made safe: the cleaned original and its renditions.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The original, upright and without metadata.
    pub original: Derived,
    /// Renditions at each configured width below the original's, in the original format and
    /// in WebP, smallest first.
    pub renditions: Vec<Derived>,
}

/// Scales to `width`, keeping the aspect ratio (never called with a width at or above the
/// image's own).
pub fn scale_to_width(image: &DynamicImage, width: u32) -> DynamicImage {
    let height = ((u64::from(image.height()) * u64::from(width)) / u64::from(image.width().max(1)))
        .max(1) as u32;
    image.resize_exact(width, height, FilterType::Triangle)
}

/// Makes an upload safe to store and derives its renditions.
pub fn process(bytes: &[u8], max_pixels: u64, widths: &[u32]) -> Result<Processed, ImageError> {
    let probe = probe(bytes, max_pixels)?;
    let image = decode(bytes, probe)?;
    let original = Derived {
        width: image.width(),
        height: image.height(),
        format: probe.format,
        bytes: encode(&image, probe.format)?,
    };
    let mut wanted: Vec<u32> = widths
        .iter()
        .copied()
        .filter(|w| *w > 0 && *w < image.width())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut renditions = Vec::with_capacity(wanted.len() * 2);
    // Scale from the largest down, each step from the previous result: cheaper than scaling
    // every size from the full original, and the quality loss at these ratios is invisible.
    let mut source = image;
    let mut scaled = Vec::with_capacity(wanted.len());
    for width in wanted.iter().rev() {
        let next = scale_to_width(&source, *width);
        scaled.push(next.clone());
        source = next;
    }
    scaled.reverse();
    let formats: &[Format] = if probe.format == Format::Webp {
        &[Format::Webp]
    } else {
        &[probe.format, Format::Webp]
    };
    for image in &scaled {
        for format in formats {
            renditions.push(Derived {
                width: image.width(),
                height: image.height(),
                format: *format,
                bytes: encode(image, *format)?,
            });
        }
    }
    Ok(Processed {
        original,
        renditions,
    })
}

/// Crops to the aspect ratio `width`:`height` keeping the focal point `(fx, fy)` (0..1) as near
/// the centre as the edges allow, then scales to exactly `width`×`height` (never above the
/// largest crop the image allows).
pub fn focal_crop(image: &DynamicImage, width: u32, height: u32, fx: f64, fy: f64) -> DynamicImage {
    let (iw, ih) = (f64::from(image.width()), f64::from(image.height()));
    let target = f64::from(width.max(1)) / f64::from(height.max(1));
    let (cw, ch) = if iw / ih > target {
        (ih * target, ih)
    } else {
        (iw, iw / target)
    };
    let left = (fx.clamp(0.0, 1.0) * iw - cw / 2.0).clamp(0.0, iw - cw);
    let top = (fy.clamp(0.0, 1.0) * ih - ch / 2.0).clamp(0.0, ih - ch);
    let cropped = image.crop_imm(
        left.round() as u32,
        top.round() as u32,
        (cw.round() as u32).max(1),
        (ch.round() as u32).max(1),
    );
    let (out_w, out_h) = if width > cropped.width() {
        (cropped.width(), cropped.height())
    } else {
        (width, height)
    };
    cropped.resize_exact(out_w.max(1), out_h.max(1), FilterType::Triangle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        encode(&DynamicImage::ImageRgb8(img), Format::Jpeg).unwrap()
    }

    /// A JPEG with an EXIF block holding an orientation tag and a GPS latitude.
    fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let plain = jpeg(width, height);
        // TIFF header (little endian), IFD0 with Orientation and a GPS IFD pointer, then the
        // GPS IFD with GPSLatitudeRef = "N".
        let mut tiff: Vec<u8> = vec![b'I', b'I', 42, 0, 8, 0, 0, 0];
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0x8825u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&38u32.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&2u32.to_le_bytes());
        tiff.extend_from_slice(b"N\0\0\0");
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    /// CRC-32 as PNG chunks use it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
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
    fn formats_are_recognised_from_bytes_only() {
        assert_eq!(sniff(&jpeg(4, 4)), Some(Format::Jpeg));
        assert_eq!(
            sniff(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
            None
        );
        assert_eq!(sniff(b"<!DOCTYPE html><html>"), None);
        assert_eq!(sniff(b"GIF89a\x01\x00"), Some(Format::Gif));
    }

    #[test]
    fn a_pixel_flood_header_is_refused_before_decoding() {
        // A PNG signature and IHDR chunk declaring 60000×60000, and nothing else.
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut chunk = b"IHDR".to_vec();
        chunk.extend_from_slice(&60000u32.to_be_bytes());
        chunk.extend_from_slice(&60000u32.to_be_bytes());
        chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
        assert!(png.len() < 1024);
        match probe(&png, 50_000_000) {
            Err(ImageError::TooManyPixels { width, height, .. }) => {
                assert_eq!((width, height), (60000, 60000))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn orientation_is_applied_and_exif_with_gps_is_dropped() {
        let upload = jpeg_with_exif(40, 20, 6);
        assert!(upload.windows(4).any(|w| w == b"Exif"));
        let processed = process(&upload, 50_000_000, &[]).unwrap();
        // Orientation 6 is a quarter turn: the stored picture is upright, 20 wide and 40 high.
        assert_eq!(
            (processed.original.width, processed.original.height),
            (20, 40)
        );
        assert!(!processed.original.bytes.windows(4).any(|w| w == b"Exif"));
        let decoded = image::load_from_memory(&processed.original.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (20, 40));
    }

    #[test]
    fn renditions_are_never_upscaled_and_come_in_both_formats() {
        let processed = process(&jpeg(800, 600), 50_000_000, &[320, 640, 1024, 1600]).unwrap();
        let sizes: Vec<(u32, u32, Format)> = processed
            .renditions
            .iter()
            .map(|r| (r.width, r.height, r.format))
            .collect();
        assert_eq!(
            sizes,
            vec![
                (320, 240, Format::Jpeg),
                (320, 240, Format::Webp),
                (640, 480, Format::Jpeg),
                (640, 480, Format::Webp),
            ]
        );
        for r in &processed.renditions {
            let decoded = image::load_from_memory(&r.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (r.width, r.height));
        }
    }

    #[test]
    fn focal_crops_keep_the_focal_point_in_frame() {
        // A wide image, black except a white block at the far right.
        let img = RgbImage::from_fn(400, 100, |x, _| {
            if x >= 360 {
                Rgb([255, 255, 255])
            } else {
                Rgb([0, 0, 0])
            }
        });
        let img = DynamicImage::ImageRgb8(img);
        let crop = focal_crop(&img, 50, 50, 0.95, 0.5).to_rgb8();
        assert_eq!(crop.dimensions(), (50, 50));
        assert_eq!(
            crop.get_pixel(45, 25)[0],
            255,
            "the white block stays in frame"
        );
        let centred = focal_crop(&img, 50, 50, 0.5, 0.5).to_rgb8();
        assert_eq!(centred.get_pixel(45, 25)[0], 0);
    }

    #[test]
    fn undecodable_bytes_with_a_valid_signature_are_corrupt() {
        let mut bytes = jpeg(16, 16);
        bytes.truncate(40);
        assert!(matches!(
            process(&bytes, 50_000_000, &[]),
            Err(ImageError::Corrupt(_))
        ));
    }
}
