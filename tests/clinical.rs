//! Patients, cases and assessments: the clinical record.

mod common;

use common::{Browser, TestApp, assert_fields_described, location, spawn_app};
use reqwest::StatusCode;

fn patient_fields<'a>(
    given: &'a str,
    family: &'a str,
    dob: &'a str,
    reference: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("given_name", given),
        ("family_name", family),
        ("date_of_birth", dob),
        ("sex", "female"),
        ("phone", "+44 20 7946 0000"),
        ("email", ""),
        ("clinic_reference", reference),
        ("primary_therapist_id", ""),
        ("notes", "Prefers morning appointments."),
    ]
}

async fn create_patient(
    t: &Browser,
    given: &str,
    family: &str,
    dob: &str,
    reference: &str,
) -> String {
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &patient_fields(given, family, dob, reference),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "patient created");
    location(&response)
}

async fn open_case(t: &Browser, patient_page: &str) -> String {
    let new = format!("{patient_page}/cases/new");
    let token = t.csrf_token(&new).await;
    let form = t.page(&new).await;
    let select = form
        .split("name=\"therapist_id\">")
        .nth(1)
        .unwrap_or_default();
    let before_selected = select.split("\" selected>").next().unwrap_or_default();
    let therapist = before_selected
        .rsplit("value=\"")
        .next()
        .unwrap_or_default()
        .to_owned();
    let response = t
        .post_url(
            &format!("{patient_page}/cases"),
            &[
                ("csrf_token", &token),
                ("title", "Thoracic pain — postural"),
                ("body_region", "thoracic"),
                ("onset_date", "2024-01-15"),
                ("mechanism", "Long hours at a laptop"),
                ("referral_source", "GP"),
                ("goals", "Work a full day without pain"),
                ("therapist_id", &therapist),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "case opened");
    let case = location(&response);
    common::clinic::record_consent(t, &case).await;
    case
}

/// The fields of an initial assessment; `red_flag` answers the night-pain question.
fn assessment_fields(
    night_pain: &'static str,
    intent: &'static str,
) -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![
        ("assessed_at", "2024-02-01T09:30"),
        ("presenting_complaint", "Ache between the shoulder blades"),
        ("history", "Three months, worse with desk work"),
        ("aggravating", "Sitting over an hour"),
        ("easing", "Walking, heat"),
        ("pain_now", "6"),
        ("pain_best", "3"),
        ("pain_worst", "8"),
        ("body_region", "thoracic-mid"),
        ("body_region", "shoulder-left"),
        ("rom_thoracic-rotation-left", "40"),
        ("rom_thoracic-rotation-right", "55"),
        ("rom_thoracic-flexion", "30"),
        ("rom_thoracic-extension", "15"),
        ("psfs_activity_1", "Working at the computer"),
        ("psfs_score_1", "4"),
        ("psfs_activity_2", "Sleeping through the night"),
        ("psfs_score_2", "5"),
        ("impression", "Postural thoracic pain"),
        ("plan", "Mobility and strengthening programme"),
        ("intent", intent),
        ("rf_night-pain", night_pain),
    ];
    for (flag, _) in physiocase::domain::clinical::RED_FLAGS
        .iter()
        .filter(|(flag, _)| *flag != "night-pain")
    {
        fields.push((Box::leak(format!("rf_{flag}").into_boxed_str()), "no"));
    }
    fields
}

async fn record_assessment(
    t: &Browser,
    case_page: &str,
    kind: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let new = format!("{case_page}/assessments/new?kind={kind}");
    t.submit(
        &new,
        &format!("{case_page}/assessments?kind={kind}"),
        fields,
    )
    .await
}

async fn setup(app: &TestApp) -> Browser {
    let (_admin, therapist) = app.therapist().await;
    therapist
}

#[tokio::test]
async fn the_whole_clinical_journey_with_a_red_flag() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let patient = create_patient(&t, "José", "Núñez", "1980-03-31", "REF-1042").await;

    // Search finds the patient by name without accents, by reference and by date of birth.
    for query in [
        "jose",
        "NUNEZ",
        "José+Núñez",
        "ref-1042",
        "1980-03-31",
        "jos",
        "nunez+1042",
        "1042+JO",
        "1980-03-31+ref",
    ] {
        let (status, html) = t.get_text(&format!("/patients?q={query}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Núñez, José"),
            "search {query} finds the patient"
        );
    }
    for query in ["smith", "jose+smith", "nunez+1043", "1980-03-31+smith"] {
        let html = t.page(&format!("/patients?q={query}")).await;
        assert!(!html.contains("Núñez"), "{query}: {html}");
    }

    let case = open_case(&t, &patient).await;
    let response = record_assessment(&t, &case, "initial", &assessment_fields("yes", "sign")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let assessment = location(&response);

    for page in [&patient, &case] {
        let html = t.page(page).await;
        assert!(html.contains("Red flags need action"), "banner on {page}");
        assert!(
            html.contains("Pain at night that does not ease"),
            "banner names the flag on {page}"
        );
    }
    let html = t.page(&assessment).await;
    assert!(html.contains("Signed"));
    assert!(html.contains("Working at the computer"));
    assert!(html.contains("4.5"), "PSFS average shown");

    // Pain now / best / worst became pain scores on the case timeline.
    let html = t.page(&case).await;
    for line in [
        "Pain 6/10 (now)",
        "Pain 3/10 (best)",
        "Pain 8/10 (worst in 24 h)",
    ] {
        assert!(html.contains(line), "timeline shows {line}");
    }

    // Record the action; the banner goes away.
    let red_flags = format!("{case}/red-flags");
    let response = t
        .submit(
            &red_flags,
            &red_flags,
            &[
                ("flag", "night-pain"),
                ("action", "referred"),
                ("urgency", "soon"),
                ("reason", "Letter to GP for review"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for page in [&patient, &case] {
        let html = t.page(page).await;
        assert!(
            !html.contains("Red flags need action"),
            "banner gone on {page}"
        );
    }
    let html = t.page(&case).await;
    assert!(
        html.contains("Red flags referred to a doctor"),
        "action on the timeline"
    );
    let actions = app.audit_actions();
    for action in [
        "patient.created",
        "patient.search",
        "patient.read",
        "case.opened",
        "case.read",
        "assessment.created",
        "assessment.signed",
        "assessment.read",
        "red_flags.action_recorded",
    ] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
}

/// Posts `fields` to `action` from `page`, expects the form back with its errors, and
/// checks its fields' labels, ids and error descriptions.
async fn form_with_errors(b: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) {
    let response = b.submit(page, action, fields).await;
    let status = response.status();
    let html = response.text().await.unwrap_or_default();
    assert!(
        status.is_client_error() && html.contains("class=\"field__error\" id=\""),
        "{action} answers with its form and errors ({status}): {html}"
    );
    assert_fields_described(action, &html);
}

#[tokio::test]
async fn every_form_field_has_its_label_id_and_its_error_described() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let patient = create_patient(&t, "Ana", "Lima", "1990-05-05", "").await;
    let case = open_case(&t, &patient).await;
    record_assessment(&t, &case, "initial", &assessment_fields("yes", "draft")).await;

    let therapist_pages = [
        "/patients/new".to_owned(),
        format!("{patient}/cases/new"),
        format!("{patient}/portal"),
        format!("{case}/assessments/new?kind=review"),
        format!("{case}/pain/new"),
        format!("{case}/programme/builder"),
        format!("{case}/red-flags"),
        format!("{case}/discharge"),
        format!("{case}/error"),
        "/exercises/new".to_owned(),
        "/account/password".to_owned(),
    ];
    for page in &therapist_pages {
        assert_fields_described(page, &t.page(page).await);
    }
    for page in [
        "/admin/staff/invite",
        "/admin/settings",
        "/admin/audit",
        "/admin",
    ] {
        assert_fields_described(page, &admin.page(page).await);
    }

    let new_patient = [
        ("given_name", ""),
        ("date_of_birth", "2999-01-01"),
        ("email", "x"),
    ];
    form_with_errors(&t, "/patients/new", "/patients", &new_patient).await;
    let new_case = format!("{patient}/cases/new");
    let cases = format!("{patient}/cases");
    let no_case = [("title", ""), ("body_region", ""), ("therapist_id", "")];
    form_with_errors(&t, &new_case, &cases, &no_case).await;
    let review = format!("{case}/assessments/new?kind=review");
    let assessments = format!("{case}/assessments?kind=review");
    let bad_review = [
        ("assessed_at", "1900-01-01T10:00"),
        ("pain_now", "11"),
        ("rom_thoracic-flexion", "700"),
        ("psfs_activity_1", "Stairs"),
        ("psfs_score_1", "12"),
        ("intent", "draft"),
    ];
    form_with_errors(&t, &review, &assessments, &bad_review).await;
    let pain_page = format!("{case}/pain/new");
    let pain = format!("{case}/pain");
    let bad_pain = [
        ("idempotency_key", "k-1"),
        ("score", "12"),
        ("context", "now"),
    ];
    form_with_errors(&t, &pain_page, &pain, &bad_pain).await;
    // A case without red flags: the builder checks the dosage, not the red-flag gate.
    let plain_case = open_case(&t, &patient).await;
    let builder = format!("{plain_case}/programme/builder");
    let exercise = common::clinic::exercise_id(&app, "chin-tuck").to_string();
    let bad_item = [
        ("action", "save"),
        ("item_0_exercise", exercise.as_str()),
        ("item_0_sets", "99"),
        ("item_0_reps", "abc"),
        ("item_0_side", "both"),
        ("review_date", "soon"),
    ];
    form_with_errors(&t, &builder, &builder, &bad_item).await;
    let no_exercise = [("name", ""), ("sets", "abc")];
    form_with_errors(&t, "/exercises/new", "/exercises", &no_exercise).await;
    let weak = [
        ("current", "wrong"),
        ("password", "short"),
        ("confirm", "short"),
    ];
    form_with_errors(&t, "/account/password", "/account/password", &weak).await;
    let red_flags = format!("{case}/red-flags");
    form_with_errors(&t, &red_flags, &red_flags, &[("reason", "")]).await;
    let bad_invite = [("name", ""), ("email", "bad"), ("role", "")];
    form_with_errors(
        &admin,
        "/admin/staff/invite",
        "/admin/staff/invite",
        &bad_invite,
    )
    .await;
    let bad_settings = [("name", ""), ("email", "bad"), ("default_paper", "x")];
    form_with_errors(&admin, "/admin/settings", "/admin/settings", &bad_settings).await;

    let stranger = app.browser();
    let response = stranger
        .post_url(
            "/login",
            &[("email", "nobody@clinic.test"), ("password", "wrong")],
        )
        .await;
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("aria-describedby=\"signin-error\""), "{html}");
    assert_fields_described("/login", &html);
}

#[tokio::test]
async fn a_red_flag_action_needs_flags_a_choice_and_a_reason() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let patient = create_patient(&t, "Ana", "Lima", "1990-05-05", "").await;
    let case = open_case(&t, &patient).await;
    record_assessment(&t, &case, "initial", &assessment_fields("yes", "draft")).await;
    let red_flags = format!("{case}/red-flags");
    let response = t.submit(&red_flags, &red_flags, &[("reason", "")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Tick the red flags"));
    assert!(html.contains("Enter the reason"));
    assert_eq!(app.count("red_flag_actions"), 0);
    let html = t.page(&case).await;
    assert!(
        html.contains("Red flags need action"),
        "a draft's yes raises the banner too"
    );
}

#[tokio::test]
async fn a_signed_assessment_cannot_be_changed_by_anyone() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let patient = create_patient(&t, "Mia", "Berg", "1975-07-07", "").await;
    let case = open_case(&t, &patient).await;
    let assessment =
        location(&record_assessment(&t, &case, "initial", &assessment_fields("no", "sign")).await);
    let id = assessment.rsplit('/').next().unwrap_or_default().to_owned();
    let stored = || -> String {
        use diesel::prelude::*;
        use physiocase::db::schema::assessments::dsl::*;
        assessments
            .filter(id.eq(id_num(&assessment)))
            .select(content)
            .first(&mut app.conn())
            .unwrap_or_default()
    };
    fn id_num(path: &str) -> i64 {
        path.rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
    let before = stored();

    let mut changed = assessment_fields("no", "draft");
    changed.push(("presenting_complaint", "Rewritten afterwards"));
    for (who, browser) in [("author", &t), ("admin", &admin)] {
        let token = browser.csrf_token("/").await;
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend(changed.iter().copied());
        let response = browser
            .post_url(&format!("/assessments/{id}/edit"), &fields)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CONFLICT,
            "{who} cannot edit a signed assessment"
        );
        assert!(
            response
                .text()
                .await
                .unwrap_or_default()
                .contains("cannot be changed")
        );
        let response = browser.get(&format!("/assessments/{id}/edit")).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
    }
    assert_eq!(stored(), before, "nothing changed");
    // Even a direct database update is refused.
    {
        use diesel::connection::SimpleConnection;
        let refused = app.conn().batch_execute(&format!(
            "UPDATE assessments SET content = '{{}}' WHERE id = {id}"
        ));
        assert!(
            refused.is_err(),
            "the database refuses edits to a signed assessment"
        );
    }

    // Corrections are addenda, with their author and time.
    let response = admin
        .submit(
            &assessment,
            &format!("{assessment}/addenda"),
            &[("body", "Correction: symptoms began four months ago.")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = t.page(&assessment).await;
    assert!(html.contains("Correction: symptoms began four months ago."));
    assert!(html.contains("Ada Admin"), "addendum shows its author");
    let html = t.page(&case).await;
    assert!(html.contains("Addendum by Ada Admin"));
}

#[tokio::test]
async fn only_the_author_edits_and_signs_a_draft() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let patient = create_patient(&t, "Lars", "Olsen", "1969-09-09", "").await;
    let case = open_case(&t, &patient).await;
    let assessment =
        location(&record_assessment(&t, &case, "initial", &assessment_fields("no", "draft")).await);
    let html = t.page(&assessment).await;
    assert!(html.contains("Draft"));
    assert_eq!(
        admin.get(&format!("{assessment}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );
    let response = admin
        .submit(&assessment, &format!("{assessment}/sign"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let mut fields = assessment_fields("no", "draft");
    fields.retain(|(k, _)| *k != "pain_now");
    fields.push(("pain_now", "2"));
    let response = t
        .submit(
            &format!("{assessment}/edit"),
            &format!("{assessment}/edit"),
            &fields,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = t.page(&case).await;
    assert!(
        html.contains("Pain 2/10 (now)") && !html.contains("Pain 6/10 (now)"),
        "draft pain scores replaced, not duplicated"
    );
    let response = t
        .submit(&assessment, &format!("{assessment}/sign"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = t.page(&assessment).await;
    assert!(html.contains("Signed"));
}

#[tokio::test]
async fn a_blank_assessment_is_kept_as_a_draft_but_never_signed() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let patient = create_patient(&t, "Lars", "Olsen", "1969-09-09", "").await;
    let case = open_case(&t, &patient).await;
    let now = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let blank = [("assessed_at", now.as_str()), ("intent", "sign")];
    let response = record_assessment(&t, &case, "initial", &blank).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Record at least one finding before signing"));
    assert_eq!(app.count("assessments"), 0, "nothing stored");

    // As a draft it may wait, but signing it from its page is refused too.
    let draft = [("assessed_at", now.as_str()), ("intent", "draft")];
    let assessment = location(&record_assessment(&t, &case, "initial", &draft).await);
    let response = t
        .submit(&assessment, &format!("{assessment}/sign"), &[])
        .await;
    assert_eq!(location(&response), format!("{assessment}/edit"));
    let html = t.page(&format!("{assessment}/edit")).await;
    assert!(html.contains("Record at least one finding before signing"));
    let html = t.page(&assessment).await;
    assert!(html.contains("Draft") && !html.contains("Signed"));

    // One finding is enough (with the red-flag screen an initial assessment needs).
    let one = common::clinic::with_screen(
        &[
            ("assessed_at", now.as_str()),
            ("presenting_complaint", "Stiff neck"),
            ("intent", "sign"),
        ],
        &[],
    );
    let response = t
        .submit(
            &format!("{assessment}/edit"),
            &format!("{assessment}/edit"),
            &one,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = t.page(&assessment).await;
    assert!(html.contains("Signed"));
}

#[tokio::test]
async fn a_case_has_one_initial_assessment_and_a_second_comes_back_as_a_review() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let patient = create_patient(&t, "Ines", "Moreau", "1975-05-05", "").await;
    let case = open_case(&t, &patient).await;
    let page = t.page(&case).await;
    assert!(
        page.contains("<option value=\"initial\">"),
        "offered while there is none"
    );
    let first = record_assessment(&t, &case, "initial", &assessment_fields("no", "draft")).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let first = location(&first);

    let page = t.page(&case).await;
    assert!(
        !page.contains("<option value=\"initial\">"),
        "no longer offered"
    );
    assert!(page.contains("<option value=\"review\">"));

    // A form for another initial assessment sends the therapist to a review instead.
    let response = t.get(&format!("{case}/assessments/new?kind=initial")).await;
    assert_eq!(
        location(&response),
        format!("{case}/assessments/new?kind=review")
    );
    let html = t.page(&format!("{case}/assessments/new?kind=review")).await;
    assert!(html.contains("already has an initial assessment"), "{html}");

    // One posted from an old form is refused, its text kept, as a review to check.
    let token = t
        .csrf_token(&format!("{case}/assessments/new?kind=review"))
        .await;
    let mut fields: Vec<(&str, &str)> = assessment_fields("no", "sign");
    fields.push(("csrf_token", token.as_str()));
    let response = t
        .post_url(&format!("{case}/assessments?kind=initial"), &fields)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("already has an initial assessment"));
    assert!(
        html.contains("assessments?kind=review"),
        "the form now saves a review"
    );
    assert!(html.contains("Postural thoracic pain"), "typed text kept");
    assert_eq!(app.count("assessments"), 1, "nothing stored");

    // The draft initial assessment is finished from its own page; reviews follow it.
    let (status, _) = t.get_text(&format!("{first}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    let review = record_assessment(&t, &case, "review", &assessment_fields("no", "sign")).await;
    assert_eq!(review.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("assessments"), 2);
}

#[tokio::test]
async fn discharge_needs_a_signed_discharge_assessment() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let patient = create_patient(&t, "Eva", "Novak", "1985-01-01", "").await;
    let case = open_case(&t, &patient).await;
    let discharge = format!("{case}/discharge");
    let response = t
        .submit(&discharge, &discharge, &[("outcome", "goals-met")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("Sign a discharge assessment")
    );

    record_assessment(&t, &case, "discharge", &assessment_fields("no", "sign")).await;
    let response = t
        .submit(&discharge, &discharge, &[("outcome", "goals-met")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = t.page(&case).await;
    assert!(html.contains("Discharged: Goals met"));
    let html = t.page(&patient).await;
    assert!(html.contains("Discharged"));
}

#[tokio::test]
async fn a_wrong_case_is_marked_entered_in_error_not_deleted() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let patient = create_patient(&t, "Tom", "Reed", "1999-12-12", "").await;
    let case = open_case(&t, &patient).await;
    let error = format!("{case}/error");
    let response = t.submit(&error, &error, &[("reason", "")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = t
        .submit(&error, &error, &[("reason", "Opened on the wrong patient")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, html) = t.get_text(&case).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("entered in error") && html.contains("Opened on the wrong patient"));
    assert_eq!(app.count("cases"), 1, "nothing deleted");
}

#[tokio::test]
async fn names_in_any_script_round_trip_and_search_ignores_accents_both_ways() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let names = [
        ("Zoë", "Łukasiewicz"),
        ("Ναταλία", "Παπαδοπούλου"),
        ("Фёдор", "Достоевский"),
        ("Jose", "Nunez"),
        ("王", "小明"),
    ];
    for (given, family) in names {
        let page = create_patient(&t, given, family, "1970-01-01", "").await;
        let html = t.page(&page).await;
        assert!(
            html.contains(&format!("{given} {family}")),
            "{given} {family} shown exactly as typed"
        );
    }
    // "José" finds "Jose" and "Lukasiewicz" finds "Łukasiewicz".
    let html = t.page("/patients?q=Jos%C3%A9").await;
    assert!(html.contains("Nunez, Jose"));
    let html = t.page("/patients?q=lukasiewicz").await;
    assert!(html.contains("Łukasiewicz, Zoë"));
    let html = t.page("/patients?q=%D1%84%D0%B5%D0%B4%D0%BE%D1%80").await;
    assert!(html.contains("Достоевский, Фёдор"), "ё folds to е");
}

#[tokio::test]
async fn the_patient_list_paginates() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    for n in 0..27 {
        create_patient(&t, &format!("Given{n:02}"), "Pager", "1970-01-01", "").await;
    }
    let first = t.page("/patients?q=pager").await;
    assert!(first.contains("1–25 of 27"));
    assert!(first.contains("rel=\"next\""));
    let second = t.page("/patients?q=pager&page=2").await;
    assert!(second.contains("26–27 of 27"));
    assert!(second.contains("Given26"));
}

/// Stores a patient straight through the app's own query, for tests that need hundreds.
fn stored_patient(
    conn: &mut physiocase::db::DbConn,
    given: &str,
    family: &str,
    reference: Option<&str>,
) -> i64 {
    use physiocase::store::patients::{self as queries, PatientDetails};
    let details = PatientDetails {
        given_name: given.into(),
        family_name: family.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default(),
        sex: None,
        phone: String::new(),
        email: String::new(),
        clinic_reference: reference.map(str::to_owned),
        primary_therapist_id: None,
        notes: String::new(),
        contact: Default::default(),
    };
    let system = physiocase::store::audit::Actor::default();
    // Several test patients share a name and date of birth on purpose.
    match queries::register(conn, &system, &details, 1, true) {
        Ok(queries::Registration::Added(id)) => id,
        Ok(queries::Registration::HeldBack(_)) => panic!("held back although confirmed"),
        Err(e) => panic!("create: {e:?}"),
    }
}

#[tokio::test]
async fn a_broad_search_says_more_than_and_asks_for_more_of_the_name() {
    use physiocase::store::search::SEARCH_COUNT_CAP;
    let app = spawn_app().await;
    let t = setup(&app).await;
    let mut conn = app.conn();
    for n in 0..=SEARCH_COUNT_CAP {
        stored_patient(&mut conn, &format!("Given{n:03}"), "Broadmoor", None);
    }
    let first = t.page("/patients?q=broad").await;
    assert!(first.contains(&format!("1–25 of more than {SEARCH_COUNT_CAP}")));
    assert!(first.contains("Type more of the name"));
    assert!(first.contains("Broadmoor, Given000") && !first.contains("Given025"));
    let last_page = SEARCH_COUNT_CAP / 25;
    let last = t.page(&format!("/patients?q=broad&page={last_page}")).await;
    assert!(
        last.contains("Broadmoor, Given249"),
        "pages run to the cap in name order"
    );
    // A narrower search counts exactly again.
    let narrow = t.page("/patients?q=broad+given24").await;
    assert!(narrow.contains("1–10 of 10"), "Given240–249");
    // Word order does not matter: the narrower word drives either way.
    let reversed = t.page("/patients?q=given24+broad").await;
    assert!(reversed.contains("1–10 of 10") && reversed.contains("Broadmoor, Given240"));
    let none = t.page("/patients?q=broad+nobody").await;
    assert!(
        !none.contains("Broadmoor"),
        "a word nobody has matches nobody"
    );
}

#[tokio::test]
async fn searches_with_several_broad_words_find_exactly_the_patients_having_them_all() {
    use diesel::prelude::*;
    use physiocase::db::schema::patients;
    use physiocase::store::search::{self as queries, PatientSearch};
    let app = spawn_app().await;
    let t = setup(&app).await;
    let mut conn = app.conn();
    // Every name is shared by dozens of patients, and the names are mixed so that the
    // patients of one word lie between those of another in list order.
    const GIVEN: [&str; 6] = ["Ana", "Anders", "Bea", "Ben", "Zoë", "Zora"];
    const FAMILY: [&str; 5] = ["Kowalski", "Kowal", "Núñez", "Abbot", "Baker"];
    let mut seed: u32 = 7;
    let mut words_of = std::collections::BTreeMap::new();
    for n in 0..330_u32 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let given = GIVEN[(seed >> 16) as usize % GIVEN.len()];
        let family = FAMILY[(seed >> 8) as usize % FAMILY.len()];
        let reference = (n % 11 == 0).then(|| format!("B-{n}"));
        let id = stored_patient(&mut conn, given, family, reference.as_deref());
        words_of.insert(id, queries::words_of(given, family, reference.as_deref()));
    }
    // List order as the database sorts it (collations differ between backends).
    let in_list_order: Vec<i64> = patients::table
        .order((patients::sort_name.asc(), patients::id.asc()))
        .select(patients::id)
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("list order: {e}"));
    let cap = usize::try_from(queries::SEARCH_COUNT_CAP + 1).unwrap_or(usize::MAX);
    for typed in [
        "kowalski zoe",
        "zoe kowalski",
        "kowal ana",
        "nunez zora",
        "abbot ben b",
        "a b",
        "b a k",
        "z k",
        "ana abbot",
        "anders baker b",
        "kowalski nunez",
        "k b 1",
        // A word that begins another of the search's words may match the same name.
        "kowalski kowal",
        "ana an",
        "zo zoe kowalski",
        // A whole name with the start of a reference.
        "ana 11",
        "kowalski 2",
        // With a date of birth: every patient here was born on 1980-01-01.
        "1980-01-01",
        "1980-01-01 kowalski zoe",
        "a b 1980-01-01",
        "1980-01-01 k b 1",
        "1980-01-01 nobody",
        "1980-01-02 ana",
    ] {
        let search = PatientSearch::parse(typed);
        let expected: Vec<i64> = in_list_order
            .iter()
            .copied()
            .filter(|_| {
                search
                    .date_of_birth
                    .is_none_or(|date| date.to_string() == "1980-01-01")
            })
            .filter(|id| {
                let words: &String = &words_of[id];
                search.words.iter().all(|word| {
                    words
                        .split(' ')
                        .any(|patient_word| patient_word.starts_with(word))
                })
            })
            .take(cap)
            .collect();
        // Read as the clinic's size reads it, and as a broad search walking the list.
        for broad_from in [queries::BROAD_SEARCH, 1] {
            let found: Vec<i64> = match queries::matching_broad_from(&mut conn, &search, broad_from)
            {
                Ok(matches) => matches.listed().iter().map(|m| m.id).collect(),
                Err(e) => panic!("{typed}: {e}"),
            };
            assert_eq!(found, expected, "{typed}, broad from {broad_from}");
        }
    }
    // The same through the page: the count and the first match by name.
    let page = t.page("/patients?q=zoe+kowalski").await;
    let both = words_of
        .values()
        .filter(|words| {
            words.split(' ').any(|w| w == "zoe") && words.split(' ').any(|w| w == "kowalski")
        })
        .count();
    assert!(both > 0, "the mix has a Zoë Kowalski");
    let shown = both.min(25);
    assert!(
        page.contains(&format!("1–{shown} of {both}")),
        "{both} Zoë Kowalski listed"
    );
    assert!(page.contains("Kowalski, Zoë") && !page.contains("Kowalski, Ana"));
    // A word typed twice finds what it finds once.
    let once = t.page("/patients?q=kowalski").await;
    let twice = t.page("/patients?q=Kowalski+kowalski").await;
    let count_line = |page: &str| {
        page.split("<span>1–")
            .nth(1)
            .and_then(|rest| rest.split("</span>").next())
            .map(str::to_owned)
    };
    assert!(count_line(&once).is_some(), "the Kowalskis are counted");
    assert_eq!(count_line(&once), count_line(&twice));
}

#[tokio::test]
async fn renaming_a_patient_moves_the_search_index_with_the_name() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let page = create_patient(&t, "Wilhelmina", "Quarrington", "1958-02-11", "QR-1").await;
    create_patient(&t, "Wilbur", "Quarrington", "1960-07-30", "").await;
    let both = t.page("/patients?q=quarrington").await;
    assert!(both.contains("1–2 of 2"), "{both}");

    let edit = format!("{page}/edit");
    let response = t
        .submit(
            &edit,
            &edit,
            &patient_fields("Wilhelmina", "Oyelaran", "1958-02-11", "QR-1"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "renamed");
    let old_name = t.page("/patients?q=quarrington").await;
    assert!(
        old_name.contains("1–1 of 1") && old_name.contains("Quarrington, Wilbur"),
        "the old family name counts one patient now: {old_name}"
    );
    let new_name = t.page("/patients?q=oyel").await;
    assert!(new_name.contains("Oyelaran, Wilhelmina") && new_name.contains("1–1 of 1"));
    let both_words = t.page("/patients?q=wil+oyelaran").await;
    assert!(both_words.contains("Oyelaran, Wilhelmina") && !both_words.contains("Wilbur"));
    let gone = t.page("/patients?q=oyelaran+wilbur").await;
    assert!(!gone.contains("Oyelaran, Wil"), "no patient has both words");
    let whole_new = t.page("/patients?q=wilhelmina+oyelaran").await;
    assert!(whole_new.contains("1–1 of 1") && whole_new.contains("Oyelaran, Wilhelmina"));
    let whole_old = t.page("/patients?q=quarrington+wilhelmina").await;
    assert!(
        !whole_old.contains("Wilhelmina"),
        "the old name's rows are gone: {whole_old}"
    );
    if common::is_postgres() {
        assert_eq!(
            search_index_options(&mut app.conn()),
            "fastupdate=off",
            "PostgreSQL puts a new name straight into the index, not in a pending list"
        );
    }
}

/// The storage options of PostgreSQL's patient search index.
fn search_index_options(conn: &mut physiocase::db::DbConn) -> String {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Options {
        #[diesel(sql_type = diesel::sql_types::Text)]
        options: String,
    }
    let physiocase::db::DbConn::Pg(pg) = conn else {
        panic!("only PostgreSQL has index storage options");
    };
    diesel::sql_query(
        "SELECT coalesce(array_to_string(reloptions, ','), '') AS options \
         FROM pg_class WHERE oid = 'patients_search'::regclass",
    )
    .get_result::<Options>(pg)
    .unwrap_or_else(|e| panic!("index options: {e}"))
    .options
}

#[tokio::test]
async fn lists_sort_by_folded_family_then_given_name() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    for (given, family) in [
        ("Zack", "Sortwell"),
        ("Bea", "ÉSortwell"),
        ("Ann", "sortwell"),
        ("Cal", "Sortwell Hale"),
    ] {
        create_patient(&t, given, family, "1970-01-01", "").await;
    }
    let html = t.page("/patients?q=sortw").await;
    let at = |name: &str| {
        html.find(name)
            .unwrap_or_else(|| panic!("{name} listed: {html}"))
    };
    // Case does not split the list; a family name comes before a longer one it begins.
    assert!(at("sortwell, Ann") < at("Sortwell, Zack"));
    assert!(at("Sortwell, Zack") < at("Sortwell Hale, Cal"));
    assert!(!html.contains("Bea"), "É is not the start of sortw");
    // In the whole list the accented name sorts as a plain E, before every S.
    let all = t.page("/patients").await;
    let in_all = |name: &str| all.find(name).unwrap_or_else(|| panic!("{name} listed"));
    assert!(in_all("ÉSortwell, Bea") < in_all("sortwell, Ann"));
    // "e" finds the accented name; "hale" finds the second word of a family name.
    let accented = t.page("/patients?q=esortwell").await;
    assert!(accented.contains("ÉSortwell, Bea") && !accented.contains("sortwell, Ann"));
    let second_word = t.page("/patients?q=HALE").await;
    assert!(second_word.contains("Sortwell Hale, Cal") && !second_word.contains("Zack"));
}

/// Runs the migration that moved search onto the engines' indexes down and up again, as an
/// upgrade from the release before it does. That release's start-up had given every
/// patient their folded sort name, which the way down empties: it is put back in between.
fn upgrade_to_engine_search(conn: &mut physiocase::db::DbConn) {
    use diesel::prelude::*;
    use physiocase::db::schema::patients;
    let names: Vec<(i64, String)> = patients::table
        .select((patients::id, patients::sort_name))
        .load(conn)
        .unwrap_or_else(|e| panic!("sort names: {e}"));
    let restore_sort_names: String = names
        .iter()
        .map(|(id, name)| {
            format!(
                "UPDATE patients SET sort_name = '{}' WHERE id = {id};",
                name.replace('\'', "''")
            )
        })
        .collect();
    common::upgrade_through(conn, "_search_on_engine_indexes", &restore_sort_names);
}

#[tokio::test]
async fn patients_stored_before_the_engine_index_are_found_after_the_upgrade() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    create_patient(&t, "Ottilie", "Vanderbeck", "1961-04-09", "OLD-77").await;
    create_patient(&t, "Zoë", "Łukasiewicz-Brandt", "1975-05-06", "RB/8").await;
    upgrade_to_engine_search(&mut app.conn());
    for (query, name) in [
        ("vanderbeck", "Vanderbeck, Ottilie"),
        ("ott", "Vanderbeck, Ottilie"),
        ("old-77", "Vanderbeck, Ottilie"),
        ("77", "Vanderbeck, Ottilie"),
        ("ottilie+77", "Vanderbeck, Ottilie"),
        ("vanderbeck+ottilie", "Vanderbeck, Ottilie"),
        ("1961-04-09+vander", "Vanderbeck, Ottilie"),
        ("lukasiewicz+zoe", "Łukasiewicz-Brandt, Zoë"),
        ("BRANDT", "Łukasiewicz-Brandt, Zoë"),
        ("Zo%C3%AB", "Łukasiewicz-Brandt, Zoë"),
        ("rb+8", "Łukasiewicz-Brandt, Zoë"),
    ] {
        let html = t.page(&format!("/patients?q={query}")).await;
        assert!(html.contains(name), "{query} finds {name}");
    }
    let none = t.page("/patients?q=vanderbeck+zoe").await;
    assert!(!none.contains("Vanderbeck, Ottilie") && !none.contains("Zoë"));
    let all = t.page("/patients?q=ottilie").await;
    assert!(all.contains("1–1 of 1"), "{all}");
}

#[tokio::test]
async fn invalid_values_are_refused_with_the_form_shown_again() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let before = app.count("patients");
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &patient_fields("", "Future", "2999-01-01", ""),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Enter given name."));
    assert!(html.contains("cannot be in the future"));
    assert!(html.contains("value=\"Future\""), "typed values kept");
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &patient_fields("Old", "Timer", "1850-01-01", ""),
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("before 1900")
    );
    assert_eq!(app.count("patients"), before);

    let patient = create_patient(&t, "Val", "Idate", "1980-01-01", "DUP-1").await;
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &patient_fields("Other", "Person", "1980-01-01", "DUP-1"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("already has this clinic reference")
    );

    let case = open_case(&t, &patient).await;
    let assessments_before = app.count("assessments");
    let mut fields = assessment_fields("maybe", "sign");
    fields.retain(|(k, _)| !["pain_now", "rom_thoracic-rotation-left", "psfs_score_1"].contains(k));
    fields.extend([
        ("pain_now", "11"),
        ("rom_thoracic-rotation-left", "200"),
        ("psfs_score_1", "x"),
    ]);
    let response = record_assessment(&t, &case, "initial", &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Pain now must be a whole number from 0 to 10."));
    assert!(html.contains("Thoracic rotation left must be a whole number from 0 to 180."));
    assert!(html.contains("Answer yes, no or not asked."));
    assert!(
        html.contains("Ache between the shoulder blades"),
        "typed text kept"
    );
    assert_eq!(
        app.count("assessments"),
        assessments_before,
        "nothing half-stored"
    );
    assert_eq!(app.count("pain_scores"), 0);
}

#[tokio::test]
async fn a_patient_account_is_refused_the_whole_clinical_record() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let patient = create_patient(&t, "Ida", "Holm", "1988-08-08", "").await;
    let case = open_case(&t, &patient).await;
    let assessment =
        location(&record_assessment(&t, &case, "initial", &assessment_fields("no", "sign")).await);
    let p = app.patient_account("ida@example.test").await;
    for path in [
        "/patients".to_owned(),
        "/patients/new".to_owned(),
        patient.clone(),
        format!("{patient}/edit"),
        format!("{patient}/cases/new"),
        case.clone(),
        format!("{case}/discharge"),
        format!("{case}/error"),
        format!("{case}/red-flags"),
        format!("{case}/assessments/new?kind=initial"),
        assessment.clone(),
        format!("{assessment}/edit"),
    ] {
        assert_eq!(
            p.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "GET {path}"
        );
    }
    let token = p.csrf_token("/account/password").await;
    for path in [
        "/patients".to_owned(),
        format!("{patient}/edit"),
        format!("{patient}/cases"),
        format!("{case}/discharge"),
        format!("{case}/error"),
        format!("{case}/red-flags"),
        format!("{case}/assessments?kind=initial"),
        format!("{assessment}/edit"),
        format!("{assessment}/sign"),
        format!("{assessment}/addenda"),
    ] {
        let response = p
            .post_url(
                &path,
                &[
                    ("csrf_token", token.as_str()),
                    ("reason", "x"),
                    ("body", "x"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    assert_eq!(app.count("addenda"), 0);
}

#[tokio::test]
async fn a_patient_record_keeps_address_gp_emergency_contact_and_contact_preference() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let mut fields = patient_fields("Maeve", "O'Connor", "1958-11-02", "");
    fields.extend([
        ("address", "12 Harbour Row\nCork T12 X123"),
        ("preferred_language", "Irish"),
        ("contact_by", "post"),
        ("gp_name", "Dr Aoife Byrne"),
        ("gp_practice", "Quayside Medical Centre"),
        ("gp_address", "3 Quay Street\nCork"),
        ("gp_phone", "+353 21 555 0100"),
        ("gp_email", "quayside.gp@secure.example"),
        ("emergency_name", "Sean O'Connor"),
        ("emergency_relationship", "Son"),
        ("emergency_phone", "+353 87 555 0199"),
    ]);

    // A GP email that is not an address is refused beside its field; everything typed stays.
    let before = app.count("patients");
    let mut bad = fields.clone();
    bad.retain(|(k, _)| *k != "gp_email");
    bad.push(("gp_email", "not an email"));
    let response = t.submit("/patients/new", "/patients", &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("aria-describedby=\"gp_email-error"), "{html}");
    assert!(html.contains("Dr Aoife Byrne"), "typed GP kept");
    assert!(html.contains("12 Harbour Row"), "typed address kept");
    assert_eq!(app.count("patients"), before, "nothing stored");

    let patient = {
        let response = t.submit("/patients/new", "/patients", &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "patient created");
        location(&response)
    };
    let page = common::html_unescape(&t.page(&patient).await);
    for shown in [
        "12 Harbour Row",
        "Irish",
        "Letter by post",
        "Dr Aoife Byrne",
        "Quayside Medical Centre",
        "quayside.gp@secure.example",
        "Sean O'Connor (Son), +353 87 555 0199",
    ] {
        assert!(page.contains(shown), "patient page shows {shown}");
    }
    // The edit form starts from what is stored, and a change is kept.
    let edit = format!("{patient}/edit");
    let form = common::html_unescape(&t.page(&edit).await);
    assert!(form.contains("+353 21 555 0100"));
    assert!(form.contains("<option value=\"post\" selected>"));
    let mut changed = fields.clone();
    changed.retain(|(k, _)| *k != "contact_by");
    changed.push(("contact_by", "text-message"));
    let response = t.submit(&edit, &edit, &changed).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(t.page(&patient).await.contains("Text message"));
}

#[tokio::test]
async fn a_second_record_for_the_same_name_and_birth_date_waits_until_the_user_says_it_is_someone_else()
 {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let first = create_patient(&t, "Zoë", "Ångström", "1970-05-05", "R-100").await;
    let first_id = first.trim_start_matches("/patients/");

    // Same person after folding case and accents, same date of birth: held back.
    let before = app.count("patients");
    let mut fields = patient_fields("zoe", "ANGSTROM", "1970-05-05", "");
    fields.push(("address", "4 New Road"));
    let response = t.submit("/patients/new", "/patients", &fields).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains(&format!("href=\"{first}\"")),
        "links the existing record"
    );
    assert!(html.contains("R-100"), "names its clinic reference");
    assert!(html.contains("Nothing has been saved yet"));
    assert!(html.contains("4 New Road"), "typed values kept");
    assert!(html.contains("name=\"confirmed_different\""));
    assert_eq!(app.count("patients"), before, "nothing stored");
    let held: i64 = {
        use diesel::prelude::*;
        use physiocase::db::schema::audit_events::dsl;
        dsl::audit_events
            .filter(dsl::action.eq("patient.duplicate_held"))
            .filter(dsl::entity_id.eq(first_id))
            .count()
            .get_result(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(held, 1, "showing the existing record is audited");

    // A different date of birth is a different person: saved at once.
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &patient_fields("Zoë", "Ångström", "1971-05-05", ""),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // The user says it is someone else: saved, and the audit says so.
    fields.push(("confirmed_different", "yes"));
    let response = t.submit("/patients/new", "/patients", &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("patients"), before + 2);
    let detail: Option<String> = {
        use diesel::prelude::*;
        use physiocase::db::schema::audit_events::dsl;
        dsl::audit_events
            .filter(dsl::action.eq("patient.created"))
            .order(dsl::id.desc())
            .select(dsl::detail)
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        detail.as_deref(),
        Some(format!("confirmed a different person from patient {first_id}").as_str())
    );
}

/// The text of a PDF as poppler's pdftotext reads it (one string, pages joined).
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let path =
        std::env::temp_dir().join(format!("letter-{}-{}.pdf", std::process::id(), bytes.len()));
    std::fs::write(&path, bytes).ok()?;
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&path);
    out.ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
}

async fn pdf_bytes(t: &Browser, path: &str) -> Vec<u8> {
    let response = t.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_referral_letter_is_drafted_from_the_red_flag_edited_signed_and_never_changes() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let patient = create_patient(&t, "Nell", "Harper", "1961-07-14", "L-1").await;
    let case = open_case(&t, &patient).await;
    record_assessment(&t, &case, "initial", &assessment_fields("yes", "sign")).await;
    let flags = format!("{case}/red-flags");
    let response = t
        .submit(
            &flags,
            &flags,
            &[
                ("flag", "night-pain"),
                ("action", "referred"),
                ("urgency", "urgent"),
                ("reason", "GP to rule out a serious cause"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let case_page = t.page(&case).await;
    let new = format!("{case}/letters/new?kind=gp-referral");
    assert!(case_page.contains(&html_escape_amp(&new)), "offered");
    assert!(
        !case_page.contains("kind=discharge-summary"),
        "not discharged"
    );

    // Without a GP on record the letter cannot be addressed: refused, nothing stored.
    let create = format!("{case}/letters");
    let response = t
        .submit(
            &new,
            &create,
            &[("kind", "gp-referral"), ("urgency", "urgent")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = common::html_unescape(&response.text().await.unwrap_or_default());
    assert!(
        html.contains("add them to the patient's details first"),
        "{html}"
    );
    assert_eq!(app.count("letters"), 0);

    let edit = format!("{patient}/edit");
    let mut with_gp = patient_fields("Nell", "Harper", "1961-07-14", "L-1");
    with_gp.extend([
        ("gp_name", "Dr Omar Haddad"),
        ("gp_practice", "Elm Tree Surgery"),
        ("gp_address", "1 Elm Row\nYork YO1 7HH"),
    ]);
    let response = t.submit(&edit, &edit, &with_gp).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // The form starts from the urgency recorded with the referral; a referral says it.
    assert!(
        t.page(&new)
            .await
            .contains("<option value=\"urgent\" selected>"),
        "the recorded urgency is chosen"
    );
    let response = t
        .submit(&new, &create, &[("kind", "gp-referral"), ("urgency", "")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("Choose how urgent the referral is.")
    );
    let response = t
        .submit(
            &new,
            &create,
            &[("kind", "gp-referral"), ("urgency", "urgent")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let letter = location(&response);
    let draft = common::html_unescape(&t.page(&letter).await);
    for said in [
        "Urgent: to be seen the same day",
        "Pain at night that does not ease with rest or position",
        "Dr Omar Haddad",
        "Elm Tree Surgery",
        "Postural thoracic pain",
        "name=\"paragraph_1\"",
    ] {
        assert!(draft.contains(said), "the draft says {said}");
    }

    // The author rewrites what the patient was told; the fixed facts stay as recorded.
    let told = "Told to ring the surgery this morning and to stop the exercises.";
    let fields = [
        ("paragraph_0", "Night pain for three weeks."),
        ("paragraph_1", told),
        ("paragraph_2", "Please assess."),
    ];
    let mut save = fields.to_vec();
    save.push(("action", "save"));
    let response = t.submit(&letter, &letter, &save).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(t.page(&letter).await.contains(told));

    // Signing needs the signature block, and only the author signs.
    let mut sign = fields.to_vec();
    sign.push(("action", "sign"));
    let response = t.submit(&letter, &letter, &sign).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("registration number")
    );
    let response = t
        .submit(
            "/account/signature",
            "/account/signature",
            &[
                ("profession", "Physiotherapist"),
                ("registration_number", "PH 123456"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = admin.submit(&letter, &letter, &sign).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("Only the therapist who drafted this letter")
    );
    let response = t.submit(&letter, &letter, &sign).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(t.page(&letter).await.contains("Signed"));

    // The signed letter prints the same bytes every time, with everything a GP needs.
    let pdf = format!("{letter}/letter.pdf");
    let first = pdf_bytes(&t, &pdf).await;
    let again = pdf_bytes(&admin, &pdf).await;
    assert_eq!(first, again, "a reprint is the letter as signed");
    let Some(text) = pdf_text(&first) else {
        common::precondition_unmet(
            "a_referral_letter_is_drafted_from_the_red_flag_edited_signed_and_never_changes",
            "pdftotext (poppler-utils) is not installed",
        );
        return;
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for printed in [
        "Referral to the GP",
        "Dr Omar Haddad",
        "1 Elm Row",
        "Re: Nell Harper",
        "Born 14 Jul 1961",
        "Clinic reference L-1",
        "Dear Dr Omar Haddad,",
        "Urgent: to be seen the same day",
        told,
        "Physiotherapist",
        "Registration number PH 123456",
    ] {
        assert!(
            text.contains(printed),
            "the letter prints {printed}: {text}"
        );
    }

    // Signed: no more edits, through the app or in the database.
    let response = t.submit(&letter, &letter, &save).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("signed and cannot change")
    );
    {
        use diesel::prelude::*;
        let id: i64 = letter
            .trim_start_matches("/letters/")
            .parse()
            .unwrap_or_default();
        let changed = diesel::sql_query(format!("UPDATE letters SET body = '[]' WHERE id = {id}"))
            .execute(&mut app.conn());
        assert!(
            changed.is_err(),
            "the database refuses to change a signed letter"
        );
        let deleted = diesel::sql_query(format!("DELETE FROM letters WHERE id = {id}"))
            .execute(&mut app.conn());
        assert!(deleted.is_err(), "or to delete it");
    }
    assert_eq!(pdf_bytes(&t, &pdf).await, first);

    // The FHIR export carries the signed letter, PDF attached, and passes the R4 models.
    let patient_id = patient.trim_start_matches("/patients/");
    let response = admin
        .get(&format!("/admin/patients/{patient_id}/record.fhir.json"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.unwrap_or_default();
    let bundle: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let document = bundle["entry"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["resource"]["resourceType"] == "DocumentReference")
        })
        .map(|e| e["resource"].clone())
        .unwrap_or_default();
    assert_eq!(document["docStatus"], "final");
    let attached = document["content"][0]["attachment"]["data"]
        .as_str()
        .unwrap_or_default();
    {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(attached)
            .unwrap_or_default();
        assert_eq!(decoded, first, "the attachment is the signed PDF");
    }
    let checker = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/fhir-check.py");
    let file = std::env::temp_dir().join(format!("letter-fhir-{}.json", std::process::id()));
    std::fs::write(&file, &body).unwrap_or_else(|e| panic!("{e}"));
    match std::process::Command::new("python3")
        .arg(checker)
        .arg(&file)
        .output()
    {
        Ok(out) if out.status.code() == Some(2) => common::precondition_unmet(
            "a_referral_letter_is_drafted_from_the_red_flag_edited_signed_and_never_changes",
            "fhir.resources is not installed",
        ),
        Ok(out) => assert!(
            out.status.success()
                && String::from_utf8_lossy(&out.stdout).contains("DocumentReference"),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("python3: {e}"),
    }
    let _ = std::fs::remove_file(&file);

    let actions = app.audit_actions();
    for action in [
        "letter.drafted",
        "letter.updated",
        "letter.read",
        "letter.signed",
        "letter.printed",
        "account.signature_changed",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
}

fn html_escape_amp(text: &str) -> String {
    text.replace('&', "&amp;")
}

#[tokio::test]
async fn a_discharge_summary_tells_the_gp_how_the_case_went() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let mut fields = patient_fields("Ida", "Moreau", "1949-02-03", "");
    fields.extend([
        ("gp_name", "Dr Lena Berg"),
        ("gp_address", "Harbour Surgery\n2 Quay Road\nLeith"),
    ]);
    let response = t.submit("/patients/new", "/patients", &fields).await;
    let patient = location(&response);
    let case = open_case(&t, &patient).await;
    record_assessment(&t, &case, "initial", &assessment_fields("no", "sign")).await;
    // The discharge re-scores the two activities the initial assessment chose.
    let activities: Vec<i64> = {
        use diesel::prelude::*;
        use physiocase::db::schema::psfs_activities::dsl;
        dsl::psfs_activities
            .order(dsl::id)
            .select(dsl::id)
            .load(&mut app.conn())
            .unwrap_or_default()
    };
    assert_eq!(activities.len(), 2, "the initial assessment's activities");
    let carried: Vec<&'static str> = activities
        .iter()
        .map(|id| &*Box::leak(format!("psfs_score_a{id}").into_boxed_str()))
        .collect();
    let mut discharge_fields = assessment_fields("no", "sign");
    discharge_fields.retain(|(key, _)| !key.starts_with("psfs_"));
    discharge_fields.extend([(carried[0], "8"), (carried[1], "9"), ("global_change", "5")]);
    for (key, value) in discharge_fields.iter_mut() {
        match *key {
            "assessed_at" => *value = "2024-03-14T10:00",
            "pain_now" => *value = "2",
            "impression" => *value = "Resolved postural pain",
            "plan" => *value = "Keep up the desk routine twice a day.",
            _ => {}
        }
    }
    // One visit attended, one missed, between the two assessments.
    for (at, attendance, field) in [
        (
            "2024-02-20T10:00",
            "attended",
            ("subjective", "Easier at work"),
        ),
        (
            "2024-02-27T10:00",
            "did-not-attend",
            ("note", "No answer by phone"),
        ),
    ] {
        let new_visit = format!("{case}/visits/new");
        let response = t
            .submit(
                &new_visit,
                &format!("{case}/visits"),
                &[
                    ("visited_at", at),
                    ("attendance", attendance),
                    field,
                    ("intent", "sign"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{attendance}");
    }
    record_assessment(&t, &case, "discharge", &discharge_fields).await;
    let discharge = format!("{case}/discharge");
    let response = t
        .submit(&discharge, &discharge, &[("outcome", "goals-met")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let new = format!("{case}/letters/new?kind=discharge-summary");
    assert!(t.page(&case).await.contains(&html_escape_amp(&new)));
    let response = t
        .submit(
            &new,
            &format!("{case}/letters"),
            &[("kind", "discharge-summary")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let letter = location(&response);
    let page = common::html_unescape(&t.page(&letter).await);
    for said in [
        "Thoracic pain",
        "Ache between the shoulder blades",
        "Resolved postural pain",
        "from 6 at the start to 2 at discharge",
        "clinically important improvement",
        "from 4.5 on 1 Feb 2024 to 8.5 on 14 Mar 2024: clinically important improvement.",
        "The patient's global rating of change on 14 Mar 2024: +5 (Quite a bit better).",
        "Visits attended: 1; not attended (did not attend or cancelled late): 1.",
        "Goals met. Keep up the desk routine twice a day.",
        "No home programme was issued.",
    ] {
        assert!(page.contains(said), "the summary says {said}: {page}");
    }
    // A draft prints, marked as a draft.
    let bytes = pdf_bytes(&t, &format!("{letter}/letter.pdf")).await;
    if let Some(text) = pdf_text(&bytes) {
        assert!(text.contains("draft"), "{text}");
        assert!(text.contains("Dr Lena Berg"));
    }
    // The referral letter is not offered: no red flag was referred.
    assert!(!t.page(&case).await.contains("kind=gp-referral"));
}
