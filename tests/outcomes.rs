//! Outcome measures over a case's course: PSFS activities carried forward, re-scored, added
//! and retired; range of movement asked by the case's region; the global rating of change;
//! all of it on the case page, and never changed once signed.

mod common;

use common::clinic::{add_case_in_region, new_patient, record_consent, with_screen};
use common::{Browser, TestApp, days_ago, extract_between, location, spawn_app};
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

async fn neck_case(app: &TestApp) -> (Browser, String) {
    let (_admin, t) = app.therapist().await;
    let patient = new_patient(&t).await;
    let case = add_case_in_region(&t, &patient, "Neck pain after a fall", "cervical").await;
    record_consent(&t, &case).await;
    (t, case)
}

async fn record(t: &Browser, case: &str, kind: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    t.submit(
        &format!("{case}/assessments/new?kind={kind}"),
        &format!("{case}/assessments?kind={kind}"),
        fields,
    )
    .await
}

/// The id of the carried PSFS activity named `activity` on a form: its score field is
/// `psfs_score_a{id}`.
fn carried_id(form: &str, activity: &str) -> String {
    let before = form
        .split(&format!(">{activity}</label>"))
        .next()
        .unwrap_or_default();
    before
        .rsplit("for=\"psfs_score_a")
        .next()
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("the form carries “{activity}”: {form}"))
}

fn count(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<Count>(&mut app.conn())
        .map(|c| c.n)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn a_case_followed_over_three_months_shows_pain_psfs_movement_and_global_change() {
    let app = spawn_app().await;
    let (t, case) = neck_case(&app).await;

    // The initial assessment asks the neck's movements and no rating of change.
    let form = t
        .page(&format!("{case}/assessments/new?kind=initial"))
        .await;
    assert!(form.contains("Neck side flexion left (degrees)"), "{form}");
    assert!(!form.contains("Thoracic rotation"), "{form}");
    assert!(!form.contains("name=\"global_change\""), "{form}");
    let started = days_ago(90);
    let response = record(
        &t,
        &case,
        "initial",
        &with_screen(
            &[
                ("assessed_at", started.as_str()),
                ("presenting_complaint", "Stiff, painful neck since a fall"),
                ("pain_now", "7"),
                ("psfs_activity_1", "Turning my head when driving"),
                ("psfs_score_1", "2"),
                ("psfs_activity_2", "Reading for an hour"),
                ("psfs_score_2", "4"),
                ("rom_cervical-flexion", "30"),
                ("rom_cervical-rotation-left", "40"),
                ("intent", "sign"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // A review carries the activities with their last scores and the last movements.
    let review_form = t.page(&format!("{case}/assessments/new?kind=review")).await;
    assert!(review_form.contains("Last: 2 on"), "{review_form}");
    assert!(review_form.contains("Last: 30° on"), "{review_form}");
    assert!(
        review_form.contains("name=\"global_change\""),
        "{review_form}"
    );
    let driving = carried_id(&review_form, "Turning my head when driving");
    let reading = carried_id(&review_form, "Reading for an hour");

    // Typing a carried activity again as a new one is refused: it is scored where it is.
    let renamed = record(
        &t,
        &case,
        "review",
        &with_screen(
            &[
                ("assessed_at", days_ago(45).as_str()),
                ("presenting_complaint", "Review"),
                ("psfs_activity_1", "Turning my head when driving"),
                ("psfs_score_1", "5"),
                ("intent", "sign"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = renamed.text().await.unwrap_or_default();
    assert!(page.contains("already on the list"), "{page}");

    let driving_score = format!("psfs_score_a{driving}");
    let reading_retired = format!("psfs_retire_a{reading}");
    let response = record(
        &t,
        &case,
        "review",
        &with_screen(
            &[
                ("assessed_at", days_ago(45).as_str()),
                ("presenting_complaint", "Review"),
                ("pain_now", "4"),
                (driving_score.as_str(), "5"),
                (reading_retired.as_str(), "yes"),
                ("psfs_activity_1", "Lifting the shopping"),
                ("psfs_score_1", "3"),
                ("rom_cervical-flexion", "40"),
                ("rom_cervical-rotation-left", "55"),
                ("global_change", "3"),
                ("intent", "sign"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // A visit re-scores the activities still on the list; the retired one is not offered.
    let visit_form = t.page(&format!("{case}/visits/new")).await;
    assert!(
        !visit_form.contains(&format!("psfs_score_a{reading}")),
        "{visit_form}"
    );
    let lifting = carried_id(&visit_form, "Lifting the shopping");
    let lifting_score = format!("psfs_score_a{lifting}");
    let token = common::csrf_from(&visit_form).unwrap_or_default();
    let visited = days_ago(20);
    let response = t
        .post_url(
            &format!("{case}/visits"),
            &[
                ("csrf_token", token.as_str()),
                ("visited_at", visited.as_str()),
                ("attendance", "attended"),
                ("subjective", "Driving is easier"),
                ("pain_today", "3"),
                (driving_score.as_str(), "7"),
                (lifting_score.as_str(), "5"),
                ("rom_cervical-flexion", "45"),
                ("global_change", "4"),
                ("intent", "sign"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let visit = t.page(&location(&response)).await;
    assert!(visit.contains("Neck flexion"), "{visit}");
    assert!(visit.contains("+4 (Moderately better)"), "{visit}");

    let response = record(
        &t,
        &case,
        "discharge",
        &with_screen(
            &[
                ("assessed_at", days_ago(1).as_str()),
                ("presenting_complaint", "Discharge"),
                ("pain_now", "1"),
                (driving_score.as_str(), "8"),
                (lifting_score.as_str(), "8"),
                ("rom_cervical-flexion", "50"),
                ("rom_cervical-rotation-left", "70"),
                ("global_change", "6"),
                ("intent", "sign"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // The case page shows pain, PSFS, movement and global change together.
    let page = t.page(&case).await;
    let outcomes = extract_between(&page, "id=\"outcomes\"", "<h2>Adherence</h2>")
        .unwrap_or_else(|| panic!("the case page has its outcomes: {page}"));
    assert!(page.contains("<h2>Pain</h2>"), "{page}");
    // Driving 2 → 8: an important change of one activity (3 points or more).
    assert!(
        outcomes.contains(
            "Turning my head when driving</strong><br>\n    First 2 · latest 8 · change +6"
        ),
        "{outcomes}"
    );
    assert!(
        outcomes.contains("Reading for an hour</strong> <span class=\"badge\">retired</span>"),
        "{outcomes}"
    );
    // Means per record: 3.0, 4.0, 6.0, 8.0.
    assert!(
        outcomes.contains("PSFS mean</strong><br>\n    First 3.0 · latest 8.0 · change +5"),
        "{outcomes}"
    );
    assert!(
        outcomes.contains("clinically important improvement"),
        "{outcomes}"
    );
    assert!(
        outcomes.contains("Neck flexion</strong><br>\n    First 30° · latest 50° · change +20°"),
        "{outcomes}"
    );
    assert!(
        outcomes.contains("Neck rotation left</strong><br>\n    First 40° · latest 70°"),
        "{outcomes}"
    );
    assert!(
        outcomes.contains("<strong>+6</strong> A great deal better"),
        "{outcomes}"
    );
    assert_eq!(
        outcomes.matches("<svg class=\"oc-chart\"").count(),
        7,
        "{outcomes}"
    );

    // Stored once each, on signing; the database refuses to change any of it.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM outcome_measurements WHERE measure = 'psfs'"
        ),
        2 + 2 + 2 + 2
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM outcome_measurements WHERE measure = 'global-change'"
        ),
        3
    );
    let mut conn = app.conn();
    assert!(
        conn.batch_execute("UPDATE outcome_measurements SET value = 9")
            .is_err()
    );
    assert!(
        conn.batch_execute("DELETE FROM outcome_measurements")
            .is_err()
    );
    assert!(
        conn.batch_execute("UPDATE psfs_activities SET activity = 'Driving'")
            .is_err(),
        "an activity is never renamed"
    );
}

#[tokio::test]
async fn bad_outcome_values_are_refused_with_what_was_typed_and_nothing_stored() {
    let app = spawn_app().await;
    let (t, case) = neck_case(&app).await;
    let before = count(&app, "SELECT COUNT(*) AS n FROM assessments");
    let response = record(
        &t,
        &case,
        "review",
        &with_screen(
            &[
                ("assessed_at", days_ago(1).as_str()),
                ("presenting_complaint", "Review"),
                ("psfs_activity_1", "Carrying a bag"),
                ("psfs_score_1", "11"),
                ("psfs_activity_2", ""),
                ("psfs_score_2", "4"),
                ("rom_cervical-extension", "300"),
                ("global_change", "9"),
                ("intent", "sign"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap_or_default();
    assert!(
        page.contains("The score must be a whole number from 0 to 10."),
        "{page}"
    );
    assert!(
        page.contains("Name the activity this score is for."),
        "{page}"
    );
    assert!(
        page.contains("Neck extension must be a whole number from 0 to 180."),
        "{page}"
    );
    assert!(
        page.contains("Choose the patient&#39;s rating from −7")
            || page.contains("Choose the patient's rating from −7"),
        "{page}"
    );
    assert!(page.contains("value=\"Carrying a bag\""), "{page}");
    assert!(page.contains("value=\"300\""), "{page}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM assessments"), before);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM outcome_measurements"),
        0
    );

    // A missed visit has no measurements.
    let form = t.page(&format!("{case}/visits/new")).await;
    let token = common::csrf_from(&form).unwrap_or_default();
    let when = days_ago(2);
    let response = t
        .post_url(
            &format!("{case}/visits"),
            &[
                ("csrf_token", token.as_str()),
                ("visited_at", when.as_str()),
                ("attendance", "did-not-attend"),
                ("rom_cervical-flexion", "40"),
                ("intent", "draft"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap_or_default();
    assert!(
        page.contains("A visit that did not take place has no measurements"),
        "{page}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM visit_notes"), 0);
}

#[tokio::test]
async fn a_draft_keeps_its_measures_and_stores_them_only_when_signed() {
    let app = spawn_app().await;
    let (t, case) = neck_case(&app).await;
    let response = record(
        &t,
        &case,
        "initial",
        &with_screen(
            &[
                ("assessed_at", days_ago(3).as_str()),
                ("presenting_complaint", "Neck pain"),
                ("psfs_activity_1", "Looking over my shoulder"),
                ("psfs_score_1", "3"),
                ("rom_cervical-side-flexion-right", "20"),
                ("intent", "draft"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let assessment = location(&response);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM outcome_measurements"),
        0
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM psfs_activities"), 0);
    let edit = t.page(&format!("{assessment}/edit")).await;
    assert!(
        edit.contains("value=\"Looking over my shoulder\""),
        "{edit}"
    );
    assert!(edit.contains("value=\"20\""), "{edit}");
    let sign = t
        .submit(&assessment, &format!("{assessment}/sign"), &[])
        .await;
    assert_eq!(sign.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM outcome_measurements"),
        2
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM psfs_activities"), 1);
    let shown = t.page(&assessment).await;
    assert!(shown.contains("Neck side flexion right"), "{shown}");
    assert!(shown.contains("20°"), "{shown}");
}

/// Runs the outcome measures migration down, stores a signed assessment as the release
/// before it did (PSFS in the content, thoracic movements in their own fields), and runs
/// the migration up again, as an upgrade does.
fn upgrade_with_a_legacy_assessment(conn: &mut physiocase::db::DbConn, case_id: i64) {
    let legacy = format!(
        "INSERT INTO assessments (case_id, kind, status, author_id, assessed_at, content, \
         signed_at, created_at, updated_at) \
         SELECT id, 'initial', 'signed', therapist_id, '2024-02-01 09:30:00', \
         '{{\"presenting_complaint\":\"Stiff upper back\",\"psfs\":[{{\"activity\":\"Climbing stairs\",\"score\":3}}],\
         \"rotation_left\":35,\"extension\":10}}', \
         '2024-02-01 10:00:00', '2024-02-01 09:30:00', '2024-02-01 10:00:00' \
         FROM cases WHERE id = {case_id}"
    );
    common::upgrade_through(conn, "_outcome_measures", &legacy);
}

#[tokio::test]
async fn assessments_signed_before_the_upgrade_are_charted_after_it() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let patient = new_patient(&t).await;
    let case = add_case_in_region(&t, &patient, "Thoracic pain", "thoracic").await;
    let case_id: i64 = case
        .trim_start_matches("/cases/")
        .parse()
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    upgrade_with_a_legacy_assessment(&mut app.conn(), case_id);
    let page = t.page(&case).await;
    let outcomes = extract_between(&page, "id=\"outcomes\"", "<h2>Adherence</h2>")
        .unwrap_or_else(|| panic!("the case page has its outcomes: {page}"));
    assert!(outcomes.contains("Climbing stairs</strong>"), "{outcomes}");
    assert!(
        outcomes.contains("Thoracic rotation left</strong><br>\n    First 35°"),
        "{outcomes}"
    );
    assert!(
        outcomes.contains("Thoracic extension</strong><br>\n    First 10°"),
        "{outcomes}"
    );
    // The next review carries the activity forward.
    let review = t.page(&format!("{case}/assessments/new?kind=review")).await;
    assert!(review.contains("Climbing stairs"), "{review}");
    assert!(review.contains("Last: 3 on 1 Feb 2024"), "{review}");
}
