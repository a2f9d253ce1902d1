//! End-to-end checks: every sheet is rendered, then read back with lopdf
//! (and pdftotext when installed) exactly as a viewer would see it.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use lopdf::content::Content;
use lopdf::{Document, Object, ObjectId};

use super::fonts::{Face, Fonts};
use super::layout::{Area, Block, Draw, Fragment, Paginator};
use super::renderer::MARGIN_PT;
use super::{ClinicHeader, Paper, Sheet, SheetItem, SheetRenderer};

fn renderer() -> &'static SheetRenderer {
    static R: OnceLock<SheetRenderer> = OnceLock::new();
    R.get_or_init(|| SheetRenderer::new().expect("bundled fonts load"))
}

const NAMES: [&str; 10] = [
    "Knee to chest stretch",
    "Pelvic tilt",
    "Bridging",
    "Cat and camel",
    "Sit to stand",
    "Calf raises",
    "Hamstring stretch",
    "Side-lying clam",
    "Wall push-up",
    "Walking",
];

fn item(i: usize) -> SheetItem {
    SheetItem {
        name: format!("{} {}", NAMES[i % NAMES.len()], i + 1),
        dosage: format!(
            "{} sets of 10, hold 5 seconds, each side, twice a day, every day",
            i % 4 + 1
        ),
        steps: vec![
            "Lie on your back with both knees bent and feet flat on the floor.".into(),
            "Bring one knee towards your chest and hold it with both hands.".into(),
            "Slowly lower the leg and repeat with the other side.".into(),
        ],
        note: "Keep your lower back relaxed. A gentle stretch is normal; sharp pain is not.".into(),
        cautions: vec!["Do not pull on the knee if you have had a knee replacement.".into()],
        figures: Vec::new(),
        pictures: Vec::new(),
    }
}

fn sheet(items: usize, paper: Paper) -> Sheet {
    Sheet {
        clinic: ClinicHeader {
            name: "Riverside Physiotherapy".into(),
            address: "12 Mill Lane\nOxford OX2 6AB".into(),
            phone: "01865 555 0142".into(),
            email: "hello@riverside-physio.example".into(),
            footer_text: "Prepared for the named patient only.".into(),
        },
        patient_name: "Zoë Łukasiewicz".into(),
        patient_date_of_birth: "14 March 1978".into(),
        therapist_name: "Sam Patel".into(),
        issued_on: "3 June 2025".into(),
        review_on: Some("1 July 2025".into()),
        issued_at: chrono::NaiveDate::from_ymd_opt(2025, 6, 3)
            .and_then(|day| day.and_hms_opt(14, 5, 9))
            .unwrap_or_default(),
        version: 2,
        case_title: "Low back pain".into(),
        programme_notes: "Do these at a steady pace.".into(),
        items: (0..items).map(item).collect(),
        pictures: Vec::new(),
        stop_symptoms: vec![
            "numbness in your groin or inner thighs".into(),
            "new problems controlling your bladder or bowels".into(),
        ],
        portal_url: Some("https://portal.example/p/7Hq2Kx9a".into()),
        paper,
        large_print: false,
    }
}

/// Text of each page, and which tool produced it.
fn page_texts(bytes: &[u8]) -> (&'static str, Vec<String>) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("sheet_pdf_test_{}_{n}.pdf", std::process::id()));
    std::fs::write(&path, bytes).expect("write temp pdf");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&path);
    if let Some(out) = out.ok().filter(|o| o.status.success()) {
        let text = String::from_utf8(out.stdout).expect("pdftotext gives UTF-8");
        let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
        // pdftotext ends every page, including the last, with a form feed.
        if pages.last().is_some_and(|p| p.trim().is_empty()) {
            pages.pop();
        }
        return ("pdftotext", pages);
    }
    let doc = Document::load_mem(bytes).expect("lopdf parses the PDF");
    let pages = doc
        .get_pages()
        .keys()
        .map(|&p| doc.extract_text(&[p]).expect("lopdf extracts text"))
        .collect();
    ("lopdf extract_text", pages)
}

/// Collapses all whitespace so wrapped lines compare as running text.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn all_text(bytes: &[u8]) -> (&'static str, String) {
    let (tool, pages) = page_texts(bytes);
    (tool, flat(&pages.join("\n")))
}

fn media_box(doc: &Document, page: ObjectId) -> [f32; 4] {
    let dict = doc.get_dictionary(page).expect("page dict");
    let arr = dict
        .get(b"MediaBox")
        .and_then(Object::as_array)
        .expect("MediaBox");
    let v: Vec<f32> = arr.iter().map(|o| o.as_float().expect("number")).collect();
    [v[0], v[1], v[2], v[3]]
}

#[test]
fn ten_exercise_sheet_has_names_dosages_and_page_numbers() {
    let s = sheet(10, Paper::A4);
    let bytes = renderer().render(&s).expect("renders");
    let doc = Document::load_mem(&bytes).expect("parses");
    let pages = doc.get_pages();
    let n = pages.len();
    assert!(n >= 2, "10 exercises need more than one page, got {n}");

    let (tool, text) = all_text(&bytes);
    assert!(
        text.contains("Zoë Łukasiewicz"),
        "[{tool}] patient name missing"
    );
    for it in &s.items {
        assert!(
            text.contains(&it.name),
            "[{tool}] missing exercise {}",
            it.name
        );
        assert!(
            text.contains(&it.dosage),
            "[{tool}] missing dosage {}",
            it.dosage
        );
    }
    assert!(
        text.contains(&format!("Page 1 of {n}")),
        "[{tool}] no 'Page 1 of {n}'"
    );
    let markers = text.matches("Page ").count();
    let numbered = (1..=n + 1)
        .filter(|k| text.contains(&format!("Page {k} of {n}")))
        .count();
    assert_eq!(
        numbered, n,
        "[{tool}] every page, and only those, is numbered"
    );
    assert_eq!(markers, n, "[{tool}] one 'Page X of' marker per page");

    for (_, &id) in pages.iter() {
        let [x0, y0, x1, y1] = media_box(&doc, id);
        assert!(x0.abs() < 0.01 && y0.abs() < 0.01);
        assert!(
            (x1 - 595.28).abs() <= 0.5 && (y1 - 841.89).abs() <= 0.5,
            "A4 box {x1}x{y1}"
        );
    }
    println!("text extracted with {tool}");
}

#[test]
fn letter_paper_is_612_by_792() {
    let bytes = renderer()
        .render(&sheet(3, Paper::Letter))
        .expect("renders");
    let doc = Document::load_mem(&bytes).expect("parses");
    for (_, &id) in doc.get_pages().iter() {
        let [_, _, w, h] = media_box(&doc, id);
        assert!(
            (w - 612.0).abs() <= 0.5 && (h - 792.0).abs() <= 0.5,
            "Letter box {w}x{h}"
        );
    }
}

#[test]
fn greek_cyrillic_and_spanish_round_trip() {
    let mut s = sheet(2, Paper::A4);
    s.patient_name = "Ναταλία Παπαδοπούλου".into();
    s.therapist_name = "Фёдор Иванович".into();
    s.items[0].name = "Estiramiento de José Núñez".into();
    s.items[1].note = "Ζώνη, щёки, año, ça, Øre, ß, Ł".into();
    let bytes = renderer().render(&s).expect("renders");
    let (tool, text) = all_text(&bytes);
    println!("text extracted with {tool}");
    for expected in [
        "Ναταλία Παπαδοπούλου",
        "Фёдор Иванович",
        "Estiramiento de José Núñez",
        "Ζώνη, щёки, año, ça, Øre, ß, Ł",
    ] {
        assert!(
            text.contains(expected),
            "[{tool}] {expected:?} not in extracted text"
        );
    }
}

#[test]
fn characters_without_glyphs_are_replaced_visibly() {
    let mut s = sheet(1, Paper::A4);
    s.patient_name = "王小明 😀".into();
    s.items[0].name = "Stretch 王 with emoji 😀 and joiner 👍🏽\u{200D}".into();
    s.items[0].note = "Control\u{0007}chars\u{0000} and\ttabs\r\nand CR".into();
    let bytes = renderer()
        .render(&s)
        .expect("renders despite missing glyphs");
    Document::load_mem(&bytes).expect("still a valid PDF");
    let (tool, text) = all_text(&bytes);
    assert!(
        !text.contains('王'),
        "[{tool}] CJK has no DejaVu glyph, so it must be replaced"
    );
    assert!(
        text.contains('\u{FFFD}'),
        "[{tool}] replacement mark is shown"
    );
    assert!(
        text.contains("Controlchars and tabs and CR"),
        "[{tool}] controls dropped"
    );

    let fonts = Fonts::load().expect("fonts");
    assert_eq!(fonts.clean(Face::Regular, "a王b"), "a\u{FFFD}b");
    assert_eq!(fonts.clean(Face::Bold, "x\u{0007}y"), "xy");
}

#[test]
fn pdf_syntax_in_text_stays_literal() {
    let evil = ") Tj /F1 12 Tf (BT) ET %%EOF \\ endstream endobj trailer << /Root 1 0 R >>";
    let mut s = sheet(2, Paper::A4);
    s.patient_name = format!("Robert{evil}");
    s.items[0].note = evil.into();
    s.items[1].name = evil.into();
    s.clinic.footer_text = evil.into();
    let bytes = renderer().render(&s).expect("renders");
    let doc = Document::load_mem(&bytes).expect("still parses");
    assert_eq!(bytes.windows(5).filter(|w| w == b"%%EOF").count(), 1);
    for (_, &id) in doc.get_pages().iter() {
        let content = doc.get_page_content(id);
        Content::decode(&content).expect("content stream parses");
        assert!(
            !content.windows(3).any(|w| w == b"/F1"),
            "text leaked as operators"
        );
    }
    let (tool, text) = all_text(&bytes);
    assert!(text.contains(&flat(evil)), "[{tool}] literal text lost");
}

struct FontWidths {
    default: f32,
    widths: HashMap<u32, f32>,
}

fn font_widths(doc: &Document, page: ObjectId) -> HashMap<Vec<u8>, FontWidths> {
    let mut out = HashMap::new();
    for (name, dict) in doc.get_page_fonts(page).expect("fonts") {
        let desc = dict
            .get(b"DescendantFonts")
            .and_then(Object::as_array)
            .expect("Type0 font");
        let (_, cid) = doc.dereference(&desc[0]).expect("CIDFont");
        let cid = cid.as_dict().expect("dict");
        let default = cid.get(b"DW").and_then(Object::as_float).unwrap_or(1000.0);
        let mut widths = HashMap::new();
        if let Ok(w) = cid.get(b"W") {
            let (_, w) = doc.dereference(w).expect("W");
            let w = w.as_array().expect("W array");
            let mut i = 0;
            while i < w.len() {
                let first = w[i].as_i64().expect("cid") as u32;
                match &w[i + 1] {
                    Object::Array(list) => {
                        for (k, v) in list.iter().enumerate() {
                            widths.insert(first + k as u32, v.as_float().expect("w"));
                        }
                        i += 2;
                    }
                    last => {
                        let last = last.as_i64().expect("cid") as u32;
                        let v = w[i + 2].as_float().expect("w");
                        for c in first..=last {
                            widths.insert(c, v);
                        }
                        i += 3;
                    }
                }
            }
        }
        out.insert(name, FontWidths { default, widths });
    }
    out
}

/// Reads every page's content stream and checks that each text line (with
/// its measured width, ascender and descender), rectangle and line lies in
/// the page box minus the margins. Returns how many items were checked.
fn assert_inside_margins(bytes: &[u8]) -> usize {
    // DejaVu Sans Condensed ascender and descender in em.
    const ASC: f32 = 0.928;
    const DESC: f32 = 0.236;
    const EPS: f32 = 0.01;
    let doc = Document::load_mem(bytes).expect("parses");
    let mut checked = 0;
    for (&num, &id) in doc.get_pages().iter() {
        let [_, _, pw, ph] = media_box(&doc, id);
        let (lo_x, hi_x) = (MARGIN_PT - EPS, pw - MARGIN_PT + EPS);
        let (lo_y, hi_y) = (MARGIN_PT - EPS, ph - MARGIN_PT + EPS);
        let inside = |x: f32, y: f32, what: &str| {
            assert!(
                (lo_x..=hi_x).contains(&x) && (lo_y..=hi_y).contains(&y),
                "page {num}: {what} at ({x}, {y}) is outside the margins"
            );
        };
        let fonts = font_widths(&doc, id);
        let content = Content::decode(&doc.get_page_content(id)).expect("content");
        let (mut tx, mut ty) = (0.0f32, 0.0f32);
        let mut font: Option<&FontWidths> = None;
        let mut size = 0.0f32;
        let num_at = |ops: &[Object], i: usize| ops[i].as_float().expect("number");
        for op in &content.operations {
            let o = &op.operands;
            match op.operator.as_str() {
                "cm" => panic!("page {num}: unexpected transformation matrix"),
                "BT" => (tx, ty) = (0.0, 0.0),
                "Td" => {
                    tx += num_at(o, 0);
                    ty += num_at(o, 1);
                }
                "Tm" => {
                    assert_eq!((num_at(o, 0), num_at(o, 3)), (1.0, 1.0), "unscaled text");
                    (tx, ty) = (num_at(o, 4), num_at(o, 5));
                }
                "Tf" => {
                    font = fonts.get(o[0].as_name().expect("font name"));
                    size = num_at(o, 1);
                }
                "Tj" | "TJ" => {
                    let f = font.expect("font set before text");
                    let strings: Vec<&[u8]> = match &o[0] {
                        Object::Array(items) => {
                            items.iter().filter_map(|i| i.as_str().ok()).collect()
                        }
                        other => vec![other.as_str().expect("string")],
                    };
                    let units: f32 = strings
                        .iter()
                        .flat_map(|s| s.chunks(2))
                        .map(|c| {
                            let cid = u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
                            *f.widths.get(&cid).unwrap_or(&f.default)
                        })
                        .sum();
                    let w = units / 1000.0 * size;
                    inside(tx, ty - DESC * size, "text start/descender");
                    inside(tx + w, ty + ASC * size, "text end/ascender");
                    checked += 1;
                }
                "re" => {
                    let (x, y, w, h) = (num_at(o, 0), num_at(o, 1), num_at(o, 2), num_at(o, 3));
                    inside(x.min(x + w), y.min(y + h), "rectangle corner");
                    inside(x.max(x + w), y.max(y + h), "rectangle corner");
                    checked += 1;
                }
                "m" | "l" => {
                    inside(num_at(o, 0), num_at(o, 1), "path point");
                    checked += 1;
                }
                "c" => {
                    for i in [0, 2, 4] {
                        inside(num_at(o, i), num_at(o, i + 1), "curve point");
                    }
                    checked += 1;
                }
                "v" | "y" => panic!("page {num}: only full cubic curves are written"),
                _ => {}
            }
        }
    }
    checked
}

#[test]
fn huge_programme_stays_inside_margins() {
    let long_word: String = "x".repeat(300);
    let url = format!("https://portal.example/p/{}", "A1b2C3".repeat(46));
    assert!(url.len() > 300);
    let paragraph = "Hold the stretch gently and breathe out slowly while you count to five. ";
    let note_2000: String = paragraph.repeat(2000 / paragraph.len() + 1);
    let mut s = sheet(30, Paper::A4);
    for (i, it) in s.items.iter_mut().enumerate() {
        it.note = note_2000.clone();
        if i % 7 == 0 {
            it.note = format!("{long_word} {note_2000}");
            it.name = format!("Very long name {long_word}");
            it.steps.push(long_word.clone());
            it.cautions.push(format!("See {url}"));
        }
    }
    // One exercise far taller than a page has to continue on the next.
    s.items[3].note = note_2000.repeat(5);
    s.clinic.name = format!("Clinic {long_word}");
    s.clinic.address = format!("{long_word}\nSecond line");
    s.clinic.email = format!("{long_word}@example.com");
    s.clinic.footer_text = note_2000.clone();
    s.patient_name = long_word.clone();
    s.case_title = long_word.clone();
    s.programme_notes = format!("{long_word} {note_2000}");
    s.stop_symptoms.push(long_word.clone());
    s.portal_url = Some(url.clone());

    for paper in [Paper::A4, Paper::Letter] {
        s.paper = paper;
        let bytes = renderer().render(&s).expect("renders");
        // Set SHEET_PDF_DUMP=dir to keep the stress sheets for a visual check.
        if let Ok(dir) = std::env::var("SHEET_PDF_DUMP") {
            let path = std::path::Path::new(&dir).join(format!("stress-{paper:?}.pdf"));
            std::fs::write(path, &bytes).expect("dump");
        }
        let checked = assert_inside_margins(&bytes);
        assert!(checked > 1000, "only {checked} items checked");
        let (tool, text) = all_text(&bytes);
        assert!(
            text.contains("4. Cat and camel 4 (continued)"),
            "[{tool}] continuation heading"
        );
        assert!(text.contains("YOUR PROGRAMME ONLINE"), "[{tool}]");
    }
}

#[test]
fn sample_style_sheet_stays_inside_margins() {
    let bytes = renderer()
        .render(&sheet(10, Paper::Letter))
        .expect("renders");
    assert!(assert_inside_margins(&bytes) > 100);
}

#[test]
fn figures_beside_the_steps_stay_inside_margins_on_both_papers() {
    let library = crate::library::load().expect("library loads");
    let mut s = sheet(12, Paper::A4);
    for (item, entry) in s.items.iter_mut().zip(&library.exercise) {
        item.figures = crate::library::figures_for(&entry.slug)
            .map(|f| f.drawings.clone())
            .unwrap_or_default();
        assert!(!item.figures.is_empty(), "{} drawn", entry.slug);
    }
    for paper in [Paper::A4, Paper::Letter] {
        s.paper = paper;
        let bytes = renderer().render(&s).expect("renders");
        assert!(assert_inside_margins(&bytes) > 1000);
        let (_, text) = all_text(&bytes);
        assert!(text.contains("Start"), "positions are captioned");
    }
}

#[test]
fn exercise_that_fits_a_page_is_not_split() {
    let filler = "Keep your shoulders down and your chin tucked in throughout. ".repeat(12);
    let mut s = sheet(2, Paper::A4);
    // The geometry below is tuned to a first page without the portal block.
    s.portal_url = None;
    s.items[0].note = format!("{filler} End of the first note.");
    s.items[1].name = "Shoulder blade squeeze".into();
    // Unique to the exercise block (the name also appears in the tick chart).
    s.items[1].dosage = "5 slow squeezes, hold 10 seconds".into();
    s.items[1].steps = (1..=40)
        .map(|k| format!("Step {k}: move slowly and steadily through the whole range."))
        .collect();
    s.items[1]
        .steps
        .push("Final step: rest for one minute.".into());

    let find = |s: &Sheet, needle: &str| -> Vec<usize> {
        let (_, pages) = page_texts(&renderer().render(s).expect("renders"));
        (0..pages.len())
            .filter(|&i| flat(&pages[i]).contains(needle))
            .collect()
    };
    let (tool, _) = page_texts(&renderer().render(&s).expect("renders"));
    let end_of_first = find(&s, "End of the first note.");
    assert_eq!(end_of_first, vec![0], "[{tool}] exercise 1 ends on page 1");
    for needle in ["5 slow squeezes", "Step 1:", "Step 9:", "Final step: rest"] {
        assert_eq!(
            find(&s, needle),
            vec![1],
            "[{tool}] {needle:?} is on page 2 only"
        );
    }

    // Page 1 did have room for the start of exercise 2: a short version of
    // it lands there, so only keeping the block together moved it.
    let mut short = s.clone();
    short.items[1].steps.truncate(2);
    assert_eq!(find(&short, "5 slow squeezes"), vec![0], "[{tool}]");
    assert_eq!(find(&short, "Step 2:"), vec![0], "[{tool}]");
}

#[test]
fn paginator_moves_a_block_that_fits_and_splits_one_that_does_not() {
    let area = Area {
        left: 0.0,
        width: 100.0,
        first_top: 0.0,
        other_top: 0.0,
        bottom: 100.0,
    };
    let frag = |h: f32| Fragment {
        h,
        draws: vec![Draw::Line {
            x1: 0.0,
            y1: 0.0,
            x2: 1.0,
            y2: 0.0,
            color: super::layout::Rgb(0.0, 0.0, 0.0),
            width: 1.0,
        }],
        keep_with_next: false,
    };
    let block = |n: usize, keep: bool| Block {
        frags: (0..n).map(|_| frag(10.0)).collect(),
        keep_together: keep,
        ..Block::default()
    };
    let pages_for = |second: Block| {
        let mut p = Paginator::new(area);
        p.place(&block(6, false));
        p.place(&second);
        p.pages.iter().map(Vec::len).collect::<Vec<_>>()
    };
    assert_eq!(pages_for(block(5, true)), vec![6, 5], "kept together");
    assert_eq!(pages_for(block(5, false)), vec![10, 1], "free to split");
    assert_eq!(
        pages_for(block(25, true)),
        vec![10, 10, 10, 1],
        "too tall: split"
    );
}

#[test]
fn wrapping_never_exceeds_the_column() {
    let fonts = Fonts::load().expect("fonts");
    let text = format!("short words then {} and more", "W".repeat(300));
    for max in [20.0, 80.0, 300.0] {
        let lines = fonts.wrap(Face::Bold, 10.0, max, &text);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(
                fonts.width(Face::Bold, 10.0, l) <= max + 1e-3,
                "{l:?} wider than {max}"
            );
        }
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }
    assert_eq!(
        fonts.wrap(Face::Regular, 10.0, 100.0, "a\n\n\n\nb"),
        vec!["a", "", "b"]
    );
    let cut = fonts.one_line(Face::Regular, 10.0, 50.0, "a rather long exercise name");
    assert!(cut.ends_with('…') && fonts.width(Face::Regular, 10.0, &cut) <= 50.0);
}

#[test]
fn empty_optional_parts_still_render() {
    let mut s = sheet(0, Paper::A4);
    s.portal_url = None;
    s.stop_symptoms.clear();
    s.programme_notes.clear();
    s.clinic = ClinicHeader::default();
    let bytes = renderer().render(&s).expect("renders");
    let (tool, text) = all_text(&bytes);
    assert!(text.contains("Page 1 of 1"), "[{tool}]");
    assert!(text.contains("Stop and contact the clinic if"), "[{tool}]");
    assert!(!text.contains("YOUR PROGRAMME ONLINE"), "[{tool}]");
}

#[test]
fn renderer_is_shared_across_threads() {
    let r = Arc::new(SheetRenderer::new().expect("fonts"));
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let r = Arc::clone(&r);
            std::thread::spawn(move || r.render(&sheet(3 + i, Paper::A4)).map(|b| b.len()))
        })
        .collect();
    for h in handles {
        assert!(h.join().expect("thread").expect("renders") > 1000);
    }
}

fn jpeg_picture(width: u32, height: u32) -> super::SheetPicture {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 200) as u8, (y % 200) as u8, 120])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .encode_image(&pixels)
        .expect("encodes");
    super::SheetPicture {
        jpeg: jpeg.into(),
        width,
        height,
        caption: format!("Photo, {width} by {height}"),
    }
}

#[test]
fn pictures_are_embedded_once_as_jpeg_and_drawn_inside_the_margins() {
    let mut s = sheet(3, Paper::A4);
    s.pictures = vec![
        jpeg_picture(315, 236),
        jpeg_picture(200, 315),
        jpeg_picture(315, 315),
    ];
    s.items[0].pictures = vec![0];
    s.items[1].pictures = vec![0, 1, 2];
    s.items[2].pictures = vec![0];
    let bytes = renderer().render(&s).expect("renders");
    if let Ok(dir) = std::env::var("SHEET_PDF_DUMP") {
        std::fs::write(std::path::Path::new(&dir).join("photos.pdf"), &bytes).expect("dump");
    }
    let doc = Document::load_mem(&bytes).expect("parses");

    let images: Vec<&lopdf::Stream> = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|st| st.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image"))
        .collect();
    assert_eq!(images.len(), 3, "each picture once, however often shown");
    for image in &images {
        assert_eq!(
            image.dict.get(b"Filter").and_then(Object::as_name).ok(),
            Some(&b"DCTDecode"[..])
        );
        assert!(s.pictures.iter().any(|p| *p.jpeg == *image.content));
    }

    let margin = MARGIN_PT;
    let mut drawn = 0;
    for (_, &page) in doc.get_pages().iter() {
        let [_, _, page_w, page_h] = media_box(&doc, page);
        let content = doc.get_and_decode_page_content(page).expect("content");
        for op in content.operations.iter().filter(|op| op.operator == "cm") {
            let n: Vec<f32> = op
                .operands
                .iter()
                .map(|o| o.as_float().expect("number"))
                .collect();
            let (w, h, x, y) = (n[0], n[3], n[4], n[5]);
            if (w, h) == (1.0, 1.0) {
                continue;
            }
            drawn += 1;
            assert!(
                w.max(h) >= 55.0 && w.min(h) >= 30.0,
                "a visible picture: {w} × {h}"
            );
            assert!(
                x >= margin - 0.01 && x + w <= page_w - margin + 0.01,
                "x {x}..{}",
                x + w
            );
            assert!(
                y >= margin - 0.01 && y + h <= page_h - margin + 0.01,
                "y {y}..{}",
                y + h
            );
        }
    }
    assert_eq!(drawn, 5, "every shown picture is drawn");

    // Each shown picture is a figure element that a screen reader reads by its caption.
    let alts: Vec<String> = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"S").and_then(Object::as_name).ok() == Some(b"Figure"))
        .map(|d| {
            d.get(b"Alt")
                .map(|a| lopdf::decode_text_string(a).unwrap_or_default())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(alts.len(), 5, "{alts:?}");
    for alt in &alts {
        assert!(
            s.pictures.iter().any(|p| &p.caption == alt),
            "{alt:?} is a picture's caption"
        );
    }
}

/// The library's warm-up routine's first six exercises, with their drawn positions.
fn warm_up_six(paper: Paper) -> Sheet {
    let library = crate::library::load().expect("library loads");
    let routine = library
        .template_by_slug("warm-up-routine")
        .expect("warm-up routine");
    let mut s = sheet(6, paper);
    s.programme_notes.clear();
    s.stop_symptoms = crate::domain::clinical::STOP_SYMPTOMS
        .iter()
        .map(|s| s.text.to_owned())
        .collect();
    for (i, (item, slug)) in s.items.iter_mut().zip(&routine.exercises).enumerate() {
        let entry = library
            .exercise
            .iter()
            .find(|e| &e.slug == slug)
            .expect("entry");
        item.name = entry.name.clone();
        item.steps = entry.steps.clone();
        item.cautions = entry.cautions.clone();
        if i % 2 == 1 {
            item.note.clear();
        }
        item.figures = crate::library::figures_for(slug)
            .map(|f| f.drawings.clone())
            .unwrap_or_default();
    }
    s
}

#[test]
fn six_library_exercises_fill_two_pages_inside_the_margins_on_both_papers() {
    let mut pages = Vec::new();
    for paper in [Paper::A4, Paper::Letter] {
        let bytes = renderer().render(&warm_up_six(paper)).expect("renders");
        if let Ok(dir) = std::env::var("SHEET_PDF_DUMP") {
            let path = std::path::Path::new(&dir).join(format!("six-{paper:?}.pdf"));
            std::fs::write(path, &bytes).expect("dump");
        }
        pages.push(
            Document::load_mem(&bytes)
                .expect("parses")
                .get_pages()
                .len(),
        );
        assert!(assert_inside_margins(&bytes) > 500);
    }
    assert_eq!(pages, [2, 2], "A4 and Letter");
}
