//! The exercise library: seeded entries, faceted search, the clinic's own exercises.

mod common;

use std::collections::BTreeSet;

use common::{Browser, location, spawn_app, start_on};
use reqwest::StatusCode;

/// Every exercise the seed articles describe, once each. Held here so none is silently lost.
const EXPECTED_NAMES: &[&str] = &[
    "Bird dog",
    "Cat pose",
    "Cat-cow",
    "Child's pose",
    "Child's pose with side reach",
    "Chin tuck",
    "Chin-to-chest stretch",
    "Cobra stretch",
    "Doorway chest stretch",
    "Eagle arms",
    "Glute bridge",
    "Iron cross",
    "Knee-to-chest stretch",
    "Kneeling thoracic extension at a bench",
    "Lying trunk rotation",
    "Massage-ball peanut mobilisation",
    "Neck roll",
    "Overhead side reach",
    "Plank",
    "Reverse fly",
    "Scapular push-up",
    "Seated chair twist",
    "Seated floor twist",
    "Seated thoracic extension",
    "Shoulder blade squeeze",
    "Shoulder rolls",
    "Shoulder shrug circles",
    "Side neck stretch",
    "Sideways chair rotation",
    "Single-arm wall chest stretch",
    "Thoracic extension on a foam roller",
    "Thoracic extension over a chair back",
    "Thread the needle",
    "Towel shoulder stretch",
    "Upper-back foam rolling",
    "Wall angels",
];

/// Names of the exercises a library page lists, across all its pages.
async fn listed_names(browser: &Browser, query: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for page in 1..=20 {
        let separator = if query.is_empty() { "" } else { "&" };
        let (status, html) = browser
            .get_text(&format!("/exercises?{query}{separator}page={page}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let before = names.len();
        for chunk in html.split("<li class=\"exercise-card\">").skip(1) {
            if let Some(name) = common::extract_between(chunk, "\">", "</a>") {
                names.insert(name);
            }
        }
        if names.len() == before || !html.contains("rel=\"next\"") {
            break;
        }
    }
    names
}

fn library() -> physiocase::library::Library {
    physiocase::library::load().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn every_expected_exercise_is_present_exactly_once_after_first_and_second_start() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let expected: BTreeSet<String> = EXPECTED_NAMES.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(
        expected.len(),
        EXPECTED_NAMES.len(),
        "the expected list has no duplicates"
    );
    assert_eq!(listed_names(&therapist, "").await, expected);
    assert_eq!(app.count("exercises"), EXPECTED_NAMES.len() as i64);

    // A restart on the same database adds nothing twice.
    let (second_address, _pool) = start_on(&app.database_url).await;
    let again = Browser::new(&second_address);
    let response = again
        .post_url(
            "/login",
            &[
                ("email", "theo@clinic.test"),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(listed_names(&again, "").await, expected);
    assert_eq!(app.count("exercises"), EXPECTED_NAMES.len() as i64);
}

#[tokio::test]
async fn a_restart_keeps_the_clinics_changes_to_built_in_entries() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let html = therapist.page("/exercises?q=balasana").await;
    let id = common::extract_between(&html, "<a href=\"/exercises/", "\"").unwrap_or_default();
    let edit = format!("/exercises/{id}/edit");
    let form = therapist.page(&edit).await;
    assert!(form.contains("built-in entry"));
    let steps = "Kneel and sit back.\nBreathe out slowly.";
    let response = therapist
        .submit(
            &edit,
            &edit,
            &[
                ("name", "Child's pose"),
                ("aliases", "Balasana"),
                ("category", "stretch"),
                ("region", "thoracic"),
                ("position", "kneeling"),
                ("equipment", "none"),
                ("difficulty", "easy"),
                ("summary", ""),
                ("steps", steps),
                ("cautions", ""),
                ("common_mistakes", ""),
                ("sets", "1"),
                ("reps", "3"),
                ("hold_seconds", "30"),
                ("rest_seconds", "0"),
                ("side", "both"),
                ("times_per_day", "1"),
                ("days_per_week", "7"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let _restart = start_on(&app.database_url).await;
    let page = therapist.page(&format!("/exercises/{id}")).await;
    assert!(
        page.contains("Breathe out slowly."),
        "the clinic's change survives a restart"
    );
    assert!(page.contains("changed by the clinic"));
    let actions = app.audit_actions();
    assert!(actions.contains(&"exercise.updated".to_owned()));
}

#[tokio::test]
async fn each_facet_and_pairs_of_facets_return_the_right_entries() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let data = library();
    let names_where =
        |keep: &dyn Fn(&physiocase::library::LibraryEntry) -> bool| -> BTreeSet<String> {
            data.exercise
                .iter()
                .filter(|e| keep(e))
                .map(|e| e.name.clone())
                .collect()
        };

    for (key, value) in [
        ("category", "stretch"),
        ("region", "cervical"),
        ("position", "all-fours"),
        ("equipment", "chair"),
        ("difficulty", "moderate"),
    ] {
        let expected = names_where(&|e| match key {
            "category" => e.category == value,
            "region" => e.regions.iter().any(|r| r == value),
            "position" => e.position == value,
            "equipment" => e.equipment.iter().any(|r| r == value),
            _ => e.difficulty == value,
        });
        assert!(
            !expected.is_empty(),
            "{key}={value} has entries in the data"
        );
        assert_eq!(
            listed_names(&therapist, &format!("{key}={value}")).await,
            expected,
            "{key}={value}"
        );
    }

    // Two facets narrow each other.
    let expected = names_where(&|e| e.category == "stretch" && e.position == "kneeling");
    assert_eq!(
        listed_names(&therapist, "category=stretch&position=kneeling").await,
        expected
    );
    let expected = names_where(&|e| {
        e.regions.iter().any(|r| r == "thoracic") && e.equipment.iter().any(|q| q == "none")
    });
    assert_eq!(
        listed_names(&therapist, "region=thoracic&equipment=none").await,
        expected
    );
    // Two values of one facet widen it.
    let expected = names_where(&|e| e.position == "seated" || e.position == "standing");
    assert_eq!(
        listed_names(&therapist, "position=seated&position=standing").await,
        expected
    );

    // The count beside a facet value is what ticking it would show.
    let html = therapist.page("/exercises?category=stretch").await;
    let kneeling = names_where(&|e| e.category == "stretch" && e.position == "kneeling").len();
    assert!(html.contains(&format!("name=\"position\" value=\"kneeling\">\n          Kneeling <span class=\"count\">({kneeling})</span>")), "count shown");
}

#[tokio::test]
async fn the_desk_question_is_answered_in_one_quick_pick() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let html = therapist.page("/exercises").await;
    let link =
        common::extract_between(&html, "Quick picks:\n  <a href=\"", "\"").unwrap_or_default();
    let names = listed_names(&therapist, link.trim_start_matches("/exercises?")).await;
    assert!(names.len() >= 3, "{names:?}");
    let data = library();
    for name in &names {
        let entry = data
            .exercise
            .iter()
            .find(|e| &e.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert!(entry.regions.iter().any(|r| r == "thoracic"));
        assert_eq!(entry.position, "seated");
        assert!(entry.equipment.iter().all(|q| q == "none" || q == "chair"));
    }
}

#[tokio::test]
async fn text_search_finds_by_name_alias_and_step_without_regard_to_case_or_accents() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let data = library();
    for entry in data
        .exercise
        .iter()
        .filter(|e| !e.aliases.is_empty())
        .take(8)
    {
        let alias = &entry.aliases[0];
        let query = format!(
            "q={}",
            alias.to_uppercase().replace(' ', "+").replace('\'', "%27")
        );
        let names = listed_names(&therapist, &query).await;
        assert!(
            names.contains(&entry.name),
            "alias {alias} finds {}: {names:?}",
            entry.name
        );
    }
    let names = listed_names(&therapist, "q=balas%C3%A1na").await;
    assert!(names.contains("Child's pose"), "accents ignored: {names:?}");
    let step_word = "doorframe";
    let by_step: BTreeSet<String> = data
        .exercise
        .iter()
        .filter(|e| e.steps.iter().any(|s| s.to_lowercase().contains(step_word)))
        .map(|e| e.name.clone())
        .collect();
    if !by_step.is_empty() {
        assert!(by_step.is_subset(&listed_names(&therapist, &format!("q={step_word}")).await));
    }
    let none = listed_names(&therapist, "q=zzqqxx").await;
    assert!(none.is_empty());
}

fn exercise_fields<'a>(name: &'a str, steps: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("aliases", "Band row, Seated row"),
        ("category", "strengthening"),
        ("region", "thoracic"),
        ("region", "shoulder"),
        ("position", "seated"),
        ("equipment", "resistance-band"),
        ("difficulty", "moderate"),
        (
            "summary",
            "Strengthens the muscles between the shoulder blades.",
        ),
        ("steps", steps),
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
async fn a_clinic_exercise_is_created_edited_archived_and_restored() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let response = therapist
        .submit(
            "/exercises/new",
            "/exercises",
            &exercise_fields(
                "Seated band row",
                "Sit tall with the band round a post.\nPull your elbows back.\nReturn slowly.",
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = location(&response);
    let html = therapist.page(&page).await;
    assert!(html.contains("Seated band row"));
    assert!(html.contains(
        "3 sets of 12, hold 2 seconds, rest 1 minute between sets, once a day, 3 days a week"
    ));
    assert!(
        listed_names(&therapist, "q=band+row")
            .await
            .contains("Seated band row")
    );

    let edit = format!("{page}/edit");
    let response = therapist
        .submit(
            &edit,
            &edit,
            &exercise_fields("Seated band row (light band)", "Sit tall.\nPull.\nRelease."),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = therapist.page(&page).await;
    assert!(html.contains("Seated band row (light band)"));

    let response = therapist
        .submit(&page, &format!("{page}/archive"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        !listed_names(&therapist, "q=band+row")
            .await
            .contains("Seated band row (light band)"),
        "archived entries leave search"
    );
    assert!(
        listed_names(&therapist, "q=band+row&archived=1")
            .await
            .contains("Seated band row (light band)")
    );
    let (status, html) = therapist.get_text(&page).await;
    assert_eq!(status, StatusCode::OK, "archived entries stay readable");
    assert!(html.contains("Archived"));

    therapist
        .submit(&page, &format!("{page}/restore"), &[])
        .await;
    assert!(
        listed_names(&therapist, "q=band+row")
            .await
            .contains("Seated band row (light band)")
    );
    let actions = app.audit_actions();
    for action in [
        "exercise.created",
        "exercise.updated",
        "exercise.archived",
        "exercise.restored",
    ] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
}

#[tokio::test]
async fn invalid_exercises_are_refused_with_messages_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let before = app.count("exercises");
    let mut fields = exercise_fields("", "   ");
    for (key, value) in fields.iter_mut() {
        match *key {
            "sets" => *value = "0",
            "reps" => *value = "101",
            "hold_seconds" => *value = "601",
            "rest_seconds" => *value = "-1",
            "times_per_day" => *value = "11",
            "days_per_week" => *value = "8",
            "summary" => *value = "Typed summary kept",
            _ => {}
        }
    }
    let response = therapist
        .submit("/exercises/new", "/exercises", &fields)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    for message in [
        "Enter a name for the exercise.",
        "Write at least one step",
        "The number of sets must be between 1 and 20.",
        "The number of repetitions must be between 1 and 100.",
        "The hold in seconds must be between 0 and 600.",
        "The rest in seconds must be between 0 and 600.",
        "Times per day must be between 1 and 10.",
        "Days per week must be between 1 and 7.",
    ] {
        assert!(html.contains(message), "shows: {message}");
    }
    assert!(html.contains("Typed summary kept"));
    assert!(html.contains("value=\"101\""), "typed numbers kept");
    assert_eq!(app.count("exercises"), before);

    let long_name = "x".repeat(121);
    let response = therapist
        .submit(
            "/exercises/new",
            "/exercises",
            &exercise_fields(&long_name, "One step."),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("at most 120 characters")
    );
}

#[tokio::test]
async fn markup_typed_into_an_exercise_comes_back_escaped() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let name = "<script>alert('name')</script>";
    let response = therapist
        .submit(
            "/exercises/new",
            "/exercises",
            &exercise_fields(name, "<img src=x onerror=alert(1)>\n<b>bold</b>"),
        )
        .await;
    let page = location(&response);
    for path in [
        page.clone(),
        "/exercises?q=alert".to_owned(),
        format!("{page}/edit"),
    ] {
        let html = therapist.page(&path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_patient_is_refused_every_library_route() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;
    let html = therapist.page("/exercises?q=balasana").await;
    let id = common::extract_between(&html, "<a href=\"/exercises/", "\"").unwrap_or_default();
    let patient = app.patient_account("pat@example.test").await;
    for path in [
        "/exercises".to_owned(),
        "/exercises/new".to_owned(),
        format!("/exercises/{id}"),
        format!("/exercises/{id}/edit"),
    ] {
        assert_eq!(
            patient.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "GET {path}"
        );
    }
    let token = patient.csrf_token("/account/password").await;
    let before = app.count("exercises");
    for path in [
        "/exercises".to_owned(),
        format!("/exercises/{id}/edit"),
        format!("/exercises/{id}/archive"),
        format!("/exercises/{id}/restore"),
    ] {
        let mut fields = exercise_fields("Patient exercise", "Step.");
        fields.push(("csrf_token", &token));
        assert_eq!(
            patient.post_url(&path, &fields).await.status(),
            StatusCode::FORBIDDEN,
            "POST {path}"
        );
    }
    assert_eq!(app.count("exercises"), before);
}
