//! The pain chart: a case's pain scores over time as a server-rendered SVG, with the
//! baseline, the threshold an important improvement must reach and the programme's
//! version changes. Its classes are styled by `static/chart.css`.

use std::fmt::{self, Write as _};

use chrono::{Datelike, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use crate::domain::pain::{PainContext, PainScore, mcid_target};

// Writing into a String cannot fail, so the fmt::Result is deliberately dropped.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        let _ = write!($out, $($arg)*);
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    pub context: PainContext,
    pub points: Vec<(NaiveDateTime, u8)>,
}

/// A programme version change, drawn as a vertical line.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionMark {
    pub at: NaiveDateTime,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PainChart {
    /// Used for element ids so several charts can share a page; when empty
    /// an id is derived from the chart's content.
    pub id: String,
    pub series: Vec<ChartSeries>,
    pub baseline: Option<u8>,
    pub marks: Vec<VersionMark>,
    pub title: String,
}

/// The chart's geometry in viewBox units. A phone gets a narrower frame, so that scaled to
/// its screen the text stays at a readable size (at least 12 px at 390 px wide).
#[derive(Debug, Clone, Copy)]
struct Frame {
    w: f64,
    h: f64,
    plot_l: f64,
    plot_r: f64,
    plot_t: f64,
    plot_b: f64,
    max_ticks: usize,
    /// Font sizes the layout measures with; chart.css sets the same sizes.
    legend_font: f64,
    mark_font: f64,
    tick_font: f64,
    /// On a phone the reference labels go inside the plot and the legend may wrap.
    narrow: bool,
}

const WIDE: Frame = Frame {
    w: 720.0,
    h: 300.0,
    plot_l: 48.0,
    plot_r: 540.0,
    plot_t: 50.0,
    plot_b: 258.0,
    max_ticks: 8,
    legend_font: 11.5,
    mark_font: 10.5,
    tick_font: 11.0,
    narrow: false,
};

const PHONE: Frame = Frame {
    w: 360.0,
    h: 344.0,
    plot_l: 30.0,
    plot_r: 350.0,
    plot_t: 86.0,
    plot_b: 296.0,
    max_ticks: 4,
    legend_font: 13.0,
    mark_font: 13.0,
    tick_font: 13.0,
    narrow: true,
};

impl Frame {
    fn y(&self, score: u8) -> f64 {
        let v = f64::from(score.min(PainScore::MAX));
        self.plot_b - v / 10.0 * (self.plot_b - self.plot_t)
    }
}
// Keeps first/last markers off the axes.
const X_PAD: f64 = 14.0;
const MAX_MARK_LABEL: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
}

#[derive(Debug, Clone, Copy)]
struct SeriesStyle {
    colour: &'static str,
    dash: Option<&'static str>,
    shape: Shape,
}

// Colour, dash and marker all differ so each series survives a black-and-white print and
// colour-vision deficiency.
fn style_of(context: PainContext) -> SeriesStyle {
    match context {
        PainContext::Now => SeriesStyle {
            colour: "#0072b2",
            dash: None,
            shape: Shape::Circle,
        },
        PainContext::AtRest => SeriesStyle {
            colour: "#009e73",
            dash: Some("8 4"),
            shape: Shape::Square,
        },
        PainContext::OnActivity => SeriesStyle {
            colour: "#d55e00",
            dash: Some("2 3"),
            shape: Shape::TriangleUp,
        },
        PainContext::Worst24h => SeriesStyle {
            colour: "#882255",
            dash: Some("10 3 2 3"),
            shape: Shape::Diamond,
        },
        PainContext::Best => SeriesStyle {
            colour: "#555555",
            dash: Some("10 3 2 3 2 3"),
            shape: Shape::TriangleDown,
        },
    }
}

/// A coordinate in viewBox units, written to the nearest tenth without a trailing ".0"
/// (`12.3`, `540`); NaN and infinity are written as 0.
struct Coord(f64);

impl fmt::Display for Coord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() { self.0 } else { 0.0 };
        // Whole tenths, rounded half away from zero (`{:.1}` rounds ties to even).
        let tenths = (v * 10.0).round() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        let (whole, tenth) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
        if tenth == 0 {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{tenth}")
        }
    }
}

/// Text made safe for XML content and attribute values; characters XML 1.0 forbids are
/// dropped.
pub(crate) struct Xml<'a>(pub &'a str);

impl fmt::Display for Xml<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&apos;")?,
                '\t' | '\n' | '\r' => f.write_char(c)?,
                c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_name(t: NaiveDateTime) -> &'static str {
    MONTHS.get(t.month0() as usize).copied().unwrap_or("")
}

fn day_month(t: NaiveDateTime) -> String {
    format!("{} {}", t.day(), month_name(t))
}

fn long_date(t: NaiveDateTime) -> String {
    format!("{} {} {}", t.day(), month_name(t), t.year())
}

fn clock(t: NaiveDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Rough text width for layout; sans-serif averages ~0.58 em per character.
fn text_width(s: &str, font_size: f64) -> f64 {
    s.chars().count() as f64 * font_size * 0.58
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Hours(i64),
    Days(i64),
    Months(i64),
}

// Candidate tick spacings, finest first; the finest that fits is used.
const STEPS: [Step; 17] = [
    Step::Hours(1),
    Step::Hours(2),
    Step::Hours(3),
    Step::Hours(6),
    Step::Hours(12),
    Step::Days(1),
    Step::Days(2),
    Step::Days(7),
    Step::Days(14),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Months(12),
    Step::Months(24),
    Step::Months(60),
    Step::Months(120),
];

fn midnight(t: NaiveDateTime) -> NaiveDateTime {
    t.date().and_time(NaiveTime::MIN)
}

fn month_index(t: NaiveDateTime) -> i64 {
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

fn month_start(index: i64) -> Option<NaiveDateTime> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    chrono::NaiveDate::from_ymd_opt(year, month, 1).map(|d| d.and_time(NaiveTime::MIN))
}

/// First tick at or after `lo`, aligned so ticks fall on round times
/// (whole hours, Mondays for weeks, month starts).
fn first_tick(lo: NaiveDateTime, step: Step) -> Option<NaiveDateTime> {
    match step {
        Step::Hours(h) => {
            let base = midnight(lo);
            let step_s = h * 3600;
            let k = ((lo - base).num_seconds() + step_s - 1) / step_s;
            base.checked_add_signed(TimeDelta::try_seconds(k * step_s)?)
        }
        Step::Days(d) => {
            let mut t = midnight(lo);
            if t < lo {
                t = t.checked_add_signed(TimeDelta::try_days(1)?)?;
            }
            // 0001-01-01 (day 1 from CE) was a Monday, so this aligns weeks.
            let r = (i64::from(t.num_days_from_ce()) - 1).rem_euclid(d);
            if r != 0 {
                t = t.checked_add_signed(TimeDelta::try_days(d - r)?)?;
            }
            Some(t)
        }
        Step::Months(m) => {
            let mut idx = month_index(lo);
            if month_start(idx).is_none_or(|s| s < lo) {
                idx += 1;
            }
            idx += (m - idx.rem_euclid(m)) % m;
            month_start(idx)
        }
    }
}

fn next_tick(t: NaiveDateTime, step: Step) -> Option<NaiveDateTime> {
    match step {
        Step::Hours(h) => t.checked_add_signed(TimeDelta::try_hours(h)?),
        Step::Days(d) => t.checked_add_signed(TimeDelta::try_days(d)?),
        Step::Months(m) => month_start(month_index(t) + m),
    }
}

/// Ticks in `[lo, hi]`, stopping once there are more than `limit`.
fn ticks_for(lo: NaiveDateTime, hi: NaiveDateTime, step: Step, limit: usize) -> Vec<NaiveDateTime> {
    let mut out = Vec::new();
    let mut cur = first_tick(lo, step);
    while let Some(t) = cur {
        if t > hi || out.len() > limit {
            break;
        }
        out.push(t);
        cur = next_tick(t, step);
    }
    out
}

struct Tick {
    at: NaiveDateTime,
    label: String,
    /// Second line: the year or date, shown only where it changes.
    sub: Option<String>,
}

fn label_ticks(step: Step, ticks: &[NaiveDateTime]) -> Vec<Tick> {
    let mut prev: Option<NaiveDateTime> = None;
    ticks
        .iter()
        .map(|&t| {
            let new_year = prev.is_none_or(|p| p.year() != t.year());
            let new_day = prev.is_none_or(|p| p.date() != t.date());
            prev = Some(t);
            let (label, sub) = match step {
                Step::Hours(_) => (clock(t), new_day.then(|| day_month(t))),
                Step::Days(_) => (day_month(t), new_year.then(|| t.year().to_string())),
                Step::Months(m) if m >= 12 => (t.year().to_string(), None),
                Step::Months(_) => (
                    month_name(t).to_string(),
                    new_year.then(|| t.year().to_string()),
                ),
            };
            Tick { at: t, label, sub }
        })
        .collect()
}

struct TimeScale {
    frame: Frame,
    lo: NaiveDateTime,
    span_ms: f64,
    ticks: Vec<Tick>,
}

impl TimeScale {
    fn new(first: NaiveDateTime, last: NaiveDateTime, f: &Frame) -> Self {
        let span = last - first;
        if span < TimeDelta::hours(1) {
            // One moment (or nearly): centre it and label it with its date.
            let mid = first + span / 2;
            // Checked so dates at the edge of chrono's range cannot panic.
            let lo = mid.checked_sub_signed(TimeDelta::hours(12)).unwrap_or(mid);
            return TimeScale {
                frame: *f,
                lo,
                span_ms: TimeDelta::hours(24).num_milliseconds() as f64,
                ticks: vec![Tick {
                    at: mid,
                    label: day_month(mid),
                    sub: Some(mid.year().to_string()),
                }],
            };
        }
        // Ticks may sit in the marker padding, so a session at 09:00 on a
        // Monday still gets its own "24 Feb" tick at midnight.
        let pad_ms = span.num_milliseconds() as f64 * X_PAD / (f.plot_r - f.plot_l - 2.0 * X_PAD);
        let pad = TimeDelta::milliseconds(pad_ms as i64);
        let tick_lo = first.checked_sub_signed(pad).unwrap_or(first);
        let tick_hi = last.checked_add_signed(pad).unwrap_or(last);
        let ticks = STEPS
            .iter()
            .map(|&s| (s, ticks_for(tick_lo, tick_hi, s, f.max_ticks)))
            .find(|(_, t)| t.len() <= f.max_ticks)
            .map(|(s, t)| label_ticks(s, &t))
            .unwrap_or_default();
        TimeScale {
            frame: *f,
            lo: first,
            span_ms: span.num_milliseconds() as f64,
            ticks,
        }
    }

    fn x(&self, t: NaiveDateTime) -> f64 {
        let f = &self.frame;
        let frac = (t - self.lo).num_milliseconds() as f64 / self.span_ms;
        f.plot_l + X_PAD + frac * (f.plot_r - f.plot_l - 2.0 * X_PAD)
    }
}

/// Writes one score's marker, with its tooltip when there is one.
fn marker(
    out: &mut String,
    shape: Shape,
    x: f64,
    y: f64,
    colour: &str,
    tip: Option<&dyn fmt::Display>,
) {
    match shape {
        Shape::Circle => {
            w!(
                out,
                r#"<circle class="pc-pt" cx="{}" cy="{}" r="4.2" fill="{colour}""#,
                Coord(x),
                Coord(y)
            );
        }
        Shape::Square => {
            w!(
                out,
                r#"<rect class="pc-pt" x="{}" y="{}" width="7.6" height="7.6" fill="{colour}""#,
                Coord(x - 3.8),
                Coord(y - 3.8)
            );
        }
        Shape::TriangleUp | Shape::Diamond | Shape::TriangleDown => {
            let corners: &[(f64, f64)] = match shape {
                Shape::TriangleUp => &[(0.0, -5.5), (5.0, 3.5), (-5.0, 3.5)],
                Shape::TriangleDown => &[(0.0, 5.5), (5.0, -3.5), (-5.0, -3.5)],
                _ => &[(0.0, -5.5), (5.0, 0.0), (0.0, 5.5), (-5.0, 0.0)],
            };
            out.push_str(r#"<polygon class="pc-pt" points=""#);
            for (i, (dx, dy)) in corners.iter().enumerate() {
                let gap = if i > 0 { " " } else { "" };
                w!(out, "{gap}{},{}", Coord(x + dx), Coord(y + dy));
            }
            w!(out, r#"" fill="{colour}""#);
        }
    }
    match tip {
        Some(tip) => {
            w!(out, "><title>{tip}</title></{}>", shape_tag(shape));
        }
        None => out.push_str("/>"),
    }
}

/// A point's tooltip: "Now: 6/10 on 1 Dec 2023 13:28".
struct PointTip {
    context: PainContext,
    score: u8,
    at: NaiveDateTime,
}

impl fmt::Display for PointTip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at;
        write!(
            f,
            "{}: {}/10 on {} {} {} {:02}:{:02}",
            Xml(self.context.label()),
            self.score,
            at.day(),
            month_name(at),
            at.year(),
            at.hour(),
            at.minute()
        )
    }
}

fn shape_tag(shape: Shape) -> &'static str {
    match shape {
        Shape::Circle => "circle",
        Shape::Square => "rect",
        _ => "polygon",
    }
}

fn dash_attr(dash: Option<&str>) -> String {
    dash.map(|d| format!(r#" stroke-dasharray="{d}""#))
        .unwrap_or_default()
}

/// FNV-1a: stable across builds, unlike std's hasher.
fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl PainChart {
    /// The id stem used for the `<title>`/`<desc>` ids.
    pub fn dom_id(&self) -> String {
        let cleaned: String = self
            .id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if cleaned.is_empty() {
            let mut h = fnv1a(0xcbf2_9ce4_8422_2325, self.title.as_bytes());
            for s in &self.series {
                h = fnv1a(h, s.context.as_str().as_bytes());
                for (t, v) in &s.points {
                    h = fnv1a(h, &t.and_utc().timestamp().to_le_bytes());
                    h = fnv1a(h, &[*v]);
                }
            }
            for m in &self.marks {
                h = fnv1a(h, &m.at.and_utc().timestamp().to_le_bytes());
                h = fnv1a(h, m.label.as_bytes());
            }
            format!("pc-chart-{h:016x}")
        } else if cleaned.starts_with(|c: char| c.is_ascii_alphabetic()) {
            cleaned
        } else {
            format!("pc-{cleaned}")
        }
    }

    fn all_points(&self) -> Vec<(NaiveDateTime, u8, PainContext)> {
        self.series
            .iter()
            .flat_map(|s| s.points.iter().map(|(t, v)| (*t, *v, s.context)))
            .collect()
    }

    /// Contexts that have at least one score, in first-seen order.
    fn contexts_present(&self) -> Vec<PainContext> {
        let mut out: Vec<PainContext> = Vec::new();
        for s in self.series.iter().filter(|s| !s.points.is_empty()) {
            if !out.contains(&s.context) {
                out.push(s.context);
            }
        }
        out
    }

    fn baseline_clamped(&self) -> Option<u8> {
        self.baseline.map(|b| b.min(PainScore::MAX))
    }

    /// Text alternative for screen readers.
    fn description(&self, pts: &[(NaiveDateTime, u8, PainContext)]) -> String {
        let first = pts.iter().min_by_key(|p| p.0);
        let last = pts.iter().max_by_key(|p| p.0);
        let (Some(first), Some(last)) = (first, last) else {
            return "No pain scores recorded yet.".to_string();
        };
        let n = pts.len();
        let mut d = format!("{n} pain score{}", if n == 1 { "" } else { "s" });
        if first.0.date() == last.0.date() {
            w!(d, " on {}.", long_date(first.0));
        } else {
            w!(d, " from {} to {}.", long_date(first.0), long_date(last.0));
        }
        let contexts: Vec<&str> = self.contexts_present().iter().map(|c| c.label()).collect();
        w!(d, " Shown: {}.", contexts.join(", "));
        match self.baseline {
            Some(b) => {
                w!(d, " Baseline {b}/10.");
                if let Some(t) = mcid_target(b.min(PainScore::MAX)) {
                    w!(d, " Important improvement means {t}/10 or less.");
                }
            }
            None => d.push_str(" No baseline set."),
        }
        w!(
            d,
            " Latest {}/10 ({}, {}).",
            last.1,
            last.2.label(),
            long_date(last.0)
        );
        if !self.marks.is_empty() {
            let marks: Vec<String> = self
                .marks
                .iter()
                .map(|m| format!("{} on {}", m.label, long_date(m.at)))
                .collect();
            w!(d, " Programme changes: {}.", marks.join(", "));
        }
        d
    }

    /// The chart for a wide screen and for print.
    pub fn to_svg(&self) -> String {
        self.draw(&WIDE, self.dom_id(), "pc-chart")
    }

    /// The same chart laid out for a phone: narrower, larger type, fewer ticks.
    pub fn to_phone_svg(&self) -> String {
        self.draw(
            &PHONE,
            format!("{}-phone", self.dom_id()),
            "pc-chart pc-chart--phone",
        )
    }

    fn draw(&self, f: &Frame, id: String, class: &str) -> String {
        let pts = self.all_points();
        let title = if self.title.trim().is_empty() {
            "Pain scores"
        } else {
            self.title.as_str()
        };
        let mut out = String::with_capacity(16 * 1024);
        w!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="{class}" width="100%" viewBox="0 0 {} {}" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif">"#,
            Coord(f.w),
            Coord(f.h)
        );
        w!(out, r#"<title id="{id}-title">{}</title>"#, Xml(title));
        w!(
            out,
            r#"<desc id="{id}-desc">{}</desc>"#,
            Xml(&self.description(&pts))
        );
        w!(
            out,
            r#"<rect class="pc-bg" x="0" y="0" width="{}" height="{}"/>"#,
            Coord(f.w),
            Coord(f.h)
        );

        let first = pts.iter().map(|p| p.0).min();
        let last = pts.iter().map(|p| p.0).max();
        let (Some(first), Some(last)) = (first, last) else {
            w!(
                out,
                r#"<text class="pc-empty" x="{}" y="{}" text-anchor="middle">No pain scores recorded yet</text></svg>"#,
                Coord(f.w / 2.0),
                Coord(f.h / 2.0)
            );
            return out;
        };
        let scale = TimeScale::new(first, last, f);

        self.draw_reference_zone(&mut out, f);
        draw_y_axis(&mut out, f);
        draw_x_axis(&mut out, &scale, f);
        self.draw_reference_lines(&mut out, f);
        self.draw_marks(&mut out, &scale, f);
        self.draw_series(&mut out, &scale, f);
        self.draw_legend(&mut out, f);
        out.push_str("</svg>");
        out
    }

    // The band an improvement must reach, shaded so it reads at a glance.
    fn draw_reference_zone(&self, out: &mut String, f: &Frame) {
        if let Some(t) = self.baseline_clamped().and_then(mcid_target) {
            let y = f.y(t);
            w!(
                out,
                r#"<rect class="pc-zone" x="{}" y="{}" width="{}" height="{}"/>"#,
                Coord(f.plot_l),
                Coord(y),
                Coord(f.plot_r - f.plot_l),
                Coord(f.plot_b - y)
            );
        }
    }

    fn draw_reference_lines(&self, out: &mut String, f: &Frame) {
        let Some(b) = self.baseline_clamped() else {
            return;
        };
        // Beside the plot when there is room; inside it, right-aligned above the line, on a phone.
        let (label_x, anchor, lift, class) = if f.narrow {
            (f.plot_r - 4.0, "end", -4.0, "pc-ref pc-ref--inside")
        } else {
            (f.plot_r + 6.0, "start", 3.5, "pc-ref")
        };
        let label_x = Coord(label_x);
        let y = f.y(b);
        w!(
            out,
            r#"<line class="pc-baseline" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="{class}" x="{label_x}" y="{}" text-anchor="{anchor}">Baseline {b}</text>"#,
            Coord(f.plot_l),
            Coord(y),
            Coord(f.plot_r),
            Coord(y),
            Coord(y + lift)
        );
        if let Some(t) = mcid_target(b) {
            let y = f.y(t);
            w!(
                out,
                r#"<line class="pc-mcid" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="{class}" x="{label_x}" y="{}" text-anchor="{anchor}">Important improvement ≤ {t}</text>"#,
                Coord(f.plot_l),
                Coord(y),
                Coord(f.plot_r),
                Coord(y),
                Coord(y + lift)
            );
        }
    }

    fn draw_marks(&self, out: &mut String, scale: &TimeScale, f: &Frame) {
        // Label rows: one above the plot, then two inside it, so nearby
        // version changes do not print on top of each other.
        let rows = [
            f.plot_t - 6.0,
            f.plot_t + f.mark_font + 1.5,
            f.plot_t + 2.0 * f.mark_font + 4.0,
        ];
        let mut row_end = [f64::NEG_INFINITY; 3];
        let mut marks: Vec<&VersionMark> = self.marks.iter().collect();
        marks.sort_by_key(|m| m.at);
        for m in marks {
            let x = scale.x(m.at);
            if !(f.plot_l..=f.plot_r).contains(&x) {
                // Outside the scored period: nothing to relate it to.
                continue;
            }
            let label = truncate(&m.label, MAX_MARK_LABEL);
            let width = text_width(&label, f.mark_font) + 2.0;
            let (lx, left, anchor) = if x + 3.0 + width <= f.plot_r {
                (x + 3.0, x + 3.0, "start")
            } else {
                (x - 3.0, x - 3.0 - width, "end")
            };
            let row = (0..rows.len())
                .find(|&r| left > row_end[r] + 4.0)
                .unwrap_or_else(|| {
                    (0..rows.len())
                        .min_by(|a, b| row_end[*a].total_cmp(&row_end[*b]))
                        .unwrap_or(0)
                });
            row_end[row] = left + width;
            w!(
                out,
                r#"<line class="pc-mark" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="pc-mark-label" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
                Coord(x),
                Coord(f.plot_t - 16.0),
                Coord(x),
                Coord(f.plot_b),
                Coord(lx),
                Coord(rows[row]),
                Xml(&label)
            );
        }
    }

    fn draw_series(&self, out: &mut String, scale: &TimeScale, f: &Frame) {
        let nonempty = || self.series.iter().filter(|s| !s.points.is_empty());
        for s in nonempty() {
            let st = style_of(s.context);
            let mut pts = s.points.clone();
            pts.sort_by_key(|p| p.0);
            w!(
                out,
                r#"<polyline class="pc-line" data-context="{}" stroke="{}"{} points=""#,
                s.context.as_str(),
                st.colour,
                dash_attr(st.dash),
            );
            for (i, (t, v)) in pts.iter().enumerate() {
                let gap = if i > 0 { " " } else { "" };
                w!(out, "{gap}{},{}", Coord(scale.x(*t)), Coord(f.y(*v)));
            }
            out.push_str(r#""/>"#);
        }
        // Markers after all lines so no line crosses over a marker.
        for s in nonempty() {
            let st = style_of(s.context);
            for &(t, v) in &s.points {
                marker(
                    out,
                    st.shape,
                    scale.x(t),
                    f.y(v),
                    st.colour,
                    Some(&PointTip {
                        context: s.context,
                        score: v,
                        at: t,
                    }),
                );
            }
        }
    }

    fn draw_legend(&self, out: &mut String, f: &Frame) {
        let mut y = 18.0;
        let mut x = f.plot_l;
        for c in self.contexts_present() {
            let st = style_of(c);
            let width = 46.0 + text_width(c.label(), f.legend_font);
            if f.narrow && x > f.plot_l && x + width > f.plot_r {
                // A phone's legend wraps onto rows of its own above the plot.
                x = f.plot_l;
                y += f.legend_font * 1.6;
            }
            w!(
                out,
                r#"<line class="pc-line" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"{}/>"#,
                Coord(x),
                Coord(y),
                Coord(x + 40.0),
                Coord(y),
                st.colour,
                dash_attr(st.dash)
            );
            marker(out, st.shape, x + 20.0, y, st.colour, None);
            w!(
                out,
                r#"<text class="pc-legend" x="{}" y="{}">{}</text>"#,
                Coord(x + 46.0),
                Coord(y + 4.0),
                Xml(c.label())
            );
            x += width + 16.0;
        }
    }
}

fn draw_y_axis(out: &mut String, f: &Frame) {
    for v in 0..=PainScore::MAX {
        let y = f.y(v);
        w!(
            out,
            r#"<line class="pc-grid" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="pc-tick" x="{}" y="{}" text-anchor="end">{v}</text>"#,
            Coord(f.plot_l),
            Coord(y),
            Coord(f.plot_r),
            Coord(y),
            Coord(f.plot_l - 6.0),
            Coord(y + f.tick_font * 0.345)
        );
    }
    // A phone has no room for the axis title; the chart's heading names the scale.
    if !f.narrow {
        let mid = (f.plot_t + f.plot_b) / 2.0;
        w!(
            out,
            r#"<text class="pc-ytitle" x="14" y="{}" text-anchor="middle" transform="rotate(-90 14 {})">Pain (0–10)</text>"#,
            Coord(mid),
            Coord(mid)
        );
    }
    w!(
        out,
        r#"<line class="pc-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
        Coord(f.plot_l),
        Coord(f.plot_t),
        Coord(f.plot_l),
        Coord(f.plot_b)
    );
}

fn draw_x_axis(out: &mut String, scale: &TimeScale, f: &Frame) {
    w!(
        out,
        r#"<line class="pc-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
        Coord(f.plot_l),
        Coord(f.plot_b),
        Coord(f.plot_r),
        Coord(f.plot_b)
    );
    for tick in &scale.ticks {
        let x = Coord(scale.x(tick.at));
        w!(
            out,
            r#"<line class="pc-axis" x1="{x}" y1="{}" x2="{x}" y2="{}"/><text class="pc-tick" x="{x}" y="{}" text-anchor="middle">{}</text>"#,
            Coord(f.plot_b),
            Coord(f.plot_b + 4.0),
            Coord(f.plot_b + 5.0 + f.tick_font),
            Xml(&tick.label)
        );
        if let Some(sub) = &tick.sub {
            w!(
                out,
                r#"<text class="pc-sub" x="{x}" y="{}" text-anchor="middle">{}</text>"#,
                Coord(f.plot_b + 7.0 + 2.0 * f.tick_font),
                Xml(sub)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pain::sample::{at, day, seq};

    #[test]
    fn coordinates_are_written_to_the_tenth() {
        let cases = [
            (0.0, "0"),
            (0.04, "0"),
            (0.05, "0.1"),
            (-0.04, "0"),
            (-0.05, "-0.1"),
            (-0.5, "-0.5"),
            (3.0, "3"),
            (12.34, "12.3"),
            (-12.36, "-12.4"),
            (99.96, "100"),
            (540.0, "540"),
            (1234567.8, "1234567.8"),
            (f64::NAN, "0"),
            (f64::INFINITY, "0"),
        ];
        for (value, written) in cases {
            assert_eq!(Coord(value).to_string(), written, "{value}");
        }
    }

    #[test]
    fn coordinates_print_in_tenths() {
        let shown: Vec<String> = [0.0, 12.0, 12.34, 12.96, -0.04, -0.4, -3.25, f64::NAN]
            .iter()
            .map(|v| Coord(*v).to_string())
            .collect();
        assert_eq!(shown, ["0", "12", "12.3", "13", "0", "-0.4", "-3.3", "0"]);
    }

    #[test]
    fn context_styles_are_all_distinct() {
        let styles: Vec<SeriesStyle> = PainContext::ALL.iter().map(|c| style_of(*c)).collect();
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert_ne!(a.colour, b.colour);
                assert_ne!(a.dash, b.dash);
                assert_ne!(a.shape, b.shape);
            }
        }
    }

    // --- chart helpers ------------------------------------------------------

    const VIEW_X: [&str; 5] = ["x", "x1", "x2", "cx", "width"];
    const VIEW_Y: [&str; 5] = ["y", "y1", "y2", "cy", "height"];

    /// Checks every geometric attribute parses as a finite number inside the
    /// viewBox. Returns how many numbers were checked.
    fn assert_coordinates_sane(svg: &str) -> usize {
        assert_coordinates_within(svg, WIDE.w, WIDE.h)
    }

    fn assert_coordinates_within(svg: &str, w: f64, h: f64) -> usize {
        let mut checked = 0;
        let mut rest = svg;
        while let Some(pos) = rest.find("=\"") {
            let name_start = rest[..pos].rfind(' ').map_or(0, |i| i + 1);
            let name = &rest[name_start..pos];
            let after = &rest[pos + 2..];
            let end = after.find('"').expect("closed attribute");
            let value = &after[..end];
            rest = &after[end + 1..];
            let check = |v: &str, max: f64| {
                let n: f64 = v.parse().unwrap_or_else(|_| panic!("{name}={value}"));
                assert!(n.is_finite(), "{name}={value}");
                assert!((0.0..=max).contains(&n), "{name}={value} outside 0..{max}");
            };
            if value.ends_with('%') {
                continue;
            }
            if VIEW_X.contains(&name) {
                check(value, w);
                checked += 1;
            } else if VIEW_Y.contains(&name) {
                check(value, h);
                checked += 1;
            } else if name == "r" {
                check(value, w);
                checked += 1;
            } else if name == "points" {
                for pair in value.split(' ') {
                    let (x, y) = pair.split_once(',').expect("x,y pair");
                    check(x, w);
                    check(y, h);
                    checked += 2;
                }
            }
            assert!(!value.contains("NaN") && !value.contains("inf"), "{value}");
        }
        checked
    }

    fn series(context: PainContext, pts: Vec<(NaiveDateTime, u8)>) -> ChartSeries {
        ChartSeries {
            context,
            points: pts,
        }
    }

    fn sample_chart() -> PainChart {
        PainChart {
            id: "case-42".into(),
            title: "Pain – right shoulder".into(),
            baseline: Some(7),
            series: vec![
                series(PainContext::Now, seq(&[7, 6, 6, 5, 4, 3])),
                series(PainContext::OnActivity, seq(&[8, 8, 7, 6, 6, 4])),
                series(PainContext::Worst24h, seq(&[9, 9, 8, 8, 7, 5])),
            ],
            marks: vec![
                VersionMark {
                    at: day(14),
                    label: "v2".into(),
                },
                VersionMark {
                    at: day(29),
                    label: "v3".into(),
                },
            ],
        }
    }

    // --- chart structure -----------------------------------------------------

    #[test]
    fn chart_structure() {
        let chart = sample_chart();
        let svg = chart.to_svg();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"viewBox="0 0 720 300""#));
        assert!(svg.contains(r#"width="100%""#));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-labelledby="case-42-title case-42-desc""#));
        assert!(svg.contains(r#"<title id="case-42-title">Pain – right shoulder</title>"#));
        assert!(
            svg.contains(
                r#"<desc id="case-42-desc">18 pain scores from 3 Mar 2025 to 7 Apr 2025."#
            )
        );
        assert!(svg.contains("Baseline 7/10."));
        assert_eq!(svg.matches("<polyline").count(), 3);
        for c in [
            PainContext::Now,
            PainContext::OnActivity,
            PainContext::Worst24h,
        ] {
            assert!(
                svg.contains(&format!(">{}</text>", Xml(c.label()))),
                "{c:?}"
            );
        }
        assert!(!svg.contains(">At rest</text>"));
        assert_eq!(svg.matches(r#"class="pc-legend""#).count(), 3);
        assert_eq!(svg.matches(r#"class="pc-baseline""#).count(), 1);
        assert!(svg.contains(">Baseline 7</text>"));
        assert_eq!(svg.matches(r#"class="pc-mcid""#).count(), 1);
        assert!(svg.contains(">Important improvement ≤ 4</text>"));
        assert_eq!(svg.matches(r#"class="pc-mark""#).count(), 2);
        assert!(svg.contains(">v2</text>") && svg.contains(">v3</text>"));
        // 18 scores, each with a hover title.
        assert_eq!(svg.matches(r#"class="pc-pt""#).count(), 18 + 3);
        assert!(!svg.contains("font-face") && !svg.contains("<script"));
        assert!(assert_coordinates_sane(&svg) > 100);
    }

    #[test]
    fn chart_all_contexts_get_legend_and_line() {
        let chart = PainChart {
            series: PainContext::ALL
                .iter()
                .enumerate()
                .map(|(i, c)| series(*c, seq(&[i as u8 + 2, i as u8 + 1, i as u8])))
                .collect(),
            baseline: Some(6),
            ..PainChart::default()
        };
        let svg = chart.to_svg();
        assert_eq!(svg.matches("<polyline").count(), 5);
        assert_eq!(svg.matches(r#"class="pc-legend""#).count(), 5);
        assert_coordinates_sane(&svg);
    }

    #[test]
    fn chart_without_baseline_has_no_reference_lines() {
        let mut chart = sample_chart();
        chart.baseline = None;
        let svg = chart.to_svg();
        assert!(!svg.contains("pc-baseline\""));
        assert!(!svg.contains("pc-mcid\""));
        assert!(svg.contains("No baseline set."));
    }

    #[test]
    fn chart_low_baseline_has_baseline_but_no_mcid() {
        for b in [0, 1] {
            let mut chart = sample_chart();
            chart.baseline = Some(b);
            let svg = chart.to_svg();
            assert!(svg.contains(&format!(">Baseline {b}</text>")));
            assert!(!svg.contains("class=\"pc-mcid\""));
            assert!(!svg.contains("class=\"pc-zone\""));
        }
        let mut chart = sample_chart();
        chart.baseline = Some(2);
        let svg = chart.to_svg();
        assert!(svg.contains(">Important improvement ≤ 0</text>"));
        assert_coordinates_sane(&svg);
    }

    #[test]
    fn chart_escapes_all_text() {
        let nasty = r#"<script>alert("x")</script> & 'q'"#;
        let chart = PainChart {
            id: r#""><bad id"#.into(),
            title: nasty.into(),
            series: vec![series(PainContext::Now, seq(&[5, 3]))],
            baseline: Some(5),
            marks: vec![VersionMark {
                at: day(3),
                label: "v<2> & \"new\"".into(),
            }],
        };
        let svg = chart.to_svg();
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<bad"));
        assert!(
            svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos;")
        );
        assert!(svg.contains(">v&lt;2&gt; &amp; &quot;new&quot;</text>"));
        assert!(svg.contains(r#"aria-labelledby="badid-title badid-desc""#));
        // Every '<' starts a tag and every '&' an entity.
        for (i, _) in svg.match_indices('&') {
            let tail = &svg[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| tail.starts_with(e)),
                "bare & at {i}"
            );
        }
        assert_coordinates_sane(&svg);
    }

    #[test]
    fn markers_are_written_whole_with_their_escaped_tooltip() {
        let mut out = String::new();
        marker(
            &mut out,
            Shape::Diamond,
            10.0,
            20.0,
            "#123",
            Some(&Xml("Now: 4/10 <b>")),
        );
        assert_eq!(
            out,
            r##"<polygon class="pc-pt" points="10,14.5 15,20 10,25.5 5,20" fill="#123"><title>Now: 4/10 &lt;b&gt;</title></polygon>"##
        );
        out.clear();
        marker(&mut out, Shape::Circle, 1.0, 2.25, "red", None);
        assert_eq!(
            out,
            r#"<circle class="pc-pt" cx="1" cy="2.3" r="4.2" fill="red"/>"#
        );
    }

    #[test]
    fn escape_drops_xml_forbidden_controls() {
        assert_eq!(Xml("a\u{0}b\u{1b}c\td").to_string(), "abc\td");
        assert_eq!(Xml("Zoë \u{FFFE}Kowal\u{FFFF}").to_string(), "Zoë Kowal");
        assert_eq!(Xml("Plain text – as is").to_string(), "Plain text – as is");
    }

    #[test]
    fn tooltips_give_context_score_and_time() {
        let svg = sample_chart().to_svg();
        assert!(
            svg.contains("<title>Now: 7/10 on 3 Mar 2025 09:00</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>Worst in 24 h: 5/10 on 7 Apr 2025 09:00</title>"),
            "{svg}"
        );
    }

    #[test]
    fn chart_empty() {
        let chart = PainChart {
            title: "Knee".into(),
            baseline: Some(6),
            marks: vec![VersionMark {
                at: day(0),
                label: "v2".into(),
            }],
            series: vec![series(PainContext::Now, vec![])],
            ..PainChart::default()
        };
        let svg = chart.to_svg();
        assert!(svg.contains(">No pain scores recorded yet</text>"));
        assert!(svg.contains("<desc id=\""));
        assert!(!svg.contains("<polyline"));
        assert!(!svg.contains("pc-baseline\""));
        assert_coordinates_sane(&svg);
        let bare = PainChart::default().to_svg();
        assert!(bare.contains("No pain scores recorded yet"));
        assert!(bare.contains(">Pain scores</title>"));
    }

    #[test]
    fn chart_single_point() {
        let chart = PainChart {
            title: "One".into(),
            series: vec![series(PainContext::AtRest, vec![(day(0), 6)])],
            baseline: Some(6),
            marks: vec![VersionMark {
                at: day(0),
                label: "v1".into(),
            }],
            ..PainChart::default()
        };
        let svg = chart.to_svg();
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains(">3 Mar</text>"));
        assert!(svg.contains(">2025</text>"));
        assert!(svg.contains("1 pain score on 3 Mar 2025."));
        // Centred on the plot.
        let centre = (WIDE.plot_l + WIDE.plot_r) / 2.0;
        assert!(svg.contains(&format!(
            r#"x="{}" y="{}" width="7.6""#,
            Coord(centre - 3.8),
            Coord(WIDE.y(6) - 3.8)
        )));
        assert_coordinates_sane(&svg);
    }

    #[test]
    fn chart_same_day_uses_clock_ticks() {
        let chart = PainChart {
            series: vec![series(
                PainContext::Now,
                vec![(at(2025, 3, 3, 8), 7), (at(2025, 3, 3, 17), 4)],
            )],
            ..PainChart::default()
        };
        let svg = chart.to_svg();
        assert!(svg.contains(">09:00</text>") || svg.contains(">10:00</text>"));
        assert!(svg.contains(">3 Mar</text>"));
        assert!(svg.contains("2 pain scores on 3 Mar 2025."));
        assert_coordinates_sane(&svg);
    }

    #[test]
    fn chart_spans_from_minutes_to_years() {
        let start = at(2024, 11, 20, 10);
        for span in [
            TimeDelta::minutes(5),
            TimeDelta::hours(1),
            TimeDelta::hours(30),
            TimeDelta::days(3),
            TimeDelta::days(13),
            TimeDelta::days(40),
            TimeDelta::days(100),
            TimeDelta::days(200),
            TimeDelta::days(365),
            TimeDelta::days(800),
            TimeDelta::days(365 * 30),
        ] {
            let chart = PainChart {
                series: vec![series(
                    PainContext::Best,
                    vec![(start, 5), (start + span / 2, 4), (start + span, 2)],
                )],
                marks: vec![VersionMark {
                    at: start + span / 3,
                    label: "v2".into(),
                }],
                baseline: Some(5),
                ..PainChart::default()
            };
            let svg = chart.to_svg();
            let ticks = svg.matches(r#"class="pc-tick" x="#).count() - 11;
            assert!(
                (1..=WIDE.max_ticks).contains(&ticks),
                "{span}: {ticks} ticks"
            );
            assert_coordinates_sane(&svg);
        }
    }

    #[test]
    fn ticks_are_aligned_and_year_shown_on_change() {
        let t = ticks_for(at(2025, 3, 5, 10), at(2025, 4, 20, 0), Step::Days(7), 20);
        assert!(
            t.iter()
                .all(|d| d.weekday() == chrono::Weekday::Mon && d.hour() == 0)
        );
        let m = ticks_for(at(2024, 10, 3, 0), at(2025, 4, 1, 0), Step::Months(1), 20);
        assert_eq!(m.first().copied(), Some(at(2024, 11, 1, 0)));
        assert_eq!(m.last().copied(), Some(at(2025, 4, 1, 0)));
        let labels = label_ticks(Step::Months(1), &m);
        let subs: Vec<Option<String>> = labels.iter().map(|l| l.sub.clone()).collect();
        assert_eq!(subs[0].as_deref(), Some("2024"));
        assert_eq!(subs[1], None);
        assert_eq!(subs[2].as_deref(), Some("2025"));
        assert_eq!(labels[0].label, "Nov");
    }

    #[test]
    fn marks_outside_scored_period_are_skipped() {
        let mut chart = sample_chart();
        chart.marks.push(VersionMark {
            at: day(-200),
            label: "v0".into(),
        });
        let svg = chart.to_svg();
        assert_eq!(svg.matches(r#"class="pc-mark""#).count(), 2);
        assert!(!svg.contains(">v0</text>"));
    }

    #[test]
    fn ids_are_unique_per_chart() {
        let a = PainChart {
            title: "Left knee".into(),
            ..PainChart::default()
        };
        let b = PainChart {
            title: "Right knee".into(),
            ..PainChart::default()
        };
        assert_ne!(a.dom_id(), b.dom_id());
        assert_eq!(a.dom_id(), a.clone().dom_id());
        assert!(a.dom_id().starts_with("pc-chart-"));
        let c = PainChart {
            id: "7".into(),
            ..PainChart::default()
        };
        assert_eq!(c.dom_id(), "pc-7");
    }

    #[test]
    fn out_of_range_scores_are_clamped_in_chart() {
        let chart = PainChart {
            series: vec![series(PainContext::Now, seq(&[200, 11, 3]))],
            baseline: Some(250),
            ..PainChart::default()
        };
        assert_coordinates_sane(&chart.to_svg());
    }

    #[test]
    fn the_phone_layout_fits_its_frame_with_at_most_four_ticks_and_no_axis_title() {
        let all_contexts = PainChart {
            series: PainContext::ALL
                .iter()
                .enumerate()
                .map(|(i, c)| series(*c, vec![(day(0), 6), (day(40 + i as i64), 3)]))
                .collect(),
            baseline: Some(6),
            marks: vec![
                VersionMark {
                    at: day(10),
                    label: "v2".into(),
                },
                VersionMark {
                    at: day(12),
                    label: "v3".into(),
                },
            ],
            ..PainChart::default()
        };
        for chart in [sample_chart(), all_contexts] {
            let svg = chart.to_phone_svg();
            assert!(svg.contains(r#"class="pc-chart pc-chart--phone""#));
            assert!(svg.contains(r#"viewBox="0 0 360 344""#));
            assert!(svg.contains(&format!(r#"id="{}-phone-title""#, chart.dom_id())));
            let ticks = svg.matches(r#"class="pc-tick" x="#).count() - 11;
            assert!((1..=PHONE.max_ticks).contains(&ticks), "{ticks} ticks");
            assert!(!svg.contains("pc-ytitle"), "no room for the axis title");
            assert!(svg.contains(r#"class="pc-ref pc-ref--inside""#));
            assert_coordinates_within(&svg, PHONE.w, PHONE.h);
        }
    }

    #[test]
    fn the_phone_layout_is_styled_at_the_sizes_its_layout_measures_with() {
        // The browser suite checks the type reads at 12 px or more on a 390 px screen; here
        // the stylesheet and the layout must agree on the size, or labels would collide.
        let css = include_str!("../../static/chart.css");
        let rule = css
            .split('}')
            .find(|rule| rule.contains(".pc-chart--phone .pc-tick"))
            .unwrap_or_default();
        for class in ["pc-tick", "pc-sub", "pc-ref", "pc-mark-label", "pc-legend"] {
            assert!(
                rule.contains(&format!(".pc-chart--phone .{class}")),
                "{class}"
            );
        }
        let size: f64 = rule
            .split("font-size:")
            .nth(1)
            .and_then(|v| v.trim().strip_suffix("px;"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_default();
        for measured in [PHONE.tick_font, PHONE.legend_font, PHONE.mark_font] {
            assert!(
                (size - measured).abs() < 0.01,
                "css {size} px, layout {measured}"
            );
        }
    }
}
