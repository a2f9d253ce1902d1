//! QR code drawn as vector rectangles, so no image support is needed.

use std::sync::Mutex;

use qrcode::{Color, EcLevel, QrCode};

use super::layout::{Draw, Rgb};

/// Smallest printed module that phone cameras read reliably (about 0.6 mm).
const MIN_MODULE_PT: f32 = 1.7;
/// Size bounds of the printed code in points (21–45 mm).
const MIN_SIZE_PT: f32 = 60.0;
const MAX_SIZE_PT: f32 = 128.0;

/// Rectangles of a QR code with its side length, as `qr_draws` returns them.
type Drawn = Option<(f32, Vec<Draw>)>;

/// The last code drawn. Every sheet of a clinic links to the same portal address, and
/// choosing a code's mask pattern was a tenth of a sheet's render time.
#[derive(Default)]
pub(super) struct QrCache(Mutex<Option<(String, Rgb, Drawn)>>);

impl QrCache {
    pub(super) fn draws(&self, data: &str, color: Rgb) -> Drawn {
        if let Ok(last) = self.0.lock()
            && let Some((d, c, drawn)) = last.as_ref()
            && d == data
            && *c == color
        {
            return drawn.clone();
        }
        let drawn = qr_draws(data, color);
        if let Ok(mut last) = self.0.lock() {
            *last = Some((data.to_owned(), color, drawn.clone()));
        }
        drawn
    }
}

/// Rectangles for `data` with the code's top-left corner at (0, 0), and the
/// side length. `None` when the data is too long for any QR code.
fn qr_draws(data: &str, color: Rgb) -> Drawn {
    // Medium correction survives creases and smudges; long links fall back
    // to low so the code stays printable.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(data.as_bytes(), EcLevel::L))
        .ok()?;
    let n = code.width();
    if n == 0 {
        return None;
    }
    let size = (n as f32 * MIN_MODULE_PT).clamp(MIN_SIZE_PT, MAX_SIZE_PT);
    let module = size / n as f32;
    let colors = code.to_colors();
    let mut draws = Vec::new();
    for row in 0..n {
        // One rectangle per horizontal run of dark modules keeps the file small.
        let mut col = 0;
        while col < n {
            if colors[row * n + col] != Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && colors[row * n + col] == Color::Dark {
                col += 1;
            }
            draws.push(Draw::Rect {
                x: start as f32 * module,
                y: row as f32 * module,
                w: (col - start) as f32 * module,
                h: module,
                fill: Some(color),
                stroke: None,
            });
        }
    }
    Some((size, draws))
}
