//! A tagged PDF: every line of text is marked content, gathered into paragraphs in the
//! order they were placed (the reading order), and everything else is marked as page
//! furniture (an artifact), so a screen reader reads the sheet as the patient would.

use lopdf::{Dictionary, Document, Object, ObjectId, dictionary};
use printpdf::{DictItem, Op};

/// Where a line of text sits and how it is set: enough to tell whether it continues the
/// paragraph before it.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct LineSetting {
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
    pub style: (super::fonts::Face, super::layout::Rgb),
}

impl LineSetting {
    /// A line continues a paragraph when it shares the previous line's baseline (a
    /// number beside its step, a label beside its value), or sits one line below it at the
    /// same indent in the same type.
    fn continues(&self, previous: &LineSetting) -> bool {
        let same_line = (self.baseline - previous.baseline).abs() < 0.01;
        let drop = self.baseline - previous.baseline;
        let next_line = (self.x - previous.x).abs() < 0.01
            && self.size == previous.size
            && self.style == previous.style
            && drop > 0.0
            && drop <= 2.0 * self.size;
        same_line || next_line
    }
}

/// Collects one page's marked-content ids, grouped into paragraphs, while its
/// operations are written.
#[derive(Default)]
pub(super) struct PageMarks {
    texts: u32,
    previous: Option<LineSetting>,
    paragraphs: Vec<Vec<u32>>,
}

impl PageMarks {
    /// Opens a text line's marked content; close it with [`PageMarks::end`].
    pub(super) fn begin_text(&mut self, ops: &mut Vec<Op>, line: LineSetting) {
        let mut properties = std::collections::BTreeMap::new();
        properties.insert("MCID".to_owned(), DictItem::Int(i64::from(self.texts)));
        ops.push(Op::BeginMarkedContentWithProperties {
            tag: "P".to_owned(),
            properties: DictItem::Dict { map: properties },
        });
        let continues = self.previous.is_some_and(|before| line.continues(&before));
        match self.paragraphs.last_mut() {
            Some(paragraph) if continues => paragraph.push(self.texts),
            _ => self.paragraphs.push(vec![self.texts]),
        }
        self.previous = Some(line);
        self.texts += 1;
    }

    /// Opens a drawing that carries no words (rules, boxes, the QR code's modules).
    pub(super) fn begin_artifact(ops: &mut Vec<Op>) {
        ops.push(Op::BeginMarkedContent {
            tag: "Artifact".to_owned(),
        });
    }

    pub(super) fn end(ops: &mut Vec<Op>) {
        ops.push(Op::EndMarkedContent);
    }

    /// The page's paragraphs, each the ids of its lines in reading order.
    pub(super) fn into_paragraphs(self) -> Vec<Vec<u32>> {
        self.paragraphs
    }
}

/// Adds the structure tree (a Document of paragraphs, page by page, in reading order),
/// the language, and asks viewers to show the title rather than the file name.
/// `paragraphs_per_page` holds each page's [`PageMarks::into_paragraphs`], in page order.
pub(super) fn add_structure(
    document: &mut Document,
    paragraphs_per_page: &[Vec<Vec<u32>>],
    language: &str,
) -> lopdf::Result<()> {
    let pages: Vec<ObjectId> = document.get_pages().into_values().collect();
    let root_id = document.new_object_id();
    let document_id = document.new_object_id();
    let mut elements = Vec::new();
    let mut parent_tree = Vec::new();
    for (index, (page_id, paragraphs)) in pages.iter().zip(paragraphs_per_page).enumerate() {
        // The parent tree maps each marked-content id on the page to its paragraph.
        let mut by_mcid = Vec::new();
        for lines in paragraphs {
            let ids: Vec<Object> = lines
                .iter()
                .map(|m| Object::Integer(i64::from(*m)))
                .collect();
            let id = document.add_object(dictionary! {
                "Type" => "StructElem",
                "S" => "P",
                "P" => document_id,
                "Pg" => *page_id,
                "K" => ids,
            });
            elements.push(Object::Reference(id));
            by_mcid.extend(lines.iter().map(|_| Object::Reference(id)));
        }
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        document
            .get_dictionary_mut(*page_id)?
            .set("StructParents", index);
        parent_tree.push(Object::Integer(index));
        parent_tree.push(Object::Array(by_mcid));
    }
    document.objects.insert(
        document_id,
        Object::Dictionary(dictionary! {
            "Type" => "StructElem",
            "S" => "Document",
            "P" => root_id,
            "K" => elements,
        }),
    );
    let next_key = i64::try_from(pages.len()).unwrap_or(i64::MAX);
    document.objects.insert(
        root_id,
        Object::Dictionary(dictionary! {
            "Type" => "StructTreeRoot",
            "K" => document_id,
            "ParentTree" => dictionary! { "Nums" => parent_tree },
            "ParentTreeNextKey" => next_key,
        }),
    );
    let catalog: &mut Dictionary = document.catalog_mut()?;
    catalog.set("StructTreeRoot", root_id);
    catalog.set("MarkInfo", dictionary! { "Marked" => true });
    catalog.set("Lang", Object::string_literal(language));
    catalog.set(
        "ViewerPreferences",
        dictionary! { "DisplayDocTitle" => true },
    );
    Ok(())
}
