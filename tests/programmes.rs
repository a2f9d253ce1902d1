//! Exercise programmes: builder, versions with diffs, templates, the red-flag gate.

mod common;

use common::clinic::{Item, case_for, exercise_id, item, post_builder, with_screen};
use common::{days_ago, location, spawn_app};
use diesel::prelude::*;
use reqwest::StatusCode;

#[tokio::test]
async fn build_version_one_then_change_and_remove_for_version_two_with_the_right_diff() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let cat = exercise_id(&app, "cat-cow");
    let angels = exercise_id(&app, "wall-angels");

    // Adding from the library fills in the exercise's usual dose.
    let response = post_builder(&t, &case, &[], &format!("add:{chin}"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("1. Chin tuck"), "added to the list");
    assert!(
        html.contains(
            "name=\"item_0_exercise\" value=\"{chin}\""
                .replace("{chin}", &chin.to_string())
                .as_str()
        )
    );

    let mut first = item(chin, "3", "5", "both");
    first.note = "Progress to 15 when easy";
    let v1 = [
        first,
        item(cat, "1", "3", "both"),
        item(angels, "2", "0", "both"),
    ];
    let response = post_builder(
        &t,
        &case,
        &v1,
        "save",
        &[
            ("notes", "Little and often."),
            ("review_date", &days_ago(-60)[..10]),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{case}/programme/versions/1"));

    let page = t.page(&format!("{case}/programme/versions/1")).await;
    assert!(page.contains("This is the first version."));
    assert!(page.contains("3 sets of 10, hold 5 seconds, twice a day, every day"));

    // Version 2: chin tuck dosage changes, cat-cow removed.
    let v2 = [
        item(chin, "2", "10", "each-side"),
        item(angels, "2", "0", "both"),
    ];
    let response = post_builder(&t, &case, &v2, "save", &[]).await;
    assert_eq!(location(&response), format!("{case}/programme/versions/2"));
    let page = t.page(&format!("{case}/programme/versions/2")).await;
    assert!(page.contains("since version 1"));
    assert!(
        page.contains(
            "Chin tuck: sets 3 → 2; hold 5 s → 10 s; side both sides together → each side"
        ),
        "{page}"
    );
    assert!(page.contains("Removed Cat-cow"));
    assert!(page.contains("Chin tuck: the note changed"));
    assert!(!page.contains("Removed Wall angels") && !page.contains("Added Wall angels"));

    // Version 1 is unchanged and read-only.
    let page = t.page(&format!("{case}/programme/versions/1")).await;
    assert!(page.contains("3 sets of 10, hold 5 seconds"));
    assert!(page.contains("Cat-cow"));
    assert!(page.contains("Earlier version, read-only"));
    let refused = {
        use diesel::connection::SimpleConnection;
        app.conn()
            .batch_execute("UPDATE programme_items SET sets = 9")
    };
    assert!(
        refused.is_err(),
        "the database refuses changes to saved versions"
    );

    let programme = t.page(&format!("{case}/programme")).await;
    assert!(programme.contains("Current: version 2"));
    assert!(programme.contains("Version 1") && programme.contains("Version 2"));
    let case_page = t.page(&case).await;
    assert!(
        case_page.contains("Programme version 2"),
        "timeline shows versions"
    );
    let actions = app.audit_actions();
    assert!(actions.iter().filter(|a| *a == "programme.saved").count() == 2);
    assert!(actions.contains(&"programme.read".to_owned()));
}

#[tokio::test]
async fn the_patient_view_reads_in_plain_words_with_steps_and_notes() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let mut it = item(chin, "3", "5", "each-side");
    it.note = "Do these at your desk every hour";
    post_builder(&t, &case, &[it], "save", &[]).await;
    let (status, html) = t.get_text(&format!("{case}/programme/sheet")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("3 sets of 10, hold 5 seconds, each side, twice a day, every day"));
    assert!(html.contains("Do these at your desk every hour"));
    assert!(html.contains("Stop and contact the clinic if"));
    let library = physiocase::library::load().unwrap_or_else(|e| panic!("{e}"));
    let entry = library
        .exercise
        .iter()
        .find(|e| e.slug == "chin-tuck")
        .unwrap_or_else(|| panic!("chin tuck"));
    let first_step = common::html_unescape(&entry.steps[0]);
    assert!(
        common::html_unescape(&html).contains(&first_step),
        "steps shown"
    );
}

#[tokio::test]
async fn templates_ship_apply_save_edit_and_archive() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let list = t.page("/templates").await;
    for name in [
        "Warm-up routine",
        "Desk routine",
        "Static stretching routine",
    ] {
        assert!(list.contains(name), "{name} ships: {list}");
    }
    let desk_id = {
        use physiocase::db::schema::programme_templates::dsl;
        dsl::programme_templates
            .filter(dsl::slug.eq("desk-routine"))
            .select(dsl::id)
            .first::<i64>(&mut app.conn())
            .unwrap_or_default()
    };
    let (status, builder) = t
        .get_text(&format!("{case}/programme/builder?template={desk_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let library = physiocase::library::load().unwrap_or_else(|e| panic!("{e}"));
    let desk = library
        .template
        .iter()
        .find(|t| t.slug == "desk-routine")
        .unwrap_or_else(|| panic!("desk"));
    for slug in &desk.exercises {
        let name = &library
            .exercise
            .iter()
            .find(|e| &e.slug == slug)
            .unwrap_or_else(|| panic!("{slug}"))
            .name;
        assert!(
            common::html_unescape(&builder).contains(name.as_str()),
            "template item {name} in the builder"
        );
    }
    assert!(app.audit_actions().contains(&"template.applied".to_owned()));

    // Save from the template, then save the programme as a new template.
    let items: Vec<Item> = desk
        .exercises
        .iter()
        .map(|s| item(exercise_id(&app, s), "2", "20", "both"))
        .collect();
    let tid = desk_id.to_string();
    let response = post_builder(&t, &case, &items, "save", &[("template_id", tid.as_str())]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(app.audit_actions().contains(&"template.used".to_owned()));
    let programme = format!("{case}/programme");
    let response = t
        .submit(
            &programme,
            &format!("{programme}/template"),
            &[
                ("name", "Desk worker — thoracic mobility"),
                ("description", "For office workers"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let template = location(&response);
    let html = t.page(&template).await;
    assert!(html.contains("Desk worker — thoracic mobility"));
    assert!(html.contains("2 sets of 10, hold 20 seconds"));

    let edit = format!("{template}/edit");
    let response = t
        .submit(&edit, &edit, &[("name", ""), ("description", "x")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = t
        .submit(
            &edit,
            &edit,
            &[("name", "Desk worker — v2"), ("description", "Updated")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    t.submit(&template, &format!("{template}/archive"), &[])
        .await;
    let list = t.page("/templates").await;
    assert!(
        !list.contains("Desk worker — v2"),
        "archived templates leave the list"
    );
    let archived = t.page("/templates?archived=1").await;
    assert!(archived.contains("Desk worker — v2"));
}

#[tokio::test]
async fn the_red_flag_gate_blocks_then_allows() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    // An assessment with a "yes" raises a red flag on the case.
    let new = format!("{case}/assessments/new?kind=initial");
    let response = t
        .submit(
            &new,
            &format!("{case}/assessments?kind=initial"),
            &with_screen(
                &[("assessed_at", days_ago(2).as_str()), ("intent", "sign")],
                &["chest-pain"],
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let chin = exercise_id(&app, "chin-tuck");
    let builder = t.page(&format!("{case}/programme/builder")).await;
    assert!(builder.contains("cannot be issued yet"));
    assert!(
        builder.contains(&format!("{case}/red-flags")),
        "links to the action form"
    );
    let response = post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("red flags waiting for action")
    );
    assert_eq!(app.count("programme_versions"), 0);

    let flags = format!("{case}/red-flags");
    t.submit(
        &flags,
        &flags,
        &[
            ("flag", "chest-pain"),
            ("action", "cleared"),
            ("reason", "Musculoskeletal, reproduced on palpation"),
        ],
    )
    .await;
    let response = post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("programme_versions"), 1);
}

#[tokio::test]
async fn invalid_programmes_are_refused_with_clear_messages() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let response = post_builder(&t, &case, &[], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("Add at least one exercise")
    );

    let chin = exercise_id(&app, "chin-tuck");
    let response = post_builder(
        &t,
        &case,
        &[item(chin, "0", "700", "sideways")],
        "save",
        &[("review_date", "not a date")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("The number of sets must be between 1 and 20."));
    assert!(html.contains("The hold in seconds must be between 0 and 600."));
    assert!(html.contains("value=\"700\""), "typed values kept");

    // A review date already past, or years away, is a slip: the form says so and keeps it.
    for (typed, message) in [
        ("2024-02-01", "That review date (1 Feb 2024) has passed"),
        (
            "2062-02-01",
            "That review date (1 Feb 2062) is more than a year away",
        ),
    ] {
        let response = post_builder(
            &t,
            &case,
            &[item(chin, "3", "5", "both")],
            "save",
            &[("review_date", typed)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap_or_default();
        assert!(html.contains(message), "{typed}");
        assert!(
            html.contains(&format!("value=\"{typed}\"")),
            "typed date kept"
        );
    }
    assert_eq!(app.count("programme_versions"), 0, "nothing stored");

    let ids: Vec<i64> = {
        use physiocase::db::schema::exercises::dsl;
        dsl::exercises
            .select(dsl::id)
            .limit(31)
            .load(&mut app.conn())
            .unwrap_or_default()
    };
    // The library has 36 entries; 31 distinct ones exceed the limit.
    let many: Vec<Item> = ids.iter().map(|id| item(*id, "1", "0", "both")).collect();
    assert_eq!(many.len(), 31);
    let response = post_builder(&t, &case, &many, "save", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("at most 30 exercises")
    );

    // An archived exercise cannot be newly added, but stays in old versions.
    let cat = exercise_id(&app, "cat-cow");
    post_builder(&t, &case, &[item(cat, "1", "0", "both")], "save", &[]).await;
    let angels = exercise_id(&app, "wall-angels");
    t.submit(
        &format!("/exercises/{angels}"),
        &format!("/exercises/{angels}/archive"),
        &[],
    )
    .await;
    t.submit(
        &format!("/exercises/{cat}"),
        &format!("/exercises/{cat}/archive"),
        &[],
    )
    .await;
    let response = post_builder(
        &t,
        &case,
        &[item(cat, "1", "0", "both"), item(angels, "1", "0", "both")],
        "save",
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = common::html_unescape(&response.text().await.unwrap_or_default());
    assert!(html.contains("Wall angels is archived and cannot be newly added."));
    assert!(
        !html.contains("Cat-cow is archived"),
        "an exercise already in the programme may stay"
    );
    let response = post_builder(&t, &case, &[item(cat, "2", "0", "both")], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let v1 = t.page(&format!("{case}/programme/versions/1")).await;
    assert!(v1.contains("Cat-cow"));
    assert_eq!(app.count("programme_versions"), 2);
}

#[tokio::test]
async fn a_patient_is_refused_every_builder_and_template_route() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    let p = app.patient_account("pat@example.test").await;
    for path in [
        format!("{case}/programme"),
        format!("{case}/programme/builder"),
        format!("{case}/programme/versions/1"),
        format!("{case}/programme/sheet"),
        "/templates".to_owned(),
        "/templates/1".to_owned(),
        "/templates/1/edit".to_owned(),
    ] {
        assert_eq!(
            p.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "GET {path}"
        );
    }
    let token = p.csrf_token("/account/password").await;
    for path in [
        format!("{case}/programme/builder"),
        format!("{case}/programme/template"),
        "/templates/1/edit".to_owned(),
        "/templates/1/archive".to_owned(),
    ] {
        let response = p
            .post_url(
                &path,
                &[
                    ("csrf_token", token.as_str()),
                    ("action", "save"),
                    ("name", "x"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    assert_eq!(app.count("programme_versions"), 1);
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_an_issued_version() {
    use physiocase::db::schema::programme_items::dsl;
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let chin = exercise_id(&app, "chin-tuck");
    let response = post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stored = || -> (String, String, String) {
        dsl::programme_items
            .select((dsl::exercise_name, dsl::steps, dsl::cautions))
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("the saved item: {e}"))
    };
    let issued = stored();
    assert!(
        issued.1.contains("glide your chin straight back"),
        "the item carries the steps it was issued with: {}",
        issued.1
    );
    for change in [
        "UPDATE programme_items SET steps = '[\"Something else\"]'",
        "UPDATE programme_items SET cautions = '[]'",
        "UPDATE programme_items SET exercise_name = 'Renamed'",
        "DELETE FROM programme_items",
        "DELETE FROM programme_versions",
    ] {
        let refused = {
            use diesel::connection::SimpleConnection;
            app.conn().batch_execute(change)
        };
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("a saved programme version cannot be changed"),
            "{change}: refused by the database, got {message:?}"
        );
    }
    assert_eq!(stored(), issued, "nothing changed");
}
