//! Input data for a printable home-exercise sheet, and the error type.

use std::fmt;
use std::sync::Arc;

use crate::figures::Drawing;

/// Paper size of the printed sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 215.9 × 279.4 mm (8.5 × 11 in).
    Letter,
}

impl Paper {
    /// Width and height in millimetres.
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            Paper::A4 => (210.0, 297.0),
            Paper::Letter => (215.9, 279.4),
        }
    }
}

/// The clinic's letterhead.
#[derive(Debug, Clone, Default)]
pub struct ClinicHeader {
    pub name: String,
    /// May contain newlines; each becomes its own line.
    pub address: String,
    pub phone: String,
    pub email: String,
    /// Printed at the bottom of every page.
    pub footer_text: String,
}

/// One exercise on the sheet.
#[derive(Debug, Clone, Default)]
pub struct SheetItem {
    pub name: String,
    /// Already in plain words, e.g. "3 sets of 10, hold 5 seconds, each side".
    pub dosage: String,
    pub steps: Vec<String>,
    /// The therapist's note; may be empty or very long.
    pub note: String,
    pub cautions: Vec<String>,
    /// Drawn key positions of a built-in exercise, printed beside the steps; empty for
    /// a clinic's own exercise.
    pub figures: Vec<Arc<Drawing>>,
    /// The clinic's own pictures of the exercise, as indexes into [`Sheet::pictures`].
    pub pictures: Vec<usize>,
}

/// A picture printed on the sheet: a baseline RGB JPEG, embedded in the PDF as it is
/// (DCTDecode) and once per document however many exercises show it.
#[derive(Debug, Clone, Default)]
pub struct SheetPicture {
    pub jpeg: std::sync::Arc<[u8]>,
    pub width: u32,
    pub height: u32,
    /// What the picture shows, read out by screen readers.
    pub caption: String,
}

/// Everything printed on one home-exercise sheet.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub clinic: ClinicHeader,
    pub patient_name: String,
    pub patient_date_of_birth: String,
    pub therapist_name: String,
    pub issued_on: String,
    /// When the therapist plans to review the programme, if they set a date.
    pub review_on: Option<String>,
    /// When the programme version was issued (UTC): the PDF's creation date.
    pub issued_at: chrono::NaiveDateTime,
    pub version: i32,
    pub case_title: String,
    pub programme_notes: String,
    pub items: Vec<SheetItem>,
    /// Every picture the items show, each once.
    pub pictures: Vec<SheetPicture>,
    pub stop_symptoms: Vec<String>,
    /// The portal's address, printed with its QR code only for a patient who has access.
    pub portal_url: Option<String>,
    pub paper: Paper,
    /// Everything printed larger, for patients who find the ordinary sheet hard to read.
    pub large_print: bool,
}

/// Why a sheet could not be rendered.
#[derive(Debug)]
pub enum PdfError {
    /// A font could not be parsed.
    Font(&'static str),
    /// The configured font file could not be read.
    FontFile(String),
    /// The PDF writer produced no output.
    Output(String),
}

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PdfError::Font(which) => write!(f, "could not load the {which} font"),
            PdfError::FontFile(why) => write!(f, "could not read the font file: {why}"),
            PdfError::Output(why) => write!(f, "could not write the PDF: {why}"),
        }
    }
}

impl std::error::Error for PdfError {}
