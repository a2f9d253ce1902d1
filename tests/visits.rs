//! Consent on a case and visit notes: recorded and withdrawn consent, the signing rule,
//! drafts, signatures, addenda, missed visits and the counts that follow from them.

mod common;

use common::clinic::{
    add_case_without_consent, consent_decision, exercise_id, item, new_patient, open_case,
    post_builder,
};
use common::{Browser, TestApp, assert_fields_described, extract_between, location, spawn_app};
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

/// The value a page's form offers in a date-and-time field (now, in the clinic's zone).
fn offered_time(html: &str, field: &str) -> String {
    extract_between(
        html,
        &format!("name=\"{field}\" type=\"datetime-local\" value=\""),
        "\"",
    )
    .unwrap_or_else(|| panic!("the form offers a time in {field}: {html}"))
}

/// Posts the visit form of `page` (its action `action`) with `fields`, the time the form
/// offers unless `fields` gives one.
async fn post_visit(
    t: &Browser,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = t.page(page).await;
    let token = common::csrf_from(&html).unwrap_or_default();
    let now = offered_time(&html, "visited_at");
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    if !fields.iter().any(|(k, _)| *k == "visited_at") {
        all.push(("visited_at", now.as_str()));
    }
    all.extend_from_slice(fields);
    t.post_url(action, &all).await
}

async fn new_visit(t: &Browser, case: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    post_visit(
        t,
        &format!("{case}/visits/new"),
        &format!("{case}/visits"),
        fields,
    )
    .await
}

/// A therapist's case with no consent recorded.
async fn case_without_consent(app: &TestApp) -> (Browser, Browser, String) {
    let (admin, t) = app.therapist().await;
    let patient = new_patient(&t).await;
    let case = add_case_without_consent(&t, &patient, "Thoracic pain").await;
    (admin, t, case)
}

fn visit_status(app: &TestApp, id: i64) -> String {
    use diesel::prelude::*;
    use physiocase::db::schema::visit_notes::dsl;
    dsl::visit_notes
        .find(id)
        .select(dsl::status)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("visit {id}: {e}"))
}

fn visit_id(path: &str) -> i64 {
    path.trim_start_matches("/visits/")
        .parse()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn consent_is_recorded_and_withdrawn_and_never_changed() {
    let app = spawn_app().await;
    let (_admin, t, case) = case_without_consent(&app).await;
    let page = t.page(&case).await;
    assert_eq!(
        page.matches("Not recorded").count(),
        3,
        "no consent of any kind yet"
    );

    // Consent to the portal, given by the patient's daughter, in writing.
    let consent = format!("{case}/consent");
    let form = t.page(&consent).await;
    assert_fields_described(&consent, &form);
    let at = offered_time(&form, "consent_at");
    let token = common::csrf_from(&form).unwrap_or_default();
    let representative = |name: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("consent_kind", "portal".to_owned()),
            ("consent_decision", "given".to_owned()),
            ("consent_method", "written".to_owned()),
            ("consent_given_by", "representative".to_owned()),
            ("consent_name", name.to_owned()),
            ("consent_relationship", "daughter".to_owned()),
            ("consent_at", at.clone()),
        ]
    };
    // Someone on the patient's behalf is named: without the name nothing is stored.
    let response = t
        .client
        .post(t.url(&consent))
        .form(&representative(""))
        .send()
        .await;
    let response = response.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("Enter the name of the person who decided."),
        "{html}"
    );
    assert!(
        html.contains("value=\"daughter\""),
        "what was typed is kept"
    );
    assert_fields_described("refused consent form", &html);
    assert_eq!(app.count("consent_events"), 0);

    let response = t
        .client
        .post(t.url(&consent))
        .form(&representative("Ann Smith"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    consent_decision(&t, &case, "treatment", "given").await;
    consent_decision(&t, &case, "gp-sharing", "given").await;
    let page = t.page(&case).await;
    assert!(page.contains("written, by Ann Smith (daughter)"), "{page}");
    assert!(!page.contains("Not recorded"));

    // Withdrawn is recorded as a new decision; the old ones stay.
    consent_decision(&t, &case, "gp-sharing", "withdrawn").await;
    let page = t.page(&case).await;
    assert!(page.contains("Withdrawn"));
    assert!(page.contains("Consent to sharing with the gp withdrawn"));
    let history = t.page(&consent).await;
    assert_eq!(history.matches("<td data-label=\"Decision\">").count(), 4);
    assert_eq!(app.count("consent_events"), 4);

    // The database refuses to change or remove a consent record.
    let changed = app
        .conn()
        .batch_execute("UPDATE consent_events SET decision = 'given'");
    assert!(changed.is_err(), "a consent record cannot be changed");
    let removed = app.conn().batch_execute("DELETE FROM consent_events");
    assert!(removed.is_err(), "a consent record cannot be removed");
    assert_eq!(app.count("consent_events"), 4);

    let actions = app.audit_actions();
    assert_eq!(
        actions.iter().filter(|a| *a == "consent.recorded").count(),
        4
    );
}

#[tokio::test]
async fn signing_without_consent_says_why_and_takes_the_consent_in_the_same_submit() {
    let app = spawn_app().await;
    let (_admin, t, case) = case_without_consent(&app).await;
    let new = format!("{case}/assessments/new?kind=initial");
    let form = t.page(&new).await;
    assert!(form.contains("has no consent to assessment and treatment recorded"));
    assert_fields_described(&new, &form);
    let now = offered_time(&form, "assessed_at");
    let mut fields: Vec<(String, String)> = vec![
        ("assessed_at".into(), now.clone()),
        (
            "presenting_complaint".into(),
            "Stiff between the shoulders".into(),
        ),
        ("intent".into(), "sign".into()),
    ];
    for (flag, _) in physiocase::domain::clinical::RED_FLAGS {
        fields.push((format!("rf_{flag}"), "no".into()));
    }
    let as_refs = |fields: &[(String, String)]| -> Vec<(String, String)> { fields.to_vec() };
    let post = |fields: Vec<(String, String)>| {
        let t = &t;
        let new = new.clone();
        let case = case.clone();
        async move {
            let token = t.csrf_token(&new).await;
            let mut all = vec![("csrf_token".to_owned(), token)];
            all.extend(fields);
            t.client
                .post(t.url(&format!("{case}/assessments?kind=initial")))
                .form(&all)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };

    let response = post(as_refs(&fields)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("This case has no consent to assessment and treatment recorded, so nothing on it can be signed."),
        "{html}"
    );
    assert!(
        html.contains("Stiff between the shoulders"),
        "typed text kept"
    );
    assert_fields_described("assessment refused for want of consent", &html);
    assert_eq!(app.count("assessments"), 0);
    assert!(
        app.audit_actions()
            .contains(&"consent.signing_refused".to_owned())
    );

    // Consent recorded and the assessment signed in one submit.
    let mut with_consent = fields.clone();
    for (key, value) in [
        ("consent_method", "verbal"),
        ("consent_given_by", "patient"),
        ("consent_at", now.as_str()),
    ] {
        with_consent.push((key.into(), value.into()));
    }
    let response = post(with_consent).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let assessment = location(&response);
    let html = t.page(&assessment).await;
    assert!(html.contains("Signed"), "{html}");
    assert_eq!(app.count("consent_events"), 1);
    let page = t.page(&case).await;
    assert!(page.contains("verbal, by the patient"));
}

#[tokio::test]
async fn withdrawn_consent_stops_signing_until_it_is_given_again() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    consent_decision(&t, &case, "treatment", "withdrawn").await;

    // A draft assessment is saved; signing it is refused, with the reason on its form.
    let now = offered_time(
        &t.page(&format!("{case}/assessments/new?kind=initial"))
            .await,
        "assessed_at",
    );
    let response = t
        .submit(
            &format!("{case}/assessments/new?kind=initial"),
            &format!("{case}/assessments?kind=initial"),
            // The whole red-flag screen answered: only the consent stands in the way.
            &common::clinic::with_screen(
                &[
                    ("assessed_at", now.as_str()),
                    ("presenting_complaint", "Aching"),
                    ("intent", "draft"),
                ],
                &[],
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let assessment = location(&response);
    let response = t
        .submit(&assessment, &format!("{assessment}/sign"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{assessment}/edit"));
    let edit = t.page(&format!("{assessment}/edit")).await;
    assert!(edit.contains("has been withdrawn on this case"), "{edit}");
    assert!(t.page(&assessment).await.contains(">Draft<"));

    // A visit note likewise.
    let response = new_visit(
        &t,
        &case,
        &[
            ("attendance", "attended"),
            ("subjective", "Better"),
            ("intent", "sign"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Consent to assessment and treatment has been withdrawn"));
    assert_eq!(app.count("visit_notes"), 0);
    let response = new_visit(
        &t,
        &case,
        &[
            ("attendance", "attended"),
            ("subjective", "Better"),
            ("intent", "draft"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let visit = location(&response);

    // Given again, on the draft's own form: the note is signed.
    let edit = format!("{visit}/edit");
    let now = offered_time(&t.page(&edit).await, "consent_at");
    let response = post_visit(
        &t,
        &edit,
        &edit,
        &[
            ("attendance", "attended"),
            ("subjective", "Better"),
            ("intent", "sign"),
            ("consent_method", "written"),
            ("consent_given_by", "patient"),
            ("consent_at", now.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(visit_status(&app, visit_id(&visit)), "signed");
    // And the assessment can be signed now too.
    let response = t
        .submit(&assessment, &format!("{assessment}/sign"), &[])
        .await;
    assert_eq!(location(&response), assessment);
    assert!(t.page(&assessment).await.contains("Signed"));
}

#[tokio::test]
async fn a_visit_note_is_drafted_edited_signed_and_then_never_changes() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let wall_angels = exercise_id(&app, "wall-angels");
    let response = post_builder(
        &t,
        &case,
        &[item(wall_angels, "2", "0", "both")],
        "save",
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let form_page = format!("{case}/visits/new");
    assert_fields_described(&form_page, &t.page(&form_page).await);
    let response = new_visit(
        &t,
        &case,
        &[
            ("attendance", "attended"),
            ("duration", "30"),
            ("subjective", "Less stiff in the mornings"),
            ("pain_today", "4"),
            ("treatment", "exercise-therapy"),
            ("treatment", "other"),
            ("treatment_note", "Heat pack before the exercises"),
            ("intent", "draft"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let visit = location(&response);
    let id = visit_id(&visit);
    let html = t.page(&visit).await;
    assert!(html.contains(">Draft<") && html.contains("Less stiff in the mornings"));
    assert!(html.contains("Exercise therapy, Other"));
    assert_eq!(
        app.count("pain_scores"),
        0,
        "a draft's pain is not a score yet"
    );

    // The author edits and signs it.
    let edit = format!("{visit}/edit");
    let form = t.page(&edit).await;
    assert!(
        form.contains("Less stiff in the mornings"),
        "the draft is shown"
    );
    let response = post_visit(
        &t,
        &edit,
        &edit,
        &[
            ("attendance", "attended"),
            ("duration", "40"),
            ("subjective", "Less stiff; sleeping better"),
            ("pain_today", "3"),
            ("objective", "Rotation 45° both ways"),
            ("treatment", "exercise-therapy"),
            ("treatment", "manual-therapy"),
            ("treatment_note", "Mobilisation T4–T6"),
            ("response", "Moved more freely"),
            ("plan", "Progress to the next level"),
            ("intent", "sign"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = t.page(&visit).await;
    assert!(html.contains("Signed") && html.contains("Less stiff; sleeping better"));
    assert!(html.contains("Exercise therapy, Manual therapy"));
    assert!(
        html.contains(&format!(
            "{case}/programme/versions/1\">Programme version 1"
        )),
        "the plan links to the version saved that day: {html}"
    );

    // Today's pain is a pain score at the visit's time.
    {
        use diesel::prelude::*;
        use physiocase::db::schema::{pain_scores, visit_notes};
        let visited_at: chrono::NaiveDateTime = visit_notes::table
            .find(id)
            .select(visit_notes::visited_at)
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
        let scores: Vec<(i32, chrono::NaiveDateTime, String)> = pain_scores::table
            .select((
                pain_scores::score,
                pain_scores::recorded_at,
                pain_scores::recorder_role,
            ))
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scores, vec![(3, visited_at, "therapist".to_owned())]);
    }
    let page = t.page(&case).await;
    assert!(page.contains("Visit: attended (signed)"), "on the timeline");
    assert!(page.contains("Pain 3/10"));

    // Signed means fixed: over HTTP and in the database.
    let response = t.get(&edit).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let response = t
        .submit(
            &visit,
            &edit,
            &[
                ("visited_at", "2024-01-01T10:00"),
                ("attendance", "attended"),
                ("subjective", "Rewritten"),
                ("intent", "draft"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let update = app.conn().batch_execute(&format!(
        "UPDATE visit_notes SET subjective = 'Rewritten' WHERE id = {id}"
    ));
    assert!(
        update.is_err(),
        "the database refuses edits to a signed note"
    );
    let delete = app
        .conn()
        .batch_execute(&format!("DELETE FROM visit_notes WHERE id = {id}"));
    assert!(delete.is_err(), "the database keeps a signed note");
    assert!(!t.page(&visit).await.contains("Rewritten"));

    // Corrections are addenda.
    let response = admin
        .submit(&visit, &format!("{visit}/addenda"), &[("body", "   ")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = t
        .submit(
            &visit,
            &format!("{visit}/addenda"),
            &[("body", "Later: the heat pack was the patient's own.")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        t.page(&visit)
            .await
            .contains("Later: the heat pack was the patient&#39;s own.")
    );
    let page = t.page(&case).await;
    assert!(
        page.contains(&format!(
            "href=\"{visit}\">Addendum to a visit note by Theo Therapist"
        )),
        "the addendum is on the case timeline: {page}"
    );

    let actions = app.audit_actions();
    for action in [
        "visit.created",
        "visit.updated",
        "visit.signed",
        "visit.read",
        "visit.change_refused",
        "visit.addendum_added",
        "pain.recorded",
    ] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
}

#[tokio::test]
async fn a_missed_visit_needs_no_clinical_fields_and_the_counts_follow() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;

    // A visit that did not take place refuses clinical fields, keeping what was typed.
    let response = new_visit(
        &t,
        &case,
        &[
            ("attendance", "did-not-attend"),
            ("pain_today", "5"),
            ("treatment", "taping"),
            ("note", "No answer by phone"),
            ("intent", "sign"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("A visit that did not take place has no pain score"));
    assert!(html.contains("value=\"5\"") && html.contains("No answer by phone"));
    assert_fields_described("refused missed visit", &html);
    assert_eq!(app.count("visit_notes"), 0);

    for (attendance, fields) in [
        ("did-not-attend", vec![("note", "No answer by phone")]),
        ("cancelled-late", vec![]),
        ("cancelled", vec![("note", "Rebooked for next week")]),
        ("attended", vec![("subjective", "Feeling better")]),
    ] {
        let mut all = vec![("attendance", attendance), ("intent", "sign")];
        all.extend(fields);
        let response = new_visit(&t, &case, &all).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{attendance}");
    }
    // A draft is not counted until signed.
    let response = new_visit(
        &t,
        &case,
        &[
            ("attendance", "attended"),
            ("subjective", "Draft"),
            ("intent", "draft"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("pain_scores"), 0);

    let page = t.page(&case).await;
    assert!(
        page.contains("Visits: 1 attended, 2 not attended"),
        "{page}"
    );
    assert!(page.contains("Visit: did not attend (signed)"));

    let review = admin.page("/admin").await;
    let row = review
        .split("<th scope=\"row\">Theo Therapist</th>")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("the therapist's row: {review}"));
    assert!(
        row.contains("class=\"visits-attended\">1<") && row.contains("class=\"visits-missed\">2<"),
        "{row}"
    );
}

#[tokio::test]
async fn a_refused_visit_note_keeps_what_was_typed_and_stores_nothing() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let response = new_visit(
        &t,
        &case,
        &[
            ("visited_at", "2999-01-01T10:00"),
            ("attendance", "attended"),
            ("duration", "half an hour"),
            ("pain_today", "11"),
            ("subjective", "Typed before the mistake"),
            ("treatment", "other"),
            ("intent", "draft"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    for expected in [
        "cannot be in the future",
        "Say what the other treatment was.",
        "value=\"half an hour\"",
        "value=\"11\"",
        "Typed before the mistake",
        "value=\"other\" checked",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }
    assert_fields_described("refused visit note", &html);
    assert_eq!(app.count("visit_notes"), 0);

    // A blank note is not signed.
    let response = new_visit(&t, &case, &[("attendance", "attended"), ("intent", "sign")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("visit_notes"), 0);

    // Only the author edits a draft.
    let response = new_visit(
        &t,
        &case,
        &[
            ("attendance", "attended"),
            ("subjective", "Mine"),
            ("intent", "draft"),
        ],
    )
    .await;
    let visit = location(&response);
    assert_eq!(
        admin.get(&format!("{visit}/edit")).await.status(),
        StatusCode::FORBIDDEN,
        "only the author edits a draft"
    );
}
