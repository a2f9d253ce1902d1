//! Pages that keep the user's place and say what went wrong: the builder returns to the
//! item or results it changed, a refused form titles itself an error and links each message
//! to its field, and every chart has its figures as text.

mod common;

use common::clinic::{
    case_for, case_patient_id, exercise_id, item, portal_patient, post_builder, with_screen,
};
use common::{Browser, days_ago, location, spawn_app, tags};
use reqwest::StatusCode;

type Tag = (String, Vec<(String, String)>);

fn attr<'a>(tag: &'a Tag, key: &str) -> Option<&'a str> {
    tag.1
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The button that posts `action` (its `value`), which must be on the page.
fn button(html: &str, action: &str) -> Tag {
    tags(html)
        .into_iter()
        .find(|t| t.0 == "button" && attr(t, "value") == Some(action))
        .unwrap_or_else(|| panic!("no button {action} on the page"))
}

fn has_id(html: &str, id: &str) -> bool {
    tags(html).iter().any(|t| attr(t, "id") == Some(id))
}

/// Where a button sends the browser: the builder's address and the fragment it scrolls to.
fn formaction(html: &str, action: &str) -> String {
    attr(&button(html, action), "formaction")
        .unwrap_or_default()
        .to_owned()
}

async fn text(response: reqwest::Response) -> String {
    response.text().await.unwrap_or_default()
}

/// The text of the page's `<title>`.
fn title(html: &str) -> String {
    common::extract_between(html, "<title>", "</title>").unwrap_or_default()
}

/// Every link of the error summary names an element on the page; returns the fragments.
fn summary_links(html: &str) -> Vec<String> {
    let summary = common::extract_between(html, "id=\"error-summary\"", "</div>")
        .unwrap_or_else(|| panic!("an error summary: {html}"));
    let links: Vec<String> = tags(&summary)
        .iter()
        .filter(|t| t.0 == "a")
        .filter_map(|t| {
            attr(t, "href")
                .and_then(|h| h.strip_prefix('#'))
                .map(str::to_owned)
        })
        .collect();
    for id in &links {
        assert!(
            has_id(html, id),
            "the summary links to #{id}, which is on the page"
        );
    }
    links
}

#[tokio::test]
async fn each_builder_step_returns_to_the_item_or_the_results_it_came_from() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let builder = format!("{case}/programme/builder");
    let chin = exercise_id(&app, "chin-tuck");
    let cat = exercise_id(&app, "cat-cow");
    let angels = exercise_id(&app, "wall-angels");

    // Searching returns to the results; adding from them goes to the new item.
    let results = text(post_builder(&t, &case, &[], "search", &[("q", "chin tuck")]).await).await;
    assert_eq!(
        formaction(&results, "search"),
        format!("{builder}#library-results")
    );
    assert!(has_id(&results, "library-results"));
    assert_eq!(
        formaction(&results, &format!("add:{chin}")),
        format!("{builder}#item-{chin}")
    );
    let response = post_builder(
        &t,
        &case,
        &[],
        &format!("add:{chin}"),
        &[("q", "chin tuck")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let added = text(response).await;
    assert!(
        has_id(&added, &format!("item-{chin}")),
        "the anchor the browser scrolls to"
    );
    // The result now says it is in the programme, with a link to it, instead of "Add".
    assert!(
        !tags(&added)
            .iter()
            .any(|t| attr(t, "value") == Some(&format!("add:{chin}")))
    );
    assert!(added.contains(&format!("href=\"#item-{chin}\"")));

    // Moving keeps the moved item in view; removing goes to the item that takes its place.
    let three = [
        item(chin, "3", "5", "both"),
        item(cat, "1", "0", "both"),
        item(angels, "2", "0", "both"),
    ];
    let page = text(post_builder(&t, &case, &three, "keep", &[]).await).await;
    assert_eq!(formaction(&page, "up:1"), format!("{builder}#item-{cat}"));
    assert_eq!(
        formaction(&page, "down:0"),
        format!("{builder}#item-{chin}")
    );
    assert_eq!(
        formaction(&page, "remove:0"),
        format!("{builder}#item-{cat}")
    );
    assert_eq!(
        formaction(&page, "remove:1"),
        format!("{builder}#item-{angels}")
    );
    assert_eq!(
        formaction(&page, "remove:2"),
        format!("{builder}#item-{cat}")
    );
    let moved = text(post_builder(&t, &case, &three, "up:1", &[]).await).await;
    assert!(has_id(&moved, &format!("item-{cat}")));
    let first = moved.find("1. Cat-cow").unwrap_or(usize::MAX);
    let second = moved.find("2. Chin tuck").unwrap_or(0);
    assert!(first < second, "cat-cow moved up above chin tuck");

    // Removing the only item returns to the list's heading.
    let one = text(post_builder(&t, &case, &three[..1], "keep", &[]).await).await;
    assert_eq!(
        formaction(&one, "remove:0"),
        format!("{builder}#programme-heading")
    );
    let emptied = text(post_builder(&t, &case, &three[..1], "remove:0", &[]).await).await;
    assert!(has_id(&emptied, "programme-heading"));
    assert!(emptied.contains("No exercises yet"));
    assert_eq!(app.count("programme_versions"), 0, "no step saves anything");
}

#[tokio::test]
async fn enter_in_a_builder_field_presses_a_button_that_keeps_what_is_typed() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let typed = || {
        let mut typed = item(chin, "12a", "5", "left");
        typed.note = "Slowly, on a count of five";
        typed
    };
    let page = text(post_builder(&t, &case, &[typed()], "keep", &[]).await).await;
    // Enter in a text field presses the form's first submit button.
    let all = tags(&page);
    let form = all
        .iter()
        .position(|t| t.0 == "form" && attr(t, "class") == Some("builder"))
        .unwrap_or_else(|| panic!("the builder form"));
    let default_button = all[form..]
        .iter()
        .find(|t| t.0 == "button" && attr(t, "type") == Some("submit"))
        .unwrap_or_else(|| panic!("a submit button"));
    assert_eq!(attr(default_button, "value"), Some("keep"));

    // Pressing it (as Enter does, with the search box filled) loses nothing typed.
    let response = post_builder(&t, &case, &[typed()], "keep", &[("q", "wall")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let kept = text(response).await;
    assert!(kept.contains("value=\"12a\""), "the sets as typed");
    assert!(kept.contains("Slowly, on a count of five"));
    assert!(kept.contains("value=\"left\" selected"));
    assert!(kept.contains("value=\"wall\""), "the search as typed");
    assert_eq!(app.count("programme_versions"), 0);
}

#[tokio::test]
async fn a_saved_version_offers_the_sheet_and_the_portal_view_at_once() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let response = post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let version = location(&response);
    assert_eq!(version, format!("{case}/programme/versions/1"));
    let page = t.page(&version).await;
    let links: Vec<(String, String)> = tags(&page)
        .iter()
        .filter(|t| t.0 == "a")
        .filter_map(|t| attr(t, "href").map(|h| (h.to_owned(), String::new())))
        .collect();
    let sheet = format!("{case}/programme.pdf?version=1");
    let portal_view = format!("{case}/programme/sheet");
    assert!(
        links.iter().any(|(h, _)| *h == sheet),
        "Print sheet: {page}"
    );
    assert!(
        links.iter().any(|(h, _)| *h == portal_view),
        "Open portal view"
    );
    assert!(page.contains(">Print sheet</a>") && page.contains(">Open portal view</a>"));

    let pdf = t.get(&sheet).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    let bytes = pdf.bytes().await.unwrap_or_default();
    assert!(bytes.starts_with(b"%PDF"), "the link prints the sheet");
    let view = t.page(&portal_view).await;
    assert!(view.contains("Chin tuck"));
}

#[tokio::test]
async fn a_refused_form_titles_itself_an_error_and_links_each_message_to_its_field() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;

    // A new patient with no name and no date of birth.
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &[
                ("given_name", ""),
                ("family_name", ""),
                ("date_of_birth", ""),
                ("sex", ""),
                ("phone", ""),
                ("email", ""),
                ("clinic_reference", ""),
                ("primary_therapist_id", ""),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(response).await;
    assert!(title(&html).starts_with("Error: "), "{}", title(&html));
    let links = summary_links(&html);
    for field in ["given_name", "family_name", "date_of_birth"] {
        assert!(links.contains(&field.to_owned()), "{field} in {links:?}");
    }
    common::assert_fields_described("/patients/new", &html);
    let fine = t.page("/patients/new").await;
    assert!(
        !title(&fine).starts_with("Error"),
        "only a refused form says so"
    );

    // The red-flag screen of an assessment: an unknown answer is tied to its question.
    let new = format!("{case}/assessments/new?kind=initial");
    let response = t
        .submit(
            &new,
            &format!("{case}/assessments?kind=initial"),
            &[
                ("assessed_at", days_ago(1).as_str()),
                ("rf_chest-pain", "maybe"),
                ("intent", "sign"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(response).await;
    assert!(title(&html).starts_with("Error: "));
    assert!(summary_links(&html).contains(&"rf_chest-pain".to_owned()));
    let radios: Vec<Tag> = tags(&html)
        .into_iter()
        .filter(|t| t.0 == "input" && attr(t, "name") == Some("rf_chest-pain"))
        .collect();
    assert_eq!(radios.len(), 3, "yes, no, not asked");
    for radio in &radios {
        assert_eq!(attr(radio, "aria-invalid"), Some("true"));
        let described = attr(radio, "aria-describedby").unwrap_or_default();
        assert!(
            described.split(' ').any(|id| id == "rf_chest-pain-error"),
            "{described}"
        );
    }
    assert!(has_id(&html, "rf_chest-pain-error"));

    // The red-flag action form: with a flag waiting, nothing chosen is refused field by field.
    let response = t
        .submit(
            &new,
            &format!("{case}/assessments?kind=initial"),
            &with_screen(
                &[("assessed_at", days_ago(1).as_str()), ("intent", "sign")],
                &["chest-pain"],
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let flags = format!("{case}/red-flags");
    let response = t.submit(&flags, &flags, &[("reason", "")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(response).await;
    assert!(title(&html).starts_with("Error: "));
    let links = summary_links(&html);
    assert!(
        links.contains(&"flag".to_owned()) && links.contains(&"action".to_owned()),
        "{links:?}"
    );
    for name in ["flag", "action"] {
        let controls: Vec<Tag> = tags(&html)
            .into_iter()
            .filter(|t| t.0 == "input" && attr(t, "name") == Some(name))
            .collect();
        assert!(!controls.is_empty());
        for control in &controls {
            assert_eq!(attr(control, "aria-invalid"), Some("true"), "{name}");
            let described = attr(control, "aria-describedby").unwrap_or_default();
            assert!(
                described.contains(&format!("{name}-error")),
                "{name}: {described}"
            );
        }
    }
    common::assert_fields_described(&flags, &html);
}

async fn record_pain(t: &Browser, case: &str, score: &str, when: &str) {
    let token = t.csrf_token(case).await;
    let key = physiocase::secrets::random_token();
    let response = t
        .post_url(
            &format!("{case}/pain"),
            &[
                ("csrf_token", token.as_str()),
                ("score", score),
                ("context", "now"),
                ("recorded_at", when),
                ("note", ""),
                ("idempotency_key", key.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// The rows of the table under a pain chart: (when, context, score).
fn score_rows(html: &str) -> Vec<(String, String, String)> {
    let table = common::extract_between(html, "as a table</summary>", "</table>")
        .unwrap_or_else(|| panic!("the scores as a table: {html}"));
    table
        .split("<tr>")
        .skip(2)
        .map(|row| {
            let cells: Vec<String> = row
                .split("</td>")
                .filter_map(|cell| cell.rsplit('>').next().map(str::to_owned))
                .filter(|cell| !cell.is_empty())
                .collect();
            (
                cells.first().cloned().unwrap_or_default(),
                cells.get(1).cloned().unwrap_or_default(),
                cells.get(2).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_pain_chart_has_a_phone_layout_and_its_scores_as_a_table() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let first = days_ago(20);
    let second = days_ago(10);
    record_pain(&t, &case, "8", &first).await;
    record_pain(&t, &case, "3", &second).await;
    let shown = |at: &str| {
        chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M")
            .map(|t| t.format("%-d %b %Y %H:%M").to_string())
            .unwrap_or_default()
    };

    let page = t.page(&case).await;
    assert_eq!(
        score_rows(&page),
        vec![
            (shown(&second), "Now".to_owned(), "3".to_owned()),
            (shown(&first), "Now".to_owned(), "8".to_owned()),
        ],
        "newest first, in the clinic's time"
    );
    assert!(
        page.contains("class=\"pc-chart pc-chart--phone\""),
        "the phone layout"
    );
    assert!(page.contains("viewBox=\"0 0 360 344\""));

    // The patient's portal shows the same chart, phone layout and table.
    let patient_id = case_patient_id(&app, &case);
    let patient = portal_patient(&app, &t, patient_id, "zoe@home.test").await;
    let me = patient.page("/me").await;
    assert!(me.contains("class=\"pc-chart pc-chart--phone\""));
    let rows = score_rows(&me);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].2, "3");
    assert_eq!(rows[1].2, "8");
}

#[tokio::test]
async fn the_review_charts_have_their_figures_as_tables() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    record_pain(&t, &case, "8", &days_ago(20)).await;
    record_pain(&t, &case, "4", &days_ago(5)).await;
    let admin = app.browser();
    let response = admin
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", common::PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let review = admin.page("/admin").await;
    let tables: Vec<&str> = review
        .split("<details class=\"data-details\">")
        .skip(1)
        .collect();
    assert_eq!(tables.len(), 2, "one table for each chart");
    // One case went from 8 to 4: a change of -4 points, one case.
    assert!(
        tables[0].contains("<th scope=\"row\">-4</th><td data-label=\"Cases\">1</td>"),
        "{}",
        tables[0]
    );
    // The case was opened today: the last week's row counts it.
    let new_cases: usize = tables[1]
        .split("data-label=\"New cases\">")
        .skip(1)
        .filter_map(|cell| cell.split('<').next().and_then(|n| n.parse::<usize>().ok()))
        .sum();
    assert_eq!(new_cases, 1);
}
