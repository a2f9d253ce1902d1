//! Printable home-exercise sheets as PDF.
//!
//! A [`SheetRenderer`] parses the bundled DejaVu Sans Condensed faces (and, when the
//! clinic configured one, a font for Chinese, Japanese and Korean) once and then turns
//! any number of [`Sheet`]s into PDF bytes. Layout is done here, not by
//! printpdf: text is measured with the font's own advance widths, wrapped to
//! the column (over-long words are broken between characters), and paginated
//! so that an exercise stays on one page whenever it fits on one.
//!
//! Submodules refer to each other through `super::` so this directory can be
//! moved into another crate as a plain module.

mod fonts;
mod layout;
mod letter;
mod model;
mod qr;
mod renderer;
mod sheet;
mod tagging;

#[cfg(test)]
mod tests;

pub use letter::Letter;
pub use model::{ClinicHeader, Paper, PdfError, Sheet, SheetItem, SheetPicture};
pub use renderer::SheetRenderer;
