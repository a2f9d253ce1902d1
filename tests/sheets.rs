//! The printable PDF home-exercise sheet, read back from the real bytes.

mod common;

use common::clinic::{
    Item, case_for, case_patient_id, exercise_id, item, portal_patient, post_builder,
};
use common::{days_ago, location, spawn_app};
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
    assert!(
        pdf.text.contains(&format!("{}/me", app.address)),
        "portal link in text"
    );
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
        StatusCode::SEE_OTHER,
        "no sheet while a red flag waits"
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

/// Runs the migration that gave items their own steps and cautions down and up again, as
/// an upgrade from a version before it does.
fn upgrade_to_item_content(conn: &mut physiocase::db::DbConn) {
    use diesel::migration::{Migration, MigrationSource};
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
    const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
    const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
    fn find<DB: diesel::backend::Backend>(source: &EmbeddedMigrations) -> Box<dyn Migration<DB>>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        MigrationSource::<DB>::migrations(source)
            .unwrap_or_else(|e| panic!("migrations: {e}"))
            .into_iter()
            .find(|m| m.name().to_string().ends_with("_programme_item_content"))
            .unwrap_or_else(|| panic!("the item content migration"))
    }
    let outcome = match conn {
        physiocase::db::DbConn::Sqlite(c) => {
            let migration = find(&SQLITE);
            c.revert_migration(&*migration)
                .and_then(|_| c.run_migration(&*migration))
        }
        physiocase::db::DbConn::Pg(c) => {
            let migration = find(&POSTGRES);
            c.revert_migration(&*migration)
                .and_then(|_| c.run_migration(&*migration))
        }
    };
    outcome.unwrap_or_else(|e| panic!("migration down and up: {e}"));
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
    upgrade_to_item_content(&mut app.conn());
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
