//! The clinic's own exercise pictures: what is accepted, and the renditions kept.
//!
//! An upload is decoded and drawn again from its pixels, so nothing of the file as sent
//! survives: no camera or GPS metadata, no trailing bytes. The pixel count is read from
//! the header and refused before any pixel is decoded, so a small file that claims a huge
//! picture (a decompression bomb) costs nothing.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The largest upload accepted, in bytes (10 MB).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The largest picture accepted, in pixels (40 megapixels: more than any phone camera).
pub const MAX_PIXELS: u64 = 40_000_000;
/// At most this many pictures per exercise.
pub const MAX_PER_EXERCISE: usize = 3;
/// The longest caption, in characters.
pub const MAX_CAPTION_CHARS: usize = 200;

/// Longest side of the picture shown on pages.
const SCREEN_LONGEST: u32 = 800;
/// Longest side of the library list's thumbnail (shown at 80 px, sharp on 2× screens).
const THUMB_LONGEST: u32 = 160;
/// Longest side of the printed picture: the sheet's 40 mm picture box at 200 dpi.
const PRINT_LONGEST: u32 = 315;
/// Thirty printed pictures stay well under 1 MB at this quality.
const PRINT_QUALITY: u8 = 70;
const SCREEN_QUALITY: u8 = 82;

/// Why an upload was refused, in words for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PictureProblem {
    Missing,
    TooLarge,
    NotAnImage,
    WrongType(&'static str),
    TooManyPixels {
        width: u32,
        height: u32,
    },
    /// Over the decoder's limits before its size could be read.
    OverLimits,
    Unreadable,
}

impl PictureProblem {
    pub fn message(&self) -> String {
        match self {
            Self::Missing => "Choose a photo or drawing to upload.".into(),
            Self::TooLarge => "The file is larger than 10 MB. Choose a smaller one, or save the photo at a lower size first.".into(),
            Self::NotAnImage => "The file is not a picture. Choose a JPEG, PNG or WebP image.".into(),
            Self::WrongType(kind) => format!(
                "The file is a {kind} picture. Choose a JPEG, PNG or WebP image."
            ),
            Self::TooManyPixels { width, height } => format!(
                "The picture is {width} × {height} pixels, more than the 40 megapixels accepted. Save it at a smaller size and upload it again."
            ),
            Self::OverLimits => "The picture is too large: at most 40 megapixels and 40,000 pixels on a side are accepted. Save it at a smaller size and upload it again.".into(),
            Self::Unreadable => "The picture could not be read: the file may be damaged or cut short. Save it again and upload the new file.".into(),
        }
    }
}

/// One stored version of a picture.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The renditions kept of one upload. The print rendition is always a baseline RGB
/// JPEG, so the sheet can embed its bytes as they are.
#[derive(Debug, Clone)]
pub struct PreparedPicture {
    pub screen: Rendition,
    pub thumb: Rendition,
    pub print: Rendition,
}

/// Decodes an upload (JPEG, PNG or WebP), turns it upright by its EXIF orientation,
/// and encodes the renditions. Pictures with transparency keep it on screen (PNG);
/// for print they are laid on white.
pub fn prepare(bytes: &[u8]) -> Result<PreparedPicture, PictureProblem> {
    if bytes.is_empty() {
        return Err(PictureProblem::Missing);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(PictureProblem::TooLarge);
    }
    let format = match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => format,
        Ok(other) => {
            return Err(PictureProblem::WrongType(
                other.extensions_str().first().copied().unwrap_or("other"),
            ));
        }
        Err(_) => return Err(PictureProblem::NotAnImage),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // The decoder checks these before it allocates; the pixel count is checked below,
    // also before decoding. 16-bit RGBA at 40 megapixels needs 320 MB at most.
    limits.max_image_width = Some(40_000);
    limits.max_image_height = Some(40_000);
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PictureProblem::TooManyPixels { width, height });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    picture.apply_orientation(orientation);

    let transparent = picture.color().has_alpha() && !fully_opaque(&picture);
    let screen = shrink(&picture, SCREEN_LONGEST, FilterType::Triangle);
    let thumb = shrink(&screen, THUMB_LONGEST, FilterType::Triangle);
    let print = shrink(&picture, PRINT_LONGEST, FilterType::Triangle);
    Ok(PreparedPicture {
        screen: encode_for_screen(&screen, transparent)?,
        thumb: encode_for_screen(&thumb, transparent)?,
        print: encode_jpeg(&on_white(&print), PRINT_QUALITY)?,
    })
}

fn refusal(error: image::ImageError) -> PictureProblem {
    match error {
        image::ImageError::Limits(_) => PictureProblem::OverLimits,
        _ => PictureProblem::Unreadable,
    }
}

fn fully_opaque(picture: &DynamicImage) -> bool {
    picture.to_rgba8().pixels().all(|p| p.0[3] == u8::MAX)
}

/// Scales down so the longest side is at most `longest`; never scales up.
fn shrink(picture: &DynamicImage, longest: u32, filter: FilterType) -> DynamicImage {
    if picture.width().max(picture.height()) <= longest {
        picture.clone()
    } else {
        picture.resize(longest, longest, filter)
    }
}

/// Lays a picture with transparency on white, as paper is.
fn on_white(picture: &DynamicImage) -> DynamicImage {
    if !picture.color().has_alpha() {
        return DynamicImage::ImageRgb8(picture.to_rgb8());
    }
    let rgba = picture.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (to, from) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(from.0[3]);
        for channel in 0..3 {
            let blended = (u16::from(from.0[channel]) * alpha + 255 * (255 - alpha)) / 255;
            to.0[channel] = u8::try_from(blended).unwrap_or(u8::MAX);
        }
    }
    DynamicImage::ImageRgb8(rgb)
}

fn encode_for_screen(
    picture: &DynamicImage,
    transparent: bool,
) -> Result<Rendition, PictureProblem> {
    if !transparent {
        return encode_jpeg(&on_white(picture), SCREEN_QUALITY);
    }
    let mut bytes = Vec::new();
    picture
        .to_rgba8()
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .map_err(|_| PictureProblem::Unreadable)?;
    Ok(Rendition {
        bytes,
        content_type: "image/png",
        width: picture.width(),
        height: picture.height(),
    })
}

fn encode_jpeg(picture: &DynamicImage, quality: u8) -> Result<Rendition, PictureProblem> {
    let rgb = picture.to_rgb8();
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(&rgb)
        .map_err(|_| PictureProblem::Unreadable)?;
    Ok(Rendition {
        bytes,
        content_type: "image/jpeg",
        width: rgb.width(),
        height: rgb.height(),
    })
}

/// A caption as typed, or the default text alternative: the exercise's name and the
/// picture's place among its pictures ("Chin tuck, picture 2").
pub fn caption_or_default(typed: &str, exercise_name: &str, position: usize) -> String {
    let typed = typed.trim();
    if typed.is_empty() {
        format!("{exercise_name}, picture {position}")
    } else {
        typed.to_owned()
    }
}

/// Checks a typed caption: one line, at most 200 characters, no control characters.
pub fn check_caption(typed: &str) -> Result<(), String> {
    let typed = typed.trim();
    if typed.chars().count() > MAX_CAPTION_CHARS {
        return Err(format!(
            "A caption has at most {MAX_CAPTION_CHARS} characters."
        ));
    }
    if typed.chars().any(char::is_control) {
        return Err("A caption is one line of text, without control characters.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut bytes = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        bytes
    }

    #[test]
    fn a_large_photo_is_shrunk_for_screen_print_and_thumbnail() {
        let prepared = prepare(&png(1600, 1200)).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((prepared.screen.width, prepared.screen.height), (800, 600));
        assert_eq!(prepared.print.width, 315);
        assert_eq!(prepared.thumb.width, 160);
        assert_eq!(prepared.print.content_type, "image/jpeg");
        assert_eq!(&prepared.print.bytes[..2], &[0xFF, 0xD8]);
    }

    #[test]
    fn text_and_gif_are_refused_by_what_they_are() {
        assert_eq!(
            prepare(b"hello, not a picture").err(),
            Some(PictureProblem::NotAnImage)
        );
        assert_eq!(
            prepare(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").err(),
            Some(PictureProblem::WrongType("gif"))
        );
    }

    #[test]
    fn default_caption_names_the_exercise_and_place() {
        assert_eq!(
            caption_or_default("  ", "Chin tuck", 2),
            "Chin tuck, picture 2"
        );
        assert_eq!(caption_or_default(" Start ", "Chin tuck", 2), "Start");
    }
}
