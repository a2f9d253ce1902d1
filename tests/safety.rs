//! The red-flag screen, its referral urgency, and the stop symptoms a patient reports in
//! the portal: told to stop and whom to call, the programme held back, the therapist told,
//! until a therapist records what was done.

mod common;

use common::clinic::{case_for, case_patient_id, exercise_id, item, portal_patient, post_builder};
use common::{Browser, TestApp, days_ago, location, spawn_app};
use diesel::prelude::*;
use physiocase::domain::clinical::RED_FLAGS;
use reqwest::StatusCode;

/// Every screen question answered "no", except those given.
fn screen(except: &[(&str, &str)]) -> Vec<(String, String)> {
    RED_FLAGS
        .iter()
        .filter(|(flag, _)| !except.iter().any(|(k, _)| k == flag))
        .map(|(flag, _)| (format!("rf_{flag}"), "no".to_owned()))
        .chain(
            except
                .iter()
                .filter(|(_, answer)| !answer.is_empty())
                .map(|(k, answer)| (format!("rf_{k}"), (*answer).to_owned())),
        )
        .collect()
}

async fn post_initial(
    t: &Browser,
    case: &str,
    answers: &[(String, String)],
    intent: &str,
) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let at = days_ago(1);
    fields.extend([
        ("assessed_at", at.as_str()),
        ("presenting_complaint", "Mid-back pain at the desk"),
        ("intent", intent),
    ]);
    t.submit(
        &format!("{case}/assessments/new?kind=initial"),
        &format!("{case}/assessments?kind=initial"),
        &fields,
    )
    .await
}

fn case_id(case: &str) -> i64 {
    case.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn pending(app: &TestApp, case: &str) -> String {
    use physiocase::db::schema::cases::dsl;
    dsl::cases
        .find(case_id(case))
        .select(dsl::red_flags_pending)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn stored_content(app: &TestApp) -> String {
    use physiocase::db::schema::assessments::dsl;
    dsl::assessments
        .order(dsl::id.desc())
        .select(dsl::content)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_screen_asks_the_thoracic_questions_and_stores_their_answers() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let form = t
        .page(&format!("{case}/assessments/new?kind=initial"))
        .await;
    for (field, label) in [
        (
            "rf_severe-unrelieved",
            "Severe pain that rest and pain medication do not ease",
        ),
        (
            "rf_persistent-weeks",
            "Pain lasting several weeks despite home care",
        ),
        ("rf_stops-activities", "Pain that stops daily activities"),
        ("rf_tingling", "Tingling (pins and needles)"),
        ("rf_fracture-risk", "long-term steroid use"),
        ("rf_inflammatory", "Morning stiffness over 30 minutes"),
        ("rf_unsteady-walking", "Unsteady walking or clumsy hands"),
        ("rf_bladder-bowel", "bladder or bowel control"),
    ] {
        assert!(form.contains(&format!("name=\"{field}\"")), "{field} asked");
        assert!(form.contains(label), "{label} shown");
    }

    let answers = screen(&[("tingling", "yes"), ("fracture-risk", "yes")]);
    let response = post_initial(&t, &case, &answers, "draft").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let content = stored_content(&app);
    assert!(content.contains("[\"tingling\",\"yes\"]"), "{content}");
    assert!(content.contains("[\"fracture-risk\",\"yes\"]"), "{content}");
    assert!(content.contains("[\"bladder-bowel\",\"no\"]"), "{content}");
    assert_eq!(pending(&app, &case), "fracture-risk,tingling");
    let page = t.page(&case).await;
    assert!(page.contains("Red flags need action"));
    assert!(page.contains("Tingling (pins and needles) in the arms or legs"));
}

#[tokio::test]
async fn an_initial_assessment_is_not_signed_with_a_question_not_asked() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let answers = screen(&[("tingling", ""), ("inflammatory", "")]);
    let response = post_initial(&t, &case, &answers, "sign").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("Tingling (pins and needles) in the arms or legs: answer yes or no"),
        "the form names the question: {html}"
    );
    assert!(html.contains("Morning stiffness over 30 minutes that eases with movement: answer"));
    assert!(
        !html.contains("Chest pain: answer"),
        "answered questions are not named"
    );
    assert!(
        html.contains("id=\"rf_tingling-error\""),
        "beside the question"
    );
    assert!(
        html.contains("Mid-back pain at the desk"),
        "what was typed is kept"
    );
    assert_eq!(app.count("assessments"), 0, "nothing stored");

    // Saved as a draft it may be; its Sign button sends it back to the form, unsigned.
    let draft = location(&post_initial(&t, &case, &answers, "draft").await);
    let token = t.csrf_token(&draft).await;
    let response = t
        .post_url(&format!("{draft}/sign"), &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(location(&response), format!("{draft}/edit"));
    let edit = t.page(&format!("{draft}/edit")).await;
    assert!(
        edit.contains("Not asked: Tingling (pins and needles)"),
        "{edit}"
    );
    let signed: i64 = {
        use physiocase::db::schema::assessments::dsl;
        dsl::assessments
            .filter(dsl::status.eq("signed"))
            .count()
            .get_result(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(signed, 0);

    // Every question answered: signed.
    let mut fields: Vec<(String, String)> = screen(&[]);
    fields.push(("assessed_at".into(), days_ago(1)));
    fields.push(("presenting_complaint".into(), "Mid-back pain".into()));
    fields.push(("intent".into(), "sign".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = t
        .submit(&format!("{draft}/edit"), &format!("{draft}/edit"), &pairs)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = t.page(&draft).await;
    assert!(page.contains("The assessment is signed."), "{page}");

    // A review is not held to the whole screen.
    let at = days_ago(0);
    let response = t
        .submit(
            &format!("{case}/assessments/new?kind=review"),
            &format!("{case}/assessments?kind=review"),
            &[
                ("assessed_at", at.as_str()),
                ("presenting_complaint", "Review"),
                ("intent", "sign"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_assessment_signed_before_a_question_existed_says_so() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let assessment = location(&post_initial(&t, &case, &screen(&[]), "draft").await);
    let id: i64 = assessment
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // As a record signed before the screen grew stands: only the questions of its day.
    let old = r#"{"presenting_complaint":"Old record","red_flags":[["numbness-weakness","no"],["chest-pain","yes"]]}"#;
    {
        use physiocase::db::schema::assessments::dsl;
        diesel::update(dsl::assessments.find(id))
            .set(dsl::content.eq(old))
            .execute(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
        diesel::update(dsl::assessments.find(id))
            .set(dsl::status.eq("signed"))
            .execute(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let page = t.page(&assessment).await;
    let row = |label: &str| {
        page.split(label)
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row("Tingling (pins and needles)")
            .contains("Not asked (the screen predates this question)"),
        "{page}"
    );
    assert!(row("Numbness or weakness").contains("No"));
    assert!(row("Chest pain<").contains("Yes"));
}

#[tokio::test]
async fn a_referral_records_its_urgency_and_cannot_be_made_without_one() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    post_initial(&t, &case, &screen(&[("bladder-bowel", "yes")]), "sign").await;
    assert_eq!(pending(&app, &case), "bladder-bowel");
    let flags = format!("{case}/red-flags");
    let form = t.page(&flags).await;
    for label in [
        "Emergency: sent to emergency care now",
        "Urgent: to be seen the same day",
        "Soon: to be seen within a week",
        "Routine",
    ] {
        assert!(form.contains(label), "{label} offered");
    }
    let response = t
        .submit(
            &flags,
            &flags,
            &[
                ("flag", "bladder-bowel"),
                ("action", "referred"),
                ("reason", "Sent to the emergency department"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Choose how urgent the referral is"), "{html}");
    assert!(
        html.contains("Sent to the emergency department"),
        "kept as typed"
    );
    assert_eq!(app.count("red_flag_actions"), 0);

    let response = t
        .submit(
            &flags,
            &flags,
            &[
                ("flag", "bladder-bowel"),
                ("action", "referred"),
                ("urgency", "emergency"),
                ("reason", "Sent to the emergency department"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let urgency: Option<String> = {
        use physiocase::db::schema::red_flag_actions::dsl;
        dsl::red_flag_actions
            .select(dsl::urgency)
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(urgency.as_deref(), Some("emergency"));
    assert_eq!(pending(&app, &case), "");
    let page = t.page(&case).await;
    assert!(
        page.contains("referred to a doctor (emergency: sent to emergency care now)"),
        "the timeline says how urgent"
    );
}

/// The clinic's phone and emergency number, set as an admin does.
async fn clinic_numbers(admin: &Browser, phone: &str, emergency: &str) -> reqwest::Response {
    let page = admin.page("/admin/settings").await;
    let zone = page
        .split("\" selected>")
        .next()
        .and_then(|before| before.rsplit("value=\"").next())
        .unwrap_or_default()
        .to_owned();
    admin
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("name", "Harbour Physio"),
                ("address", ""),
                ("phone", phone),
                ("email", ""),
                ("default_paper", "a4"),
                ("sheet_footer", ""),
                ("time_zone", zone.as_str()),
                ("emergency_number", emergency),
            ],
        )
        .await
}

async fn log_pain(p: &Browser, score: &str, stop: &[&str]) -> reqwest::Response {
    let token = p.csrf_token("/me").await;
    let key = physiocase::secrets::random_token();
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("score", score),
        ("context", "now"),
        ("recorded_at", ""),
        ("note", ""),
        ("idempotency_key", key.as_str()),
    ];
    for symptom in stop {
        fields.push(("stop", symptom));
    }
    p.post_url("/me/pain", &fields).await
}

#[tokio::test]
async fn a_patients_stop_symptom_stops_the_programme_until_a_therapist_acts() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let t = app
        .invite_staff(&admin, "Theo Therapist", "theo@clinic.test", "therapist")
        .await;
    let refused = clinic_numbers(&admin, "020 7946 0000", "nine").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = clinic_numbers(&admin, "020 7946 0000", "999").await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let case = common::clinic::open_case(&t).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let p = portal_patient(&app, &t, case_patient_id(&app, &case), "zoe@example.test").await;

    // The portal asks the sheet's stop list with every score.
    let me = p.page("/me").await;
    for symptom in physiocase::domain::clinical::STOP_SYMPTOMS {
        assert!(
            me.contains(&format!("name=\"stop\" value=\"{}\"", symptom.key)),
            "{} asked",
            symptom.key
        );
        assert!(me.contains(symptom.text));
    }
    assert!(me.contains("For chest pain or difficulty breathing, call 999 first."));

    // "No" to all: a score, and nothing else changes.
    let response = log_pain(&p, "3", &[]).await;
    assert_eq!(location(&response), "/me");
    assert_eq!(app.count("stop_reports"), 0);
    assert_eq!(pending(&app, &case), "");
    let me = p.page("/me").await;
    assert!(me.contains("Chin tuck") && !me.contains("Stop your exercises now"));
    assert_eq!(p.get("/me/programme.pdf").await.status(), StatusCode::OK);

    // "Yes" to tingling: stop, call the clinic; the programme and its PDF are held back.
    let response = log_pain(&p, "6", &["numbness-tingling"]).await;
    assert_eq!(location(&response), "/me#stop-now");
    assert_eq!(app.count("pain_scores"), 2, "the score is stored with it");
    assert_eq!(app.count("stop_reports"), 1);
    assert_eq!(pending(&app, &case), "stop:numbness-tingling");
    let me = p.page("/me").await;
    assert!(me.contains("Stop your exercises now"), "{me}");
    assert!(me.contains("Call the clinic now on 020 7946 0000."));
    assert!(!me.contains("Chest pain or difficulty breathing: call"));
    assert!(!me.contains("Chin tuck"), "programme hidden");
    assert!(
        !me.contains("href=\"/me/programme.pdf\""),
        "no print button"
    );
    let pdf = p.get("/me/programme.pdf").await;
    assert_eq!(pdf.status(), StatusCode::CONFLICT);
    let blocked = pdf.text().await.unwrap_or_default();
    assert!(blocked.contains("contact the clinic"), "{blocked}");
    // A "done" posted anyway (an old page left open) is refused, and the refusal audited.
    let ticks = app.count("adherence_ticks");
    let token = p.csrf_token("/me").await;
    let response = p.tick_done(&token, chin).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("adherence_ticks"), ticks, "no tick while on hold");
    assert!(p.page("/me").await.contains("Your exercises are on hold"));
    assert!(
        app.audit_actions()
            .iter()
            .any(|a| a == "portal.done_refused")
    );

    // Chest pain: the emergency number comes first.
    let response = log_pain(&p, "7", &["chest-breathing"]).await;
    assert_eq!(location(&response), "/me#stop-now");
    let me = p.page("/me").await;
    let emergency = me
        .find("Chest pain or difficulty breathing: call 999 now.")
        .unwrap_or_else(|| panic!("emergency number shown: {me}"));
    let clinic = me
        .find("Then tell the clinic on 020 7946 0000")
        .unwrap_or_else(|| panic!("then the clinic: {me}"));
    assert!(emergency < clinic, "the emergency number first");

    // The therapist: the case heads the home page, its banner names what was reported.
    let home = t.page("/").await;
    let top = home
        .find("Patients told to stop")
        .unwrap_or_else(|| panic!("home page section: {home}"));
    let grid = home.find("attention-grid").unwrap_or(usize::MAX);
    assert!(top < grid, "before everything else");
    let section = &home[top..grid.min(home.len())];
    assert!(section.contains(&format!("href=\"{case}\"")), "{section}");
    let page = t.page(&case).await;
    assert!(page.contains("Red flags need action"));
    assert!(
        page.contains("Zoë Łukasiewicz reported stop symptoms in the portal"),
        "on the case's timeline"
    );
    assert!(page.contains("Patient reports numbness, tingling or weakness in the arms or legs"));
    assert!(page.contains("Patient reports chest pain or difficulty breathing"));
    let patient = t
        .page(&format!("/patients/{}", case_patient_id(&app, &case)))
        .await;
    assert!(
        patient.contains("Patient reports chest pain"),
        "on the patient too"
    );
    let sheet = t
        .get(&format!("/cases/{}/programme.pdf", case_id(&case)))
        .await;
    assert_eq!(
        sheet.status(),
        StatusCode::CONFLICT,
        "no staff sheet either"
    );
    let actions = app.audit_actions();
    let reports = actions
        .iter()
        .filter(|a| *a == "portal.stop_reported")
        .count();
    assert_eq!(reports, 2, "each report audited");

    // Clearing one leaves the other waiting: still held back.
    let flags = format!("{case}/red-flags");
    let response = t
        .submit(
            &flags,
            &flags,
            &[
                ("flag", "stop:numbness-tingling"),
                ("action", "cleared"),
                (
                    "reason",
                    "Spoke by phone: pins and needles from sitting, gone",
                ),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(pending(&app, &case), "stop:chest-breathing");
    assert!(p.page("/me").await.contains("Stop your exercises now"));

    // Referred, with its urgency: the programme comes back.
    let response = t
        .submit(
            &flags,
            &flags,
            &[
                ("flag", "stop:chest-breathing"),
                ("action", "referred"),
                ("urgency", "emergency"),
                (
                    "reason",
                    "Told to call 999; seen in the emergency department",
                ),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(pending(&app, &case), "");
    let me = p.page("/me").await;
    assert!(me.contains("Chin tuck") && !me.contains("Stop your exercises now"));
    assert_eq!(p.get("/me/programme.pdf").await.status(), StatusCode::OK);
    assert!(!t.page("/").await.contains("Patients told to stop"));
    let actions = app.audit_actions();
    assert!(actions.contains(&"red_flags.action_recorded".to_owned()));
}

#[tokio::test]
async fn a_stop_report_is_never_changed_or_deleted() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let p = portal_patient(&app, &t, case_patient_id(&app, &case), "zoe@example.test").await;
    log_pain(&p, "5", &["fall-accident"]).await;
    assert_eq!(app.count("stop_reports"), 1);
    let changed = diesel::sql_query("UPDATE stop_reports SET symptoms = 'fever-weight'")
        .execute(&mut app.conn());
    assert!(changed.is_err(), "the database refuses a change");
    let deleted = diesel::sql_query("DELETE FROM stop_reports").execute(&mut app.conn());
    assert!(deleted.is_err(), "and a deletion");
    assert_eq!(app.count("stop_reports"), 1);
    // An unknown symptom is not a report.
    let response = log_pain(&p, "5", &["made-up"]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("stop_reports"), 1);
}

#[tokio::test]
async fn a_stop_symptom_is_reported_even_when_the_score_with_it_is_not_valid() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let p = portal_patient(&app, &t, case_patient_id(&app, &case), "zoe@example.test").await;
    // No score typed, only the tick: the patient is still told to stop, the therapist told.
    let response = log_pain(&p, "", &["chest-breathing"]).await;
    assert_eq!(location(&response), "/me#stop-now");
    assert_eq!(app.count("pain_scores"), 0, "no score was given");
    assert_eq!(app.count("stop_reports"), 1);
    assert_eq!(pending(&app, &case), "stop:chest-breathing");
    let me = p.page("/me").await;
    assert!(me.contains("your pain score is not"), "{me}");
    assert!(me.contains("Chest pain or difficulty breathing: call 112 now."));
    assert!(!me.contains("Chin tuck"));
    assert!(
        app.audit_actions()
            .contains(&"portal.stop_reported".to_owned())
    );
    // Without a tick, a missing score is only the form's error.
    let response = log_pain(&p, "", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("stop_reports"), 1);
}
