//! Page-independent drawing fragments and the paginator that places them.
//!
//! Everything is measured in points with y growing downwards from the top of
//! the page; conversion to PDF's bottom-left origin happens only when the
//! final operations are written.

use super::fonts::Face;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rgb(pub f32, pub f32, pub f32);

#[derive(Debug, Clone)]
pub(super) enum Draw {
    /// `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        color: Rgb,
        text: String,
    },
    /// `y` is the top edge.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        color: Rgb,
        width: f32,
    },
    /// An open path with round caps and joins (figures' limbs).
    Polyline {
        points: Vec<(f32, f32)>,
        color: Rgb,
        width: f32,
    },
    /// A filled shape, with an optional edge drawn with round joins.
    Polygon {
        points: Vec<(f32, f32)>,
        fill: Rgb,
        stroke: Option<(Rgb, f32)>,
    },
    /// A filled circle centred on (x, y).
    Disc { x: f32, y: f32, r: f32, color: Rgb },
    /// One of the sheet's pictures, by its index in `Sheet::pictures`; `y` is the top edge.
    Picture {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        picture: usize,
    },
    /// A picture's draws as one figure that a screen reader announces by `alt`.
    Figure { alt: String, draws: Vec<Draw> },
}

impl Draw {
    /// Moves a draw by (dx, dy).
    pub(super) fn shifted(&self, dx: f32, dy: f32) -> Draw {
        match self.clone() {
            Draw::Text {
                x,
                y,
                face,
                size,
                color,
                text,
            } => Draw::Text {
                x: x + dx,
                y: y + dy,
                face,
                size,
                color,
                text,
            },
            Draw::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
            } => Draw::Rect {
                x: x + dx,
                y: y + dy,
                w,
                h,
                fill,
                stroke,
            },
            Draw::Line {
                x1,
                y1,
                x2,
                y2,
                color,
                width,
            } => Draw::Line {
                x1: x1 + dx,
                y1: y1 + dy,
                x2: x2 + dx,
                y2: y2 + dy,
                color,
                width,
            },
            Draw::Polyline {
                points,
                color,
                width,
            } => Draw::Polyline {
                points: shift_points(points, dx, dy),
                color,
                width,
            },
            Draw::Polygon {
                points,
                fill,
                stroke,
            } => Draw::Polygon {
                points: shift_points(points, dx, dy),
                fill,
                stroke,
            },
            Draw::Disc { x, y, r, color } => Draw::Disc {
                x: x + dx,
                y: y + dy,
                r,
                color,
            },
            Draw::Picture {
                x,
                y,
                w,
                h,
                picture,
            } => Draw::Picture {
                x: x + dx,
                y: y + dy,
                w,
                h,
                picture,
            },
            Draw::Figure { alt, draws } => Draw::Figure {
                alt,
                draws: draws.iter().map(|d| d.shifted(dx, dy)).collect(),
            },
        }
    }
}

fn shift_points(points: Vec<(f32, f32)>, dx: f32, dy: f32) -> Vec<(f32, f32)> {
    points.into_iter().map(|(x, y)| (x + dx, y + dy)).collect()
}

/// The smallest unit the paginator moves: never split across pages.
/// Draw coordinates are relative to the content column's left edge and the
/// fragment's top.
#[derive(Debug, Clone, Default)]
pub(super) struct Fragment {
    pub h: f32,
    pub draws: Vec<Draw>,
    /// Headings and labels set this so they never end a page alone.
    pub keep_with_next: bool,
}

impl Fragment {
    pub(super) fn spacer(h: f32) -> Self {
        Self {
            h,
            ..Self::default()
        }
    }
}

/// Background and/or border drawn around each page's share of a block.
#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    pub fill: Option<Rgb>,
    pub stroke: Option<(Rgb, f32)>,
    /// Vertical padding inside the frame, repeated on every page it spans.
    pub pad: f32,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Block {
    pub frags: Vec<Fragment>,
    /// Start a new page rather than split, when the block fits on one page.
    pub keep_together: bool,
    /// Space above the block; dropped at the top of a page.
    pub space_before: f32,
    /// A thin rule drawn in the middle of `space_before`.
    pub rule_before: Option<Rgb>,
    pub frame: Option<Frame>,
    /// Repeated at the top of each continuation page.
    pub continued: Vec<Fragment>,
}

impl Block {
    fn pad(&self) -> f32 {
        self.frame.map_or(0.0, |f| f.pad)
    }

    fn height(&self) -> f32 {
        self.pad() * 2.0 + self.frags.iter().map(|f| f.h).sum::<f32>()
    }
}

/// Content area of the pages: the first page and later pages may start at
/// different heights (later pages carry a running header).
#[derive(Debug, Clone, Copy)]
pub(super) struct Area {
    pub left: f32,
    pub width: f32,
    pub first_top: f32,
    pub other_top: f32,
    pub bottom: f32,
}

pub(super) struct Paginator {
    area: Area,
    pub pages: Vec<Vec<Draw>>,
    y: f32,
    /// Whether anything from the flow (not a repeated heading) is on the page.
    page_has_content: bool,
}

/// The part of a framed block on one page.
struct Segment {
    page: usize,
    draw_index: usize,
    top: f32,
    frags: usize,
}

impl Paginator {
    pub(super) fn new(area: Area) -> Self {
        Self {
            area,
            pages: vec![Vec::new()],
            y: area.first_top,
            page_has_content: false,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.area.other_top;
        self.page_has_content = false;
    }

    fn current(&mut self) -> &mut Vec<Draw> {
        // `pages` starts non-empty and only grows.
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn put(&mut self, frag: &Fragment) {
        let (dx, dy) = (self.area.left, self.y);
        let shifted: Vec<Draw> = frag.draws.iter().map(|d| d.shifted(dx, dy)).collect();
        self.current().extend(shifted);
        self.y += frag.h;
    }

    fn begin_segment(&mut self) -> Segment {
        Segment {
            page: self.pages.len() - 1,
            draw_index: self.current().len(),
            top: self.y,
            frags: 0,
        }
    }

    fn end_segment(&mut self, seg: &Segment, block: &Block) {
        let Some(frame) = block.frame else { return };
        if seg.frags == 0 {
            return;
        }
        let bottom = self.y + frame.pad;
        // Keep strokes inside the content column.
        let inset = frame.stroke.map_or(0.0, |(_, w)| w / 2.0);
        let rect = Draw::Rect {
            x: self.area.left + inset,
            y: seg.top + inset,
            w: self.area.width - 2.0 * inset,
            h: bottom - seg.top - 2.0 * inset,
            fill: frame.fill,
            stroke: frame.stroke,
        };
        // Behind the block's text, so inserted where the segment began.
        if let Some(page) = self.pages.get_mut(seg.page) {
            page.insert(seg.draw_index.min(page.len()), rect);
        }
    }

    pub(super) fn place(&mut self, block: &Block) {
        let pad = block.pad();
        let full_page = self.area.bottom - self.area.other_top;
        let gap = |p: &Self| {
            if p.page_has_content {
                block.space_before
            } else {
                0.0
            }
        };
        if block.keep_together
            && self.page_has_content
            && self.y + gap(self) + block.height() > self.area.bottom
            && block.height() <= full_page
        {
            self.new_page();
        }
        let g = gap(self);
        if let Some(color) = block.rule_before.filter(|_| g > 0.0) {
            let y = self.y + g / 2.0;
            let (x1, x2) = (self.area.left, self.area.left + self.area.width);
            self.current().push(Draw::Line {
                x1,
                y1: y,
                x2,
                y2: y,
                color,
                width: 0.6,
            });
        }
        self.y += g;
        let mut seg = self.begin_segment();
        self.y += pad;
        for (i, frag) in block.frags.iter().enumerate() {
            let need = self.needed(block, i, pad, full_page);
            if self.y + need > self.area.bottom && (self.page_has_content || seg.frags > 0) {
                self.end_segment(&seg, block);
                self.new_page();
                seg = self.begin_segment();
                self.y += pad;
                // Only a block that really continues gets the "continued" heading.
                if i > 0 {
                    for head in &block.continued {
                        self.put(head);
                    }
                }
            }
            self.put(frag);
            seg.frags += 1;
            self.page_has_content = true;
        }
        self.end_segment(&seg, block);
        self.y += pad;
    }

    /// Height that must be free to place fragment `i`: itself, the fragments
    /// it is kept with, and the closing padding. Falls back to the fragment
    /// alone when the chain could never fit on one page.
    fn needed(&self, block: &Block, i: usize, pad: f32, full_page: f32) -> f32 {
        let frags = &block.frags;
        let mut need = frags[i].h;
        let mut j = i;
        while frags[j].keep_with_next && j + 1 < frags.len() {
            j += 1;
            need += frags[j].h;
        }
        let head: f32 = block.continued.iter().map(|f| f.h).sum();
        if need + 2.0 * pad + head > full_page {
            need = frags[i].h;
        }
        need + pad
    }
}
