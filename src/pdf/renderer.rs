//! Page furniture (running header, footer, page numbers) and conversion of
//! placed draws into printpdf operations.

use printpdf::{
    Color, CurTransMat, FontId, Line, LineCapStyle, LineJoinStyle, LinePoint, Mm, Op, PaintMode,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rect,
    TextItem, WindingOrder, XObjectId, XObjectTransform, date,
};

use super::fonts::{Face, Fonts, Source};
use super::layout::{Area, Draw, Paginator, Rgb};
use super::model::{PdfError, Sheet, SheetPicture};
use super::qr::QrCache;
use super::sheet::{BODY_PT, Builder, MUTED, Pictures, RULE, Style};
use super::tagging::{self, LineSetting, Mark, PageMarks};

/// Large print: body text at 14 pt, and everything else in proportion.
const LARGE_PRINT_SCALE: f32 = 14.0 / BODY_PT;

/// The language a screen reader reads the sheet in: physiocase's wording is English.
const LANGUAGE: &str = "en";

/// Nothing is drawn closer than this to any paper edge (10 mm: more than home printers
/// need, and room for six exercises on two pages).
pub(super) const MARGIN_PT: f32 = 10.0 * 72.0 / 25.4;

const FOOTER: Style = Style::new(Face::Regular, 7.5, MUTED, 1.35);
const RUNNING: Style = Style::new(Face::Regular, 7.5, MUTED, 1.35);

/// Placed pages and what the PDF says about itself.
pub(super) struct PdfPages<'a> {
    pub title: &'a str,
    /// The document's creation date (UTC).
    pub created_at: chrono::NaiveDateTime,
    /// Paper width and height in millimetres.
    pub paper: (f32, f32),
    /// Every page is laid out this much smaller and scaled up to the paper.
    pub scale: f32,
    pub pages: &'a [Vec<Draw>],
    pub pictures: &'a [SheetPicture],
}

/// Renders home-exercise sheets and letters. Fonts are parsed once in [`SheetRenderer::new`];
/// the renderer is immutable afterwards, so one instance can serve many
/// threads behind an `Arc`.
pub struct SheetRenderer {
    pub(super) fonts: Fonts,
    qr: QrCache,
}

// Shared across web workers: fail the build if that ever stops being true.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SheetRenderer>();
};

impl SheetRenderer {
    pub fn new() -> Result<Self, PdfError> {
        Ok(Self {
            fonts: Fonts::load()?,
            qr: QrCache::default(),
        })
    }

    /// Also prints Chinese, Japanese and Korean, with the font in `font_file` (for example
    /// Noto Sans CJK). The font is read and parsed once, here.
    pub fn with_cjk_font(font_file: &std::path::Path) -> Result<Self, PdfError> {
        let bytes = std::fs::read(font_file)
            .map_err(|e| PdfError::FontFile(format!("{}: {e}", font_file.display())))?;
        Ok(Self {
            fonts: Fonts::load_with_fallback(&bytes)?,
            qr: QrCache::default(),
        })
    }

    pub fn render(&self, sheet: &Sheet) -> Result<Vec<u8>, PdfError> {
        let (w_mm, h_mm) = sheet.paper.size_mm();
        // Large print lays the sheet out on a smaller page and scales every page up to the
        // paper: all text, rules and drawings grow alike (body text becomes 14 pt).
        let scale = if sheet.large_print {
            LARGE_PRINT_SCALE
        } else {
            1.0
        };
        let (page_w, page_h) = (w_mm * 72.0 / 25.4 / scale, h_mm * 72.0 / 25.4 / scale);
        let cw = page_w - 2.0 * MARGIN_PT;

        let footer_lines = self.fonts.wrap_limited(
            FOOTER.face,
            FOOTER.size,
            cw * 0.75,
            &sheet.clinic.footer_text,
            2,
        );
        let footer_h = 9.0 + footer_lines.len().max(1) as f32 * FOOTER.line_h();
        let running_h = RUNNING.line_h() + 9.0;
        let area = Area {
            left: MARGIN_PT,
            width: cw,
            first_top: MARGIN_PT,
            other_top: MARGIN_PT + running_h,
            bottom: page_h - MARGIN_PT - footer_h,
        };

        let builder = self.builder(
            cw,
            if sheet.large_print {
                Pictures::Above
            } else {
                Pictures::Beside
            },
        );
        let mut pager = Paginator::new(area);
        for block in builder.blocks(sheet) {
            pager.place(&block);
        }
        let mut pages = pager.pages;

        let total = pages.len();
        let running = self.running_header(sheet, cw);
        for (i, draws) in pages.iter_mut().enumerate() {
            if i > 0 {
                draws.extend(running.iter().cloned());
            }
            self.footer(draws, &footer_lines, i + 1, total, cw, page_h);
        }

        let title = format!("Home exercise programme – {}", sheet.patient_name);
        self.write_pdf(&PdfPages {
            title: &title,
            created_at: sheet.issued_at,
            paper: (w_mm, h_mm),
            scale,
            pages: &pages,
            pictures: &sheet.pictures,
        })
    }

    /// Lays out blocks for a column `cw` points wide.
    pub(super) fn builder(&self, cw: f32, pictures: Pictures) -> Builder<'_> {
        Builder {
            fonts: &self.fonts,
            qr: &self.qr,
            cw,
            pictures,
        }
    }

    /// Writes placed pages as a tagged PDF: fonts (the fallback face only when used),
    /// pictures, one structure element per paragraph and figure, compressed streams.
    pub(super) fn write_pdf(&self, doc_pages: &PdfPages<'_>) -> Result<Vec<u8>, PdfError> {
        let (w_mm, h_mm) = doc_pages.paper;
        let scale = doc_pages.scale;
        let page_h = h_mm * 72.0 / 25.4 / scale;
        let pages = doc_pages.pages;
        let title = self
            .fonts
            .one_line(Face::Regular, 10.0, f32::MAX, doc_pages.title);
        let mut doc = PdfDocument::new(&title);
        // printpdf dates every document 1970-01-01 unless told otherwise, and writes the
        // time as UTC (+00'00').
        let created = pdf_date(doc_pages.created_at);
        doc.metadata.info.creation_date = created;
        doc.metadata.info.modification_date = created;
        doc.metadata.info.metadata_date = created;
        // The fallback face is large: only a sheet that uses it carries its subset.
        let uses_fallback = pages.iter().flatten().any(|d| match d {
            Draw::Text { face, text, .. } => self
                .fonts
                .runs(*face, text)
                .iter()
                .any(|(source, _)| *source == Source::Fallback),
            _ => false,
        });
        let ids = FontIds {
            regular: doc.add_font(self.fonts.parsed(Face::Regular)),
            bold: doc.add_font(self.fonts.parsed(Face::Bold)),
            fallback: self
                .fonts
                .fallback()
                .filter(|_| uses_fallback)
                .map(|font| doc.add_font(font)),
            pictures: doc_pages
                .pictures
                .iter()
                .map(|picture| doc.add_xobject(&jpeg_xobject(picture)))
                .collect(),
        };
        let mut marks_per_page = Vec::with_capacity(pages.len());
        let pdf_pages: Vec<PdfPage> = pages
            .iter()
            .map(|draws| {
                let (mut ops, marks) = to_ops(draws, page_h, &ids, &self.fonts);
                marks_per_page.push(marks);
                if scale != 1.0 {
                    ops.insert(
                        0,
                        Op::SetTransformationMatrix {
                            matrix: CurTransMat::Scale(scale, scale),
                        },
                    );
                }
                PdfPage::new(Mm(w_mm), Mm(h_mm), ops)
            })
            .collect();
        let mut warnings = Vec::new();
        let options = PdfSaveOptions {
            optimize: false,
            ..PdfSaveOptions::default()
        };
        let mut document = doc
            .with_pages(pdf_pages)
            .to_lopdf_document(&options, &mut warnings);
        tagging::add_structure(&mut document, &marks_per_page, LANGUAGE)
            .map_err(|e| PdfError::Output(format!("structure tree: {e}")))?;
        compress_streams(&mut document);
        let mut bytes = Vec::new();
        document
            .save_to(&mut bytes)
            .map_err(|e| PdfError::Output(format!("{e} ({warnings:?})")))?;
        Ok(bytes)
    }

    /// Identifies loose pages: patient and programme on the left, clinic on the right.
    fn running_header(&self, sheet: &Sheet, cw: f32) -> Vec<Draw> {
        let st = RUNNING;
        let y = MARGIN_PT;
        let version = format!("version {}", sheet.version);
        let issued = format!("issued {}", sheet.issued_on.trim());
        let mut parts = vec![
            sheet.patient_name.trim(),
            "Home exercise programme",
            &version,
        ];
        if !sheet.issued_on.trim().is_empty() {
            parts.push(&issued);
        }
        parts.retain(|p| !p.is_empty());
        let left = self
            .fonts
            .one_line(st.face, st.size, cw * 0.62, &parts.join(" · "));
        let bold = Style {
            face: Face::Bold,
            ..st
        };
        let right = self
            .fonts
            .one_line(bold.face, bold.size, cw * 0.35, &sheet.clinic.name);
        let right_w = self.fonts.width(bold.face, bold.size, &right);
        let rule_y = y + st.line_h() + 3.0;
        vec![
            st.text(MARGIN_PT, y + st.baseline(), left),
            bold.text(MARGIN_PT + cw - right_w, y + bold.baseline(), right),
            Draw::Line {
                x1: MARGIN_PT,
                y1: rule_y,
                x2: MARGIN_PT + cw,
                y2: rule_y,
                color: RULE,
                width: 0.6,
            },
        ]
    }

    pub(super) fn footer(
        &self,
        draws: &mut Vec<Draw>,
        lines: &[String],
        page: usize,
        total: usize,
        cw: f32,
        page_h: f32,
    ) {
        let st = FOOTER;
        let n = lines.len().max(1) as f32;
        let top = page_h - MARGIN_PT - n * st.line_h();
        let rule_y = top - 4.5;
        draws.push(Draw::Line {
            x1: MARGIN_PT,
            y1: rule_y,
            x2: MARGIN_PT + cw,
            y2: rule_y,
            color: RULE,
            width: 0.6,
        });
        for (i, line) in lines.iter().enumerate() {
            let y = top + i as f32 * st.line_h() + st.baseline();
            draws.push(st.text(MARGIN_PT, y, line.clone()));
        }
        let label = format!("Page {page} of {total}");
        let bold = Style {
            face: Face::Bold,
            ..st
        };
        let w = self.fonts.width(bold.face, bold.size, &label);
        draws.push(bold.text(MARGIN_PT + cw - w, top + bold.baseline(), label));
    }
}

/// A UTC time as printpdf's date, field by field (printpdf writes it with +00'00').
fn pdf_date(at: chrono::NaiveDateTime) -> date::OffsetDateTime {
    use chrono::{Datelike, Timelike};
    // Months, days, hours, minutes and seconds always fit in a byte.
    let byte = |n: u32| u8::try_from(n).unwrap_or(u8::MAX);
    date::OffsetDateTime {
        date: date::Date {
            year: at.year(),
            month: byte(at.month()),
            day: byte(at.day()),
        },
        time: date::Time {
            hour: byte(at.hour()),
            minute: byte(at.minute()),
            second: byte(at.second()),
            millisecond: 0,
        },
        offset: date::Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    }
}

struct FontIds {
    regular: FontId,
    bold: FontId,
    /// Present when the sheet has text only the fallback face can draw.
    fallback: Option<FontId>,
    /// The sheet's pictures, in `Sheet::pictures` order.
    pictures: Vec<XObjectId>,
}

/// An image XObject holding a picture's JPEG bytes as they are (DCTDecode): printpdf's
/// own images would be decoded and encoded again on every sheet.
fn jpeg_xobject(picture: &SheetPicture) -> printpdf::ExternalXObject {
    use printpdf::DictItem;
    let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
    let dict = [
        ("Type", name("XObject")),
        ("Subtype", name("Image")),
        ("Width", DictItem::Int(i64::from(picture.width))),
        ("Height", DictItem::Int(i64::from(picture.height))),
        ("ColorSpace", name("DeviceRGB")),
        ("BitsPerComponent", DictItem::Int(8)),
        ("Filter", name("DCTDecode")),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    printpdf::ExternalXObject {
        stream: printpdf::ExternalStream {
            dict,
            content: picture.jpeg.to_vec(),
            compress: false,
        },
        width: None,
        height: None,
        dpi: None,
    }
}

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb {
        r: c.0,
        g: c.1,
        b: c.2,
        icc_profile: None,
    })
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

fn control(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: true,
    }
}

/// A circle as four cubic Bézier arcs (PDF has no circle operator).
fn circle_ring(x: f32, y: f32, r: f32) -> Vec<LinePoint> {
    // Control-point distance for a quarter circle.
    let k = r * 0.552_284_8;
    vec![
        point(x + r, y),
        control(x + r, y + k),
        control(x + k, y + r),
        point(x, y + r),
        control(x - k, y + r),
        control(x - r, y + k),
        point(x - r, y),
        control(x - r, y - k),
        control(x - k, y - r),
        point(x, y - r),
        control(x + k, y - r),
        control(x + r, y - k),
        point(x + r, y),
    ]
}

fn fill_polygon(ring: Vec<LinePoint>, mode: PaintMode) -> Op {
    Op::DrawPolygon {
        polygon: Polygon {
            rings: vec![PolygonRing { points: ring }],
            mode,
            winding_order: WindingOrder::NonZero,
        },
    }
}

/// Writes each text line as its own BT…ET with an absolute position, so every
/// line's placement can be read straight off the content stream. Text is marked content a
/// paragraph at a time (see `tagging`); the page's paragraph count comes back with the
/// operations.
fn to_ops(draws: &[Draw], page_h: f32, ids: &FontIds, fonts: &Fonts) -> (Vec<Op>, Vec<Mark>) {
    // A figure's draws are written in place, each knowing which figure it belongs to.
    let mut flat: Vec<(&Draw, Option<(usize, &str)>)> = Vec::with_capacity(draws.len());
    let mut figures = 0;
    for d in draws {
        match d {
            Draw::Figure { alt, draws: inner } => {
                flat.extend(inner.iter().map(|i| (i, Some((figures, alt.as_str())))));
                figures += 1;
            }
            _ => flat.push((d, None)),
        }
    }
    let mut ops = Vec::with_capacity(draws.len() * 7);
    let mut marks = PageMarks::default();
    let mut fill: Option<Rgb> = None;
    let mut stroke: Option<(Rgb, f32)> = None;
    let mut set_fill = |ops: &mut Vec<Op>, c: Rgb| {
        if fill != Some(c) {
            ops.push(Op::SetFillColor { col: color(c) });
            fill = Some(c);
        }
    };
    let mut set_stroke = |ops: &mut Vec<Op>, c: Rgb, w: f32| {
        if stroke != Some((c, w)) {
            ops.push(Op::SetOutlineColor { col: color(c) });
            ops.push(Op::SetOutlineThickness { pt: Pt(w) });
            stroke = Some((c, w));
        }
    };
    // Figures' limbs need round ends; set once per page, before the first shape drawn.
    let mut rounded = false;
    let mut round_caps = |ops: &mut Vec<Op>| {
        if !rounded {
            ops.push(Op::SetLineCapStyle {
                cap: LineCapStyle::Round,
            });
            ops.push(Op::SetLineJoinStyle {
                join: LineJoinStyle::Round,
            });
            rounded = true;
        }
    };
    for (d, figure) in flat {
        let line = match d {
            Draw::Text {
                x,
                y,
                face,
                size,
                color,
                text,
            } if !text.is_empty() => Some(LineSetting {
                x: *x,
                baseline: *y,
                size: *size,
                style: (*face, *color),
            }),
            _ => None,
        };
        match (figure, line) {
            (Some((number, alt)), _) => marks.figure(&mut ops, number, alt),
            (None, Some(line)) => marks.text_line(&mut ops, line),
            (None, None) => marks.drawing(&mut ops),
        }
        match d {
            Draw::Text {
                x,
                y,
                face,
                size,
                color: c,
                text,
            } => {
                if text.is_empty() {
                    continue;
                }
                set_fill(&mut ops, *c);
                // A line in two scripts is set as runs, one per face, each placed where
                // the one before it ends.
                let mut run_x = *x;
                for (source, run) in fonts.runs(*face, text) {
                    let id = match (source, &ids.fallback) {
                        (Source::Fallback, Some(id)) => id,
                        (Source::Bundled(Face::Bold), _) => &ids.bold,
                        _ => &ids.regular,
                    };
                    ops.push(Op::StartTextSection);
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(id.clone()),
                        size: Pt(*size),
                    });
                    ops.push(Op::SetTextCursor {
                        pos: Point {
                            x: Pt(run_x),
                            y: Pt(page_h - y),
                        },
                    });
                    run_x += fonts.width(*face, *size, &run);
                    ops.push(Op::ShowText {
                        items: vec![TextItem::Text(run)],
                    });
                    ops.push(Op::EndTextSection);
                }
            }
            Draw::Rect {
                x,
                y,
                w,
                h,
                fill: f,
                stroke: s,
            } => {
                let mode = match (f, s) {
                    (Some(_), Some(_)) => PaintMode::FillStroke,
                    (Some(_), None) => PaintMode::Fill,
                    (None, Some(_)) => PaintMode::Stroke,
                    (None, None) => continue,
                };
                if let Some(c) = f {
                    set_fill(&mut ops, *c);
                }
                if let Some((c, lw)) = s {
                    set_stroke(&mut ops, *c, *lw);
                }
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(*x),
                        y: Pt(page_h - y - h),
                        width: Pt(*w),
                        height: Pt(*h),
                        mode: Some(mode),
                        winding_order: None,
                    },
                });
            }
            Draw::Line {
                x1,
                y1,
                x2,
                y2,
                color: c,
                width,
            } => {
                set_stroke(&mut ops, *c, *width);
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![point(*x1, page_h - y1), point(*x2, page_h - y2)],
                        is_closed: false,
                    },
                });
            }
            Draw::Polyline {
                points,
                color: c,
                width,
            } => {
                round_caps(&mut ops);
                set_stroke(&mut ops, *c, *width);
                ops.push(Op::DrawLine {
                    line: Line {
                        points: points.iter().map(|(x, y)| point(*x, page_h - y)).collect(),
                        is_closed: false,
                    },
                });
            }
            Draw::Polygon {
                points,
                fill: f,
                stroke: s,
            } => {
                round_caps(&mut ops);
                set_fill(&mut ops, *f);
                let mode = match s {
                    Some((c, lw)) => {
                        set_stroke(&mut ops, *c, *lw);
                        PaintMode::FillStroke
                    }
                    None => PaintMode::Fill,
                };
                let ring = points.iter().map(|(x, y)| point(*x, page_h - y)).collect();
                ops.push(fill_polygon(ring, mode));
            }
            Draw::Disc { x, y, r, color: c } => {
                set_fill(&mut ops, *c);
                ops.push(fill_polygon(
                    circle_ring(*x, page_h - y, *r),
                    PaintMode::Fill,
                ));
            }
            Draw::Picture {
                x,
                y,
                w,
                h,
                picture,
            } => {
                let Some(id) = ids.pictures.get(*picture) else {
                    continue;
                };
                // An image fills the unit square: scale it to the box, then move it there.
                ops.push(Op::SaveGraphicsState);
                ops.push(Op::SetTransformationMatrix {
                    matrix: CurTransMat::Raw([*w, 0.0, 0.0, *h, *x, page_h - y - h]),
                });
                ops.push(Op::UseXobject {
                    id: id.clone(),
                    transform: XObjectTransform {
                        no_auto_scale: true,
                        ..XObjectTransform::default()
                    },
                });
                ops.push(Op::RestoreGraphicsState);
            }
            // Flattened above; a figure inside a figure is not drawn.
            Draw::Figure { .. } => {}
        }
    }
    let marks = marks.finish(&mut ops);
    (ops, marks)
}

/// DEFLATE at the fast level. printpdf's own save uses the slowest level, which took half
/// of a sheet's time to save a few percent of its size.
fn compress_streams(document: &mut lopdf::Document) {
    use std::io::Write;
    for object in document.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        let compressed = encoder
            .write_all(&stream.content)
            .and_then(|()| encoder.finish());
        // Keep the stream as it is when compressing would not make it smaller.
        if let Ok(compressed) = compressed
            && compressed.len() < stream.content.len()
        {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}
