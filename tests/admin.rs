//! Clinic administration: review figures, exports, FHIR, audit viewer, settings, backup, demo.

mod common;

use std::collections::HashSet;

use common::clinic::{add_case, case_for, exercise_id, item, new_patient, post_builder};
use common::{Browser, PASSWORD, html_unescape, location, spawn_app};
use reqwest::StatusCode;

async fn record_pain(t: &Browser, case: &str, score: &str, when: &str) {
    record_pain_noted(t, case, score, when, "").await;
}

async fn record_pain_noted(t: &Browser, case: &str, score: &str, when: &str, note: &str) {
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
                ("note", note),
                ("idempotency_key", key.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_review_shows_the_clinic_figures_and_the_cases_behind_them() {
    let app = spawn_app().await;
    let (t, improving) = case_for(&app).await;
    record_pain(&t, &improving, "8", "2026-11-01T09:00").await;
    record_pain(&t, &improving, "4", "2026-11-08T09:00").await;
    let worsening = common::clinic::open_case(&t).await;
    record_pain(&t, &worsening, "3", "2026-11-01T09:00").await;
    record_pain(&t, &worsening, "6", "2026-11-08T09:00").await;
    let admin = app.browser();
    admin
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;

    let (status, html) = admin.get_text("/admin?from=2026-10-01&to=2026-12-31").await;
    assert_eq!(status, StatusCode::OK);
    // Two cases with a change: −4 (improvement) and +3 (worsening). Median change −0.5.
    assert!(html.contains(">50 %</span><span class=\"figure__label\">reached a clinically important improvement (1 of 2"), "{}", &html[html.find("figures").unwrap_or(0)..][..600.min(html.len())]);
    assert!(html.contains(">\u{2212}0.5</span>"), "median change");
    assert!(html.contains("Theo Therapist"), "per-therapist row");
    assert!(html.contains("<svg"), "charts");
    let list = admin
        .page("/admin/cases?figure=worsening&from=2026-10-01&to=2026-12-31")
        .await;
    assert!(list.contains("▲ worsening"));
    assert_eq!(
        list.matches("href=\"/cases/").count(),
        1,
        "only the worsening case"
    );
    assert!(app.audit_actions().contains(&"review.read".to_owned()));

    // Over a long range the bars span several weeks each, and still count every case.
    let (status, html) = admin.get_text("/admin?from=1900-01-01&to=2026-12-31").await;
    assert_eq!(status, StatusCode::OK);
    let chart = html
        .split("aria-label=\"New cases per ")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .unwrap_or_default();
    assert!(
        chart.starts_with(|c: char| c.is_ascii_digit()),
        "several weeks a bar"
    );
    let bars: Vec<usize> = chart
        .split("<title>")
        .skip(1)
        .filter_map(|t| {
            t.split("</title>")
                .next()?
                .rsplit(": ")
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert!(!bars.is_empty() && bars.len() <= 53, "{} bars", bars.len());
    assert_eq!(bars.iter().sum::<usize>() as i64, app.count("cases"));
}

#[tokio::test]
async fn csv_exports_stream_every_row_and_neutralise_formulas() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    record_pain(&t, &case, "7", "2026-11-01T09:00").await;
    // A case title that a spreadsheet would run as a formula.
    let patient = {
        use diesel::prelude::*;
        use physiocase::db::schema::cases::dsl;
        let id: i64 = case
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        dsl::cases
            .find(id)
            .select(dsl::patient_id)
            .first::<i64>(&mut app.conn())
            .unwrap_or(0)
    };
    let new = format!("/patients/{patient}/cases/new");
    let form = t.page(&new).await;
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
    t.submit(
        &new,
        &format!("/patients/{patient}/cases"),
        &[
            ("title", "=HYPERLINK(\"http://evil.example\")"),
            ("body_region", "thoracic"),
            ("therapist_id", therapist.as_str()),
        ],
    )
    .await;

    let admin = app.browser();
    admin
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    let response = admin.get("/admin/exports/outcomes.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap_or_default();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("\u{feff}case_id,patient_id,clinic_reference"));
    assert_eq!(lines.len(), 3, "header and one row per case");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "formula neutralised: {csv}"
    );
    let pain = admin.get_text("/admin/exports/pain-scores.csv").await.1;
    assert_eq!(pain.lines().count(), 2);
    assert!(pain.contains(",now,7,therapist"));
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"export.outcomes_csv".to_owned())
            && actions.contains(&"export.pain_csv".to_owned())
    );
}

/// Reads a downloaded CSV export: it must start with a UTF-8 byte-order mark. Returns the
/// header and the rows. With `CSV_EXPORT_DIR` set, the file is also written there as `name`
/// (CI opens it in LibreOffice Calc, see .ci/csv-check.py).
fn read_export(bytes: &[u8], name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    if let Ok(dir) = std::env::var("CSV_EXPORT_DIR") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let body = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or_else(|| panic!("{name} starts with a UTF-8 byte-order mark"));
    let mut reader = csv::Reader::from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .unwrap_or_else(|e| panic!("{name} header: {e}"))
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{name} row: {e}"))
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    (header, rows)
}

/// Every cell of each named column reads as a number.
fn assert_numeric(header: &[String], rows: &[Vec<String>], columns: &[&str]) {
    for column in columns {
        let at = header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("column {column} in {header:?}"));
        for row in rows {
            assert!(
                row[at].parse::<f64>().is_ok(),
                "{column} reads as a number: {:?} in {row:?}",
                row[at]
            );
        }
    }
}

#[tokio::test]
async fn csv_exports_keep_numbers_numeric_and_text_in_utf8() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let t = app
        .invite_staff(&admin, "Zoë Ångström-Núñez", "zoe@clinic.test", "therapist")
        .await;
    let patient = new_patient(&t).await;
    let improving = add_case(&t, &patient, "Thoracic pain — postural").await;
    record_pain(&t, &improving, "8", "2026-11-01T09:00").await;
    record_pain(&t, &improving, "4", "2026-11-08T09:00").await;
    let risky = add_case(&t, &patient, "=HYPERLINK(\"http://evil.example\")").await;
    record_pain(&t, &risky, "3", "2026-11-01T09:00").await;
    record_pain(&t, &risky, "6", "2026-11-08T09:00").await;

    let response = admin.get("/admin/exports/outcomes.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap_or_default();
    let (header, rows) = read_export(&bytes, "outcomes.csv");
    assert_eq!(rows.len(), 2, "a row per case");
    assert_numeric(
        &header,
        &rows,
        &[
            "case_id",
            "patient_id",
            "pain_baseline",
            "pain_latest",
            "pain_change",
            "assessments",
        ],
    );
    let cell = |row: &Vec<String>, column: &str| {
        let at = header
            .iter()
            .position(|h| h == column)
            .unwrap_or(usize::MAX);
        row.get(at).cloned().unwrap_or_default()
    };
    let row_titled = |title: &str| {
        rows.iter()
            .find(|r| cell(r, "case_title") == title)
            .cloned()
            .unwrap_or_else(|| panic!("a row titled {title:?} in {rows:?}"))
    };
    let better = row_titled("Thoracic pain — postural");
    assert_eq!(
        cell(&better, "pain_change"),
        "-4",
        "an improvement stays a number"
    );
    assert_eq!(cell(&better, "therapist"), "Zoë Ångström-Núñez");
    let worse = row_titled("'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(cell(&worse, "pain_change"), "3");

    let response = admin.get("/admin/exports/pain-scores.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap_or_default();
    let (header, rows) = read_export(&bytes, "pain-scores.csv");
    assert_eq!(rows.len(), 4, "a row per score");
    assert_numeric(
        &header,
        &rows,
        &["pain_score_id", "case_id", "patient_id", "score"],
    );
}

#[tokio::test]
async fn the_fhir_bundle_is_a_self_contained_r4_collection() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    record_pain(&t, &case, "7", "2026-11-01T09:00").await;
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "each-side")], "save", &[]).await;
    post_builder(&t, &case, &[item(chin, "2", "5", "each-side")], "save", &[]).await;
    let patient: i64 = {
        use diesel::prelude::*;
        use physiocase::db::schema::patients::dsl;
        dsl::patients
            .select(dsl::id)
            .first(&mut app.conn())
            .unwrap_or(0)
    };
    {
        use diesel::prelude::*;
        use physiocase::db::schema::patients::dsl;
        diesel::update(dsl::patients.find(patient))
            .set((
                dsl::address.eq("1 Mill Lane\nBath"),
                dsl::preferred_language.eq("Welsh"),
                dsl::gp_name.eq("Dr Rhys Evans"),
                dsl::gp_practice.eq("Mill Surgery"),
                dsl::emergency_name.eq("Cerys Evans"),
                dsl::emergency_relationship.eq("Sister"),
                dsl::emergency_phone.eq("07700 900123"),
            ))
            .execute(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let admin = app.browser();
    admin
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    let response = admin
        .get(&format!("/admin/patients/{patient}/record.fhir.json"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let bundle: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(bundle["resourceType"], "Bundle");
    let person = bundle["entry"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["resource"]["resourceType"] == "Patient")
        })
        .map(|e| e["resource"].clone())
        .unwrap_or_default();
    assert_eq!(person["address"][0]["text"], "1 Mill Lane\nBath");
    assert_eq!(person["communication"][0]["language"]["text"], "Welsh");
    assert_eq!(
        person["generalPractitioner"][0]["display"],
        "Dr Rhys Evans, Mill Surgery"
    );
    assert_eq!(person["contact"][0]["name"]["text"], "Cerys Evans");
    assert_eq!(
        person["contact"][0]["relationship"][0]["coding"][0]["code"],
        "C"
    );
    assert_eq!(person["contact"][0]["telecom"][0]["value"], "07700 900123");
    assert_eq!(bundle["type"], "collection");
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    let urls: HashSet<String> = entries
        .iter()
        .filter_map(|e| e["fullUrl"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(urls.len(), entries.len(), "full URLs are unique");
    let of = |kind: &str| {
        entries
            .iter()
            .filter(|e| e["resource"]["resourceType"] == kind)
            .count()
    };
    assert_eq!(of("Patient"), 1);
    assert_eq!(of("EpisodeOfCare"), 1);
    assert_eq!(of("Observation"), 1);
    assert_eq!(of("CarePlan"), 2, "one per programme version");
    assert!(of("Practitioner") >= 1);

    // Offline R4 rules: ids, required elements, codes, and every reference resolving inside.
    fn references(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    if key == "reference" {
                        found.push(v.as_str().unwrap_or_default().to_owned());
                    }
                    references(v, found);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    for e in &entries {
        let r = &e["resource"];
        let id = r["id"].as_str().unwrap_or_default();
        assert!(
            !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "id {id}"
        );
        assert!(
            e["fullUrl"]
                .as_str()
                .unwrap_or_default()
                .starts_with("urn:uuid:")
        );
        let mut refs = Vec::new();
        references(r, &mut refs);
        for reference in refs {
            assert!(
                urls.contains(&reference),
                "{reference} resolves inside the bundle"
            );
        }
        match r["resourceType"].as_str().unwrap_or_default() {
            "Observation" => {
                assert_eq!(r["status"], "final");
                assert_eq!(r["code"]["coding"][0]["system"], "http://loinc.org");
                assert_eq!(r["code"]["coding"][0]["code"], "72514-3");
                assert_eq!(
                    r["code"]["coding"][0]["display"],
                    "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
                );
                assert_eq!(r["valueInteger"], 7);
                assert_eq!(r["effectiveDateTime"], "2026-11-01T09:00:00+00:00");
                assert!(r["subject"]["reference"].is_string());
            }
            "CarePlan" => {
                assert_eq!(r["intent"], "plan");
                assert!(
                    ["active", "revoked", "completed", "entered-in-error"]
                        .contains(&r["status"].as_str().unwrap_or_default())
                );
                let activity = r["activity"].as_array().cloned().unwrap_or_default();
                assert_eq!(activity.len(), 1);
                assert!(
                    activity[0]["detail"]["description"]
                        .as_str()
                        .unwrap_or_default()
                        .starts_with("Chin tuck: ")
                );
                assert!(activity[0]["detail"]["status"].is_string());
            }
            "EpisodeOfCare" => {
                assert_eq!(r["status"], "active");
                assert!(r["patient"]["reference"].is_string());
            }
            "Patient" => {
                assert_eq!(r["birthDate"], "1980-03-31");
                assert_eq!(r["name"][0]["family"], "Łukasiewicz");
            }
            _ => {}
        }
    }
    assert!(app.audit_actions().contains(&"export.fhir".to_owned()));
}

#[tokio::test]
async fn fhir_observations_name_their_episode_of_care_and_carry_the_note() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let patient = new_patient(&t).await;
    let neck = add_case(&t, &patient, "Neck pain").await;
    let back = add_case(&t, &patient, "Low back pain").await;
    let note = "Worse after the drive — eased by evening";
    record_pain_noted(&t, &neck, "6", "2026-11-01T09:00", note).await;
    record_pain(&t, &back, "3", "2026-11-02T10:30").await;

    let response = admin
        .get(&format!(
            "{}/record.fhir.json",
            patient.replace("/patients/", "/admin/patients/")
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.unwrap_or_default();
    if let Ok(path) = std::env::var("FHIR_EXPORT_OUT") {
        std::fs::write(&path, &body).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let bundle: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("FHIR JSON: {e}"));
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    let full_url_of = |resource_id: &str| {
        entries
            .iter()
            .find(|e| e["resource"]["id"] == resource_id)
            .and_then(|e| e["fullUrl"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("an entry {resource_id}"))
    };
    let case_id = |path: &str| path.rsplit('/').next().unwrap_or_default().to_owned();
    let neck_episode = full_url_of(&format!("case-{}", case_id(&neck)));
    let back_episode = full_url_of(&format!("case-{}", case_id(&back)));
    assert_ne!(neck_episode, back_episode);

    let observations: Vec<&serde_json::Value> = entries
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Observation")
        .collect();
    assert_eq!(observations.len(), 2);
    for observation in observations {
        let episode_links: Vec<&serde_json::Value> = observation["extension"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|x| {
                        x["url"] == "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare"
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(episode_links.len(), 1, "one episode of care: {observation}");
        let episode = episode_links[0]["valueReference"]["reference"]
            .as_str()
            .unwrap_or_default();
        match observation["valueInteger"].as_i64() {
            Some(6) => {
                assert_eq!(
                    episode, neck_episode,
                    "the neck score belongs to the neck case"
                );
                assert_eq!(observation["note"], serde_json::json!([{ "text": note }]));
                assert_eq!(
                    observation["effectiveDateTime"],
                    "2026-11-01T09:00:00+00:00"
                );
            }
            Some(3) => {
                assert_eq!(
                    episode, back_episode,
                    "the back score belongs to the back case"
                );
                assert!(
                    observation.get("note").is_none(),
                    "no empty note: {observation}"
                );
                assert_eq!(
                    observation["effectiveDateTime"],
                    "2026-11-02T10:30:00+00:00"
                );
            }
            other => panic!("unexpected score {other:?}"),
        }
    }

    // Every FHIR dateTime with a time of day carries its offset (R4 requires one).
    fn times(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => map.values().for_each(|v| times(v, found)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| times(v, found)),
            serde_json::Value::String(text)
                if text.len() >= 16
                    && text.as_bytes()[10] == b'T'
                    && text[..4].bytes().all(|b| b.is_ascii_digit()) =>
            {
                found.push(text.clone());
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    times(&bundle, &mut found);
    assert!(
        found.len() >= 5,
        "bundle, episodes and observations carry times: {found:?}"
    );
    for time in found {
        let offset = time
            .get(19..)
            .unwrap_or_else(|| panic!("{time} has seconds"));
        let has_offset = offset.ends_with('Z')
            || (offset.len() >= 6 && matches!(offset.as_bytes()[offset.len() - 6], b'+' | b'-'));
        assert!(has_offset, "{time} has an offset");
    }
}

#[tokio::test]
async fn settings_change_the_header_and_the_sheet() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let admin = app.browser();
    admin
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    let response = admin
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("name", ""),
                ("default_paper", "a5"),
                ("time_zone", "Mars/Olympus_Mons"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Enter the clinic name."));
    assert!(html_unescape(&html).contains("Choose the clinic's time zone from the list."));
    assert!(
        html.contains(r#"<optgroup label="Australia">"#),
        "zones are grouped by region"
    );
    let response = admin
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("name", "Harbour Physiotherapy"),
                ("address", "12 Quay Street\nBristol"),
                ("phone", "0117 496 0000"),
                ("email", "hello@harbour.example"),
                ("default_paper", "letter"),
                ("sheet_footer", "Harbour — move well"),
                ("time_zone", "Europe/London"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let audit = admin.page("/admin/audit").await;
    assert!(
        html_unescape(&audit).contains("time zone: UTC -> Europe/London"),
        "the audit log names the zone change"
    );
    let settings = admin.page("/admin/settings").await;
    assert!(settings.contains(r#"<option value="Europe/London" selected>"#));
    let page = t.page("/").await;
    assert!(
        page.contains("Harbour Physiotherapy"),
        "header shows the clinic name"
    );
    let chin = exercise_id(&app, "chin-tuck");
    post_builder(&t, &case, &[item(chin, "3", "5", "both")], "save", &[]).await;
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
    for expected in [
        "Harbour Physiotherapy",
        "0117 496 0000",
        "Harbour — move well",
    ] {
        assert!(text.contains(expected), "sheet shows {expected}");
    }
    let page_id = doc.get_pages().values().next().copied().unwrap_or((0, 0));
    let media = doc
        .get_dictionary(page_id)
        .and_then(|d| d.get(b"MediaBox"))
        .and_then(|m| m.as_array())
        .map(|a| a.len())
        .unwrap_or(0);
    assert_eq!(media, 4);
    assert!(
        String::from_utf8_lossy(&bytes).contains("612"),
        "the clinic default is Letter"
    );
}

#[tokio::test]
async fn the_audit_viewer_filters_and_verifies_the_chain() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    t.get(&case).await;
    let admin = app.browser();
    admin
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    let html = admin.page("/admin/audit?action=case.read").await;
    assert!(html.contains("case.read"));
    assert!(!html.contains("staff.invited"), "filtered by action");
    let html = admin.page("/admin/audit?patient=abc").await;
    assert!(html.contains("The patient id must be a number."));
    assert!(
        !html.contains("<td data-label=\"Action\">case.read")
            && html.contains("Correct the filters above"),
        "an unreadable filter shows nothing, not everything"
    );
    let html = admin
        .page("/admin/audit?from=2026-12-31&to=2026-01-01")
        .await;
    assert!(html.contains("The from date is after the to date."));
    let html = admin.page("/admin/audit?action=no.such.action").await;
    assert!(html.contains("No audit events match these filters."));
    let html = admin.page("/admin/audit?action=case.read").await;
    let who = html
        .split("href=\"/admin/audit?user=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let mine = admin.page(&format!("/admin/audit?user={who}")).await;
    assert!(
        mine.contains("case.read"),
        "a name links to that user's events"
    );
    let response = admin
        .submit("/admin/audit", "/admin/audit/verify", &[])
        .await;
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("The audit chain is intact"), "verify action");
}

#[tokio::test]
async fn therapists_and_patients_are_refused_every_admin_route() {
    let app = spawn_app().await;
    let (t, _case) = case_for(&app).await;
    let p = app.patient_account("pat@example.test").await;
    let gets = [
        "/admin",
        "/admin/cases",
        "/admin/staff",
        "/admin/staff/invite",
        "/admin/settings",
        "/admin/audit",
        "/admin/exports/outcomes.csv",
        "/admin/exports/pain-scores.csv",
        "/admin/patients/1/record.fhir.json",
    ];
    for who in [&t, &p] {
        for path in gets {
            assert_eq!(
                who.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "GET {path}"
            );
        }
        let token = who.csrf_token("/account/password").await;
        for path in [
            "/admin/settings",
            "/admin/audit/verify",
            "/admin/staff/invite",
            "/admin/staff/1/deactivate",
        ] {
            assert_eq!(
                who.post_url(path, &[("csrf_token", token.as_str()), ("name", "x")])
                    .await
                    .status(),
                StatusCode::FORBIDDEN,
                "POST {path}"
            );
        }
    }
}

#[tokio::test]
async fn backup_while_writing_then_restore_keeps_rows_and_the_chain() {
    if common::is_postgres() {
        // PostgreSQL is backed up with pg_dump; the command says so.
        let app = spawn_app().await;
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
            .args([
                "backup",
                "/tmp/never-written.db",
                "--database-url",
                &app.database_url,
            ])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"));
        return;
    }
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let dir = std::env::temp_dir().join(format!(
        "physiocase-backup-{}",
        &physiocase::secrets::random_token()[..12]
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let backup = dir.join("backup.db");
    // The backup runs in another process while this one keeps writing.
    let backup_cmd = tokio::task::spawn_blocking({
        let url = app.database_url.clone();
        let backup = backup.clone();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
                .args([
                    "backup",
                    backup.to_str().unwrap_or_default(),
                    "--database-url",
                    &url,
                ])
                .output()
        }
    });
    for n in 0..20 {
        record_pain(&t, &case, &(n % 11).to_string(), "").await;
    }
    let output = backup_cmd
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("integrity ok"));

    // A second backup to the same file is refused.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args([
            "backup",
            backup.to_str().unwrap_or_default(),
            "--database-url",
            &app.database_url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.status.success());

    let restored = dir.join("restored.db");
    let url = format!("sqlite://{}", restored.display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args([
            "restore",
            backup.to_str().unwrap_or_default(),
            "--database-url",
            &url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("chain ok"));
    // Restoring over an existing database is refused.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args([
            "restore",
            backup.to_str().unwrap_or_default(),
            "--database-url",
            &url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));

    let pool = physiocase::db::connect_and_migrate(
        &physiocase::db::DatabaseUrl::parse(&url).unwrap_or_else(|e| panic!("{e}")),
        1,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let restored_scores = common::count_rows(&mut conn, "pain_scores");
    let live_scores = app.count("pain_scores");
    assert!(
        restored_scores <= live_scores && live_scores == 20,
        "a consistent snapshot: {restored_scores} of {live_scores}"
    );
    assert_eq!(
        common::count_rows(&mut conn, "patients"),
        app.count("patients")
    );
    let report =
        physiocase::store::audit::verify_chain(&mut conn).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report.first_broken, None,
        "the restored audit chain verifies"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_demo_fills_a_fresh_database_only() {
    let app = spawn_app().await;
    let accounts = physiocase::demo::populate(&mut app.conn(), 7).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.count("patients"), 60);
    assert_eq!(accounts.therapists.len(), 3);
    assert!(
        app.count("pain_scores") > 300,
        "twelve weeks of pain histories"
    );
    assert!(app.count("programme_versions") > 60);
    let therapist = app.browser();
    let response = therapist
        .post_url(
            "/login",
            &[
                ("email", accounts.therapists[0].as_str()),
                ("password", physiocase::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let home = therapist.page("/").await;
    assert!(
        home.contains("clinically important improvement"),
        "the demo mostly improves"
    );
    // The demo's one patient account is still in treatment: a programme to print.
    let patient = app.browser();
    let response = patient
        .post_url(
            "/login",
            &[
                ("email", accounts.patient.as_str()),
                ("password", physiocase::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let me = patient.page("/me").await;
    assert!(me.contains("href=\"/me/programme.pdf\""), "{me}");
    assert!(
        !me.contains("has ended"),
        "the demo patient is in treatment"
    );
    let pdf = patient.get("/me/programme.pdf").await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(
        pdf.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/pdf"[..])
    );
    assert!(
        physiocase::demo::populate(&mut app.conn(), 7).is_err(),
        "never into a database with accounts"
    );
    let setup = app.setup_link.clone().unwrap_or_default();
    assert_eq!(
        app.browser().get(&setup).await.status(),
        StatusCode::GONE,
        "the first-admin link no longer works"
    );
    let _ = location;
}

#[tokio::test]
async fn the_demo_reads_like_a_real_clinic() {
    use diesel::prelude::*;
    use physiocase::db::schema::{assessments, cases, clinic_settings, programme_versions, users};

    let app = spawn_app().await;
    physiocase::demo::populate(&mut app.conn(), 7).unwrap_or_else(|e| panic!("{e}"));
    let mut conn = app.conn();

    // The clinic's name, address and phone are filled in.
    let (name, address, phone): (String, String, String) = clinic_settings::table
        .select((
            clinic_settings::name,
            clinic_settings::address,
            clinic_settings::phone,
        ))
        .first(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!name.is_empty() && !address.is_empty() && !phone.is_empty());

    // Every patient has an address and a GP a letter could go to.
    let without_gp: i64 = physiocase::db::schema::patients::table
        .filter(
            physiocase::db::schema::patients::address
                .eq("")
                .or(physiocase::db::schema::patients::gp_address.eq("")),
        )
        .count()
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(without_gp, 0);
    // Its therapists can sign letters at once.
    let unsigned: i64 = users::table
        .filter(users::role.eq("therapist"))
        .filter(users::registration_number.eq(""))
        .count()
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unsigned, 0);

    // Every record is signed a little after the visit: not before, within two hours.
    let signed: Vec<(chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = assessments::table
        .select((assessments::assessed_at, assessments::signed_at))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(signed.len() > 60);
    for (at, signed_at) in &signed {
        let after = signed_at.map(|s| s - *at).unwrap_or_default();
        assert!(
            after >= chrono::Duration::minutes(10) && after <= chrono::Duration::hours(2),
            "signed {after} after the visit"
        );
    }

    // Reviews happen on the date the programme set, and no open case is overdue one.
    let reviews: Vec<(i64, chrono::NaiveDateTime)> = assessments::table
        .filter(assessments::kind.eq("review"))
        .select((assessments::case_id, assessments::assessed_at))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(reviews.len() >= 30, "{} reviews", reviews.len());
    let versions: Vec<(i64, i32, Option<chrono::NaiveDate>)> = programme_versions::table
        .select((
            programme_versions::case_id,
            programme_versions::version,
            programme_versions::review_date,
        ))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    for (case, at) in &reviews {
        assert!(
            versions
                .iter()
                .any(|(c, _, date)| c == case && *date == Some(at.date())),
            "case {case}: a review on {at} that no programme set"
        );
    }
    let today = chrono::Utc::now().date_naive();
    let open: Vec<i64> = cases::table
        .filter(cases::status.eq("open"))
        .select(cases::id)
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!open.is_empty());
    for case in &open {
        let current = versions
            .iter()
            .filter(|(c, _, _)| c == case)
            .max_by_key(|(_, number, _)| *number)
            .and_then(|(_, _, date)| *date);
        assert!(
            current.is_some_and(|date| date >= today),
            "open case {case} is overdue its review ({current:?})"
        );
    }

    // A few patients use the portal.
    let portal: i64 = users::table
        .filter(users::role.eq("patient"))
        .filter(users::patient_id.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        (3..=10).contains(&portal),
        "{portal} patients with portal access"
    );
}

#[tokio::test]
async fn the_fhir_exports_of_a_demo_clinic_pass_an_r4_validator() {
    use diesel::prelude::*;
    use physiocase::db::schema::{cases, patients};

    let checker = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/fhir-check.py");
    let has_models = std::process::Command::new("python3")
        .args(["-c", "import fhir.resources.R4B"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_models {
        common::precondition_unmet(
            "the_fhir_exports_of_a_demo_clinic_pass_an_r4_validator",
            "python3 with fhir.resources (R4B models) is not installed; .ci/run installs it",
        );
        return;
    }
    let app = spawn_app().await;
    let accounts =
        physiocase::demo::populate(&mut app.conn(), 11).unwrap_or_else(|e| panic!("{e}"));
    let admin = app.browser();
    let response = admin
        .post_url(
            "/login",
            &[
                ("email", accounts.admin.as_str()),
                ("password", physiocase::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // One patient of each kind of case the demo holds: open, discharged, red flags.
    let mut chosen: Vec<i64> = Vec::new();
    for status in ["open", "discharged"] {
        let patient: i64 = cases::table
            .filter(cases::status.eq(status))
            .select(cases::patient_id)
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("a {status} case: {e}"));
        chosen.push(patient);
    }
    let flagged: i64 = cases::table
        .filter(cases::red_flags_pending.ne(""))
        .select(cases::patient_id)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("a case with red flags: {e}"));
    chosen.push(flagged);
    let all: i64 = patients::table
        .count()
        .get_result(&mut app.conn())
        .unwrap_or(0);
    assert!(all >= 50);

    /// Every `reference` anywhere in a resource.
    fn references(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner.as_str()) {
                        ("reference", Some(target)) => found.push(target.to_owned()),
                        _ => references(inner, found),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| references(i, found)),
            _ => {}
        }
    }

    let dir = std::env::temp_dir().join(format!("physiocase-fhir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut files = Vec::new();
    // The demo's PSFS, movements and ratings are validated with the rest.
    let mut outcome_observations = 0;
    for patient in chosen {
        let response = admin
            .get(&format!("/admin/patients/{patient}/record.fhir.json"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.bytes().await.unwrap_or_default();
        // Every reference resolves to an entry of the same bundle.
        let bundle: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
        let urls: HashSet<String> = entries
            .iter()
            .filter_map(|e| e["fullUrl"].as_str().map(str::to_owned))
            .collect();
        let mut found = Vec::new();
        references(&bundle, &mut found);
        assert!(!found.is_empty());
        for target in &found {
            assert!(
                urls.contains(target),
                "patient {patient}: {target} resolves"
            );
        }
        outcome_observations += entries
            .iter()
            .filter(|e| {
                e["resource"]["code"]["coding"][0]["system"]
                    .as_str()
                    .is_some_and(|system| system.ends_with("/fhir/CodeSystem/outcomes"))
            })
            .count();
        let file = dir.join(format!("patient-{patient}.fhir.json"));
        std::fs::write(&file, &body).unwrap_or_else(|e| panic!("{e}"));
        files.push(file);
    }
    let output = std::process::Command::new("python3")
        .arg(checker)
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(outcome_observations > 0, "outcome measures exported");
    for kind in [
        "Patient",
        "EpisodeOfCare",
        "Observation",
        "CarePlan",
        "Practitioner",
        "Encounter",
        "Consent",
    ] {
        assert!(said.contains(kind), "{kind} was checked: {said}");
    }
}

/// Records a signed assessment of `kind` on a case with the given outcome fields, every
/// red-flag question answered "no".
async fn record_outcomes(t: &Browser, case: &str, kind: &str, at: &str, outcomes: &[(&str, &str)]) {
    let mut fields = vec![
        ("assessed_at", at),
        ("presenting_complaint", "Ache between the shoulder blades"),
        ("pain_now", "5"),
        ("pain_best", "2"),
        ("pain_worst", "7"),
        ("impression", "Postural thoracic pain"),
        ("plan", "Mobility programme"),
        ("intent", "sign"),
    ];
    fields.extend_from_slice(outcomes);
    let fields = common::clinic::with_screen(&fields, &[]);
    let response = t
        .submit(
            &format!("{case}/assessments/new?kind={kind}"),
            &format!("{case}/assessments?kind={kind}"),
            &fields,
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{kind} assessment signed on {case}: {}",
        response.text().await.unwrap_or_default()
    );
}

async fn discharge(t: &Browser, case: &str) {
    let page = format!("{case}/discharge");
    let response = t.submit(&page, &page, &[("outcome", "goals-met")]).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{case} discharged"
    );
}

/// The case's PSFS activities' ids by wording.
fn activity_id(app: &common::TestApp, wording: &str) -> String {
    use diesel::prelude::*;
    use physiocase::db::schema::psfs_activities;
    psfs_activities::table
        .filter(psfs_activities::activity.eq(wording))
        .select(psfs_activities::id)
        .first::<i64>(&mut app.conn())
        .unwrap_or_else(|e| panic!("activity {wording}: {e}"))
        .to_string()
}

#[tokio::test]
async fn outcome_measures_reach_the_review_the_csv_exports_and_the_fhir_bundle() {
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let patient = new_patient(&t).await;
    // PSFS mean 3.5 at the start, 6.5 at discharge (+3.0, important); rated +5.
    let improved = add_case(&t, &patient, "Thoracic pain").await;
    record_outcomes(
        &t,
        &improved,
        "initial",
        "2026-11-02T09:30",
        &[
            ("psfs_activity_1", "Working at the computer"),
            ("psfs_score_1", "3"),
            ("psfs_activity_2", "Sleeping through the night"),
            ("psfs_score_2", "4"),
            ("rom_thoracic-rotation-left", "40"),
        ],
    )
    .await;
    let computer = format!(
        "psfs_score_a{}",
        activity_id(&app, "Working at the computer")
    );
    let sleeping = format!(
        "psfs_score_a{}",
        activity_id(&app, "Sleeping through the night")
    );
    record_outcomes(
        &t,
        &improved,
        "discharge",
        "2026-11-30T10:00",
        &[
            (computer.as_str(), "7"),
            (sleeping.as_str(), "6"),
            ("rom_thoracic-rotation-left", "55"),
            ("global_change", "5"),
        ],
    )
    .await;
    discharge(&t, &improved).await;
    // One PSFS record only: not counted in the share; rated −1.
    let once = add_case(&t, &patient, "Neck ache").await;
    record_outcomes(
        &t,
        &once,
        "initial",
        "2026-11-03T09:30",
        &[
            ("psfs_activity_1", "@reach overhead"),
            ("psfs_score_1", "4"),
        ],
    )
    .await;
    record_outcomes(
        &t,
        &once,
        "discharge",
        "2026-11-28T09:30",
        &[("global_change", "-1")],
    )
    .await;
    discharge(&t, &once).await;

    // The review: 1 of 1 discharged case with two PSFS records changed importantly; the
    // median of the latest ratings +5 and −1 is +2.
    let (status, html) = admin.get_text("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<span class=\"figure__value\">1 of 1 (100 %)</span>"),
        "clinic PSFS share: {html}"
    );
    assert!(
        html.contains("<span class=\"figure__value\">+2</span>"),
        "clinic median rating"
    );
    assert!(
        html.contains("class=\"psfs-share\">1 of 1 (100 %)</td>"),
        "therapist PSFS share"
    );
    assert!(
        html.contains("class=\"median-rating\">+2</td>"),
        "therapist median rating"
    );
    assert!(
        html.contains("href=\"/admin/exports/measurements.csv\""),
        "export linked"
    );

    // The outcomes CSV: PSFS first and latest means, change, important, latest rating.
    let response = admin.get("/admin/exports/outcomes.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let (header, rows) = read_export(
        &response.bytes().await.unwrap_or_default(),
        "outcomes-psfs.csv",
    );
    let cell = |row: &Vec<String>, column: &str| {
        let at = header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("column {column} in {header:?}"));
        row.get(at).cloned().unwrap_or_default()
    };
    let titled = |title: &str| {
        rows.iter()
            .find(|r| cell(r, "case_title") == title)
            .cloned()
            .unwrap_or_else(|| panic!("a row titled {title}"))
    };
    let columns = [
        "psfs_first_mean",
        "psfs_latest_mean",
        "psfs_change",
        "psfs_important_change",
        "global_change_latest",
    ];
    let better = titled("Thoracic pain");
    let read = |row: &Vec<String>| columns.map(|c| cell(row, c));
    assert_eq!(read(&better), ["3.5", "6.5", "3.0", "yes", "5"]);
    assert_eq!(read(&titled("Neck ache")), ["4.0", "4.0", "", "", "-1"]);

    // The measurements CSV: one row per measurement, ISO 8601 with offset, coded.
    let response = admin.get("/admin/exports/measurements.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let (header, rows) = read_export(
        &response.bytes().await.unwrap_or_default(),
        "measurements.csv",
    );
    assert_eq!(rows.len(), 9, "3 + 4 measurements, then 1 + 1: {rows:?}");
    assert_numeric(
        &header,
        &rows,
        &[
            "measurement_id",
            "case_id",
            "patient_id",
            "value",
            "source_id",
        ],
    );
    let cell = |row: &Vec<String>, column: &str| {
        let at = header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("column {column} in {header:?}"));
        row.get(at).cloned().unwrap_or_default()
    };
    let line = |row: &Vec<String>| {
        [
            "measured_at",
            "measure",
            "item",
            "value",
            "unit",
            "source",
            "code",
        ]
        .map(|c| cell(row, c))
    };
    let lines: Vec<[String; 7]> = rows.iter().map(line).collect();
    for expected in [
        [
            "2026-11-02T09:30:00+00:00",
            "psfs",
            "Working at the computer",
            "3",
            "{score}",
            "assessment",
            "psfs-activity",
        ],
        [
            "2026-11-02T09:30:00+00:00",
            "movement",
            "thoracic-rotation-left",
            "40",
            "deg",
            "assessment",
            "thoracic-rotation-left",
        ],
        [
            "2026-11-30T10:00:00+00:00",
            "psfs",
            "Sleeping through the night",
            "6",
            "{score}",
            "assessment",
            "psfs-activity",
        ],
        [
            "2026-11-30T10:00:00+00:00",
            "global-change",
            "",
            "5",
            "{score}",
            "assessment",
            "global-rating-of-change",
        ],
        [
            "2026-11-03T09:30:00+00:00",
            "psfs",
            "'@reach overhead",
            "4",
            "{score}",
            "assessment",
            "psfs-activity",
        ],
        [
            "2026-11-28T09:30:00+00:00",
            "global-change",
            "",
            "-1",
            "{score}",
            "assessment",
            "global-rating-of-change",
        ],
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.iter().zip(expected).all(|(a, b)| a == b)),
            "a row {expected:?} in {lines:?}"
        );
    }
    let code_system = format!("{}/fhir/CodeSystem/outcomes", app.address);
    assert!(rows.iter().all(|r| cell(r, "code_system") == code_system));
    assert!(
        app.audit_actions()
            .contains(&"export.measurements_csv".to_owned())
    );

    // The FHIR bundle: an Observation per measurement and per record's PSFS mean, each
    // tied to the patient and its case.
    let response = admin
        .get(&format!(
            "{}/record.fhir.json",
            patient.replace("/patients/", "/admin/patients/")
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.unwrap_or_default();
    let bundle: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("FHIR JSON: {e}"));
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    let urls: HashSet<String> = entries
        .iter()
        .filter_map(|e| e["fullUrl"].as_str().map(str::to_owned))
        .collect();
    let full_url_of = |resource_id: String| {
        entries
            .iter()
            .find(|e| e["resource"]["id"] == resource_id.as_str())
            .and_then(|e| e["fullUrl"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("an entry {resource_id}"))
    };
    let case_id = |path: &str| path.rsplit('/').next().unwrap_or_default().to_owned();
    let improved_episode = full_url_of(format!("case-{}", case_id(&improved)));
    let patient_url = full_url_of(format!("patient-{}", case_id(&patient)));
    let outcomes: Vec<&serde_json::Value> = entries
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["code"]["coding"][0]["system"] == code_system.as_str())
        .collect();
    assert_eq!(outcomes.len(), 9 + 3, "measurements and three PSFS means");
    for observation in &outcomes {
        assert_eq!(observation["resourceType"], "Observation");
        assert_eq!(observation["status"], "final");
        assert_eq!(observation["subject"]["reference"], patient_url.as_str());
        let episode = &observation["extension"][0]["valueReference"]["reference"];
        assert!(
            urls.contains(episode.as_str().unwrap_or_default()),
            "{observation}"
        );
    }
    let find = |code: &str, value: serde_json::Value| {
        outcomes
            .iter()
            .find(|o| {
                o["code"]["coding"][0]["code"] == code
                    && (o["valueInteger"] == value || o["valueQuantity"]["value"] == value)
            })
            .copied()
            .unwrap_or_else(|| panic!("an Observation {code} = {value}"))
    };
    let computer_score = find("psfs-activity", serde_json::json!(3));
    assert_eq!(
        computer_score["code"]["text"],
        "PSFS: Working at the computer"
    );
    assert_eq!(
        computer_score["effectiveDateTime"],
        "2026-11-02T09:30:00+00:00"
    );
    assert_eq!(
        computer_score["extension"][0]["valueReference"]["reference"],
        improved_episode.as_str()
    );
    let rotation = find("thoracic-rotation-left", serde_json::json!(55));
    assert_eq!(
        rotation["valueQuantity"],
        serde_json::json!({ "value": 55, "unit": "deg", "system": "http://unitsofmeasure.org", "code": "deg" })
    );
    assert_eq!(rotation["code"]["text"], "Thoracic rotation left");
    let rating = find("global-rating-of-change", serde_json::json!(5));
    assert_eq!(rating["valueInteger"], 5);
    assert_eq!(rating["effectiveDateTime"], "2026-11-30T10:00:00+00:00");
    assert_eq!(
        find("global-rating-of-change", serde_json::json!(-1))["valueInteger"],
        -1
    );
    let first_mean = find("psfs-mean", serde_json::json!(3.5));
    assert_eq!(first_mean["derivedFrom"].as_array().map(Vec::len), Some(2));
    find("psfs-mean", serde_json::json!(6.5));
    find("psfs-mean", serde_json::json!(4.0));
    // Every reference resolves inside the bundle.
    let text = String::from_utf8_lossy(&body);
    for reference in text.split("\"reference\": \"").skip(1) {
        let target = reference.split('"').next().unwrap_or_default();
        assert!(urls.contains(target), "{target} resolves");
    }
}
