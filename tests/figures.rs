//! Drawn exercise figures through the running app: the exercise page, the library list's
//! thumbnails, the figure files themselves and the vector paths on the printed sheet.

mod common;

use common::clinic::{case_for, exercise_id, item, post_builder};
use common::{location, spawn_app};
use reqwest::StatusCode;

/// Every `<svg …>…</svg>` in a page.
fn inline_svgs(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let Some(len) = rest[start..].find("</svg>") else {
            break;
        };
        let end = start + len + "</svg>".len();
        found.push(&rest[start..end]);
        rest = &rest[end..];
    }
    found
}

/// Parses an SVG and checks it needs nothing from outside and runs nothing.
fn assert_self_contained_svg(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG parses: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert!(root.attribute("viewBox").is_some(), "scales with its box");
    for node in doc.descendants().filter(|n| n.is_element()) {
        assert_ne!(node.tag_name().name(), "script");
        for attr in node.attributes() {
            assert!(!attr.name().to_ascii_lowercase().starts_with("on"));
            assert!(!attr.name().contains("href"));
        }
    }
    root.children()
        .find(|n| n.tag_name().name() == "title")
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_owned()
}

fn clinic_exercise_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Seated band row"),
        ("aliases", ""),
        ("category", "strengthening"),
        ("region", "thoracic"),
        ("position", "seated"),
        ("equipment", "resistance-band"),
        ("difficulty", "moderate"),
        ("summary", "Rows with a band."),
        (
            "steps",
            "Sit tall with the band round a post.\nPull your elbows back.\nReturn slowly.",
        ),
        ("cautions", "Stop if the shoulder hurts."),
        ("common_mistakes", "Shrugging."),
        ("sets", "3"),
        ("reps", "12"),
        ("hold_seconds", "2"),
        ("rest_seconds", "60"),
        ("side", "both"),
        ("times_per_day", "1"),
        ("days_per_week", "3"),
    ]
}

#[tokio::test]
async fn exercise_pages_and_the_library_show_the_drawn_positions_and_clinic_entries_show_none() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let library = physiocase::library::load().unwrap_or_else(|e| panic!("{e}"));

    // The page of a built-in exercise carries each drawn position, titled and captioned.
    let cat_cow = exercise_id(&app, "cat-cow");
    let html = t.page(&format!("/exercises/{cat_cow}")).await;
    let entry = library
        .exercise_by_slug("cat-cow")
        .unwrap_or_else(|| panic!("cat-cow in the library"));
    let svgs = inline_svgs(&html);
    assert_eq!(svgs.len(), entry.figure.len(), "one picture per position");
    for (svg, spec) in svgs.iter().zip(&entry.figure) {
        let title = assert_self_contained_svg(svg);
        assert_eq!(title, format!("Cat-cow: {}", spec.label));
        assert!(html.contains(&format!("<figcaption>{}</figcaption>", spec.label)));
    }

    // The library list names a thumbnail for each built-in entry it shows, and the
    // address answers with that exercise's first drawing.
    let list = t.page("/exercises?q=cat-cow").await;
    let src = "/library/figures/cat-cow/1.svg";
    assert!(
        list.contains(&format!("class=\"exercise-card__figure\" src=\"{src}\"")),
        "a thumbnail in {list}"
    );
    let response = t.get(src).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    let body = response.text().await.unwrap_or_default();
    let first = entry.figure.first().map(|f| f.label.as_str()).unwrap_or("");
    assert_eq!(
        assert_self_contained_svg(&body),
        format!("Cat-cow: {first}")
    );
    for missing in [
        "/library/figures/cat-cow/0.svg",
        "/library/figures/cat-cow/99.svg",
        "/library/figures/no-such-move/1.svg",
        "/library/figures/cat-cow/1.png",
    ] {
        assert_eq!(
            t.get(missing).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }

    // A patient may fetch a drawing (their portal shows them) but not the staff's pages.
    let patient = app.patient_account("pat@example.test").await;
    assert_eq!(
        patient.get("/library/figures").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patient.get("/library/figures/cat-cow/1.svg").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.browser()
            .get("/library/figures/cat-cow/1.svg")
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "nobody signed out"
    );

    // The contact sheet shows every built-in exercise's positions with its name.
    let sheet = t.page("/library/figures").await;
    // For looking at every figure in a browser: the page with its stylesheet inlined.
    if let Ok(path) = std::env::var("CONTACT_SHEET_OUT") {
        let css = t.page("/static/app.css").await;
        let standalone = sheet.replace(
            "<link rel=\"stylesheet\" href=\"/static/app.css\">",
            &format!("<style>{css}</style>"),
        );
        std::fs::write(&path, standalone).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let all: usize = library.exercise.iter().map(|e| e.figure.len()).sum();
    assert_eq!(inline_svgs(&sheet).len(), all);
    let read = common::html_unescape(&sheet);
    for e in &library.exercise {
        assert!(read.contains(&e.name), "{} on the contact sheet", e.name);
    }

    // A clinic's own exercise has no drawing: no picture and no image to break.
    let response = t
        .submit("/exercises/new", "/exercises", &clinic_exercise_fields())
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let own = t.page(&location(&response)).await;
    assert!(own.contains("Seated band row"));
    assert!(inline_svgs(&own).is_empty());
    assert!(!own.contains("<figure"));
    let list = t.page("/exercises?q=band+row").await;
    assert!(list.contains("Seated band row"));
    assert!(
        !list.contains("exercise-card__figure"),
        "no thumbnail for it"
    );
}

/// Path-painting operators in every page's content stream: (curves, fills, strokes).
fn path_ops(bytes: &[u8]) -> (usize, usize, usize) {
    let doc = lopdf::Document::load_mem(bytes).unwrap_or_else(|e| panic!("PDF: {e}"));
    let mut counts = (0, 0, 0);
    for page in doc.get_pages().values() {
        let content = doc
            .get_and_decode_page_content(*page)
            .unwrap_or_else(|e| panic!("page content: {e}"));
        for op in content.operations {
            match op.operator.as_str() {
                "c" => counts.0 += 1,
                "f" | "f*" | "B" | "B*" => counts.1 += 1,
                "S" => counts.2 += 1,
                _ => {}
            }
        }
    }
    counts
}

async fn sheet_of(t: &common::Browser, case: &str, exercises: &[i64]) -> Vec<u8> {
    let items: Vec<_> = exercises
        .iter()
        .map(|id| item(*id, "3", "5", "both"))
        .collect();
    let response = post_builder(t, case, &items, "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = t.get(&format!("{case}/programme.pdf")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_sheet_draws_each_built_in_exercises_positions_as_vector_paths() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;

    // A clinic exercise alone: the sheet has text and rules but no figure.
    let response = t
        .submit("/exercises/new", "/exercises", &clinic_exercise_fields())
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let own: i64 = location(&response)
        .trim_start_matches("/exercises/")
        .parse()
        .unwrap_or_else(|e| panic!("exercise id: {e}"));
    let plain = sheet_of(&t, &case, &[own]).await;
    let (curves, _, _) = path_ops(&plain);
    assert_eq!(curves, 0, "no figure drawn for the clinic's exercise");

    // Two built-in exercises: every head, hand and joint disc is a curved path, every
    // limb a stroked one.
    let ids = [
        exercise_id(&app, "cat-cow"),
        exercise_id(&app, "doorway-stretch"),
    ];
    let drawn = sheet_of(&t, &case, &ids).await;
    if let Ok(path) = std::env::var("FIGURES_SHEET_OUT") {
        std::fs::write(&path, &drawn).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let (curves, fills, strokes) = path_ops(&drawn);
    let shapes: Vec<&physiocase::figures::Shape> = ["cat-cow", "doorway-stretch"]
        .iter()
        .filter_map(|slug| physiocase::library::figures_for(slug))
        .flat_map(|f| f.drawings.iter())
        .flat_map(|d| d.shapes.iter())
        .collect();
    let discs = shapes
        .iter()
        .filter(|s| matches!(s, physiocase::figures::Shape::Disc { .. }))
        .count();
    let lines = shapes
        .iter()
        .filter(|s| matches!(s, physiocase::figures::Shape::Stroke { .. }))
        .count();
    assert!(discs > 0 && lines > 0);
    assert_eq!(curves, discs * 4, "four Bézier arcs per disc");
    assert!(fills >= discs, "{fills} fills for {discs} discs");
    assert!(strokes >= lines, "{strokes} strokes for {lines} limbs");
    let text = {
        let doc = lopdf::Document::load_mem(&drawn).unwrap_or_else(|e| panic!("{e}"));
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        doc.extract_text(&pages).unwrap_or_default()
    };
    assert!(text.contains("Dip (cow)"), "positions captioned: {text}");
}
