//! Drawn exercise figures: a person posed by joint angles, with the props the exercise
//! uses and an arrow for the movement.
//!
//! One geometry, two outputs: [`svg`] writes it for pages, and the PDF sheet turns the
//! same [`Shape`]s into vector paths. A leaf module: it knows nothing of the library,
//! storage or HTTP; the library file supplies the [`FigureSpec`]s.

mod body;
mod pose;

use std::fmt::Write as _;
use std::ops::{Add, Mul, Sub};

pub use pose::{ARROW_JOINTS, Arrow, FigureSpec, PROPS, Pose, View};

/// Every figure is fitted into a frame of this size (SVG user units).
pub const FRAME_W: f32 = 160.0;
pub const FRAME_H: f32 = 120.0;
/// Nothing is drawn closer than this to the frame's edge.
pub const FRAME_MARGIN: f32 = 4.0;

/// A point; in a [`Drawing`] y grows downward, as in SVG.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct P(pub f32, pub f32);

impl Add for P {
    type Output = P;
    fn add(self, o: P) -> P {
        P(self.0 + o.0, self.1 + o.1)
    }
}

impl Sub for P {
    type Output = P;
    fn sub(self, o: P) -> P {
        P(self.0 - o.0, self.1 - o.1)
    }
}

impl Mul<f32> for P {
    type Output = P;
    fn mul(self, k: f32) -> P {
        P(self.0 * k, self.1 * k)
    }
}

impl P {
    fn len(self) -> f32 {
        self.0.hypot(self.1)
    }

    fn dot(self, o: P) -> f32 {
        self.0 * o.0 + self.1 * o.1
    }
}

/// What a shape is painted with; each output maps tones to its own colour type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// The figure, and its near-side limbs.
    Body,
    /// Limbs on the far side, lighter so a side view reads.
    Far,
    /// A thin light edge around near arms where they cross the body.
    Outline,
    Prop,
    PropEdge,
    Wall,
    Mat,
    Floor,
    Towel,
    Band,
    Arrow,
}

impl Tone {
    /// sRGB, 0–255.
    pub fn rgb(self) -> (u8, u8, u8) {
        match self {
            Tone::Body => (0x26, 0x3e, 0x55),
            Tone::Far => (0x9d, 0xb1, 0xc3),
            Tone::Outline => (0xff, 0xff, 0xff),
            Tone::Prop => (0xd9, 0xc7, 0xa7),
            Tone::PropEdge => (0x8a, 0x74, 0x52),
            Tone::Wall => (0xec, 0xe6, 0xdb),
            Tone::Mat => (0xa9, 0xd3, 0xcf),
            Tone::Floor => (0x8a, 0x96, 0xa0),
            Tone::Towel => (0x3b, 0x8e, 0xc9),
            Tone::Band => (0x2f, 0x9e, 0x5b),
            Tone::Arrow => (0xd9, 0x48, 0x0f),
        }
    }

    fn hex(self) -> String {
        let (r, g, b) = self.rgb();
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// One drawn shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An open line with round caps and joins.
    Stroke {
        points: Vec<P>,
        width: f32,
        tone: Tone,
    },
    /// A filled circle.
    Disc { c: P, r: f32, tone: Tone },
    /// A filled polygon, with an optional edge (round joins).
    Polygon {
        points: Vec<P>,
        fill: Tone,
        edge: Option<(Tone, f32)>,
    },
}

impl Shape {
    fn map(self, f: &impl Fn(P) -> P, k: f32) -> Shape {
        match self {
            Shape::Stroke {
                points,
                width,
                tone,
            } => Shape::Stroke {
                points: points.into_iter().map(f).collect(),
                width: width * k,
                tone,
            },
            Shape::Disc { c, r, tone } => Shape::Disc {
                c: f(c),
                r: r * k,
                tone,
            },
            Shape::Polygon { points, fill, edge } => Shape::Polygon {
                points: points.into_iter().map(f).collect(),
                fill,
                edge: edge.map(|(t, w)| (t, w * k)),
            },
        }
    }

    fn moved(self, d: P) -> Shape {
        self.map(&|p| p + d, 1.0)
    }

    /// The box this shape paints, strokes included.
    pub fn extent(&self) -> Bounds {
        let mut b = Bounds::empty();
        match self {
            Shape::Stroke { points, width, .. } => {
                for p in points {
                    b.add(*p, width / 2.0);
                }
            }
            Shape::Disc { c, r, .. } => b.add(*c, *r),
            Shape::Polygon { points, edge, .. } => {
                let pad = edge.map_or(0.0, |(_, w)| w / 2.0);
                for p in points {
                    b.add(*p, pad);
                }
            }
        }
        b
    }
}

/// An axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: P,
    pub max: P,
}

impl Bounds {
    fn empty() -> Self {
        Bounds {
            min: P(f32::MAX, f32::MAX),
            max: P(f32::MIN, f32::MIN),
        }
    }

    fn add(&mut self, p: P, pad: f32) {
        self.min = P(self.min.0.min(p.0 - pad), self.min.1.min(p.1 - pad));
        self.max = P(self.max.0.max(p.0 + pad), self.max.1.max(p.1 + pad));
    }

    fn union(mut self, o: Bounds) -> Self {
        self.add(o.min, 0.0);
        self.add(o.max, 0.0);
        self
    }

    fn is_empty(&self) -> bool {
        self.min.0 > self.max.0
    }
}

fn bounds<'a>(shapes: impl Iterator<Item = &'a Shape>) -> Bounds {
    shapes.fold(Bounds::empty(), |b, s| b.union(s.extent()))
}

/// One key position, fitted into a `FRAME_W` × `FRAME_H` frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// "Start", "End", …
    pub label: String,
    /// Read by screen readers: the exercise and the position.
    pub title: String,
    pub shapes: Vec<Shape>,
}

/// Poses every position of one exercise and fits them into frames at one scale, so the
/// figure keeps its size from picture to picture and the arrows point where it goes.
pub fn draw_exercise(name: &str, specs: &[FigureSpec]) -> Vec<Drawing> {
    let posed: Vec<body::Posed> = specs.iter().map(body::pose).collect();
    let mut all: Vec<Vec<Shape>> = Vec::with_capacity(posed.len());
    for (i, (spec, here)) in specs.iter().zip(&posed).enumerate() {
        let mut shapes = here.shapes.clone();
        if let Some(arrow) = spec.arrow.as_deref().and_then(Arrow::parse) {
            let other = posed
                .get(i + 1)
                .or_else(|| i.checked_sub(1).and_then(|j| posed.get(j)));
            shapes.extend(body::arrow(arrow, here, other));
        }
        all.push(shapes);
    }
    let mut union = all
        .iter()
        .fold(Bounds::empty(), |b, shapes| b.union(bounds(shapes.iter())));
    if union.is_empty() {
        return Vec::new();
    }
    let floor = Shape::Stroke {
        points: vec![P(union.min.0 - 6.0, -0.9), P(union.max.0 + 6.0, -0.9)],
        width: 1.8,
        tone: Tone::Floor,
    };
    if posed.iter().any(|p| p.view != View::Top) {
        union = union.union(floor.extent());
    }
    let (w, h) = (union.max.0 - union.min.0, union.max.1 - union.min.1);
    let inner_w = FRAME_W - 2.0 * FRAME_MARGIN;
    let inner_h = FRAME_H - 2.0 * FRAME_MARGIN;
    let k = (inner_w / w.max(1.0)).min(inner_h / h.max(1.0));
    let dx = FRAME_MARGIN + (inner_w - w * k) / 2.0;
    let dy = FRAME_MARGIN + (inner_h - h * k) / 2.0;
    let to_frame = |p: P| {
        P(
            dx + (p.0 - union.min.0) * k,
            FRAME_H - dy - (p.1 - union.min.1) * k,
        )
    };
    specs
        .iter()
        .zip(posed)
        .zip(all)
        .map(|((spec, posed), shapes)| {
            let mut placed = Vec::with_capacity(shapes.len() + 1);
            if posed.view != View::Top {
                placed.push(floor.clone().map(&to_frame, k));
            }
            placed.extend(shapes.into_iter().map(|s| s.map(&to_frame, k)));
            Drawing {
                label: spec.label.clone(),
                title: format!("{name}: {}", spec.label),
                shapes: placed,
            }
        })
        .collect()
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn points_attr(points: &[P]) -> String {
    let mut out = String::with_capacity(points.len() * 12);
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{:.1},{:.1}", p.0, p.1);
    }
    out
}

/// A self-contained SVG (no script, no external reference) that scales with its box.
pub fn svg(drawing: &Drawing) -> String {
    let mut out = String::with_capacity(160 + drawing.shapes.len() * 110);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {FRAME_W} {FRAME_H}\" role=\"img\" class=\"figure\"><title>{}</title>",
        xml_escape(&drawing.title)
    );
    for shape in &drawing.shapes {
        match shape {
            Shape::Stroke {
                points,
                width,
                tone,
            } => {
                let _ = write!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width:.1}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>",
                    points_attr(points),
                    tone.hex()
                );
            }
            Shape::Disc { c, r, tone } => {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"{}\"/>",
                    c.0,
                    c.1,
                    tone.hex()
                );
            }
            Shape::Polygon { points, fill, edge } => {
                let _ = write!(
                    out,
                    "<polygon points=\"{}\" fill=\"{}\"",
                    points_attr(points),
                    fill.hex()
                );
                if let Some((tone, w)) = edge {
                    let _ = write!(
                        out,
                        " stroke=\"{}\" stroke-width=\"{w:.1}\" stroke-linejoin=\"round\"",
                        tone.hex()
                    );
                }
                out.push_str("/>");
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests;
