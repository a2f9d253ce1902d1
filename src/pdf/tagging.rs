//! A tagged PDF: every line of text is marked content with its own structure element,
//! in the order it was placed (the reading order), and everything else is marked as page
//! furniture (an artifact), so a screen reader reads the sheet as the patient would.

use lopdf::{Dictionary, Document, Object, ObjectId, dictionary};
use printpdf::{DictItem, Op};

/// Collects one page's marked-content ids while its operations are written.
#[derive(Default)]
pub(super) struct PageMarks {
    texts: u32,
}

impl PageMarks {
    /// Opens a text line's marked content; close it with [`end`].
    pub(super) fn begin_text(&mut self, ops: &mut Vec<Op>) {
        let mut properties = std::collections::BTreeMap::new();
        properties.insert("MCID".to_owned(), DictItem::Int(i64::from(self.texts)));
        ops.push(Op::BeginMarkedContentWithProperties {
            tag: "P".to_owned(),
            properties: DictItem::Dict { map: properties },
        });
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

    pub(super) fn count(&self) -> u32 {
        self.texts
    }
}

/// Adds the structure tree (a Document of paragraphs, one per marked line, page by page),
/// the language, and asks viewers to show the title rather than the file name.
/// `lines_per_page` holds each page's [`PageMarks::count`], in page order.
pub(super) fn add_structure(
    document: &mut Document,
    lines_per_page: &[u32],
    language: &str,
) -> lopdf::Result<()> {
    let pages: Vec<ObjectId> = document.get_pages().into_values().collect();
    let root_id = document.new_object_id();
    let document_id = document.new_object_id();
    let mut paragraphs = Vec::new();
    let mut parent_tree = Vec::new();
    for (index, (page_id, &lines)) in pages.iter().zip(lines_per_page).enumerate() {
        let mut on_page = Vec::new();
        for mcid in 0..lines {
            let id = document.add_object(dictionary! {
                "Type" => "StructElem",
                "S" => "P",
                "P" => document_id,
                "Pg" => *page_id,
                "K" => i64::from(mcid),
            });
            paragraphs.push(Object::Reference(id));
            on_page.push(Object::Reference(id));
        }
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        document
            .get_dictionary_mut(*page_id)?
            .set("StructParents", index);
        parent_tree.push(Object::Integer(index));
        parent_tree.push(Object::Array(on_page));
    }
    document.objects.insert(
        document_id,
        Object::Dictionary(dictionary! {
            "Type" => "StructElem",
            "S" => "Document",
            "P" => root_id,
            "K" => paragraphs,
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
