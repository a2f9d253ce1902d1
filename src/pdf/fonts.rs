//! The two bundled faces, an optional fallback face for Chinese, Japanese and Korean,
//! glyph-coverage cleaning, measuring and wrapping.

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
    /// Draws what the bundled faces have no glyph for (Chinese, Japanese, Korean), in
    /// both weights, when the clinic configured a font file.
    fallback: Option<FaceData>,
}

/// Which loaded face draws a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Bundled(Face),
    Fallback,
}

/// Hangul, kana and the CJK ideograph blocks: what the fallback face is for.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'
        | '\u{2E80}'..='\u{2FDF}'
        | '\u{3000}'..='\u{9FFF}'
        | '\u{A960}'..='\u{A97F}'
        | '\u{AC00}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFF}')
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
    /// The bundled faces: DejaVu Sans Condensed, as wide as common office fonts with a
    /// taller x-height, so 11 pt reads large and a sheet stays short.
    pub(super) fn load() -> Result<Self, PdfError> {
        Ok(Self {
            regular: FaceData::load(dejavu::sans_condensed::regular(), "DejaVu Sans Condensed")?,
            bold: FaceData::load(dejavu::sans_condensed::bold(), "DejaVu Sans Condensed Bold")?,
            fallback: None,
        })
    }

    /// The bundled faces plus a fallback for Chinese, Japanese and Korean, read from a
    /// font file (TrueType, OpenType or a collection, whose first face is used).
    pub(super) fn load_with_fallback(font_file: &[u8]) -> Result<Self, PdfError> {
        let fallback = FaceData::load(font_file, "CJK fallback")?;
        if fallback.glyph('\u{4E2D}').is_none() {
            return Err(PdfError::Font(
                "CJK fallback (it has no Chinese characters)",
            ));
        }
        Ok(Self {
            fallback: Some(fallback),
            ..Self::load()?
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

    pub(super) fn fallback(&self) -> Option<&ParsedFont> {
        self.fallback.as_ref().map(|f| &f.font)
    }

    pub(super) fn has_fallback(&self) -> bool {
        self.fallback.is_some()
    }

    /// The face that draws `c` in `face`: the bundled one when it has the glyph, else
    /// the fallback when that has it.
    fn source(&self, face: Face, c: char) -> Source {
        if self.face(face).glyph(c).is_some() {
            return Source::Bundled(face);
        }
        match &self.fallback {
            Some(fallback) if fallback.glyph(c).is_some() => Source::Fallback,
            _ => Source::Bundled(face),
        }
    }

    fn source_data(&self, source: Source) -> &FaceData {
        match (source, &self.fallback) {
            (Source::Fallback, Some(fallback)) => fallback,
            (Source::Bundled(_), _) | (Source::Fallback, None) => self.face(face_of(source)),
        }
    }

    /// Advance of `c` in em, in whichever face draws it.
    fn advance(&self, face: Face, c: char) -> f32 {
        self.source_data(self.source(face, c)).advance(c)
    }

    /// Splits cleaned text into runs drawn by one face each.
    pub(super) fn runs(&self, face: Face, text: &str) -> Vec<(Source, String)> {
        let mut runs: Vec<(Source, String)> = Vec::new();
        for c in text.chars() {
            let source = self.source(face, c);
            match runs.last_mut() {
                Some((last, run)) if *last == source => run.push(c),
                _ => runs.push((source, c.to_string())),
            }
        }
        runs
    }

    /// Makes `text` printable in `face`: line breaks become `\n`, tabs become
    /// spaces, control characters go, and anything without a glyph becomes a
    /// visible replacement mark (a missing glyph would otherwise print as an
    /// empty box or nothing at all).
    pub(super) fn clean(&self, face: Face, text: &str) -> String {
        let data = self.face(face);
        let fallback = self.fallback.as_ref();
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
                c if fallback.is_some_and(|f| f.glyph(c).is_some()) => out.push(c),
                _ => out.push(data.replacement),
            }
        }
        out
    }

    /// Width in points of already-cleaned text.
    pub(super) fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        text.chars().map(|c| self.advance(face, c)).sum::<f32>() * size
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
        let mut pieces = Vec::new();
        let mut piece = String::new();
        let mut w = 0.0;
        for c in word.chars() {
            let cw = self.advance(face, c) * size;
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
        let budget = max - self.advance(face, '…') * size;
        let mut out = String::new();
        let mut w = 0.0;
        for c in body.chars() {
            let cw = self.advance(face, c) * size;
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

fn face_of(source: Source) -> Face {
    match source {
        Source::Bundled(face) => face,
        Source::Fallback => Face::Regular,
    }
}
