//! What pages and sheets show: page models built from store rows, ready for a template
//! or the PDF renderer. Rules stay in `domain`; reads and writes in `store`.

pub mod consent;
pub mod library;
pub mod outcomes;
pub mod pain;
pub mod pain_chart;
pub mod sheet;
pub mod timeline;

/// One option of a select, radio group or checkbox group.
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    /// Options from a (key, label) table, marking those in `selected`.
    pub fn from_table(table: &[(&str, &str)], selected: &[&str]) -> Vec<Self> {
        table
            .iter()
            .map(|(value, label)| Self {
                value: (*value).to_owned(),
                label: (*label).to_owned(),
                selected: selected.contains(value),
            })
            .collect()
    }
}
