//! Clinical set-up shared by the tests: patients, cases, programmes.
#![allow(dead_code)]

use diesel::prelude::*;
use reqwest::StatusCode;

use super::{Browser, TestApp, location};

pub fn exercise_id(app: &TestApp, slug: &str) -> i64 {
    use physiocase::db::schema::exercises::dsl;
    dsl::exercises
        .filter(dsl::slug.eq(slug))
        .select(dsl::id)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{slug}: {e}"))
}

/// A case ready for a programme (no red flags). Returns (therapist, case path).
pub async fn case_for(app: &TestApp) -> (Browser, String) {
    let (_admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    (t, case)
}

pub async fn open_case(t: &Browser) -> String {
    let patient = new_patient(t).await;
    add_case(t, &patient, "Thoracic pain").await
}

/// Registers Zoë Łukasiewicz (born 1980-03-31). Returns the patient's path.
pub async fn new_patient(t: &Browser) -> String {
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &[
                ("given_name", "Zoë"),
                ("family_name", "Łukasiewicz"),
                ("date_of_birth", "1980-03-31"),
                ("sex", ""),
                ("phone", ""),
                ("email", ""),
                ("clinic_reference", ""),
                ("primary_therapist_id", ""),
                ("notes", ""),
                // Tests register this same person many times in one clinic.
                ("confirmed_different", "yes"),
            ],
        )
        .await;
    location(&response)
}

/// Opens another case for the patient at `patient` (its path), assigned to the signed-in
/// therapist, with the patient's consent to treatment. Returns the case path.
pub async fn add_case(t: &Browser, patient: &str, title: &str) -> String {
    let case = add_case_without_consent(t, patient, title).await;
    record_consent(t, &case).await;
    case
}

/// `add_case` without any consent recorded: nothing on it can be signed yet.
pub async fn add_case_without_consent(t: &Browser, patient: &str, title: &str) -> String {
    add_case_in_region(t, patient, title, "thoracic").await
}

/// Opens a case of body `region` (a library region key) without consent recorded.
pub async fn add_case_in_region(t: &Browser, patient: &str, title: &str, region: &str) -> String {
    let form = t.page(&format!("{patient}/cases/new")).await;
    let select = form
        .split("name=\"therapist_id\">")
        .nth(1)
        .unwrap_or_default();
    let therapist = select
        .split("\" selected>")
        .next()
        .unwrap_or_default()
        .rsplit("value=\"")
        .next()
        .unwrap_or_default()
        .to_owned();
    let token = super::csrf_from(&form).unwrap_or_default();
    let response = t
        .post_url(
            &format!("{patient}/cases"),
            &[
                ("csrf_token", token.as_str()),
                ("title", title),
                ("body_region", region),
                // Before every date these tests record scores and assessments at.
                ("onset_date", "2023-06-01"),
                ("mechanism", ""),
                ("referral_source", ""),
                ("goals", ""),
                ("therapist_id", therapist.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(&response)
}

/// Records the patient's verbal consent to assessment and treatment on a case (its path)
/// through its consent page: nothing on a case is signed without it.
pub async fn record_consent(t: &Browser, case: &str) {
    consent_decision(t, case, "treatment", "given").await;
}

/// Records a consent decision on a case, by the patient, verbally, at the time the consent
/// page offers (now, in the clinic's zone).
pub async fn consent_decision(t: &Browser, case: &str, kind: &str, decision: &str) {
    let page = format!("{case}/consent");
    let html = t.page(&page).await;
    let token = super::csrf_from(&html).unwrap_or_default();
    let at = super::extract_between(
        &html,
        "name=\"consent_at\" type=\"datetime-local\" value=\"",
        "\"",
    )
    .unwrap_or_else(|| panic!("the consent page offers a time: {html}"));
    let response = t
        .post_url(
            &page,
            &[
                ("csrf_token", token.as_str()),
                ("consent_kind", kind),
                ("consent_decision", decision),
                ("consent_method", "verbal"),
                ("consent_given_by", "patient"),
                ("consent_name", ""),
                ("consent_relationship", ""),
                ("consent_at", at.as_str()),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "consent {kind} {decision} recorded on {case}"
    );
}

pub struct Item {
    pub exercise: i64,
    pub sets: &'static str,
    pub reps: &'static str,
    pub hold: &'static str,
    pub side: &'static str,
    pub note: &'static str,
}

pub fn item(exercise: i64, sets: &'static str, hold: &'static str, side: &'static str) -> Item {
    Item {
        exercise,
        sets,
        reps: "10",
        hold,
        side,
        note: "",
    }
}

/// Posts the builder form as a browser does: every item's fields plus the pressed button.
pub async fn post_builder(
    t: &Browser,
    case: &str,
    items: &[Item],
    action: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let token = t.csrf_token(&format!("{case}/programme/builder")).await;
    let mut fields: Vec<(String, String)> = vec![
        ("csrf_token".into(), token),
        ("action".into(), action.into()),
    ];
    for (i, it) in items.iter().enumerate() {
        for (key, value) in [
            ("exercise", it.exercise.to_string()),
            ("sets", it.sets.into()),
            ("reps", it.reps.into()),
            ("hold_seconds", it.hold.into()),
            ("rest_seconds", "0".into()),
            ("side", it.side.into()),
            ("times_per_day", "2".into()),
            ("days_per_week", "7".into()),
            ("note", it.note.into()),
        ] {
            fields.push((format!("item_{i}_{key}"), value));
        }
    }
    for (k, v) in extra {
        fields.push(((*k).into(), (*v).into()));
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    t.post_url(&format!("{case}/programme/builder"), &pairs)
        .await
}

/// Moves a case's review date (what the home page's lists read) to `date`, as the passing
/// of time would: the builder takes no date that has already passed, and a saved
/// programme version cannot be changed.
pub fn set_review_date(app: &TestApp, case: &str, date: &str) {
    use physiocase::db::schema::cases;
    let id: i64 = case
        .trim_start_matches("/cases/")
        .parse()
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("{date}: {e}"));
    diesel::update(cases::table.find(id))
        .set(cases::review_date.eq(Some(date)))
        .execute(&mut *app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The patient of a case, from its page path.
pub fn case_patient_id(app: &TestApp, case: &str) -> i64 {
    use physiocase::db::schema::cases::dsl;
    let id: i64 = case
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    dsl::cases
        .find(id)
        .select(dsl::patient_id)
        .first(&mut app.conn())
        .unwrap_or(0)
}

/// Gives the case's patient portal access and returns their signed-in browser.
pub async fn portal_patient(app: &TestApp, t: &Browser, patient_id: i64, email: &str) -> Browser {
    let page = format!("/patients/{patient_id}/portal");
    let response = t.submit(&page, &page, &[("email", email)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("<svg class=\"qr\""),
        "a QR code of the link is shown"
    );
    let link = super::extract_between(&html, "id=\"portal-link\" readonly value=\"", "\"")
        .unwrap_or_else(|| panic!("link shown"));
    let patient = app.browser();
    let response = patient
        .post_url(
            &link,
            &[("password", super::PASSWORD), ("confirm", super::PASSWORD)],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "password set from the link"
    );
    let response = patient.get("/").await;
    assert_eq!(location(&response), "/me", "patients land on their portal");
    patient
}

/// A review assessment's fields, signed, with every red-flag question answered "no".
pub fn signed_review_fields() -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = vec![
        (
            "assessed_at".into(),
            chrono::Utc::now()
                .naive_utc()
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
        ),
        ("presenting_complaint".into(), "Review".into()),
        ("pain_now".into(), "5".into()),
        ("pain_best".into(), "2".into()),
        ("pain_worst".into(), "7".into()),
        ("intent".into(), "sign".into()),
    ];
    for (flag, _) in physiocase::domain::clinical::RED_FLAGS {
        fields.push((format!("rf_{flag}"), "no".into()));
    }
    fields
}

/// `fields` with every red-flag question answered "no" but those in `yes`: the whole
/// screen, which signing an initial assessment needs.
pub fn with_screen<'a>(fields: &[(&'a str, &'a str)], yes: &[&str]) -> Vec<(&'a str, &'a str)> {
    let mut all = fields.to_vec();
    for (flag, _) in physiocase::domain::clinical::RED_FLAGS {
        let name: &'static str = Box::leak(format!("rf_{flag}").into_boxed_str());
        all.push((name, if yes.contains(flag) { "yes" } else { "no" }));
    }
    all
}
