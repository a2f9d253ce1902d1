//! Turns a `Sheet` into blocks of fragments: all wording and visual style
//! of the printed sheet lives here.

use super::fonts::{Face, Fonts, is_cjk};
use super::layout::{Block, Draw, Fragment, Frame, Rgb};
use super::model::{ClinicHeader, Sheet, SheetItem, SheetPicture};
use super::qr::QrCache;
use crate::figures::{Drawing, FRAME_H, FRAME_W, Shape, Tone};

pub(super) const INK: Rgb = Rgb(0.11, 0.12, 0.13);
pub(super) const MUTED: Rgb = Rgb(0.38, 0.41, 0.44);
pub(super) const ACCENT: Rgb = Rgb(0.0, 0.36, 0.42);
pub(super) const RULE: Rgb = Rgb(0.80, 0.82, 0.84);
const ACCENT_TINT: Rgb = Rgb(0.91, 0.955, 0.96);
const CARD: Rgb = Rgb(0.95, 0.96, 0.965);
const WARN: Rgb = Rgb(0.68, 0.16, 0.09);
const WARN_TINT: Rgb = Rgb(0.995, 0.955, 0.945);
const GRID: Rgb = Rgb(0.55, 0.58, 0.60);
const ZEBRA: Rgb = Rgb(0.97, 0.975, 0.98);
const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);

/// Room for an exercise's number before its name, and a step's number before its text.
const NUM_W: f32 = 20.0;
const STEP_NUM_W: f32 = 15.0;

/// The picture column beside an exercise's text: drawn positions and the clinic's photos
/// are stacked in it at this width.
const PICTURE_W: f32 = 60.0;
const PICTURE_GAP: f32 = 10.0;

/// In large print the pictures sit in a row above the text, each at most this wide.
const LARGE_PICTURE_W: f32 = 130.0;

fn tone(t: Tone) -> Rgb {
    let (r, g, b) = t.rgb();
    Rgb(
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
    )
}

/// A figure's shapes as page draws, its frame's top-left at (x, y), scaled by `k`.
fn figure_draws(draws: &mut Vec<Draw>, figure: &Drawing, x: f32, y: f32, k: f32) {
    let at = |p: &crate::figures::P| (x + p.0 * k, y + p.1 * k);
    for shape in &figure.shapes {
        draws.push(match shape {
            Shape::Stroke {
                points,
                width,
                tone: t,
            } => Draw::Polyline {
                points: points.iter().map(at).collect(),
                color: tone(*t),
                width: width * k,
            },
            Shape::Disc { c, r, tone: t } => {
                let (cx, cy) = at(c);
                Draw::Disc {
                    x: cx,
                    y: cy,
                    r: r * k,
                    color: tone(*t),
                }
            }
            Shape::Polygon { points, fill, edge } => Draw::Polygon {
                points: points.iter().map(at).collect(),
                fill: tone(*fill),
                stroke: edge.map(|(t, w)| (tone(t), w * k)),
            },
        });
    }
}

/// DejaVu Sans (and Condensed) ascender (0.928 em) and descender (0.236 em): centring the
/// glyph box in the line puts the baseline this far below the line's middle.
const BASELINE_FROM_MIDDLE: f32 = (0.928 - 0.236) / 2.0;

#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub face: Face,
    pub size: f32,
    pub color: Rgb,
    pub leading: f32,
}

impl Style {
    pub(super) const fn new(face: Face, size: f32, color: Rgb, leading: f32) -> Self {
        Self {
            face,
            size,
            color,
            leading,
        }
    }

    pub(super) fn line_h(&self) -> f32 {
        self.size * self.leading
    }

    /// Baseline offset from the top of a line box.
    pub(super) fn baseline(&self) -> f32 {
        self.line_h() / 2.0 + self.size * BASELINE_FROM_MIDDLE
    }

    pub(super) fn text(&self, x: f32, baseline: f32, text: String) -> Draw {
        Draw::Text {
            x,
            y: baseline,
            face: self.face,
            size: self.size,
            color: self.color,
            text,
        }
    }
}

/// The size of the sheet's body text, in points.
pub(super) const BODY_PT: f32 = 11.0;
const BODY: Style = Style::new(Face::Regular, BODY_PT, INK, 1.16);
const CAPTION: Style = Style::new(Face::Regular, 8.0, MUTED, 1.2);

/// Where an exercise's pictures go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pictures {
    /// A column of fixed width on the left of the text: compact.
    Beside,
    /// A row above the text: large print, where a column would squeeze the steps.
    Above,
}

pub(super) struct Builder<'a> {
    pub fonts: &'a Fonts,
    pub qr: &'a QrCache,
    /// Width of the content column in points.
    pub cw: f32,
    pub pictures: Pictures,
}

fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}

impl Builder<'_> {
    /// One fragment per wrapped line; blank lines become half-height gaps.
    pub(super) fn lines(
        &self,
        st: Style,
        x: f32,
        width: f32,
        text: &str,
        keep: bool,
    ) -> Vec<Fragment> {
        self.fonts
            .wrap(st.face, st.size, width, text)
            .into_iter()
            .map(|line| {
                if line.is_empty() {
                    Fragment {
                        h: st.line_h() / 2.0,
                        draws: Vec::new(),
                        keep_with_next: keep,
                    }
                } else {
                    Fragment {
                        h: st.line_h(),
                        draws: vec![st.text(x, st.baseline(), line)],
                        keep_with_next: keep,
                    }
                }
            })
            .collect()
    }

    /// A single-line label that stays with what follows it.
    fn label(&self, st: Style, x: f32, text: &str) -> Fragment {
        let line = self.fonts.one_line(st.face, st.size, self.cw - x, text);
        Fragment {
            h: st.line_h(),
            draws: vec![st.text(x, st.baseline(), line)],
            keep_with_next: true,
        }
    }

    /// Draws right-aligned at `right`.
    fn right_text(&self, st: Style, right: f32, baseline: f32, line: String) -> Draw {
        let w = self.fonts.width(st.face, st.size, &line);
        st.text(right - w, baseline, line)
    }

    pub(super) fn blocks(&self, sheet: &Sheet) -> Vec<Block> {
        let mut blocks = vec![self.letterhead(&sheet.clinic, "Home exercise programme")];
        if !self.fonts.has_fallback() && has_cjk(sheet) {
            blocks.push(self.cjk_notice());
        }
        blocks.push(self.patient_card(sheet));
        if !sheet.programme_notes.trim().is_empty() {
            blocks.push(self.programme_notes(&sheet.programme_notes));
        }
        for (i, item) in sheet.items.iter().enumerate() {
            blocks.push(self.exercise(i + 1, item, &sheet.pictures));
        }
        blocks.push(self.tick_chart(&sheet.items));
        blocks.push(self.stop_box(sheet));
        blocks
    }

    /// The sheet's title and the clinic's name on the left, its address and contact
    /// on the right, then a rule: short, so the first exercise starts high on page 1.
    pub(super) fn letterhead(&self, c: &ClinicHeader, title_text: &str) -> Block {
        let left_w = self.cw * 0.55;
        let right_w = self.cw * 0.43;
        let mut draws = Vec::new();

        let title = Style::new(Face::Bold, 17.0, INK, 1.2);
        let mut y = 0.0;
        for line in self.fonts.wrap(title.face, title.size, left_w, title_text) {
            draws.push(title.text(0.0, y + title.baseline(), line));
            y += title.line_h();
        }
        let name_st = Style::new(Face::Bold, 10.5, ACCENT, 1.25);
        for line in self
            .fonts
            .wrap_limited(name_st.face, name_st.size, left_w, or_dash(&c.name), 2)
        {
            draws.push(name_st.text(0.0, y + name_st.baseline(), line));
            y += name_st.line_h();
        }
        let left_h = y;

        let small = Style::new(Face::Regular, 9.0, MUTED, 1.3);
        let contact = Style {
            color: INK,
            ..small
        };
        let address: Vec<&str> = c
            .address
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut right: Vec<(Style, String)> = self
            .fonts
            .wrap_limited(small.face, small.size, right_w, &address.join(" · "), 2)
            .into_iter()
            .map(|line| (small, line))
            .collect();
        for (label, value) in [("Phone", &c.phone), ("Email", &c.email)] {
            if value.trim().is_empty() {
                continue;
            }
            let text = format!("{label}: {}", value.trim());
            for line in self
                .fonts
                .wrap_limited(contact.face, contact.size, right_w, &text, 2)
            {
                right.push((contact, line));
            }
        }
        let mut y = 1.0;
        for (st, line) in right {
            draws.push(self.right_text(st, self.cw, y + st.baseline(), line));
            y += st.line_h();
        }
        let right_h = y;

        let frags = vec![
            Fragment {
                h: left_h.max(right_h),
                draws,
                keep_with_next: true,
            },
            Fragment {
                h: 6.0,
                draws: vec![Draw::Line {
                    x1: 0.0,
                    y1: 3.0,
                    x2: self.cw,
                    y2: 3.0,
                    color: ACCENT,
                    width: 1.2,
                }],
                keep_with_next: true,
            },
        ];
        Block {
            frags,
            keep_together: true,
            ..Block::default()
        }
    }

    /// Who and when, in a tinted card; for a patient with portal access the portal's QR
    /// code stands at the card's right and its link is printed under it.
    fn patient_card(&self, sheet: &Sheet) -> Block {
        let url = sheet
            .portal_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let (qr_size, qr_draws) = url
            .and_then(|u| self.qr.draws(u, BLACK))
            .unwrap_or((0.0, Vec::new()));
        // Four modules of white space is the quiet zone a reader needs; 14 pt is more
        // than that at any size we print.
        let qr_w = if qr_size > 0.0 { qr_size + 14.0 } else { 0.0 };
        let card_w = self.cw - qr_w;
        let pad = 6.0;
        let pad_x = 10.0;
        let gap = 12.0;
        let col_w = (card_w - 2.0 * pad_x - 2.0 * gap) / 3.0;
        let label = Style::new(Face::Bold, 7.5, MUTED, 1.3);
        let value = Style::new(Face::Regular, BODY_PT, INK, 1.2);
        let issued = format!("{} (version {})", sheet.issued_on, sheet.version);
        let review = sheet.review_on.as_deref().unwrap_or("");
        let rows: [[(&str, &str, Face); 3]; 2] = [
            [
                ("PATIENT", &sheet.patient_name, Face::Bold),
                ("DATE OF BIRTH", &sheet.patient_date_of_birth, Face::Regular),
                ("THERAPIST", &sheet.therapist_name, Face::Regular),
            ],
            [
                ("ISSUED", &issued, Face::Regular),
                ("NEXT REVIEW", review, Face::Regular),
                ("CASE", &sheet.case_title, Face::Regular),
            ],
        ];
        let mut draws = Vec::new();
        let mut top = pad;
        for (r, row) in rows.iter().enumerate() {
            if r > 0 {
                top += 4.0;
            }
            let mut h: f32 = 0.0;
            for (col, (name, text, face)) in row.iter().enumerate() {
                let x = pad_x + col as f32 * (col_w + gap);
                draws.push(label.text(x, top + label.baseline(), (*name).to_string()));
                let st = Style {
                    face: *face,
                    ..value
                };
                let lines = self
                    .fonts
                    .wrap_limited(st.face, st.size, col_w, or_dash(text), 3);
                let mut y = label.line_h();
                for line in lines {
                    draws.push(st.text(x, top + y + st.baseline(), line));
                    y += st.line_h();
                }
                h = h.max(y);
            }
            top += h;
        }
        if let Some(url) = url {
            let hint = if qr_size > 0.0 {
                "Scan the code with your phone’s camera, or type this link into a web browser:"
            } else {
                "Type this link into a web browser:"
            };
            top += 4.0;
            draws.push(label.text(
                pad_x,
                top + label.baseline(),
                "YOUR PROGRAMME ONLINE".into(),
            ));
            top += label.line_h();
            let st = Style::new(Face::Regular, 10.0, INK, 1.25);
            let text = format!("{hint} {url}");
            for line in self
                .fonts
                .wrap(st.face, st.size, card_w - 2.0 * pad_x, &text)
            {
                draws.push(st.text(pad_x, top + st.baseline(), line));
                top += st.line_h();
            }
        }
        let card_h = (top + pad).max(qr_size);
        // Behind the card's text.
        draws.insert(
            0,
            Draw::Rect {
                x: 0.0,
                y: 0.0,
                w: card_w,
                h: card_h,
                fill: Some(CARD),
                stroke: None,
            },
        );
        draws.extend(qr_draws.iter().map(|d| d.shifted(self.cw - qr_size, 0.0)));
        let frags = vec![Fragment {
            h: card_h,
            draws,
            keep_with_next: false,
        }];
        Block {
            frags,
            keep_together: true,
            space_before: 6.0,
            ..Block::default()
        }
    }

    /// Said on the sheet itself, so a missing font is noticed where it shows.
    fn cjk_notice(&self) -> Block {
        let st = Style::new(Face::Bold, 9.5, WARN, 1.3);
        let text = "Some Chinese, Japanese or Korean characters on this sheet are shown as \
                    \u{FFFD}: this server has no font for them. The clinic can set one with \
                    --cjk-font or PHYSIOCASE_CJK_FONT (for example Noto Sans CJK).";
        Block {
            frags: self.lines(st, 0.0, self.cw, text, false),
            keep_together: true,
            space_before: 4.0,
            ..Block::default()
        }
    }

    fn programme_notes(&self, notes: &str) -> Block {
        let heading = Style::new(Face::Bold, 12.0, INK, 1.3);
        let mut frags = vec![self.label(heading, 0.0, "About your programme")];
        frags.extend(self.lines(BODY, 0.0, self.cw, notes, false));
        Block {
            frags,
            space_before: 10.0,
            ..Block::default()
        }
    }

    /// One exercise: its pictures, name, dosage in words, steps, the therapist's note and
    /// cautions. Kept on one page whenever it fits on one.
    fn exercise(&self, n: usize, item: &SheetItem, pictures: &[SheetPicture]) -> Block {
        let name = if item.name.trim().is_empty() {
            format!("Exercise {n}")
        } else {
            item.name.clone()
        };
        let figures = ExercisePictures::of(item, pictures);
        let frags = match self.pictures {
            Pictures::Beside if !figures.is_empty() => {
                let column = self.picture_column(&figures);
                let text_x = PICTURE_W + PICTURE_GAP;
                let text = self.exercise_text(n, &name, item, text_x);
                beside(column, text)
            }
            Pictures::Beside => self.exercise_text(n, &name, item, 0.0),
            Pictures::Above => {
                let mut frags = self.exercise_title(n, &name, 0.0);
                if let Some(row) = self.picture_row(&figures) {
                    frags.push(Fragment {
                        h: 4.0,
                        draws: Vec::new(),
                        keep_with_next: true,
                    });
                    frags.push(row);
                }
                frags.extend(self.exercise_body(item, 0.0));
                frags
            }
        };

        let cont = Style::new(Face::Bold, 9.0, MUTED, 1.6);
        let cont_text = self.fonts.one_line(
            cont.face,
            cont.size,
            self.cw,
            &format!("{n}. {} (continued)", name.trim()),
        );
        Block {
            frags,
            // The first exercise may start under the letterhead and go on overleaf rather
            // than leave page 1 holding nothing else (it happens in large print).
            keep_together: n > 1,
            space_before: if n == 1 { 8.0 } else { 6.0 },
            rule_before: if n == 1 { None } else { Some(RULE) },
            frame: None,
            continued: vec![Fragment {
                h: cont.line_h(),
                draws: vec![cont.text(0.0, cont.baseline(), cont_text)],
                keep_with_next: true,
            }],
        }
    }

    /// The number and name, then the body, in a column starting at `x`.
    fn exercise_text(&self, n: usize, name: &str, item: &SheetItem, x: f32) -> Vec<Fragment> {
        let mut frags = self.exercise_title(n, name, x);
        frags.extend(self.exercise_body(item, x));
        frags
    }

    fn exercise_title(&self, n: usize, name: &str, x: f32) -> Vec<Fragment> {
        let title = Style::new(Face::Bold, 12.5, INK, 1.15);
        let number = format!("{n}.");
        let indent = NUM_W.max(self.fonts.width(title.face, title.size, &number) + 5.0);
        let mut frags = self.lines(title, x + indent, self.cw - x - indent, name, true);
        if let Some(first) = frags.first_mut() {
            let num = Style {
                color: ACCENT,
                ..title
            };
            first.draws.push(num.text(x, title.baseline(), number));
        }
        frags
    }

    /// Dosage, steps, note and cautions in a column from `x` to the right margin.
    fn exercise_body(&self, item: &SheetItem, x: f32) -> Vec<Fragment> {
        let width = self.cw - x;
        let gap = |h: f32| Fragment {
            h,
            draws: Vec::new(),
            keep_with_next: true,
        };
        let mut frags = Vec::new();
        if !item.dosage.trim().is_empty() {
            let dosage = Style::new(Face::Bold, BODY_PT, ACCENT, 1.16);
            frags.push(gap(1.0));
            frags.extend(self.lines(dosage, x, width, &item.dosage, true));
        }
        let steps: Vec<&str> = nonblank(&item.steps);
        if !steps.is_empty() {
            frags.push(gap(1.5));
            let numbers = (1..).map(|k| format!("{k}."));
            frags.extend(self.hanging(&steps, numbers, x, INK));
        }
        if !item.note.trim().is_empty() {
            frags.push(gap(1.5));
            let note = format!("Note: {}", item.note.trim());
            frags.extend(self.lines(BODY, x, width, &note, false));
        }
        let cautions = nonblank(&item.cautions);
        if !cautions.is_empty() {
            frags.push(gap(1.5));
            let marks = std::iter::repeat_with(|| "⚠".to_string());
            frags.extend(self.hanging(&cautions, marks, x, WARN));
        }
        frags
    }

    /// Paragraphs with a hanging mark (a step's number, a caution's sign) at `x`.
    fn hanging(
        &self,
        paragraphs: &[&str],
        marks: impl Iterator<Item = String>,
        x: f32,
        mark_color: Rgb,
    ) -> Vec<Fragment> {
        let marks: Vec<String> = marks.take(paragraphs.len()).collect();
        let widest = marks
            .iter()
            .map(|m| self.fonts.width(BODY.face, BODY.size, m))
            .fold(0.0, f32::max);
        let text_x = x + STEP_NUM_W.max(widest + 4.0);
        let mark_st = Style {
            color: mark_color,
            ..BODY
        };
        let mut frags = Vec::new();
        for (text, mark) in paragraphs.iter().zip(marks) {
            let mut lines = self.lines(BODY, text_x, self.cw - text_x, text, false);
            if let Some(first) = lines.first_mut() {
                first.draws.push(mark_st.text(x, BODY.baseline(), mark));
            }
            frags.extend(lines);
        }
        frags
    }

    /// The pictures stacked in a column `PICTURE_W` wide; returns the draws and height.
    fn picture_column(&self, figures: &ExercisePictures) -> (Vec<Draw>, f32) {
        let mut draws = Vec::new();
        let mut y = 2.0;
        for (i, (picture, alt)) in figures.iter().enumerate() {
            if i > 0 {
                y += 4.0;
            }
            y += self.picture(&mut draws, picture, alt, 0.0, y, PICTURE_W);
        }
        (draws, y)
    }

    /// The pictures side by side above the text (large print); one fragment.
    fn picture_row(&self, figures: &ExercisePictures) -> Option<Fragment> {
        if figures.is_empty() {
            return None;
        }
        let gap = 10.0;
        let n = figures.len() as f32;
        let w = ((self.cw - NUM_W - (n - 1.0) * gap) / n).min(LARGE_PICTURE_W);
        let mut draws = Vec::new();
        let mut h: f32 = 0.0;
        for (i, (picture, alt)) in figures.iter().enumerate() {
            let x = NUM_W + i as f32 * (w + gap);
            h = h.max(self.picture(&mut draws, picture, alt, x, 0.0, w));
        }
        Some(Fragment {
            h: h + 2.0,
            draws,
            keep_with_next: true,
        })
    }

    /// Draws one picture `w` wide with its top-left at (x, y); returns its height.
    fn picture(
        &self,
        draws: &mut Vec<Draw>,
        picture: ExercisePicture,
        alt: &str,
        x: f32,
        y: f32,
        w: f32,
    ) -> f32 {
        match picture {
            ExercisePicture::Drawn(figure) => {
                let h = w * FRAME_H / FRAME_W;
                draws.push(Draw::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill: None,
                    stroke: Some((RULE, 0.5)),
                });
                let mut shapes = Vec::new();
                figure_draws(&mut shapes, figure, x, y, w / FRAME_W);
                draws.push(Draw::Figure {
                    alt: alt.to_owned(),
                    draws: shapes,
                });
                // Up to two lines: the column is narrow and a cut label says little.
                let mut caption_y = y + h;
                for line in self
                    .fonts
                    .wrap_limited(CAPTION.face, CAPTION.size, w, &figure.label, 2)
                {
                    let lw = self.fonts.width(CAPTION.face, CAPTION.size, &line);
                    draws.push(CAPTION.text(
                        x + (w - lw) / 2.0,
                        caption_y + CAPTION.baseline(),
                        line,
                    ));
                    caption_y += CAPTION.line_h();
                }
                caption_y - y
            }
            ExercisePicture::Photo {
                index,
                width,
                height,
            } => {
                // Fitted into a box as wide as the column and at most as tall.
                let scale = (w / width as f32).min(w / height as f32);
                let (pw, ph) = (width as f32 * scale, height as f32 * scale);
                draws.push(Draw::Figure {
                    alt: alt.to_owned(),
                    draws: vec![Draw::Picture {
                        x: x + (w - pw) / 2.0,
                        y,
                        w: pw,
                        h: ph,
                        picture: index,
                    }],
                });
                ph
            }
        }
    }

    fn tick_chart(&self, items: &[SheetItem]) -> Block {
        let cw = self.cw;
        let heading = Style::new(Face::Bold, 12.5, INK, 1.3);
        let note = Style::new(Face::Regular, 9.5, MUTED, 1.3);
        let week = "Week starting: ____________";
        let week_w = self.fonts.width(note.face, note.size, week);
        let mut title = self.label(heading, 0.0, "Weekly tick chart");
        let hint = "tick a box each day you do the exercise";
        let title_w = self
            .fonts
            .width(heading.face, heading.size, "Weekly tick chart");
        let hint_w = self.fonts.width(note.face, note.size, hint);
        let hint_beside = title_w + 12.0 + hint_w + 12.0 + week_w <= cw;
        if hint_beside {
            title
                .draws
                .push(note.text(title_w + 12.0, heading.baseline(), hint.to_string()));
        }
        title
            .draws
            .push(note.text(cw - week_w, heading.baseline(), week.to_string()));
        let mut frags = vec![title];
        if !hint_beside {
            frags.extend(self.lines(
                note,
                0.0,
                cw,
                "Tick a box each day you do the exercise.",
                true,
            ));
        }
        frags.push(Fragment {
            h: 2.0,
            draws: Vec::new(),
            keep_with_next: true,
        });

        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let day_w = 38.0;
        let name_w = cw - day_w * DAYS.len() as f32;
        let head_st = Style::new(Face::Bold, 9.0, INK, 1.0);
        let cell = Style::new(Face::Regular, 10.0, INK, 1.0);
        let num_st = Style {
            face: Face::Bold,
            ..cell
        };

        // Every row draws both of its horizontal lines after its own fill, so
        // a filled row never paints over the line it shares with its
        // neighbour. Lines sit half a stroke inside the row's left, right and
        // top edges so a table at the edge of the column stays in the margins.
        let half = 0.25;
        let row = |h: f32, fill: Option<Rgb>, mut content: Vec<Draw>| {
            let mut draws = Vec::new();
            if let Some(fill) = fill {
                draws.push(Draw::Rect {
                    x: half,
                    y: half,
                    w: cw - 2.0 * half,
                    h,
                    fill: Some(fill),
                    stroke: None,
                });
            }
            draws.append(&mut content);
            let line = |x1: f32, y1: f32, x2: f32, y2: f32| Draw::Line {
                x1,
                y1,
                x2,
                y2,
                color: GRID,
                width: 2.0 * half,
            };
            let (l, r, top, bottom) = (half, cw - half, half, h + half);
            draws.push(line(l, top, r, top));
            draws.push(line(l, bottom, r, bottom));
            draws.push(line(l, top, l, bottom));
            for d in 0..DAYS.len() {
                let x = name_w + d as f32 * day_w;
                draws.push(line(x, top, x, bottom));
            }
            draws.push(line(r, top, r, bottom));
            Fragment {
                h,
                draws,
                keep_with_next: false,
            }
        };
        // Vertically centre one line of `st` in a row of height `h`.
        let mid = |st: Style, h: f32| h / 2.0 + st.size * BASELINE_FROM_MIDDLE;

        let head_h = 14.0;
        let mut head = vec![head_st.text(6.0, mid(head_st, head_h), "Exercise".to_string())];
        for (d, day) in DAYS.iter().enumerate() {
            let w = self.fonts.width(head_st.face, head_st.size, day);
            let x = name_w + d as f32 * day_w + (day_w - w) / 2.0;
            head.push(head_st.text(x, mid(head_st, head_h), (*day).to_string()));
        }
        let header = row(head_h, Some(ACCENT_TINT), head);
        frags.push(header.clone());

        let row_h = 14.0;
        for (i, item) in items.iter().enumerate() {
            let num = format!("{}.", i + 1);
            let num_w = self.fonts.width(num_st.face, num_st.size, &num);
            let name_x = 6.0 + num_w.max(14.0) + 4.0;
            let name = self.fonts.one_line(
                cell.face,
                cell.size,
                name_w - name_x - 6.0,
                or_dash(&item.name),
            );
            let y = mid(cell, row_h);
            let content = vec![num_st.text(6.0, y, num), cell.text(name_x, y, name)];
            let fill = (i % 2 == 1).then_some(ZEBRA);
            frags.push(row(row_h, fill, content));
        }
        let pain_h = 16.0;
        let pain_st = Style {
            color: WARN,
            ..num_st
        };
        // The full wording when the name column is wide enough (large print narrows it).
        let pain_room = name_w - 12.0;
        let pain_label = ["Pain today: 0 (none) to 10 (worst)", "Pain today (0–10)"]
            .into_iter()
            .find(|l| self.fonts.width(pain_st.face, pain_st.size, l) <= pain_room)
            .map(str::to_string)
            .unwrap_or_else(|| {
                self.fonts
                    .one_line(pain_st.face, pain_st.size, pain_room, "Pain today (0–10)")
            });
        frags.push(row(
            pain_h,
            Some(WARN_TINT),
            vec![pain_st.text(6.0, mid(pain_st, pain_h), pain_label)],
        ));

        Block {
            frags,
            keep_together: true,
            space_before: 10.0,
            continued: vec![header],
            ..Block::default()
        }
    }

    fn stop_box(&self, sheet: &Sheet) -> Block {
        let pad_x = 10.0;
        let title = Style::new(Face::Bold, 12.5, WARN, 1.2);
        let small = Style::new(Face::Regular, 9.5, MUTED, 1.3);
        let emergency = "In an emergency, call your local emergency number.";
        let heading = "Stop and contact the clinic if…";
        let inner = self.cw - 2.0 * pad_x;
        let side_by_side = self.fonts.width(title.face, title.size, heading)
            + 16.0
            + self.fonts.width(small.face, small.size, emergency)
            <= inner;
        let mut frags = self.lines(title, pad_x, inner, heading, true);
        if let (true, Some(first)) = (side_by_side, frags.first_mut()) {
            first.draws.push(self.right_text(
                small,
                self.cw - pad_x,
                title.baseline(),
                emergency.to_string(),
            ));
        }
        frags.push(Fragment {
            h: 2.0,
            draws: Vec::new(),
            keep_with_next: true,
        });
        let symptoms: Vec<&str> = nonblank(&sheet.stop_symptoms);
        let symptoms = if symptoms.is_empty() {
            vec!["you notice any new or worsening symptoms."]
        } else {
            symptoms
        };
        frags.push(self.bullet_columns(&symptoms, pad_x, WARN, pad_x));

        let c = &sheet.clinic;
        let contact: Vec<String> = [("Phone", &c.phone), ("Email", &c.email)]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}: {}", v.trim()))
            .collect();
        if !contact.is_empty() {
            frags.push(Fragment::spacer(3.0));
            let st = Style::new(Face::Bold, BODY_PT, INK, 1.2);
            let text = format!("Contact the clinic — {}", contact.join(" · "));
            frags.extend(self.lines(st, pad_x, self.cw - 2.0 * pad_x, &text, false));
        }
        if !side_by_side {
            frags.extend(self.lines(small, pad_x, inner, emergency, false));
        }

        let cont = Style::new(Face::Bold, 9.0, WARN, 1.6);
        Block {
            frags,
            keep_together: true,
            space_before: 9.0,
            rule_before: None,
            frame: Some(Frame {
                fill: Some(WARN_TINT),
                stroke: Some((WARN, 1.0)),
                pad: 6.0,
            }),
            continued: vec![Fragment {
                h: cont.line_h(),
                draws: vec![cont.text(
                    pad_x,
                    cont.baseline(),
                    "Stop and contact the clinic if… (continued)".to_string(),
                )],
                keep_with_next: true,
            }],
        }
    }

    /// Bulleted lines with a hanging indent; `right_pad` keeps text off a frame.
    /// A bullet list in two columns side by side (the stop box: short items, and every
    /// line saved keeps a six-exercise programme on two pages), as one fragment.
    fn bullet_columns(
        &self,
        items: &[&str],
        x: f32,
        bullet_color: Rgb,
        right_pad: f32,
    ) -> Fragment {
        let gap = 12.0;
        let column_w = (self.cw - x - right_pad - gap) / 2.0;
        let (left, right) = items.split_at(items.len().div_ceil(2));
        let column = |items: &[&str], x: f32, right_pad: f32| {
            let mut y = 0.0;
            let mut draws = Vec::new();
            for frag in self.bullets(items, x, bullet_color, right_pad) {
                draws.extend(frag.draws.iter().map(|d| d.shifted(0.0, y)));
                y += frag.h;
            }
            (draws, y)
        };
        let (mut draws, left_h) = column(left, x, right_pad + column_w + gap);
        let (right_draws, right_h) = column(right, x + column_w + gap, right_pad);
        draws.extend(right_draws);
        Fragment {
            h: left_h.max(right_h),
            draws,
            keep_with_next: false,
        }
    }

    fn bullets(&self, items: &[&str], x: f32, bullet_color: Rgb, right_pad: f32) -> Vec<Fragment> {
        let text_x = x + 14.0;
        let dot = Style {
            color: bullet_color,
            ..BODY
        };
        let mut frags = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                frags.push(Fragment::spacer(1.5));
            }
            let mut lines = self.lines(BODY, text_x, self.cw - text_x - right_pad, item, false);
            if let Some(first) = lines.first_mut() {
                first
                    .draws
                    .push(dot.text(x + 3.0, BODY.baseline(), "•".to_string()));
            }
            frags.extend(lines);
        }
        frags
    }
}

/// Whether any text the sheet prints needs the Chinese, Japanese and Korean fallback.
fn has_cjk(sheet: &Sheet) -> bool {
    let c = &sheet.clinic;
    let mut texts: Vec<&str> = vec![
        &c.name,
        &c.address,
        &c.footer_text,
        &sheet.patient_name,
        &sheet.therapist_name,
        &sheet.case_title,
        &sheet.programme_notes,
    ];
    for item in &sheet.items {
        texts.extend([item.name.as_str(), &item.dosage, &item.note]);
        texts.extend(item.steps.iter().chain(&item.cautions).map(String::as_str));
    }
    texts.iter().any(|t| t.chars().any(is_cjk))
}

fn nonblank(list: &[String]) -> Vec<&str> {
    list.iter()
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// The picture column's draws joined to the first of the text's fragments. Fragments
/// that start beside the pictures are kept together so the column never runs into a
/// page break, and a short text is padded to the column's height.
fn beside(column: (Vec<Draw>, f32), text: Vec<Fragment>) -> Vec<Fragment> {
    let (draws, column_h) = column;
    let mut frags = text;
    let total: f32 = frags.iter().map(|f| f.h).sum();
    if total < column_h {
        frags.push(Fragment::spacer(column_h - total));
    }
    let mut top = 0.0;
    let last = frags.len().saturating_sub(1);
    for (i, frag) in frags.iter_mut().enumerate() {
        top += frag.h;
        if top < column_h && i < last {
            frag.keep_with_next = true;
        }
    }
    if let Some(first) = frags.first_mut() {
        first.draws.extend(draws);
    }
    frags
}

/// One picture of an exercise: a drawn position, or one of the clinic's photos.
#[derive(Clone, Copy)]
enum ExercisePicture<'a> {
    Drawn(&'a Drawing),
    Photo {
        index: usize,
        width: u32,
        height: u32,
    },
}

/// The pictures an exercise shows, in order: its drawn positions, then the clinic's
/// photos, each with the words a screen reader says for it.
struct ExercisePictures<'a>(Vec<(ExercisePicture<'a>, String)>);

impl<'a> ExercisePictures<'a> {
    fn of(item: &'a SheetItem, pictures: &'a [SheetPicture]) -> Self {
        let name = item.name.trim();
        let first_step = item.steps.iter().map(|s| s.trim()).find(|s| !s.is_empty());
        let drawn = item.figures.iter().enumerate().map(|(i, f)| {
            // The first drawing is the starting position, which the first step describes.
            let alt = match first_step {
                Some(step) if i == 0 => format!("{} position of {name}: {step}", f.label),
                _ => format!("{} position of {name}", f.label),
            };
            (ExercisePicture::Drawn(f.as_ref()), alt)
        });
        let photos = item.pictures.iter().filter_map(|&index| {
            let p = pictures.get(index)?;
            let alt = if p.caption.trim().is_empty() {
                format!("Photo of {name}")
            } else {
                p.caption.trim().to_owned()
            };
            (p.width > 0 && p.height > 0).then_some((
                ExercisePicture::Photo {
                    index,
                    width: p.width,
                    height: p.height,
                },
                alt,
            ))
        });
        Self(drawn.chain(photos).collect())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn iter(&self) -> impl Iterator<Item = (ExercisePicture<'a>, &str)> + '_ {
        self.0.iter().map(|(picture, alt)| (*picture, alt.as_str()))
    }
}
