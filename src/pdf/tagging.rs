//! A tagged PDF: text is marked content, a paragraph at a time, in the order it was placed
//! (the reading order); each picture is a figure with words for it; everything else is
//! marked as page furniture (an artifact), so a screen reader reads the sheet as the
//! patient would.

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

/// What the content stream is inside of at the moment.
#[derive(Clone, Copy)]
enum Open {
    Nothing,
    Paragraph(LineSetting),
    /// The figure with this number on the page.
    Figure(usize),
    Artifact,
}

/// A marked-content sequence that becomes a structure element: its id is its index.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Mark {
    Paragraph,
    /// A picture, and the words a screen reader says for it.
    Figure(String),
}

/// Marks one page's content while its operations are written: each paragraph of text and
/// each figure is one marked-content sequence with its own id, and other drawings are
/// artifacts.
pub(super) struct PageMarks {
    marks: Vec<Mark>,
    open: Open,
}

impl Default for PageMarks {
    fn default() -> Self {
        Self {
            marks: Vec::new(),
            open: Open::Nothing,
        }
    }
}

impl PageMarks {
    /// Call before a line of text's operations: it joins the open paragraph or starts one.
    pub(super) fn text_line(&mut self, ops: &mut Vec<Op>, line: LineSetting) {
        if let Open::Paragraph(before) = self.open
            && line.continues(&before)
        {
            self.open = Open::Paragraph(line);
            return;
        }
        self.begin(ops, "P", Mark::Paragraph);
        self.open = Open::Paragraph(line);
    }

    /// Call before each drawing of figure number `figure` on the page: the first opens it.
    pub(super) fn figure(&mut self, ops: &mut Vec<Op>, figure: usize, alt: &str) {
        if matches!(self.open, Open::Figure(open) if open == figure) {
            return;
        }
        self.begin(ops, "Figure", Mark::Figure(alt.to_owned()));
        self.open = Open::Figure(figure);
    }

    fn begin(&mut self, ops: &mut Vec<Op>, tag: &str, mark: Mark) {
        self.close(ops);
        let id = i64::try_from(self.marks.len()).unwrap_or(i64::MAX);
        let mut properties = std::collections::BTreeMap::new();
        properties.insert("MCID".to_owned(), DictItem::Int(id));
        ops.push(Op::BeginMarkedContentWithProperties {
            tag: tag.to_owned(),
            properties: DictItem::Dict { map: properties },
        });
        self.marks.push(mark);
    }

    /// Call before a drawing that carries no words (rules, boxes, the QR code's modules).
    pub(super) fn drawing(&mut self, ops: &mut Vec<Op>) {
        if matches!(self.open, Open::Artifact) {
            return;
        }
        self.close(ops);
        ops.push(Op::BeginMarkedContent {
            tag: "Artifact".to_owned(),
        });
        self.open = Open::Artifact;
    }

    /// Closes what is open; gives the page's marks in id order.
    pub(super) fn finish(mut self, ops: &mut Vec<Op>) -> Vec<Mark> {
        self.close(ops);
        self.marks
    }

    fn close(&mut self, ops: &mut Vec<Op>) {
        if !matches!(self.open, Open::Nothing) {
            ops.push(Op::EndMarkedContent);
        }
        self.open = Open::Nothing;
    }
}

/// Adds the structure tree (a Document of paragraphs and figures, page by page, in reading
/// order), the language, and asks viewers to show the title rather than the file name.
/// `marks_per_page` holds each page's [`PageMarks::finish`], in page order.
pub(super) fn add_structure(
    document: &mut Document,
    marks_per_page: &[Vec<Mark>],
    language: &str,
) -> lopdf::Result<()> {
    let pages: Vec<ObjectId> = document.get_pages().into_values().collect();
    let root_id = document.new_object_id();
    let document_id = document.new_object_id();
    let mut elements = Vec::new();
    let mut parent_tree = Vec::new();
    for (index, (page_id, marks)) in pages.iter().zip(marks_per_page).enumerate() {
        // The parent tree maps each marked-content id on the page to its element.
        let mut by_mcid = Vec::new();
        for (mcid, mark) in marks.iter().enumerate() {
            let mut element = dictionary! {
                "Type" => "StructElem",
                "S" => "P",
                "P" => document_id,
                "Pg" => *page_id,
                "K" => i64::try_from(mcid).unwrap_or(i64::MAX),
            };
            if let Mark::Figure(alt) = mark {
                element.set("S", "Figure");
                element.set("Alt", lopdf::text_string(alt));
            }
            let id = document.add_object(element);
            elements.push(Object::Reference(id));
            by_mcid.push(Object::Reference(id));
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
