//! The two bundled faces, glyph-coverage cleaning, measuring and wrapping.

use printpdf::ParsedFont;

use super::model::PdfError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Face {
    Regular,
    Bold,
}

/// Code points below this have their glyph ids precomputed: Latin, Greek,
/// Cyrillic and the common punctuation and symbol blocks.
const CACHED_CHARS: u32 = 0x3000;

struct FaceData {
    font: ParsedFont,
    units_per_em: f32,
    /// Shown in place of characters the face has no glyph for.
    replacement: char,
    /// Glyph id per code point below `CACHED_CHARS` (0 = no glyph); the
    /// font's cmap is only consulted for rarer characters.
    gids: Vec<u16>,
    /// Horizontal advance per glyph id, in font units.
    advances: Vec<u16>,
}

impl FaceData {
    fn load(bytes: &[u8], which: &'static str) -> Result<Self, PdfError> {
        let mut warnings = Vec::new();
        let font = ParsedFont::from_bytes(bytes, 0, &mut warnings).ok_or(PdfError::Font(which))?;
        let units_per_em = f32::from(font.font_metrics.units_per_em);
        if units_per_em <= 0.0 {
            return Err(PdfError::Font(which));
        }
        let has = |c: char| matches!(font.lookup_glyph_index(c as u32), Some(g) if g != 0);
        let replacement = if has('\u{FFFD}') { '\u{FFFD}' } else { '?' };
        // Measuring is the hot path of layout, so both lookups are tabulated once.
        let gids = (0..CACHED_CHARS)
            .map(|cp| font.lookup_glyph_index(cp).unwrap_or(0))
            .collect();
        let advances = (0..font.num_glyphs)
            .map(|gid| font.get_horizontal_advance(gid))
            .collect();
        Ok(Self {
            font,
            units_per_em,
            replacement,
            gids,
            advances,
        })
    }

    /// Glyph id for `c`, treating `.notdef` as missing.
    fn glyph(&self, c: char) -> Option<u16> {
        let gid = match self.gids.get(c as usize) {
            Some(&g) => g,
            None => self.font.lookup_glyph_index(c as u32).unwrap_or(0),
        };
        (gid != 0).then_some(gid)
    }

    /// Advance of `c` in em.
    fn advance(&self, c: char) -> f32 {
        let gid = self
            .glyph(c)
            .or_else(|| self.glyph(self.replacement))
            .unwrap_or(0);
        let units = match self.advances.get(usize::from(gid)) {
            Some(&a) => a,
            None => self.font.get_horizontal_advance(gid),
        };
        f32::from(units) / self.units_per_em
    }
}

/// Parsed once, shared read-only by every render.
pub(super) struct Fonts {
    regular: FaceData,
    bold: FaceData,
}

/// Characters that take no space and are safe to drop when a face lacks them
/// (joiners, variation selectors, byte-order marks, soft hyphens).
fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

/// Spaces a line may break at; no-break spaces are deliberately excluded.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{00A0}' | '\u{2007}' | '\u{202F}')
}

impl Fonts {
    /// DejaVu Sans Condensed: as wide as common office fonts with a taller x-height, so
    /// 11 pt reads large and a sheet stays short.
    pub(super) fn load() -> Result<Self, PdfError> {
        Ok(Self {
            regular: FaceData::load(dejavu::sans_condensed::regular(), "DejaVu Sans Condensed")?,
            bold: FaceData::load(dejavu::sans_condensed::bold(), "DejaVu Sans Condensed Bold")?,
        })
    }

    fn face(&self, face: Face) -> &FaceData {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    pub(super) fn parsed(&self, face: Face) -> &ParsedFont {
        &self.face(face).font
    }

    /// Makes `text` printable in `face`: line breaks become `\n`, tabs become
    /// spaces, control characters go, and anything without a glyph becomes a
    /// visible replacement mark (a missing glyph would otherwise print as an
    /// empty box or nothing at all).
    pub(super) fn clean(&self, face: Face, text: &str) -> String {
        let data = self.face(face);
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() != Some(&'\n') {
                        out.push('\n');
                    }
                }
                '\n' | '\u{2028}' | '\u{2029}' | '\u{0085}' => out.push('\n'),
                '\t' => out.push(' '),
                '\u{00AD}' => {}
                c if c.is_control() => {}
                c if is_ignorable(c) => {
                    if data.glyph(c).is_some() {
                        out.push(c);
                    }
                }
                c if data.glyph(c).is_some() => out.push(c),
                _ => out.push(data.replacement),
            }
        }
        out
    }

    /// Width in points of already-cleaned text.
    pub(super) fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let data = self.face(face);
        text.chars().map(|c| data.advance(c)).sum::<f32>() * size
    }

    /// Cleans and wraps `text` to `max` points. Paragraph breaks are kept,
    /// runs of blank lines collapse to one, and words wider than the column
    /// are broken between characters so nothing crosses the margin.
    pub(super) fn wrap(&self, face: Face, size: f32, max: f32, text: &str) -> Vec<String> {
        let text = self.clean(face, text);
        let space = self.width(face, size, " ");
        let mut lines: Vec<String> = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let mut line_w = 0.0;
            let mut any_word = false;
            for word in para.split(is_break_space).filter(|w| !w.is_empty()) {
                any_word = true;
                let word_w = self.width(face, size, word);
                if !line.is_empty() && line_w + space + word_w <= max {
                    line.push(' ');
                    line.push_str(word);
                    line_w += space + word_w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if word_w <= max {
                    line.push_str(word);
                    line_w = word_w;
                } else {
                    let mut pieces = self.break_word(face, size, max, word);
                    line = pieces.pop().unwrap_or_default();
                    line_w = self.width(face, size, &line);
                    lines.extend(pieces);
                }
            }
            if any_word {
                lines.push(line);
            } else if lines.last().is_some_and(|l| !l.is_empty()) {
                lines.push(String::new());
            }
        }
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }

    /// Splits one over-long word into pieces no wider than `max`.
    fn break_word(&self, face: Face, size: f32, max: f32, word: &str) -> Vec<String> {
        let data = self.face(face);
        let mut pieces = Vec::new();
        let mut piece = String::new();
        let mut w = 0.0;
        for c in word.chars() {
            let cw = data.advance(c) * size;
            // Always take at least one character so a too-narrow column
            // cannot loop forever.
            if !piece.is_empty() && w + cw > max {
                pieces.push(std::mem::take(&mut piece));
                w = 0.0;
            }
            piece.push(c);
            w += cw;
        }
        if !piece.is_empty() {
            pieces.push(piece);
        }
        pieces
    }

    /// Wraps, then keeps at most `max_lines`, marking a cut with an ellipsis.
    pub(super) fn wrap_limited(
        &self,
        face: Face,
        size: f32,
        max: f32,
        text: &str,
        max_lines: usize,
    ) -> Vec<String> {
        let mut lines = self.wrap(face, size, max, text);
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                let marked = format!("{last}…");
                *last = self.ellipsize_clean(face, size, max, &marked, true);
            }
        }
        lines
    }

    /// One line of at most `max` points, cut with an ellipsis when too long.
    pub(super) fn one_line(&self, face: Face, size: f32, max: f32, text: &str) -> String {
        let cleaned = self.clean(face, text);
        let flat: String = cleaned
            .split(|c: char| c == '\n' || is_break_space(c))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        self.ellipsize_clean(face, size, max, &flat, false)
    }

    fn ellipsize_clean(&self, face: Face, size: f32, max: f32, text: &str, force: bool) -> String {
        if !force && self.width(face, size, text) <= max {
            return text.to_string();
        }
        let body = text.strip_suffix('…').unwrap_or(text);
        let data = self.face(face);
        let budget = max - data.advance('…') * size;
        let mut out = String::new();
        let mut w = 0.0;
        for c in body.chars() {
            let cw = data.advance(c) * size;
            if w + cw > budget {
                break;
            }
            out.push(c);
            w += cw;
        }
        let mut out = out.trim_end().to_string();
        out.push('…');
        out
    }
}
