//! Local time: the clinic's zone decides the days and hours people read and type.

mod common;

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use common::clinic::{
    case_for, case_patient_id, exercise_id, item, open_case, portal_patient, post_builder,
};
use common::{Browser, TestApp, html_unescape, save_version_at, spawn_app_with};
use diesel::prelude::*;
use physiocase::dates::{Shown, ShownDay, Zone};
use reqwest::StatusCode;

fn zone(name: &str) -> Zone {
    Zone::parse(name).unwrap_or_else(|| panic!("{name} is in the zone database"))
}

fn wall(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap_or_else(|e| panic!("{text}: {e}"))
}

async fn clinic_in(name: &str) -> TestApp {
    let clinic_zone = zone(name);
    spawn_app_with(move |settings| settings.default_zone = clinic_zone).await
}

/// A zone whose calendar day is not UTC's right now (whatever the hour), so a day taken
/// from UTC by mistake shows. Kiritimati is UTC+14, Pago Pago UTC-11.
fn zone_on_another_day() -> Zone {
    if Utc::now().hour() < 10 {
        zone("Pacific/Pago_Pago")
    } else {
        zone("Pacific/Kiritimati")
    }
}

async fn record_pain(t: &Browser, case: &str, score: &str, when: &str) -> reqwest::Response {
    let token = t.csrf_token(case).await;
    let key = physiocase::secrets::random_token();
    t.post_url(
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
    .await
}

fn case_id(case: &str) -> i64 {
    case.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("case id in {case}"))
}

fn stored_scores(app: &TestApp) -> Vec<NaiveDateTime> {
    use physiocase::db::schema::pain_scores;
    pain_scores::table
        .order(pain_scores::recorded_at.asc())
        .select(pain_scores::recorded_at)
        .load(&mut app.conn())
        .unwrap_or_else(|e| panic!("scores: {e}"))
}

#[tokio::test]
async fn sydney_scores_at_23_30_and_00_30_fall_on_their_local_days() {
    let app = clinic_in("Australia/Sydney").await;
    let (t, case) = case_for(&app).await;
    // Summer in Sydney (AEDT, UTC+11): both are 20 Nov in UTC.
    for (score, when) in [("6", "2026-11-20T23:30"), ("4", "2026-11-21T00:30")] {
        let response = record_pain(&t, &case, score, when).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{when}");
    }
    assert_eq!(
        stored_scores(&app),
        vec![wall("2026-11-20T12:30"), wall("2026-11-20T13:30")],
        "instants are stored in UTC"
    );
    let page = t.page(&case).await;
    assert!(
        page.contains(">20 Nov 2026, 23:30 AEDT<"),
        "timeline, local"
    );
    assert!(
        page.contains(">21 Nov 2026, 00:30 AEDT<"),
        "timeline, local"
    );
    assert!(
        page.contains("2 pain scores from 20 Nov 2026 to 21 Nov 2026."),
        "the chart's axis runs over the two local days"
    );
    assert!(!page.contains("(UTC)"), "no form or page speaks of UTC");
}

#[tokio::test]
async fn a_version_saved_at_half_past_midnight_in_sydney_is_in_force_from_that_local_day() {
    let sydney = zone("Australia/Sydney");
    let app = clinic_in("Australia/Sydney").await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let day = sydney.today() - Duration::days(10);
    let saved_at = sydney
        .from_wall(day.and_hms_opt(0, 30, 0).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"))
        .utc;
    assert_ne!(saved_at.date(), day, "UTC's day is the one before");
    save_version_at(&app, case_id(&case), chin, 7, saved_at);
    let page = t.page(&case).await;
    let row = |d: NaiveDate| {
        format!(
            "<td data-label=\"Day\">{}</td><td data-label=\"Exercises done\">",
            d.with_weekday()
        )
    };
    let after = |d: NaiveDate| {
        page.split(&row(d))
            .nth(1)
            .and_then(|rest| rest.split("</td>").next())
            .unwrap_or_else(|| panic!("a row for {d}"))
            .to_owned()
    };
    assert_eq!(after(day), "0 of 1", "in force from its local day");
    assert!(
        !page.contains(&row(day - Duration::days(1))),
        "the table starts on that local day, not UTC's day before"
    );
}

#[tokio::test]
async fn done_today_the_tick_table_and_the_sheet_follow_the_clinic_day() {
    let clinic_zone = zone_on_another_day();
    let app = spawn_app_with(move |settings| settings.default_zone = clinic_zone).await;
    let (_admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let p = portal_patient(&app, &t, case_patient_id(&app, &case), "far@example.test").await;
    let token = p.csrf_token("/me").await;
    let response = p.tick_done(&token, chin).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let today = clinic_zone.today();
    assert_ne!(today, Utc::now().date_naive(), "the zone is on another day");
    let ticked: Vec<NaiveDate> = {
        use physiocase::db::schema::adherence_ticks;
        adherence_ticks::table
            .select(adherence_ticks::day)
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("ticks: {e}"))
    };
    assert_eq!(ticked, vec![today], "ticked on the clinic's day");
    assert!(p.page("/me").await.contains("✓ Done today"));
    let page = t.page(&case).await;
    assert!(
        page.contains(&format!(
            "<td data-label=\"Day\">{}</td><td data-label=\"Exercises done\">1 of 1</td>",
            today.with_weekday()
        )),
        "the day-by-day table ticks the clinic's today"
    );

    let bytes = t
        .get(&format!("{case}/programme.pdf"))
        .await
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let doc = lopdf::Document::load_mem(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap_or_default();
    // A one-page sheet has no running header: the date is in the card, with the version.
    assert!(
        text.contains(&format!("{} (version 1)", today.to_day())),
        "the sheet prints the clinic's issue date: {text}"
    );
}

#[tokio::test]
async fn a_local_time_just_before_now_in_auckland_is_accepted() {
    let auckland = zone("Pacific/Auckland");
    let app = clinic_in("Pacific/Auckland").await;
    let (t, case) = case_for(&app).await;
    let just_before = (Utc::now().naive_utc() - Duration::minutes(2)).to_input(auckland);
    let response = record_pain(&t, &case, "5", &just_before.to_string()).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "not in the future"
    );
    let stored = stored_scores(&app);
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].to_input(auckland).to_string(),
        just_before.to_string(),
        "stored as the instant the local time names"
    );
    let later = (Utc::now().naive_utc() + Duration::hours(2)).to_input(auckland);
    let response = record_pain(&t, &case, "5", &later.to_string()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = html_unescape(&response.text().await.unwrap_or_default());
    assert!(html.contains("The time cannot be in the future."));
    let form = t.page(&format!("{case}/pain/new")).await;
    assert!(
        form.contains(">Date and time<"),
        "the label no longer says UTC"
    );
}

#[tokio::test]
async fn clock_changes_in_new_york_are_refused_or_named_on_the_form() {
    let app = clinic_in("America/New_York").await;
    let (t, case) = case_for(&app).await;
    // 14 Mar 2027 is in the future; use 2026's: 8 Mar (forward) and 1 Nov (back).
    let response = record_pain(&t, &case, "5", "2026-03-08T02:30").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = html_unescape(&response.text().await.unwrap_or_default());
    assert!(
        html.contains("There was no 02:30 on 8 Mar 2026 in America/New_York"),
        "says why"
    );
    assert!(html.contains("the clocks went forward from EST to EDT"));
    assert!(stored_scores(&app).is_empty());

    let response = record_pain(&t, &case, "5", "2026-11-01T01:30").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stored_scores(&app),
        vec![wall("2026-11-01T05:30")],
        "the earlier of the two 01:30s (EDT)"
    );
    let page = html_unescape(&t.page(&case).await);
    assert!(
        page.contains("01:30 on 1 Nov 2026 happened twice in America/New_York"),
        "the page says which was taken"
    );
    assert!(page.contains(">1 Nov 2026, 01:30 EDT<"));
}

#[tokio::test]
async fn changing_the_zone_changes_how_times_read_not_what_is_stored() {
    let app = clinic_in("Europe/London").await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let response = record_pain(&t, &case, "5", "2026-07-01T09:00").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(t.page(&case).await.contains(">1 Jul 2026, 09:00 BST<"));
    let response = admin
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("name", "Harbour Physiotherapy"),
                ("address", ""),
                ("phone", ""),
                ("email", ""),
                ("default_paper", "a4"),
                ("sheet_footer", ""),
                ("time_zone", "America/Los_Angeles"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_scores(&app), vec![wall("2026-07-01T08:00")]);
    assert!(t.page(&case).await.contains(">1 Jul 2026, 01:00 PDT<"));
    let audit = html_unescape(&admin.page("/admin/audit").await);
    assert!(audit.contains("time zone: Europe/London -> America/Los_Angeles"));
}

#[tokio::test]
async fn exports_carry_the_clinic_offset_and_the_exact_instant() {
    let app = clinic_in("Australia/Sydney").await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let response = record_pain(&t, &case, "6", "2026-11-20T23:30").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let csv = admin.get_text("/admin/exports/pain-scores.csv").await.1;
    assert!(
        csv.contains("2026-11-20T23:30:00+11:00"),
        "ISO 8601 with the offset: {csv}"
    );
    let patient_id = case_patient_id(&app, &case);
    let (status, fhir) = admin
        .get_text(&format!("/admin/patients/{patient_id}/record.fhir.json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        fhir.contains("\"effectiveDateTime\": \"2026-11-20T23:30:00+11:00\""),
        "FHIR dateTime with the offset"
    );
}

#[tokio::test]
async fn a_patient_living_elsewhere_has_their_own_day_while_staff_keep_the_clinic_zone() {
    let app = clinic_in("UTC").await;
    let (_admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let p = portal_patient(&app, &t, case_patient_id(&app, &case), "away@example.test").await;
    let theirs = zone_on_another_day();
    let response = p
        .submit("/me", "/me/time-zone", &[("time_zone", theirs.name())])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let me = p.page("/me").await;
    assert!(me.contains(&format!(r#"<option value="{}" selected>"#, theirs.name())));

    let token = p.csrf_token("/me").await;
    let response = p.tick_done(&token, chin).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let ticked: Vec<NaiveDate> = {
        use physiocase::db::schema::adherence_ticks;
        adherence_ticks::table
            .select(adherence_ticks::day)
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("ticks: {e}"))
    };
    assert_eq!(ticked, vec![theirs.today()], "ticked on the patient's day");
    assert_ne!(theirs.today(), Utc::now().date_naive());

    // The patient types their own wall time; staff read it in the clinic's zone.
    let now = Utc::now().naive_utc() - Duration::minutes(3);
    let typed = now.to_input(theirs).to_string();
    let token = p.csrf_token("/me").await;
    let key = physiocase::secrets::random_token();
    let response = p
        .post_url(
            "/me/pain",
            &[
                ("csrf_token", token.as_str()),
                ("score", "4"),
                ("context", "now"),
                ("recorded_at", typed.as_str()),
                ("note", ""),
                ("idempotency_key", key.as_str()),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "not in the future"
    );
    let stored = stored_scores(&app);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].to_input(theirs).to_string(), typed);
    let page = t.page(&case).await;
    assert!(
        page.contains(&format!(">{}<", stored[0].to_minute(Zone::UTC))),
        "the therapist reads it in the clinic's zone"
    );
    assert!(
        app.audit_actions()
            .contains(&"account.time_zone_changed".to_owned())
    );
}
