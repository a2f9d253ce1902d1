//! Pain over time, the patient portal and the therapist's dashboard.

mod common;

use common::clinic::{
    case_for, case_patient_id, consent_decision, exercise_id, item, open_case, portal_patient,
    post_builder, set_review_date, with_screen,
};
use common::{Browser, PASSWORD, days_ago, location, save_version_at, spawn_app};
use reqwest::StatusCode;

async fn record_pain(
    t: &Browser,
    case: &str,
    score: &str,
    context: &str,
    when: &str,
    key: &str,
) -> reqwest::Response {
    let token = t.csrf_token(case).await;
    t.post_url(
        &format!("{case}/pain"),
        &[
            ("csrf_token", token.as_str()),
            ("score", score),
            ("context", context),
            ("recorded_at", when),
            ("note", ""),
            ("idempotency_key", key),
        ],
    )
    .await
}

#[tokio::test]
async fn the_same_idempotency_key_stores_one_score() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let key = physiocase::secrets::random_token();
    for _ in 0..3 {
        let response = record_pain(&t, &case, "6", "now", "", &key).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        app.count("pain_scores"),
        1,
        "a double click or a retry never stores twice"
    );
    record_pain(
        &t,
        &case,
        "5",
        "now",
        "",
        &physiocase::secrets::random_token(),
    )
    .await;
    assert_eq!(app.count("pain_scores"), 2);

    let response = record_pain(
        &t,
        &case,
        "11",
        "now",
        "",
        &physiocase::secrets::random_token(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("0 (no pain) to 10")
    );
    assert_eq!(app.count("pain_scores"), 2);
}

#[tokio::test]
async fn the_case_page_shows_the_chart_and_the_right_summary_label() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let html = t.page(&case).await;
    assert!(html.contains("No pain scores recorded yet"));
    assert!(html.contains("not enough scores yet"));

    record_pain(
        &t,
        &case,
        "8",
        "now",
        "2024-01-01T09:00",
        "key-aaaaaaaaaaaaaaaa1",
    )
    .await;
    record_pain(
        &t,
        &case,
        "9",
        "activity",
        "2024-01-02T09:00",
        "key-aaaaaaaaaaaaaaaa2",
    )
    .await;
    record_pain(
        &t,
        &case,
        "5",
        "now",
        "2024-01-15T09:00",
        "key-aaaaaaaaaaaaaaaa3",
    )
    .await;
    let html = t.page(&case).await;
    assert!(html.contains("<svg"), "server-rendered chart");
    assert!(html.contains("Baseline 8"), "baseline drawn");
    assert!(
        html.contains("Important improvement ≤ 5") || html.contains("Important improvement &le; 5"),
        "MCID threshold drawn"
    );
    assert!(html.contains("clinically important improvement"));
    assert!(
        html.contains("−3 points (−38 %)"),
        "{}",
        html.lines()
            .filter(|l| l.contains("points"))
            .collect::<String>()
    );

    record_pain(
        &t,
        &case,
        "10",
        "now",
        "2024-01-20T09:00",
        "key-aaaaaaaaaaaaaaaa4",
    )
    .await;
    let html = t.page(&case).await;
    assert!(html.contains("<strong>worsening</strong>"));
}

#[tokio::test]
async fn the_case_timeline_pages_newest_first_while_the_chart_shows_every_score() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    for day in 1..=27 {
        let response = record_pain(
            &t,
            &case,
            &(day % 11).to_string(),
            "now",
            &format!("2024-01-{day:02}T09:00"),
            &format!("key-timeline-page-{day:04}"),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "score of day {day}"
        );
    }
    let entries = |html: &str| html.matches("<li class=\"timeline__entry").count();

    // The newest entry is the consent to treatment recorded when the case was opened.
    let first = t.page(&case).await;
    assert_eq!(entries(&first), 25);
    assert!(first.contains("Consent to assessment and treatment given"));
    assert!(
        first.contains(">27 Jan 2024, 09:00 UTC<") && first.contains(">4 Jan 2024, 09:00 UTC<")
    );
    assert!(
        !first.contains(">3 Jan 2024, 09:00 UTC<"),
        "day 3 is on the next page"
    );
    assert!(first.contains("1–25 of 28"), "the pager counts every entry");
    assert!(
        first.contains("href=\"?page=2#timeline\""),
        "the next page opens at the timeline"
    );
    assert!(
        first.contains("27 pain scores"),
        "the chart draws every score"
    );

    let second = t.page(&format!("{case}?page=2")).await;
    assert_eq!(entries(&second), 3);
    assert!(
        second.contains(">3 Jan 2024, 09:00 UTC<") && second.contains(">1 Jan 2024, 09:00 UTC<")
    );
    assert!(!second.contains(">4 Jan 2024, 09:00 UTC<"));
    assert!(second.contains("href=\"?page=1#timeline\""));
    assert!(
        second.contains("27 pain scores"),
        "the chart is the same on every page"
    );

    // A page past the end shows the last one.
    let (status, beyond) = t.get_text(&format!("{case}?page=99")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(entries(&beyond), 3);
}

#[tokio::test]
async fn a_patient_signs_in_with_the_link_logs_pain_and_adherence_and_the_therapist_sees_them() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let cat = exercise_id(&app, "cat-cow");
    post_builder(
        &t,
        &case,
        &[
            item(chin, "3", "5", "each-side"),
            item(cat, "1", "0", "both"),
        ],
        "save",
        &[],
    )
    .await;
    let patient_id = case_patient_id(&app, &case);
    let p = portal_patient(&app, &t, patient_id, "zoe@example.test").await;

    let (status, me) = p.get_text("/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        me.contains("Chin tuck")
            && me.contains("3 sets of 10, hold 5 seconds, each side, twice a day, every day")
    );
    assert!(me.contains("/me/programme.pdf"));

    // Log pain (twice with the same key: stored once) and tick one exercise.
    let token = p.csrf_token("/me").await;
    let key = physiocase::secrets::random_token();
    for _ in 0..2 {
        let response = p
            .post_url(
                "/me/pain",
                &[
                    ("csrf_token", token.as_str()),
                    ("score", "4"),
                    ("context", "rest"),
                    ("recorded_at", ""),
                    ("note", "After a long day"),
                    ("idempotency_key", key.as_str()),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("pain_scores"), 1);
    // A date before the patient was born is refused on the portal too, on its own page.
    let response = p
        .post_url(
            "/me/pain",
            &[
                ("csrf_token", token.as_str()),
                ("score", "4"),
                ("context", "rest"),
                ("recorded_at", "1900-01-01T10:00"),
                ("note", ""),
                (
                    "idempotency_key",
                    physiocase::secrets::random_token().as_str(),
                ),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("date of birth (31 Mar 1980)"), "{html}");
    // On a phone the form is far down the page: the top of the page says so and links to it.
    let top = html.split("<h1>").nth(1).unwrap_or_default();
    assert!(
        top.contains("Your pain score is not saved yet.") && top.contains("href=\"#log-pain\"")
    );
    assert!(html.contains("id=\"log-pain\""));
    assert_eq!(app.count("pain_scores"), 1);
    let chin_id = chin.to_string();
    for _ in 0..2 {
        let response = p.tick_done(&token, &chin_id).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("adherence_ticks"), 1);
    let me = p.page("/me").await;
    assert!(me.contains("✓ Done today"));
    assert!(me.contains("Baseline 4"), "their own chart");

    // A tick by mistake is taken back, and can be given again.
    assert!(me.contains("action=\"/me/done/undo\""));
    let undo = p
        .post_url(
            "/me/done/undo",
            &[
                ("csrf_token", token.as_str()),
                ("exercise_id", chin_id.as_str()),
            ],
        )
        .await;
    assert_eq!(location(&undo), "/me#exercises");
    assert_eq!(app.count("adherence_ticks"), 0);
    let me = p.page("/me").await;
    assert!(!me.contains("✓ Done today"));
    assert!(
        me.contains("no longer marked as done today"),
        "says what happened"
    );
    let again = p.tick_done(&token, &chin_id).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("adherence_ticks"), 1);

    let pdf = p.get("/me/programme.pdf").await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(
        pdf.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/pdf"[..])
    );

    // The therapist sees the score and the adherence.
    let case_page = t.page(&case).await;
    assert!(case_page.contains("Pain 4/10 (at rest)"));
    assert!(case_page.contains("recorded by Zoë Łukasiewicz: After a long day"));
    assert!(case_page.contains("1 of 2"), "today's adherence row");
    let actions = app.audit_actions();
    for action in [
        "portal.access_given",
        "portal.read",
        "portal.pain_logged",
        "portal.done_ticked",
        "portal.done_undone",
        "programme.printed",
    ] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }

    // A red flag raised at a review: the patient is asked to call before exercising,
    // and neither the PDF nor the browser sheet is offered until it is dealt with.
    let new = format!("{case}/assessments/new?kind=review");
    t.submit(
        &new,
        &format!("{case}/assessments?kind=review"),
        &[("assessed_at", days_ago(0).as_str()), ("rf_fever", "yes")],
    )
    .await;
    let me = p.page("/me").await;
    assert!(me.contains("Please contact the clinic before you do these exercises."));
    assert!(
        !me.contains("href=\"/me/programme.pdf\""),
        "no print button"
    );
    let sheet = t.get(&format!("{case}/programme/sheet")).await;
    assert_eq!(
        sheet.status(),
        StatusCode::SEE_OTHER,
        "no browser sheet either"
    );
    assert_eq!(location(&sheet), format!("{case}/programme"));
}

#[tokio::test]
async fn another_patient_is_refused_everything_of_the_first_and_refusals_are_audited() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let first_patient = case_patient_id(&app, &case);
    let new = format!("{case}/assessments/new?kind=initial");
    let assessment = location(
        &t.submit(
            &new,
            &format!("{case}/assessments?kind=initial"),
            &with_screen(
                &[
                    ("assessed_at", days_ago(2).as_str()),
                    ("presenting_complaint", "Neck pain at the desk"),
                    ("intent", "sign"),
                ],
                &[],
            ),
        )
        .await,
    );
    let _first = portal_patient(&app, &t, first_patient, "first@example.test").await;

    // A second patient with their own case and programme.
    let second_case = common::clinic::open_case(&t).await;
    let cat = exercise_id(&app, "cat-cow");
    post_builder(
        &t,
        &second_case,
        &[item(cat, "1", "0", "both")],
        "save",
        &[],
    )
    .await;
    let second = portal_patient(
        &app,
        &t,
        case_patient_id(&app, &second_case),
        "second@example.test",
    )
    .await;

    let denied_before = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "access.denied")
        .count();
    let paths = [
        format!("/patients/{first_patient}"),
        format!("/patients/{first_patient}/edit"),
        format!("/patients/{first_patient}/portal"),
        format!("/patients/{first_patient}/cases/new"),
        case.clone(),
        format!("{case}/programme"),
        format!("{case}/programme.pdf"),
        format!("{case}/programme/sheet"),
        format!("{case}/programme/versions/1"),
        format!("{case}/programme/builder"),
        format!("{case}/pain/new"),
        format!("{case}/red-flags"),
        format!("{case}/discharge"),
        assessment.clone(),
        "/patients".to_owned(),
        "/exercises".to_owned(),
        "/templates".to_owned(),
        "/admin/staff".to_owned(),
    ];
    for path in &paths {
        let status = second.get(path).await.status();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "GET {path}: {status}"
        );
    }
    let token = second.csrf_token("/me").await;
    for path in [
        format!("{case}/pain"),
        format!("/patients/{first_patient}/portal"),
        format!("/patients/{first_patient}/portal/revoke"),
        format!("{case}/programme/builder"),
    ] {
        let status = second
            .post_url(
                &path,
                &[
                    ("csrf_token", token.as_str()),
                    ("score", "9"),
                    ("context", "now"),
                    ("idempotency_key", "k".repeat(32).as_str()),
                ],
            )
            .await
            .status();
        assert_eq!(status, StatusCode::FORBIDDEN, "POST {path}");
    }
    // The first patient's exercise cannot be ticked on the second's programme.
    let response = second.tick_done(&token, chin).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let denied_after = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "access.denied")
        .count();
    assert!(
        denied_after - denied_before >= paths.len(),
        "each refusal is audited"
    );
    assert!(
        app.audit_actions()
            .contains(&"portal.done_refused".to_owned())
    );
    // Their own portal shows only their own programme.
    let me = second.page("/me").await;
    assert!(me.contains("Cat-cow") && !me.contains("Chin tuck"));
    assert_eq!(app.count("pain_scores"), 0);
}

#[tokio::test]
async fn used_and_expired_links_are_refused_clearly_and_revoking_ends_sessions() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let patient_id = case_patient_id(&app, &case);
    let page = format!("/patients/{patient_id}/portal");
    let html = t
        .submit(&page, &page, &[("email", "pat@example.test")])
        .await
        .text()
        .await
        .unwrap_or_default();
    let link = common::extract_between(&html, "id=\"portal-link\" readonly value=\"", "\"")
        .unwrap_or_default();
    let p = app.browser();
    assert_eq!(
        p.post_url(&link, &[("password", PASSWORD), ("confirm", PASSWORD)])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let again = app.browser().get(&link).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(
        again
            .text()
            .await
            .unwrap_or_default()
            .contains("already been used")
    );

    // A fresh link that has expired.
    let html = t
        .submit(&page, &page, &[("email", "pat@example.test")])
        .await
        .text()
        .await
        .unwrap_or_default();
    let expired = common::extract_between(&html, "id=\"portal-link\" readonly value=\"", "\"")
        .unwrap_or_default();
    {
        use diesel::prelude::*;
        use physiocase::db::schema::setup_tokens::dsl;
        let raw = expired.rsplit('/').next().unwrap_or_default();
        diesel::update(
            dsl::setup_tokens.filter(dsl::token_hash.eq(physiocase::secrets::token_hash(raw))),
        )
        .set(dsl::expires_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1)))
        .execute(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let response = app.browser().get(&expired).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("expired")
    );

    assert_eq!(p.get("/me").await.status(), StatusCode::OK);
    t.submit(&page, &format!("{page}/revoke"), &[]).await;
    assert_eq!(
        p.get("/me").await.status(),
        StatusCode::SEE_OTHER,
        "revoking ends their sessions"
    );
    let response = app
        .browser()
        .post_url(
            "/login",
            &[("email", "pat@example.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_dashboard_lists_what_needs_attention() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let html = t.page("/").await;
    assert!(html.contains("My caseload"));
    assert!(html.contains("Thoracic pain"), "open case listed");

    record_pain(
        &t,
        &case,
        "3",
        "now",
        "2024-01-01T09:00",
        "key-bbbbbbbbbbbbbbbb1",
    )
    .await;
    record_pain(
        &t,
        &case,
        "7",
        "now",
        "2024-01-08T09:00",
        "key-bbbbbbbbbbbbbbbb2",
    )
    .await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(
        &t,
        &case,
        &[item(chin, "3", "5", "both")],
        "save",
        &[("review_date", &days_ago(-21)[..10])],
    )
    .await;
    set_review_date(&app, &case, "2024-02-01");
    let html = t.page("/").await;
    let section = |key: &str| -> String {
        html.split(&format!("attention--{key}"))
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        section("worsening").contains("Thoracic pain"),
        "worsening listed"
    );
    assert!(
        section("review-due").contains("due 1 Feb 2024"),
        "review due listed"
    );
    assert!(
        section("no-recent-pain").contains("last 8 Jan 2024"),
        "no score for 14 days listed"
    );
    assert!(!section("red-flags").contains("Thoracic pain"));
    assert!(
        html.contains("▲ worsening"),
        "trend has text, not only colour"
    );
}

#[tokio::test]
async fn the_caseload_pages_open_cases_newest_first() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let mut cases = Vec::new();
    for _ in 0..27 {
        cases.push(open_case(&t).await);
    }
    // The table of open cases follows the attention lists; its links are in page order.
    let table = |html: &str| -> Vec<String> {
        html.split("<h2 id=\"open-cases\">Open cases</h2>")
            .nth(1)
            .unwrap_or_default()
            .split("<a href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|href| href.starts_with("/cases/"))
            .map(str::to_owned)
            .collect()
    };
    let newest_first: Vec<String> = cases.iter().rev().cloned().collect();

    let first = t.page("/").await;
    assert!(
        first.contains("1–25 of 27"),
        "the pager counts every open case"
    );
    assert_eq!(table(&first), newest_first[..25], "newest first");

    let second = t.page("/?page=2").await;
    assert!(second.contains("26–27 of 27"));
    assert_eq!(table(&second), newest_first[25..], "the rest on page 2");
}

#[tokio::test]
async fn records_dated_before_the_case_allows_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    // This case's onset is 2023-06-01 and its patient was born on 1980-03-31.
    let (t, case) = case_for(&app).await;

    // A score from 1900 would become the case's baseline: refused, with the text kept.
    let response = record_pain(&t, &case, "4", "rest", "1900-01-01T10:00", &key()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("date of birth (31 Mar 1980)"), "{html}");
    assert!(
        html.contains("value=\"1900-01-01T10:00\""),
        "what was typed is kept"
    );
    let response = record_pain(&t, &case, "4", "rest", "2023-05-31T10:00", &key()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("onset date (1 Jun 2023)"), "{html}");
    assert_eq!(app.count("pain_scores"), 0);
    let response = record_pain(&t, &case, "6", "rest", "2023-06-01T10:00", &key()).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the onset day itself"
    );
    assert_eq!(app.count("pain_scores"), 1);

    // The same rule for an assessment, whose pain scores would date from then too.
    let new = format!("{case}/assessments/new?kind=initial");
    let response = t
        .submit(
            &new,
            &format!("{case}/assessments?kind=initial"),
            &[("assessed_at", "1999-02-01T09:30"), ("intent", "sign")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("onset date (1 Jun 2023)"), "{html}");
    assert_eq!(app.count("assessments"), 0);
    assert_eq!(app.count("pain_scores"), 1);

    // A case cannot begin before its patient was born; without an onset, its records
    // reach back a year before it was opened.
    let patient = case_patient_id(&app, &case);
    let open = |onset: &'static str| {
        let t = &t;
        async move {
            let page = format!("/patients/{patient}/cases/new");
            let form = t.page(&page).await;
            let therapist = form
                .split("name=\"therapist_id\">")
                .nth(1)
                .and_then(|s| s.split("\" selected>").next())
                .and_then(|s| s.rsplit("value=\"").next())
                .unwrap_or_default()
                .to_owned();
            t.submit(
                &page,
                &format!("/patients/{patient}/cases"),
                &[
                    ("title", "Old knee"),
                    ("body_region", "other"),
                    ("onset_date", onset),
                    ("mechanism", ""),
                    ("referral_source", ""),
                    ("goals", ""),
                    ("therapist_id", therapist.as_str()),
                ],
            )
            .await
        }
    };
    let cases_before = app.count("cases");
    let response = open("1970-01-01").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("cannot be before the patient"), "{html}");
    assert!(html.contains("Old knee"), "what was typed is kept");
    assert_eq!(app.count("cases"), cases_before);

    let without_onset = location(&open("").await);
    let response = record_pain(&t, &without_onset, "4", "rest", "2001-06-01T10:00", &key()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("more than a year before the case was opened"),
        "{html}"
    );
    let response = record_pain(&t, &without_onset, "4", "rest", &days_ago(300), &key()).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a paper record from this year"
    );
    assert_eq!(app.count("pain_scores"), 2);
}

fn key() -> String {
    physiocase::secrets::random_token()
}

#[tokio::test]
async fn the_reviews_due_list_starts_with_the_most_overdue_and_links_to_all_of_them() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let chin = exercise_id(&app, "chin-tuck");
    let mut due = Vec::new();
    for n in 0..12_i64 {
        let case = open_case(&t).await;
        // The first case opened is the most overdue: newest-first would hide it.
        let date = (chrono::Utc::now().date_naive() - chrono::Duration::days(30 - n)).to_string();
        post_builder(
            &t,
            &case,
            &[item(chin, "3", "5", "both")],
            "save",
            &[("review_date", &days_ago(-21)[..10])],
        )
        .await;
        set_review_date(&app, &case, &date);
        due.push(date);
    }
    due.sort();
    // Shown as people read dates: "1 Feb 2024".
    let due: Vec<String> = due
        .iter()
        .filter_map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| physiocase::dates::ShownDay::to_day(&d).to_string())
        .collect();
    let home = t.page("/").await;
    let section = home
        .split("attention--review-due")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_default();
    let shown: Vec<&str> = section
        .split("(due ")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .collect();
    assert_eq!(
        shown,
        due[..10].to_vec(),
        "the ten most overdue, oldest first"
    );
    assert!(section.contains("href=\"/?list=review-due#open-cases\""));
    assert!(section.contains("See all 12"));

    let (status, all) = t.get_text("/?list=review-due").await;
    assert_eq!(status, StatusCode::OK);
    assert!(all.contains("Open cases: Reviews due"));
    assert!(all.contains("1–12 of 12"), "every due case in the table");
    let table = all.split("<tbody>").nth(1).unwrap_or_default();
    let listed: Vec<&str> = table
        .split("(review due ")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .collect();
    assert_eq!(listed, due);
}

#[tokio::test]
async fn the_portal_gives_the_clinic_phone_and_says_when_treatment_has_ended() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let p = portal_patient(&app, &t, case_patient_id(&app, &case), "ended@example.test").await;
    let me = p.page("/me").await;
    assert!(!me.contains("Clinic phone:"), "no number set yet");
    let response = admin
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("name", "Harbour Physiotherapy"),
                ("address", ""),
                ("phone", "0117 496 0000"),
                ("email", ""),
                ("default_paper", "a4"),
                ("sheet_footer", ""),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let me = p.page("/me").await;
    let stop_box = me.split("class=\"stop-box\"").nth(1).unwrap_or_default();
    assert!(
        stop_box.contains("Clinic phone: 0117 496 0000"),
        "the number to call"
    );
    let pdf = p.get("/me/programme.pdf").await;
    assert_eq!(
        pdf.status(),
        StatusCode::SEE_OTHER,
        "no programme yet: no missing page"
    );
    assert_eq!(location(&pdf), "/me");
    let me = p.page("/me").await;
    assert!(me.contains("There is no programme to print yet."));
    assert!(me.contains("has not set up your exercises yet"));

    let new = format!("{case}/assessments/new?kind=discharge");
    t.submit(
        &new,
        &format!("{case}/assessments?kind=discharge"),
        &[
            ("assessed_at", days_ago(0).as_str()),
            ("presenting_complaint", "No pain at work now"),
            ("intent", "sign"),
        ],
    )
    .await;
    let discharge = format!("{case}/discharge");
    let response = t
        .submit(&discharge, &discharge, &[("outcome", "goals-met")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let me = p.page("/me").await;
    assert!(me.contains("Your course of treatment at the clinic has ended."));
    assert!(!me.contains("has not set up"));
}

/// Up to 200 bytes of `html` before `marker`, to show what a page said instead.
fn shown_before<'a>(html: &'a str, marker: &str) -> &'a str {
    let end = html.find(marker).unwrap_or(0);
    (0..4)
        .find_map(|slack| html.get(end.saturating_sub(200 + slack)..end))
        .unwrap_or_default()
}

/// Four weeks ago a programme of one exercise on three days a week was saved, and the
/// patient did it on exactly three days of each week since: what the case page and the
/// clinic review read as adherence. The history is written with the app's own save and
/// tick, backdated as the passing of time would have written it.
#[tokio::test]
async fn a_three_days_a_week_programme_done_as_prescribed_reads_all_done() {
    use physiocase::store::pain as pain_queries;

    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let case_id: i64 = case
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("case id in {case}"));
    let chin = exercise_id(&app, "chin-tuck");
    let today = chrono::Utc::now().date_naive();
    let first_day = today - chrono::Duration::days(27);
    let therapist = save_version_at(
        &app,
        case_id,
        chin,
        3,
        first_day.and_hms_opt(8, 0, 0).unwrap_or_default(),
    );
    {
        let mut conn = app.conn();
        // Three days of every week counted back from today: 12 of the 28 days.
        for back in 0..28 {
            if [0, 2, 4].contains(&(back % 7)) {
                let day = today - chrono::Duration::days(back);
                pain_queries::tick(&mut conn, case_id, chin, day, therapist)
                    .unwrap_or_else(|e| panic!("tick: {e}"));
            }
        }
    }
    assert_eq!(app.count("adherence_ticks"), 12);

    let (status, page) = t.get_text(&case).await;
    assert_eq!(status, StatusCode::OK);
    // Counted as days with every exercise done, this read 42 % (12 of 28 days).
    assert!(
        page.contains(
            "<strong>100 %</strong> over the last 14 days, <strong>100 %</strong> over the last 28"
        ),
        "{}",
        shown_before(&page, "over the last 28")
    );

    let (status, review) = admin
        .get_text(&format!("/admin?from={first_day}&to={today}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        review.contains(">100 %</span><span class=\"figure__label\">adherence"),
        "{}",
        shown_before(&review, "</span><span class=\"figure__label\">adherence")
    );
}

#[tokio::test]
async fn withdrawing_consent_to_the_portal_ends_the_patients_access_at_once() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let patient_id = case_patient_id(&app, &case);
    consent_decision(&t, &case, "portal", "given").await;
    let p = portal_patient(&app, &t, patient_id, "withdraws@example.test").await;
    assert_eq!(p.get("/me").await.status(), StatusCode::OK);

    consent_decision(&t, &case, "portal", "withdrawn").await;
    assert_eq!(
        p.get("/me").await.status(),
        StatusCode::SEE_OTHER,
        "the patient's session ended with the withdrawal"
    );
    let response = app
        .browser()
        .post_url(
            "/login",
            &[("email", "withdraws@example.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let actions = app.audit_actions();
    let withdrawn = actions
        .iter()
        .rposition(|a| a == "consent.recorded")
        .unwrap_or_else(|| panic!("the withdrawal is audited: {actions:?}"));
    assert!(
        actions[withdrawn..]
            .iter()
            .any(|a| a == "portal.access_revoked"),
        "the access it ended is audited too: {actions:?}"
    );
}
