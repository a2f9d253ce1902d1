//! What pages and sheets show: page models built from store rows, ready for a template
//! or the PDF renderer. Rules stay in `domain`; reads and writes in `store`.

pub mod consent;
pub mod library;
pub mod outcomes;
pub mod pain;
pub mod pain_chart;
pub mod sheet;
pub mod timeline;
