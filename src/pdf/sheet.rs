//! Turns a `Sheet` into blocks of fragments: all wording and visual style
//! of the printed sheet lives here.

use std::sync::Arc;

use super::fonts::{Face, Fonts};
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

/// Indent of everything under an exercise title, leaving room for its number.
const NUM_W: f32 = 26.0;

/// Width of one drawn position beside an exercise's steps, and the gap between two.
const FIGURE_W: f32 = 84.0;
const FIGURE_GAP: f32 = 6.0;
const FIGURES_PER_ROW: usize = 3;

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

/// DejaVu Sans ascender (0.928 em) and descender (0.236 em): centring the
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
pub(super) const BODY_PT: f32 = 10.0;
const BODY: Style = Style::new(Face::Regular, BODY_PT, INK, 1.4);
const LABEL: Style = Style::new(Face::Bold, 9.5, MUTED, 1.5);

pub(super) struct Builder<'a> {
    pub fonts: &'a Fonts,
    pub qr: &'a QrCache,
    /// Width of the content column in points.
    pub cw: f32,
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
        let mut blocks = vec![
            self.letterhead(&sheet.clinic, "Home exercise programme"),
            self.patient_card(sheet),
        ];
        // The online link sits on the first page, where it is seen, not alone on the last.
        if let Some(url) = sheet.portal_url.as_deref().filter(|u| !u.trim().is_empty()) {
            blocks.push(self.portal(url.trim()));
        }
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

    /// The clinic's name, address and contacts over a rule, then the document's title.
    pub(super) fn letterhead(&self, c: &ClinicHeader, title_text: &str) -> Block {
        let left_w = self.cw * 0.6;
        let right_w = self.cw * 0.36;
        let mut draws = Vec::new();

        let name_st = Style::new(Face::Bold, 17.0, ACCENT, 1.25);
        let mut y = 0.0;
        for line in self
            .fonts
            .wrap_limited(name_st.face, name_st.size, left_w, or_dash(&c.name), 3)
        {
            draws.push(name_st.text(0.0, y + name_st.baseline(), line));
            y += name_st.line_h();
        }
        let small = Style::new(Face::Regular, 9.0, MUTED, 1.4);
        y += 2.0;
        for line in self
            .fonts
            .wrap_limited(small.face, small.size, left_w, &c.address, 6)
        {
            draws.push(small.text(0.0, y + small.baseline(), line));
            y += small.line_h();
        }
        let left_h = y;

        let contact = Style::new(Face::Regular, 9.0, INK, 1.4);
        let mut y = 3.0;
        for (label, value) in [("Phone", &c.phone), ("Email", &c.email)] {
            if value.trim().is_empty() {
                continue;
            }
            let text = format!("{label}: {}", value.trim());
            for line in self
                .fonts
                .wrap_limited(contact.face, contact.size, right_w, &text, 2)
            {
                draws.push(self.right_text(contact, self.cw, y + contact.baseline(), line));
                y += contact.line_h();
            }
        }
        let right_h = y;

        let title = Style::new(Face::Bold, 19.0, INK, 1.3);
        let mut frags = vec![
            Fragment {
                h: left_h.max(right_h),
                draws,
                keep_with_next: true,
            },
            Fragment {
                h: 14.0,
                draws: vec![Draw::Line {
                    x1: 0.0,
                    y1: 7.0,
                    x2: self.cw,
                    y2: 7.0,
                    color: ACCENT,
                    width: 1.5,
                }],
                keep_with_next: true,
            },
        ];
        frags.extend(self.lines(title, 0.0, self.cw, title_text, true));
        frags.push(Fragment::spacer(6.0));
        Block {
            frags,
            keep_together: true,
            ..Block::default()
        }
    }

    fn patient_card(&self, sheet: &Sheet) -> Block {
        let pad_x = 12.0;
        let gap = 14.0;
        let col_w = (self.cw - 2.0 * pad_x - 2.0 * gap) / 3.0;
        let label = Style::new(Face::Bold, 7.5, MUTED, 1.5);
        let value = Style::new(Face::Regular, 10.5, INK, 1.3);
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
        let mut frags = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            if r > 0 {
                frags.push(Fragment::spacer(6.0));
            }
            let mut draws = Vec::new();
            let mut h: f32 = 0.0;
            for (col, (name, text, face)) in row.iter().enumerate() {
                let x = pad_x + col as f32 * (col_w + gap);
                draws.push(label.text(x, label.baseline(), (*name).to_string()));
                let st = Style {
                    face: *face,
                    ..value
                };
                let lines = self
                    .fonts
                    .wrap_limited(st.face, st.size, col_w, or_dash(text), 3);
                let mut y = label.line_h();
                for line in lines {
                    draws.push(st.text(x, y + st.baseline(), line));
                    y += st.line_h();
                }
                h = h.max(y);
            }
            frags.push(Fragment {
                h,
                draws,
                keep_with_next: false,
            });
        }
        Block {
            frags,
            keep_together: true,
            frame: Some(Frame {
                fill: Some(CARD),
                stroke: None,
                pad: 9.0,
            }),
            ..Block::default()
        }
    }

    fn programme_notes(&self, notes: &str) -> Block {
        let heading = Style::new(Face::Bold, 11.5, INK, 1.5);
        let mut frags = vec![self.label(heading, 0.0, "About your programme")];
        frags.extend(self.lines(BODY, 0.0, self.cw, notes, false));
        Block {
            frags,
            space_before: 14.0,
            ..Block::default()
        }
    }

    fn exercise(&self, n: usize, item: &SheetItem, pictures: &[SheetPicture]) -> Block {
        let cw = self.cw;
        let mut frags = Vec::new();
        if n == 1 {
            let heading = Style::new(Face::Bold, 14.0, INK, 1.5);
            frags.push(self.label(heading, 0.0, "Your exercises"));
            frags.push(Fragment {
                h: 6.0,
                draws: Vec::new(),
                keep_with_next: true,
            });
        }

        let title = Style::new(Face::Bold, 12.5, INK, 1.3);
        let name = if item.name.trim().is_empty() {
            format!("Exercise {n}")
        } else {
            item.name.clone()
        };
        let mut title_frags = self.lines(title, NUM_W, cw - NUM_W, &name, true);
        if let Some(first) = title_frags.first_mut() {
            let num = Style {
                color: ACCENT,
                ..title
            };
            first
                .draws
                .push(num.text(0.0, title.baseline(), format!("{n}.")));
        }
        frags.extend(title_frags);

        if !item.dosage.trim().is_empty() {
            frags.push(Fragment {
                h: 4.0,
                draws: Vec::new(),
                keep_with_next: true,
            });
            frags.extend(self.dosage_band(&item.dosage));
        }

        if let Some(row) = picture_row(&item.pictures, pictures) {
            frags.push(Fragment {
                h: 8.0,
                draws: Vec::new(),
                keep_with_next: true,
            });
            frags.push(row);
        }

        let steps: Vec<&String> = item.steps.iter().filter(|s| !s.trim().is_empty()).collect();
        if !steps.is_empty() || !item.figures.is_empty() {
            frags.push(Fragment {
                h: 6.0,
                draws: Vec::new(),
                keep_with_next: true,
            });
            frags.push(self.label(LABEL, NUM_W, "How to do it"));
        }
        if item.figures.is_empty() {
            frags.extend(self.steps(&steps, cw));
        } else {
            frags.push(self.steps_beside_figures(&steps, &item.figures));
        }

        if !item.note.trim().is_empty() {
            frags.push(Fragment {
                h: 6.0,
                draws: Vec::new(),
                keep_with_next: true,
            });
            frags.push(self.label(LABEL, NUM_W, "Therapist’s note"));
            frags.extend(self.lines(BODY, NUM_W, cw - NUM_W, &item.note, false));
        }

        let cautions: Vec<&String> = item
            .cautions
            .iter()
            .filter(|s| !s.trim().is_empty())
            .collect();
        if !cautions.is_empty() {
            frags.push(Fragment {
                h: 6.0,
                draws: Vec::new(),
                keep_with_next: true,
            });
            let warn = Style {
                color: WARN,
                ..LABEL
            };
            frags.push(self.label(warn, NUM_W, "⚠ Take care"));
            frags.extend(self.bullets(cautions.iter().map(|s| s.as_str()), NUM_W, WARN, 0.0));
        }

        let cont = Style::new(Face::Bold, 9.0, MUTED, 1.8);
        let cont_text = self.fonts.one_line(
            cont.face,
            cont.size,
            cw,
            &format!("{n}. {} (continued)", name.trim()),
        );
        Block {
            frags,
            keep_together: true,
            space_before: if n == 1 { 18.0 } else { 20.0 },
            rule_before: if n == 1 { None } else { Some(RULE) },
            frame: None,
            continued: vec![Fragment {
                h: cont.line_h(),
                draws: vec![cont.text(0.0, cont.baseline(), cont_text)],
                keep_with_next: true,
            }],
        }
    }

    /// Numbered steps, one fragment per line, wrapped to end at `right`.
    fn steps(&self, steps: &[&String], right: f32) -> Vec<Fragment> {
        let text_x = NUM_W + 18.0;
        let mut frags = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            if i > 0 {
                frags.push(Fragment::spacer(2.0));
            }
            let mut lines = self.lines(BODY, text_x, right - text_x, step, false);
            if let Some(first) = lines.first_mut() {
                first.draws.push(self.right_text(
                    BODY,
                    NUM_W + 12.0,
                    BODY.baseline(),
                    format!("{}.", i + 1),
                ));
            }
            frags.extend(lines);
        }
        frags
    }

    /// The steps with the exercise's drawn positions in a row on their right, as one
    /// fragment so the pictures never part from their steps. Library steps are a few
    /// lines, so this always fits on a page.
    fn steps_beside_figures(&self, steps: &[&String], figures: &[Arc<Drawing>]) -> Fragment {
        let shown = &figures[..figures.len().min(FIGURES_PER_ROW)];
        let n = shown.len() as f32;
        let fig_h = FIGURE_W * FRAME_H / FRAME_W;
        let column = n * FIGURE_W + (n - 1.0) * FIGURE_GAP;
        let left = self.cw - column;
        let mut draws = Vec::new();
        let mut y = 0.0;
        for frag in self.steps(steps, left - 12.0) {
            draws.extend(frag.draws.iter().map(|d| d.shifted(0.0, y)));
            y += frag.h;
        }
        let caption = Style::new(Face::Regular, 7.5, MUTED, 1.3);
        for (i, figure) in shown.iter().enumerate() {
            let x = left + i as f32 * (FIGURE_W + FIGURE_GAP);
            draws.push(Draw::Rect {
                x,
                y: 2.0,
                w: FIGURE_W,
                h: fig_h,
                fill: None,
                stroke: Some((RULE, 0.5)),
            });
            figure_draws(&mut draws, figure, x, 2.0, FIGURE_W / FRAME_W);
            let label = self
                .fonts
                .one_line(caption.face, caption.size, FIGURE_W, &figure.label);
            let w = self.fonts.width(caption.face, caption.size, &label);
            draws.push(caption.text(
                x + (FIGURE_W - w) / 2.0,
                2.0 + fig_h + caption.baseline(),
                label,
            ));
        }
        Fragment {
            h: y.max(2.0 + fig_h + caption.line_h()),
            draws,
            keep_with_next: false,
        }
    }

    /// Tinted band with the dosage; one fragment per line so even an
    /// absurdly long dosage can flow across pages.
    fn dosage_band(&self, dosage: &str) -> Vec<Fragment> {
        let cw = self.cw;
        let label = Style::new(Face::Bold, 9.0, ACCENT, 1.4);
        let text = Style::new(Face::Bold, 10.0, INK, 1.45);
        let label_w = self.fonts.width(label.face, label.size, "Dosage");
        let text_x = NUM_W + 10.0 + label_w + 10.0;
        let band = |h: f32| Draw::Rect {
            x: NUM_W,
            y: 0.0,
            w: cw - NUM_W,
            h,
            fill: Some(ACCENT_TINT),
            stroke: None,
        };
        let pad = 5.0;
        let mut frags = vec![Fragment {
            h: pad,
            draws: vec![band(pad)],
            keep_with_next: true,
        }];
        let lines = self
            .fonts
            .wrap(text.face, text.size, cw - text_x - 10.0, dosage);
        for (i, line) in lines.into_iter().enumerate() {
            let h = text.line_h();
            let mut draws = vec![band(h), text.text(text_x, text.baseline(), line)];
            if i == 0 {
                // Share the baseline with the text; a smaller label sits a
                // touch lower than its own centred box would put it.
                draws.push(label.text(NUM_W + 10.0, text.baseline(), "Dosage".to_string()));
            }
            frags.push(Fragment {
                h,
                draws,
                keep_with_next: true,
            });
        }
        frags.push(Fragment {
            h: pad,
            draws: vec![band(pad)],
            keep_with_next: false,
        });
        frags
    }

    /// Bulleted lines with a hanging indent; `right_pad` keeps text off a frame.
    fn bullets<'s>(
        &self,
        items: impl Iterator<Item = &'s str>,
        x: f32,
        bullet_color: Rgb,
        right_pad: f32,
    ) -> Vec<Fragment> {
        let text_x = x + 14.0;
        let mut frags = Vec::new();
        for (i, item) in items.enumerate() {
            if i > 0 {
                frags.push(Fragment::spacer(2.0));
            }
            let mut lines = self.lines(BODY, text_x, self.cw - text_x - right_pad, item, false);
            if let Some(first) = lines.first_mut() {
                let dot = Style {
                    color: bullet_color,
                    ..BODY
                };
                first
                    .draws
                    .push(dot.text(x + 3.0, BODY.baseline(), "•".to_string()));
            }
            frags.extend(lines);
        }
        frags
    }

    fn tick_chart(&self, items: &[SheetItem]) -> Block {
        let cw = self.cw;
        let heading = Style::new(Face::Bold, 14.0, INK, 1.5);
        let note = Style::new(Face::Regular, 9.5, MUTED, 1.4);
        let mut frags = vec![self.label(heading, 0.0, "Weekly tick chart")];
        frags.extend(self.lines(
            note,
            0.0,
            cw,
            "Tick a box each day you do the exercise. In the last row, write how much pain \
             you had that day, from 0 (no pain) to 10 (the worst pain you can imagine).",
            true,
        ));
        frags.push(Fragment {
            h: note.line_h() + 4.0,
            draws: vec![note.text(
                0.0,
                note.baseline() + 2.0,
                "Week starting: ______________________".to_string(),
            )],
            keep_with_next: true,
        });
        frags.push(Fragment {
            h: 4.0,
            draws: Vec::new(),
            keep_with_next: true,
        });

        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let day_w = 38.0;
        let name_w = cw - day_w * DAYS.len() as f32;
        let head_st = Style::new(Face::Bold, 8.5, INK, 1.0);
        let cell = Style::new(Face::Regular, 9.0, INK, 1.0);
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

        let head_h = 18.0;
        let mut head = vec![head_st.text(6.0, mid(head_st, head_h), "Exercise".to_string())];
        for (d, day) in DAYS.iter().enumerate() {
            let w = self.fonts.width(head_st.face, head_st.size, day);
            let x = name_w + d as f32 * day_w + (day_w - w) / 2.0;
            head.push(head_st.text(x, mid(head_st, head_h), (*day).to_string()));
        }
        let header = row(head_h, Some(ACCENT_TINT), head);
        frags.push(header.clone());

        let row_h = 20.0;
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
        let pain_h = 22.0;
        let pain_st = Style {
            color: WARN,
            ..num_st
        };
        frags.push(row(
            pain_h,
            Some(WARN_TINT),
            vec![pain_st.text(6.0, mid(pain_st, pain_h), "Pain today (0–10)".to_string())],
        ));

        Block {
            frags,
            keep_together: true,
            space_before: 24.0,
            continued: vec![header],
            ..Block::default()
        }
    }

    fn stop_box(&self, sheet: &Sheet) -> Block {
        let pad_x = 12.0;
        let title = Style::new(Face::Bold, 12.5, WARN, 1.45);
        let mut frags = self.lines(
            title,
            pad_x,
            self.cw - 2.0 * pad_x,
            "Stop and contact the clinic if…",
            true,
        );
        frags.push(Fragment {
            h: 3.0,
            draws: Vec::new(),
            keep_with_next: true,
        });
        let symptoms: Vec<&str> = sheet
            .stop_symptoms
            .iter()
            .map(|s| s.as_str())
            .filter(|s| !s.trim().is_empty())
            .collect();
        let symptoms = if symptoms.is_empty() {
            vec!["you notice any new or worsening symptoms."]
        } else {
            symptoms
        };
        frags.extend(self.bullets(symptoms.into_iter(), pad_x, WARN, pad_x));

        let c = &sheet.clinic;
        let contact: Vec<String> = [("Phone", &c.phone), ("Email", &c.email)]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}: {}", v.trim()))
            .collect();
        if !contact.is_empty() {
            frags.push(Fragment::spacer(5.0));
            let st = Style::new(Face::Bold, 10.0, INK, 1.4);
            let text = format!("Contact the clinic — {}", contact.join(" · "));
            frags.extend(self.lines(st, pad_x, self.cw - 2.0 * pad_x, &text, false));
        }
        let small = Style::new(Face::Regular, 9.0, MUTED, 1.4);
        frags.extend(self.lines(
            small,
            pad_x,
            self.cw - 2.0 * pad_x,
            "In an emergency, call your local emergency number.",
            false,
        ));

        let cont = Style::new(Face::Bold, 9.0, WARN, 1.6);
        Block {
            frags,
            keep_together: true,
            space_before: 22.0,
            rule_before: None,
            frame: Some(Frame {
                fill: Some(WARN_TINT),
                stroke: Some((WARN, 1.0)),
                pad: 9.0,
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

    fn portal(&self, url: &str) -> Block {
        let qr = self.qr.draws(url, BLACK);
        let (qr_size, qr_rects) = qr.unwrap_or((0.0, Vec::new()));
        // Four modules of white space is the quiet zone a reader needs;
        // 16 pt exceeds that at any size we print.
        let tx = if qr_size > 0.0 { qr_size + 16.0 } else { 0.0 };
        let tw = self.cw - tx;

        let heading = Style::new(Face::Bold, 12.5, INK, 1.5);
        let sub = Style::new(Face::Regular, 9.5, MUTED, 1.4);
        let link = Style::new(Face::Regular, 9.5, ACCENT, 1.4);
        let mut lines: Vec<(Style, String)> = Vec::new();
        for l in self
            .fonts
            .wrap(heading.face, heading.size, tw, "Your programme online")
        {
            lines.push((heading, l));
        }
        let hint = if qr_size > 0.0 {
            "Scan the code with your phone’s camera, or type this link into a web browser:"
        } else {
            "Type this link into a web browser:"
        };
        for l in self.fonts.wrap(sub.face, sub.size, tw, hint) {
            lines.push((sub, l));
        }
        for l in self.fonts.wrap(link.face, link.size, tw, url) {
            lines.push((link, l));
        }

        // Lines that fit beside the code share its fragment; any more (a
        // very long link) continue underneath as ordinary lines.
        let mut first = Fragment {
            h: qr_size,
            draws: qr_rects,
            keep_with_next: false,
        };
        let mut rest = Vec::new();
        let mut y = 0.0;
        for (st, text) in lines {
            if rest.is_empty() && (y + st.line_h() <= qr_size.max(1.0) || y == 0.0) {
                first.draws.push(st.text(tx, y + st.baseline(), text));
                y += st.line_h();
                first.h = first.h.max(y);
            } else {
                rest.push(Fragment {
                    h: st.line_h(),
                    draws: vec![st.text(tx, st.baseline(), text)],
                    keep_with_next: false,
                });
            }
        }
        let mut frags = vec![first];
        frags.extend(rest);
        Block {
            frags,
            keep_together: true,
            space_before: 22.0,
            ..Block::default()
        }
    }
}

/// The clinic's pictures of one exercise side by side, each fitted into a 40 × 30 mm box
/// (the print rendition is sized for 40 mm at 200 dpi), indented like the steps.
fn picture_row(chosen: &[usize], pictures: &[SheetPicture]) -> Option<Fragment> {
    const BOX_W: f32 = 40.0 * 72.0 / 25.4;
    const BOX_H: f32 = 30.0 * 72.0 / 25.4;
    const GAP: f32 = 8.0;
    let mut draws = Vec::new();
    let mut x = NUM_W;
    let mut row_h: f32 = 0.0;
    for &index in chosen {
        let Some(picture) = pictures.get(index) else {
            continue;
        };
        if picture.width == 0 || picture.height == 0 {
            continue;
        }
        let scale = (BOX_W / picture.width as f32).min(BOX_H / picture.height as f32);
        let (w, h) = (picture.width as f32 * scale, picture.height as f32 * scale);
        draws.push(Draw::Picture {
            x,
            y: 0.0,
            w,
            h,
            picture: index,
        });
        x += w + GAP;
        row_h = row_h.max(h);
    }
    (!draws.is_empty()).then_some(Fragment {
        h: row_h,
        draws,
        keep_with_next: true,
    })
}
