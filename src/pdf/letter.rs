//! Letters from the record (a referral to the GP, a discharge summary), printed with the
//! sheet's letterhead, page furniture and tagging.

use super::fonts::Face;
use super::layout::{Area, Block, Fragment, Paginator};
use super::model::{ClinicHeader, Paper, PdfError};
use super::renderer::{MARGIN_PT, PdfPages, SheetRenderer};
use super::sheet::{Builder, INK, MUTED, Pictures, Style};

const BODY: Style = Style::new(Face::Regular, 11.0, INK, 1.4);
const HEADING: Style = Style::new(Face::Bold, 11.0, INK, 1.4);
const SMALL: Style = Style::new(Face::Regular, 9.0, MUTED, 1.4);

/// Everything a letter prints.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    pub clinic: ClinicHeader,
    /// "Referral to the GP", "Discharge summary".
    pub title: String,
    /// The day it was signed, or drafted: "7 Dec 2026".
    pub date: String,
    /// The recipient's name and address, one line each.
    pub recipient: String,
    /// Who the letter is about: name, date of birth, clinic reference, address.
    pub regarding: Vec<String>,
    pub salutation: String,
    /// (heading, text); text may hold line breaks.
    pub paragraphs: Vec<(String, String)>,
    /// Name, profession, registration number; `None` prints the letter as an unsigned draft.
    pub signed_by: Option<(String, String, String)>,
    /// When it was signed (or drafted), UTC: the PDF's creation date.
    pub created_at: chrono::NaiveDateTime,
    pub paper: Paper,
}

impl SheetRenderer {
    pub fn render_letter(&self, letter: &Letter) -> Result<Vec<u8>, PdfError> {
        let (w_mm, h_mm) = letter.paper.size_mm();
        let (page_w, page_h) = (w_mm * 72.0 / 25.4, h_mm * 72.0 / 25.4);
        let cw = page_w - 2.0 * MARGIN_PT;
        let footer_lines = self.fonts.wrap_limited(
            SMALL.face,
            SMALL.size,
            cw * 0.75,
            &letter.clinic.footer_text,
            2,
        );
        let footer_h = 14.0 + footer_lines.len().max(1) as f32 * SMALL.line_h();
        let area = Area {
            left: MARGIN_PT,
            width: cw,
            first_top: MARGIN_PT,
            other_top: MARGIN_PT + SMALL.line_h() + 10.0,
            bottom: page_h - MARGIN_PT - footer_h,
        };
        let builder = self.builder(cw, Pictures::Beside);
        let mut pager = Paginator::new(area);
        let title = match letter.signed_by {
            Some(_) => letter.title.clone(),
            None => format!("{} (draft, not signed)", letter.title),
        };
        pager.place(&builder.letterhead(&letter.clinic, &title));
        for block in letter_blocks(&builder, letter, cw) {
            pager.place(&block);
        }
        let mut pages = pager.pages;
        let total = pages.len();
        // Later pages say whom the letter is about, in case they come apart.
        let running = self.fonts.one_line(
            SMALL.face,
            SMALL.size,
            cw,
            &format!("{} · {}", letter.regarding.join(", "), letter.title),
        );
        for (i, draws) in pages.iter_mut().enumerate() {
            if i > 0 {
                draws.push(SMALL.text(MARGIN_PT, MARGIN_PT + SMALL.baseline(), running.clone()));
            }
            self.footer(draws, &footer_lines, i + 1, total, cw, page_h);
        }
        self.write_pdf(&PdfPages {
            title: &format!(
                "{} – {}",
                letter.title,
                letter.regarding.first().map_or("", |s| s)
            ),
            created_at: letter.created_at,
            paper: (w_mm, h_mm),
            scale: 1.0,
            pages: &pages,
            pictures: &[],
        })
    }
}

/// A block of lines in one style, kept together when `keep` (an address, a signature).
fn text_block(builder: &Builder<'_>, st: Style, text: &str, cw: f32, space_before: f32) -> Block {
    Block {
        frags: builder.lines(st, 0.0, cw, text, false),
        space_before,
        keep_together: true,
        ..Block::default()
    }
}

fn letter_blocks(builder: &Builder<'_>, letter: &Letter, cw: f32) -> Vec<Block> {
    let mut blocks = vec![
        text_block(builder, BODY, &letter.date, cw, 4.0),
        text_block(builder, BODY, &letter.recipient, cw, 12.0),
        text_block(builder, HEADING, &letter.regarding.join("\n"), cw, 16.0),
        text_block(builder, BODY, &letter.salutation, cw, 14.0),
    ];
    for (heading, text) in &letter.paragraphs {
        let mut frags = builder.lines(HEADING, 0.0, cw, heading, true);
        frags.extend(builder.lines(BODY, 0.0, cw, text, false));
        blocks.push(Block {
            frags,
            space_before: 10.0,
            ..Block::default()
        });
    }
    let (closing, signature) = match &letter.signed_by {
        Some((name, profession, registration)) => (
            "Yours sincerely,",
            format!("{name}\n{profession}\nRegistration number {registration}"),
        ),
        None => ("Yours sincerely,", "(draft: not signed)".to_owned()),
    };
    // The sign-off keeps the last paragraph with it: a signature never stands alone.
    let mut sign_off = match blocks.pop() {
        Some(last) if !letter.paragraphs.is_empty() => last,
        Some(last) => {
            blocks.push(last);
            Block::default()
        }
        None => Block::default(),
    };
    sign_off.keep_together = true;
    sign_off.frags.push(Fragment::spacer(14.0));
    sign_off
        .frags
        .extend(builder.lines(BODY, 0.0, cw, closing, true));
    sign_off.frags.push(Fragment::spacer(26.0));
    sign_off
        .frags
        .extend(builder.lines(BODY, 0.0, cw, &signature, true));
    blocks.push(sign_off);
    blocks
}
