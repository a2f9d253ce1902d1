//! The printable PDF home-exercise sheet, read back from the real bytes.

mod common;

use common::clinic::{
    Item, case_for, case_patient_id, exercise_id, item, portal_patient, post_builder,
};
use common::{days_ago, location, precondition_unmet, spawn_app, spawn_app_with};
use reqwest::StatusCode;

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct ReadPdf {
    pages: usize,
    text: String,
    sizes: Vec<(f32, f32)>,
}

fn read_pdf(bytes: &[u8]) -> ReadPdf {
    let doc = lopdf::Document::load_mem(bytes)
        .unwrap_or_else(|e| panic!("the sheet is a readable PDF: {e}"));
    let pages = doc.get_pages();
    let numbers: Vec<u32> = pages.keys().copied().collect();
    let text = doc
        .extract_text(&numbers)
        .unwrap_or_else(|e| panic!("text: {e}"));
    let sizes = pages
        .values()
        .map(|id| {
            let page = doc.get_dictionary(*id).unwrap_or_else(|e| panic!("{e}"));
            let media = page
                .get(b"MediaBox")
                .and_then(|m| m.as_array())
                .unwrap_or_else(|e| panic!("MediaBox: {e}"));
            let number = |o: &lopdf::Object| {
                o.as_float()
                    .or_else(|_| o.as_i64().map(|i| i as f32))
                    .unwrap_or(-1.0)
            };
            (
                number(&media[2]) - number(&media[0]),
                number(&media[3]) - number(&media[1]),
            )
        })
        .collect();
    ReadPdf {
        pages: pages.len(),
        text: normalise(&text),
        sizes,
    }
}

async fn get_pdf(browser: &common::Browser, path: &str) -> Vec<u8> {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    assert_eq!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/pdf"[..])
    );
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_sheet_carries_the_patient_every_exercise_and_dosage_and_page_numbers() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let slugs = [
        "chin-tuck",
        "cat-cow",
        "wall-angels",
        "thread-the-needle",
        "childs-pose",
        "doorway-stretch",
        "scapular-squeeze",
        "bird-dog",
        "glute-bridge",
        "thoracic-extension",
    ];
    let items: Vec<Item> = slugs
        .iter()
        .map(|s| item(exercise_id(&app, s), "3", "5", "each-side"))
        .collect();
    let response = post_builder(&t, &case, &items, "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let bytes = get_pdf(&t, &format!("{case}/programme.pdf")).await;
    if let Ok(path) = std::env::var("SAMPLE_SHEET_OUT") {
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    assert!(
        bytes.len() < 150 * 1024,
        "ten exercises with their drawings in {} bytes",
        bytes.len()
    );
    let pdf = read_pdf(&bytes);
    assert!(
        pdf.text.contains("Zoë Łukasiewicz"),
        "patient name in any script"
    );
    assert!(pdf.text.contains("31 Mar 1980"));
    {
        use diesel::prelude::*;
        use physiocase::db::schema::programme_versions;
        let saved: chrono::NaiveDateTime = programme_versions::table
            .select(programme_versions::created_at)
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("version: {e}"));
        let issued = format!(
            "issued {}",
            physiocase::dates::ShownDay::to_day(&saved.date())
        );
        assert!(pdf.text.contains(&issued), "issue date on loose pages");
        // Text runs are joined by spaces, so a time after the date would read "DATE HH:".
        let with_time = format!(
            "{} {:02}:",
            physiocase::dates::ShownDay::to_day(&saved.date()),
            chrono::Timelike::hour(&saved)
        );
        assert!(
            !pdf.text.contains(&with_time),
            "the issue date is a day, not a time"
        );
    }
    let library = physiocase::library::load().unwrap_or_else(|e| panic!("{e}"));
    for slug in slugs {
        let name = &library
            .exercise
            .iter()
            .find(|e| e.slug == slug)
            .unwrap_or_else(|| panic!("{slug}"))
            .name;
        assert!(pdf.text.contains(name.as_str()), "{name} on the sheet");
    }
    assert!(
        pdf.text
            .contains("3 sets of 10, hold 5 seconds, each side, twice a day, every day"),
        "dosage line"
    );
    for page in 1..=pdf.pages {
        assert!(
            pdf.text.contains(&format!("Page {page} of {}", pdf.pages)),
            "page {page} numbered"
        );
    }
    assert!(pdf.text.contains("Stop and contact the clinic if"));
    for (w, h) in &pdf.sizes {
        assert!(
            (w - 595.28).abs() < 0.6 && (h - 841.89).abs() < 0.6,
            "A4 by default: {w}x{h}"
        );
    }
    let letter = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf?paper=letter")).await);
    for (w, h) in &letter.sizes {
        assert!(
            (w - 612.0).abs() < 0.6 && (h - 792.0).abs() < 0.6,
            "Letter: {w}x{h}"
        );
    }
    let printed = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "programme.printed")
        .count();
    assert_eq!(printed, 2, "each print is audited");
}

#[tokio::test]
async fn an_older_version_prints_as_it_was() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    post_builder(&t, &case, &[item(chin, "2", "10", "both")], "save", &[]).await;
    let v1 = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf?version=1")).await);
    assert!(v1.text.contains("3 sets of 10, hold 5 seconds"));
    let v2 = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf")).await);
    assert!(v2.text.contains("2 sets of 10, hold 10 seconds"));
    assert_eq!(
        t.get(&format!("{case}/programme.pdf?version=9"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get(&format!("{case}/programme.pdf?paper=a3"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

/// The PDF's /CreationDate and /ModDate, as written in its document information dictionary.
fn pdf_dates(bytes: &[u8]) -> (String, String) {
    let doc = lopdf::Document::load_mem(bytes)
        .unwrap_or_else(|e| panic!("the sheet is a readable PDF: {e}"));
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .unwrap_or_else(|e| panic!("document information dictionary: {e}"));
    let date = |key: &[u8]| {
        info.get(key)
            .and_then(lopdf::Object::as_str)
            .map(|raw| String::from_utf8_lossy(raw).into_owned())
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(key)))
    };
    (date(b"CreationDate"), date(b"ModDate"))
}

#[tokio::test]
async fn each_sheet_is_dated_when_its_version_was_issued() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    post_builder(&t, &case, &[item(chin, "2", "10", "both")], "save", &[]).await;
    let issued: Vec<(i32, chrono::NaiveDateTime)> = {
        use diesel::prelude::*;
        use physiocase::db::schema::programme_versions::dsl;
        dsl::programme_versions
            .order(dsl::version.asc())
            .select((dsl::version, dsl::created_at))
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("versions: {e}"))
    };
    assert_eq!(issued.len(), 2);
    for (version, at) in issued {
        let bytes = get_pdf(&t, &format!("{case}/programme.pdf?version={version}")).await;
        let expected = at.format("D:%Y%m%d%H%M%S+00'00'").to_string();
        assert_eq!(
            pdf_dates(&bytes),
            (expected.clone(), expected),
            "version {version} is dated when it was issued (UTC)"
        );
    }
}

#[tokio::test]
async fn thirty_exercises_with_long_notes_render_across_pages() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let ids: Vec<i64> = {
        use diesel::prelude::*;
        use physiocase::db::schema::exercises::dsl;
        dsl::exercises
            .select(dsl::id)
            .order(dsl::id)
            .limit(30)
            .load(&mut app.conn())
            .unwrap_or_default()
    };
    let note: &'static str = Box::leak(
        "Keep the movement slow and controlled; ) Tj /F1 12 Tf (%%EOF "
            .repeat(34)
            .into_boxed_str(),
    );
    assert!(note.len() >= 2000);
    let items: Vec<Item> = ids
        .iter()
        .map(|id| Item {
            note: &note[..1000],
            ..item(*id, "2", "5", "both")
        })
        .collect();
    let response = post_builder(&t, &case, &items, "save", &[("notes", note)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let pdf = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf")).await);
    assert!(pdf.pages > 5, "{} pages", pdf.pages);
    assert!(
        pdf.text.contains(") Tj /F1 12 Tf (%%EOF"),
        "PDF-looking text is printed as text"
    );
    assert!(
        pdf.text
            .contains(&format!("Page {} of {}", pdf.pages, pdf.pages))
    );
}

#[tokio::test]
async fn printing_waits_for_red_flag_action_and_patients_are_refused() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let new = format!("{case}/assessments/new?kind=review");
    t.submit(
        &new,
        &format!("{case}/assessments?kind=review"),
        &[("assessed_at", days_ago(2).as_str()), ("rf_fever", "yes")],
    )
    .await;
    let response = t.get(&format!("{case}/programme.pdf")).await;
    assert_eq!(
        response.status(),
        StatusCode::CONFLICT,
        "no sheet while a red flag waits"
    );
    assert!(
        response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html")),
        "a page that says why, not a PDF"
    );
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("red flags waiting for action"), "{page}");
    assert!(
        page.contains(&format!("href=\"{case}/red-flags\"")),
        "{page}"
    );
    assert!(
        app.audit_actions()
            .contains(&"programme.print_refused".to_owned())
    );

    let p = app.patient_account("pat@example.test").await;
    assert_eq!(
        p.get(&format!("{case}/programme.pdf")).await.status(),
        StatusCode::FORBIDDEN
    );
}

/// The chin tuck's text as the built-in library gives it: (name, first step, first caution).
fn chin_tuck_as_shipped() -> (String, String, String) {
    let library = physiocase::library::load().unwrap_or_else(|e| panic!("{e}"));
    let entry = library
        .exercise
        .iter()
        .find(|e| e.slug == "chin-tuck")
        .unwrap_or_else(|| panic!("chin tuck in the library"));
    let first = |list: &[String]| {
        list.first()
            .cloned()
            .unwrap_or_else(|| panic!("chin tuck has steps and cautions"))
    };
    (
        entry.name.clone(),
        first(&entry.steps),
        first(&entry.cautions),
    )
}

/// Rewrites the chin tuck through the exercise edit form, as a therapist would.
async fn edit_chin_tuck(t: &common::Browser, id: i64, name: &str, steps: &str, cautions: &str) {
    let edit = format!("/exercises/{id}/edit");
    let response = t
        .submit(
            &edit,
            &edit,
            &[
                ("name", name),
                ("aliases", "Neck retraction"),
                ("category", "posture-desk"),
                ("region", "cervical"),
                ("position", "standing"),
                ("equipment", "none"),
                ("difficulty", "easy"),
                ("summary", ""),
                ("steps", steps),
                ("cautions", cautions),
                ("common_mistakes", ""),
                ("sets", "3"),
                ("reps", "10"),
                ("hold_seconds", "5"),
                ("rest_seconds", "0"),
                ("side", "both"),
                ("times_per_day", "2"),
                ("days_per_week", "7"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "exercise saved");
}

#[tokio::test]
async fn an_issued_version_keeps_its_exercise_text_after_the_exercise_is_edited() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let response = post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let patient = portal_patient(&app, &t, case_patient_id(&app, &case), "zoe@example.test").await;
    let (old_name, old_step, old_caution) = chin_tuck_as_shipped();
    let v1_pdf = format!("{case}/programme.pdf?version=1");
    let printed = read_pdf(&get_pdf(&t, &v1_pdf).await).text;
    for text in [&old_name, &old_step, &old_caution] {
        assert!(printed.contains(&normalise(text)), "{text} on version 1");
    }

    let new_name = "Chin glide";
    let new_step = "Sit against a wall and slide the chin straight back.";
    let new_caution = "Stop at once if either hand goes numb.";
    edit_chin_tuck(&t, chin, new_name, new_step, new_caution).await;
    let entry = t.page(&format!("/exercises/{chin}")).await;
    assert!(entry.contains(new_step), "the library entry changed");

    // Printed again, version 1 reads exactly as it did.
    let reprinted = read_pdf(&get_pdf(&t, &v1_pdf).await).text;
    assert_eq!(reprinted, printed, "version 1 prints as issued");
    // So do the patient's portal, the staff's patient view and the version page.
    let html_shows = |html: &str, text: &str| common::html_unescape(html).contains(text);
    let me = patient.page("/me").await;
    let sheet = t.page(&format!("{case}/programme/sheet")).await;
    let version_page = t.page(&format!("{case}/programme/versions/1")).await;
    for (page, html) in [
        ("portal", &me),
        ("sheet", &sheet),
        ("version", &version_page),
    ] {
        for text in [&old_name, &old_step, &old_caution] {
            assert!(html_shows(html, text), "{page} keeps {text}");
        }
        for text in [new_name, new_step, new_caution] {
            assert!(!html_shows(html, text), "{page} does not show {text}");
        }
    }

    // A version saved after the edit carries the new text; version 1 still the old.
    let response = post_builder(&t, &case, &[item(chin, "2", "5", "both")], "save", &[]).await;
    assert_eq!(location(&response), format!("{case}/programme/versions/2"));
    let v2 = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf?version=2")).await).text;
    for text in [new_name, new_step, new_caution] {
        assert!(v2.contains(text), "{text} on version 2");
    }
    assert!(
        !v2.contains(&normalise(&old_step)),
        "version 2 has the new steps only"
    );
    let me = patient.page("/me").await;
    assert!(html_shows(&me, new_step) && !html_shows(&me, &old_step));
    assert_eq!(read_pdf(&get_pdf(&t, &v1_pdf).await).text, printed);
}

#[tokio::test]
async fn an_upgrade_gives_versions_saved_before_it_the_exercises_text_of_the_day() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let response = post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, old_step, _) = chin_tuck_as_shipped();
    let new_step = "Sit against a wall and slide the chin straight back.";
    edit_chin_tuck(
        &t,
        chin,
        "Chin glide",
        new_step,
        "Stop at once if either hand goes numb.",
    )
    .await;
    let v1_pdf = format!("{case}/programme.pdf?version=1");
    let before = read_pdf(&get_pdf(&t, &v1_pdf).await).text;
    assert!(
        before.contains(&normalise(&old_step)),
        "issued text before the upgrade"
    );

    // Before the upgrade an item kept only the exercise's name; the migration fills
    // in the steps and cautions from the library as it stands.
    common::upgrade_through(&mut app.conn(), "_programme_item_content", "");
    let after = read_pdf(&get_pdf(&t, &v1_pdf).await).text;
    assert!(after.contains(new_step), "the library's steps of the day");
    assert!(after.contains("Stop at once if either hand goes numb."));
    assert!(!after.contains(&normalise(&old_step)));
    assert!(
        after.contains("Chin tuck"),
        "the name kept as it was issued"
    );
    let refused = {
        use diesel::connection::SimpleConnection;
        app.conn()
            .batch_execute("UPDATE programme_items SET steps = '[]'")
    };
    assert!(refused.is_err(), "items are final again after the upgrade");
}

#[tokio::test]
async fn the_portal_link_and_qr_code_print_only_for_a_patient_with_portal_access() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let review = days_ago(-21);
    let review = &review[..10];
    let saved = post_builder(
        &t,
        &case,
        &[item(chin, "3", "5", "both")],
        "save",
        &[("review_date", review)],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let portal_link = format!("{}/me", app.address);

    let without = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf")).await);
    assert!(
        !without.text.contains(&portal_link),
        "no portal link without access"
    );
    assert!(!without.text.contains("YOUR PROGRAMME ONLINE"));
    let review_day = chrono::NaiveDate::parse_from_str(review, "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("{review}: {e}"))
        .format("%-d %b %Y")
        .to_string();
    assert!(without.text.contains("NEXT REVIEW"), "{}", without.text);
    assert!(
        without.text.contains(&review_day),
        "review date {review_day} printed"
    );

    portal_patient(&app, &t, case_patient_id(&app, &case), "qr@example.test").await;
    let with = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf")).await);
    assert!(
        with.text.contains(&portal_link),
        "portal link once access is given"
    );
    assert!(with.text.contains("YOUR PROGRAMME ONLINE"));
}

#[tokio::test]
async fn the_sheet_is_a_tagged_pdf_with_its_language_title_and_every_line_in_reading_order() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let items: Vec<Item> = ["chin-tuck", "cat-cow", "wall-angels"]
        .iter()
        .map(|s| item(exercise_id(&app, s), "3", "5", "both"))
        .collect();
    post_builder(&t, &case, &items, "save", &[]).await;
    let bytes = get_pdf(&t, &format!("{case}/programme.pdf")).await;
    let doc = lopdf::Document::load_mem(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let catalog = doc.catalog().unwrap_or_else(|e| panic!("catalog: {e}"));
    let text_of = |o: &lopdf::Object| lopdf::decode_text_string(o).unwrap_or_default();
    assert_eq!(catalog.get(b"Lang").map(text_of).unwrap_or_default(), "en");
    let marked = catalog
        .get(b"MarkInfo")
        .and_then(|m| m.as_dict())
        .and_then(|m| m.get(b"Marked"))
        .and_then(|m| m.as_bool());
    assert_eq!(marked.ok(), Some(true), "MarkInfo /Marked true");
    let shows_title = catalog
        .get(b"ViewerPreferences")
        .and_then(|m| m.as_dict())
        .and_then(|m| m.get(b"DisplayDocTitle"))
        .and_then(|m| m.as_bool());
    assert_eq!(shows_title.ok(), Some(true));
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(|r| r.as_reference())
        .and_then(|id| doc.get_dictionary(id))
        .unwrap_or_else(|e| panic!("Info: {e}"));
    let title = info.get(b"Title").map(text_of).unwrap_or_default();
    assert!(title.contains("Home exercise programme"), "{title}");

    // Every line of text on every page sits in marked content, a paragraph at a time with
    // ids 0, 1, 2…; the structure tree holds those paragraphs page by page, in that order.
    let root = catalog
        .get(b"StructTreeRoot")
        .and_then(|r| r.as_reference())
        .and_then(|id| doc.get_dictionary(id))
        .unwrap_or_else(|e| panic!("StructTreeRoot: {e}"));
    let document = root
        .get(b"K")
        .and_then(|r| r.as_reference())
        .and_then(|id| doc.get_dictionary(id))
        .unwrap_or_else(|e| panic!("Document element: {e}"));
    let kids = document
        .get(b"K")
        .and_then(|k| k.as_array())
        .unwrap_or_else(|e| panic!("paragraphs: {e}"));
    let mut expected = Vec::new();
    let mut lines = 0;
    for (page_id, page_number) in doc.get_pages().values().zip(1..) {
        let content = doc
            .get_and_decode_page_content(*page_id)
            .unwrap_or_else(|e| panic!("page content: {e}"));
        let mut mcids = Vec::new();
        let mut open: Option<&str> = None;
        for op in &content.operations {
            match op.operator.as_str() {
                "BDC" => {
                    assert_eq!(open, None, "marked content does not nest");
                    let mcid = op
                        .operands
                        .get(1)
                        .and_then(|d| d.as_dict().ok())
                        .and_then(|d| d.get(b"MCID").ok())
                        .and_then(|m| m.as_i64().ok());
                    mcids.push(mcid.unwrap_or(-1));
                    let tag = op.operands.first().and_then(|t| t.as_name().ok());
                    open = match tag {
                        Some(b"P") => Some("P"),
                        Some(b"Figure") => Some("Figure"),
                        other => panic!("unexpected tag {other:?}"),
                    };
                }
                "BMC" => {
                    assert_eq!(open, None, "marked content does not nest");
                    open = Some("Artifact");
                }
                "EMC" => open = None,
                "BT" => {
                    lines += 1;
                    assert_eq!(open, Some("P"), "text on page {page_number} is tagged");
                }
                "re" | "l" | "m" | "c" => {
                    assert!(
                        matches!(open, Some("Artifact" | "Figure")),
                        "a drawing is a figure or an artifact"
                    );
                }
                _ => {}
            }
        }
        assert!(!mcids.is_empty(), "page {page_number} has text");
        let in_order: Vec<i64> = (0..).take(mcids.len()).collect();
        assert_eq!(mcids, in_order, "page {page_number}");
        expected.extend(mcids.into_iter().map(|mcid| (*page_id, mcid)));
    }
    let elements: Vec<&lopdf::Dictionary> = kids
        .iter()
        .map(|kid| {
            kid.as_reference()
                .and_then(|id| doc.get_dictionary(id))
                .unwrap_or_else(|e| panic!("element: {e}"))
        })
        .collect();
    let found: Vec<(lopdf::ObjectId, i64)> = elements
        .iter()
        .map(|element| {
            let page = element
                .get(b"Pg")
                .and_then(|p| p.as_reference())
                .unwrap_or_else(|e| panic!("Pg: {e}"));
            let mcid = element
                .get(b"K")
                .and_then(|k| k.as_i64())
                .unwrap_or_else(|e| panic!("K: {e}"));
            (page, mcid)
        })
        .collect();
    assert_eq!(
        found, expected,
        "one element per paragraph or figure, in reading order"
    );
    fn kind(e: &lopdf::Dictionary) -> &[u8] {
        e.get(b"S").and_then(|s| s.as_name()).unwrap_or(b"")
    }
    let paragraphs = elements.iter().filter(|e| kind(e) == b"P").count();
    assert!(
        paragraphs < lines,
        "lines are gathered into paragraphs: {paragraphs} paragraphs for {lines} lines"
    );
    // Each exercise's two drawn positions are figures a screen reader can describe.
    let alts: Vec<String> = elements
        .iter()
        .filter(|e| kind(e) == b"Figure")
        .map(|e| e.get(b"Alt").map(text_of).unwrap_or_default())
        .collect();
    assert_eq!(alts.len(), 6, "{alts:?}");
    assert!(alts.iter().all(|alt| !alt.trim().is_empty()), "{alts:?}");
    let (name, first_step, _) = chin_tuck_as_shipped();
    assert_eq!(alts[0], format!("Start position of {name}: {first_step}"));
}

#[tokio::test]
async fn large_print_scales_every_page_to_fourteen_point_body_text() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let items: Vec<Item> = ["chin-tuck", "cat-cow", "wall-angels", "bird-dog"]
        .iter()
        .map(|s| item(exercise_id(&app, s), "3", "5", "both"))
        .collect();
    post_builder(&t, &case, &items, "save", &[]).await;
    let standard = get_pdf(&t, &format!("{case}/programme.pdf")).await;
    let large = get_pdf(&t, &format!("{case}/programme.pdf?size=large")).await;
    if let Ok(path) = std::env::var("LARGE_SHEET_OUT") {
        std::fs::write(&path, &large).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let scale_of_first_op = |bytes: &[u8]| -> Vec<f32> {
        let doc = lopdf::Document::load_mem(bytes).unwrap_or_else(|e| panic!("{e}"));
        doc.get_pages()
            .values()
            .map(|page| {
                let content = doc
                    .get_and_decode_page_content(*page)
                    .unwrap_or_else(|e| panic!("content: {e}"));
                match content.operations.first() {
                    Some(op) if op.operator == "cm" => op
                        .operands
                        .first()
                        .and_then(|a| a.as_float().ok())
                        .unwrap_or(-1.0),
                    _ => 1.0,
                }
            })
            .collect()
    };
    let standard_scales = scale_of_first_op(&standard);
    let large_scales = scale_of_first_op(&large);
    assert!(
        standard_scales.iter().all(|s| *s == 1.0),
        "{standard_scales:?}"
    );
    assert!(
        // The sheet's body text is set at 11 pt: 14 pt in large print.
        large_scales.iter().all(|s| (s - 14.0 / 11.0).abs() < 0.001),
        "{large_scales:?}"
    );
    assert!(
        large_scales.len() >= standard_scales.len(),
        "larger text needs at least as many pages"
    );
    let text = read_pdf(&large).text;
    assert!(text.contains("Chin tuck") && text.contains("Stop and contact the clinic if"));

    let refused = t.get(&format!("{case}/programme.pdf?size=huge")).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

/// Every line of text on every page as it is set: (page, font size, text), decoded through
/// each font's ToUnicode map the way a viewer copies text.
fn set_lines(bytes: &[u8]) -> Vec<(usize, f32, String)> {
    placed_lines(bytes)
        .into_iter()
        .map(|line| (line.page, line.size, line.text))
        .collect()
}

struct PlacedLine {
    page: usize,
    /// As printed: the font size times the page's scale.
    size: f32,
    /// Left edge, in points from the paper's left edge.
    x: f32,
    text: String,
}

/// Every line of text with its place and printed size.
fn placed_lines(bytes: &[u8]) -> Vec<PlacedLine> {
    let doc = lopdf::Document::load_mem(bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut lines = Vec::new();
    for (page_id, page) in doc.get_pages().values().zip(1..) {
        let fonts = doc
            .get_page_fonts(*page_id)
            .unwrap_or_else(|e| panic!("fonts: {e}"));
        let encodings: std::collections::BTreeMap<Vec<u8>, lopdf::Encoding> = fonts
            .iter()
            .map(|(name, font)| {
                let encoding = font
                    .get_font_encoding(&doc)
                    .unwrap_or_else(|e| panic!("encoding: {e}"));
                (name.clone(), encoding)
            })
            .collect();
        let content = doc
            .get_and_decode_page_content(*page_id)
            .unwrap_or_else(|e| panic!("content: {e}"));
        let mut font: Option<&lopdf::Encoding> = None;
        let mut size = 0.0;
        let mut scale = 1.0;
        let mut x = 0.0;
        let number = |op: &lopdf::content::Operation, i: usize| {
            op.operands
                .get(i)
                .and_then(|n| n.as_float().ok())
                .unwrap_or(0.0)
        };
        for (index, op) in content.operations.iter().enumerate() {
            match op.operator.as_str() {
                // Large print scales the whole page once, first thing.
                "cm" if index == 0 => scale = number(op, 0),
                "Td" => x = number(op, 0),
                "Tf" => {
                    let name = op.operands.first().and_then(|n| n.as_name().ok());
                    font = name.and_then(|n| encodings.get(n));
                    size = op
                        .operands
                        .get(1)
                        .and_then(|s| s.as_float().ok())
                        .unwrap_or(0.0);
                }
                "Tj" | "TJ" => {
                    let encoding = font.unwrap_or_else(|| panic!("a font before text"));
                    let raw: Vec<u8> = match op.operands.first() {
                        Some(lopdf::Object::Array(items)) => items
                            .iter()
                            .filter_map(|i| i.as_str().ok())
                            .flatten()
                            .copied()
                            .collect(),
                        Some(other) => other.as_str().map(<[u8]>::to_vec).unwrap_or_default(),
                        None => Vec::new(),
                    };
                    let text = lopdf::Document::decode_text(encoding, &raw)
                        .unwrap_or_else(|e| panic!("text: {e}"));
                    lines.push(PlacedLine {
                        page,
                        size: size * scale,
                        x: x * scale,
                        text,
                    });
                }
                _ => {}
            }
        }
    }
    lines
}

/// The first six exercises of the library's warm-up routine, as shipped.
fn warm_up_six() -> Vec<physiocase::library::LibraryEntry> {
    let library = physiocase::library::load().unwrap_or_else(|e| panic!("{e}"));
    let routine = library
        .template_by_slug("warm-up-routine")
        .unwrap_or_else(|| panic!("the warm-up routine"));
    routine
        .exercises
        .iter()
        .take(6)
        .map(|slug| {
            library
                .exercise
                .iter()
                .find(|e| &e.slug == slug)
                .cloned()
                .unwrap_or_else(|| panic!("{slug}"))
        })
        .collect()
}

#[tokio::test]
async fn six_exercises_print_on_two_pages_of_a4_or_letter_with_steps_of_at_least_11_pt() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let case = common::clinic::open_case(&t).await;
    // A clinic with its full letterhead: the stop box carries its phone and email.
    let response = admin
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("name", "Harbour Physiotherapy"),
                ("address", "12 Quay Street\nBristol BS1 4AA"),
                ("phone", "0117 496 0000"),
                ("email", "hello@harbour-physio.example"),
                ("default_paper", "a4"),
                (
                    "sheet_footer",
                    "Harbour Physiotherapy · your programme, your pace",
                ),
                ("time_zone", "Europe/London"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let six = warm_up_six();
    assert_eq!(six.len(), 6);
    let items: Vec<Item> = six
        .iter()
        .enumerate()
        .map(|(i, e)| Item {
            note: if i % 2 == 0 {
                "Move slowly and stop before it hurts."
            } else {
                ""
            },
            ..item(exercise_id(&app, &e.slug), "3", "5", "each-side")
        })
        .collect();
    let saved = post_builder(&t, &case, &items, "save", &[]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    // A patient with portal access: the sheet carries the QR code too.
    portal_patient(&app, &t, case_patient_id(&app, &case), "six@example.test").await;

    for paper in ["a4", "letter"] {
        let bytes = get_pdf(&t, &format!("{case}/programme.pdf?paper={paper}")).await;
        if let Ok(dir) = std::env::var("SHEET_PNG_DIR") {
            let path = format!("{dir}/six-{paper}.pdf");
            std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        let pdf = read_pdf(&bytes);
        assert_eq!(pdf.pages, 2, "six exercises on two {paper} pages");
        for heading in [
            "Weekly tick chart",
            "Stop and contact the clinic if",
            "Contact the clinic — Phone: 0117 496 0000",
        ] {
            assert!(pdf.text.contains(heading), "{heading} on the {paper} sheet");
        }
        for e in &six {
            assert!(pdf.text.contains(&e.name), "{} on the sheet", e.name);
        }

        // Each line of a step is a piece of that step; every one is set at 11 pt or more.
        let steps: Vec<String> = six
            .iter()
            .flat_map(|e| e.steps.iter().map(|s| normalise(s)))
            .collect();
        let step_sizes: Vec<f32> = set_lines(&bytes)
            .into_iter()
            .filter(|(_, _, text)| {
                let text = normalise(text);
                text.len() > 12 && steps.iter().any(|s| s.contains(&text))
            })
            .map(|(_, size, _)| size)
            .collect();
        let total_steps: usize = six.iter().map(|e| e.steps.len()).sum();
        assert!(
            step_sizes.len() >= total_steps,
            "every step found: {} lines for {total_steps} steps",
            step_sizes.len()
        );
        let smallest = step_sizes.iter().copied().fold(f32::MAX, f32::min);
        assert!(smallest >= 11.0, "steps set at {smallest} pt on {paper}");
    }
}

#[tokio::test]
async fn large_print_starts_the_exercises_on_page_one_with_pictures_above_full_width_steps() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let six = warm_up_six();
    let items: Vec<Item> = six
        .iter()
        .map(|e| item(exercise_id(&app, &e.slug), "3", "5", "each-side"))
        .collect();
    post_builder(&t, &case, &items, "save", &[]).await;
    portal_patient(&app, &t, case_patient_id(&app, &case), "large@example.test").await;
    for paper in ["a4", "letter"] {
        let bytes = get_pdf(
            &t,
            &format!("{case}/programme.pdf?size=large&paper={paper}"),
        )
        .await;
        if let Ok(dir) = std::env::var("SHEET_PNG_DIR") {
            let path = format!("{dir}/large-{paper}.pdf");
            std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        let lines = placed_lines(&bytes);
        let first = &six[0];
        let first_step = normalise(&first.steps[0]);
        let on_page_one: Vec<&PlacedLine> = lines.iter().filter(|l| l.page == 1).collect();
        assert!(
            on_page_one.iter().any(|l| normalise(&l.text) == first.name),
            "the first exercise starts on page 1 ({paper})"
        );
        assert!(
            on_page_one
                .iter()
                .any(|l| l.text.len() > 12 && first_step.contains(&normalise(&l.text))),
            "its first step is on page 1 too ({paper})"
        );

        let steps: Vec<String> = six
            .iter()
            .flat_map(|e| e.steps.iter().map(|s| normalise(s)))
            .collect();
        let step_lines: Vec<&PlacedLine> = lines
            .iter()
            .filter(|l| {
                let text = normalise(&l.text);
                text.len() > 12 && steps.iter().any(|s| s.contains(&text))
            })
            .collect();
        assert!(step_lines.len() >= 30, "{} step lines", step_lines.len());
        let smallest = step_lines.iter().map(|l| l.size).fold(f32::MAX, f32::min);
        assert!(smallest >= 13.99, "large print steps at {smallest} pt");
        // Steps start near the left margin (12 mm), not beside a column of pictures.
        let left = step_lines.iter().map(|l| l.x).fold(0.0, f32::max);
        assert!(
            left < 28.4 + 40.0,
            "steps start {left} pt from the edge ({paper})"
        );
    }
}

/// Noto Sans CJK from Debian's fonts-noto-cjk, which `.ci/run` installs.
const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// The sheet's text as poppler's pdftotext reads it (a second PDF implementation).
fn pdftotext(bytes: &[u8], name: &str) -> Option<String> {
    let path = std::env::temp_dir().join(format!("{name}-{}.pdf", std::process::id()));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&path);
    let out = out.ok().filter(|o| o.status.success())?;
    Some(normalise(&String::from_utf8_lossy(&out.stdout)))
}

/// A patient, case and note in Japanese, Korean and Chinese; returns the case's path.
async fn cjk_programme(app: &common::TestApp, t: &common::Browser) -> String {
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &[
                ("given_name", "美咲"),
                ("family_name", "佐藤"),
                ("date_of_birth", "1948-05-02"),
                ("sex", ""),
                ("phone", ""),
                ("email", ""),
                ("clinic_reference", ""),
                ("primary_therapist_id", ""),
                ("notes", ""),
            ],
        )
        .await;
    let patient = location(&response);
    let case = common::clinic::add_case(t, &patient, "어깨 통증").await;
    let chin = Item {
        note: "每天早晚各做一次，慢慢来。",
        ..item(exercise_id(app, "chin-tuck"), "3", "5", "both")
    };
    let saved = post_builder(t, &case, &[chin], "save", &[]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    case
}

#[tokio::test]
async fn chinese_japanese_and_korean_print_with_the_configured_font() {
    let test = "chinese_japanese_and_korean_print_with_the_configured_font";
    if !std::path::Path::new(NOTO_CJK).exists() {
        precondition_unmet(test, "fonts-noto-cjk is not installed");
        return;
    }
    let app = spawn_app_with(|s| s.cjk_font = Some(NOTO_CJK.into())).await;
    let (_admin, t) = app.therapist().await;
    let case = cjk_programme(&app, &t).await;
    let bytes = get_pdf(&t, &format!("{case}/programme.pdf")).await;
    if let Ok(dir) = std::env::var("SHEET_PNG_DIR") {
        let path = format!("{dir}/cjk.pdf");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let Some(text) = pdftotext(&bytes, "cjk-sheet") else {
        precondition_unmet(test, "poppler's pdftotext is not installed");
        return;
    };
    for expected in [
        "美咲 佐藤",
        "어깨 통증",
        "每天早晚各做一次，慢慢来。",
        "Chin tuck",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(!text.contains('\u{FFFD}'), "no character replaced: {text}");
    assert!(
        !text.contains("PHYSIOCASE_CJK_FONT"),
        "no notice when the font is set"
    );
    // Only the characters used are embedded: a few kilobytes, not the 19 MB font.
    assert!(bytes.len() < 200 * 1024, "{} bytes", bytes.len());
}

#[tokio::test]
async fn without_a_cjk_font_the_sheet_says_which_characters_it_cannot_print() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let case = cjk_programme(&app, &t).await;
    let pdf = read_pdf(&get_pdf(&t, &format!("{case}/programme.pdf")).await);
    assert!(pdf.text.contains('\u{FFFD}'), "a visible mark, not tofu");
    assert!(!pdf.text.contains("佐藤"));
    assert!(
        pdf.text.contains("PHYSIOCASE_CJK_FONT"),
        "the sheet says how to fix it: {}",
        pdf.text
    );
}
