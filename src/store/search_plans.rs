//! Patient search, checked against SQLite's own query plans: a name search asks the FTS5
//! index for its matches; a narrow one reads their sort names from the narrow id index and
//! sorts only them, a broad one walks the listing index in order checking each patient
//! against the matches. Neither reads the patients table. The whole list and the list lines
//! come from the listing index alone, and a date of birth from the date index.

use super::patients::{self, PatientDetails};
use super::search::{self, Match, PatientSearch};
use crate::error::AppError;
use crate::store::query_plans::plans_of;

fn patient(given: &str, family: &str) -> PatientDetails {
    PatientDetails {
        given_name: given.into(),
        family_name: family.into(),
        date_of_birth: chrono::NaiveDate::default(),
        sex: None,
        phone: String::new(),
        email: String::new(),
        clinic_reference: None,
        primary_therapist_id: None,
        notes: String::new(),
        contact: Default::default(),
    }
}

#[test]
fn patient_search_reads_the_full_text_index_and_never_scans_patients() -> Result<(), AppError> {
    let plans = plans_of(|c| {
        let _ = diesel::RunQueryDsl::execute(
            diesel::sql_query(
                "INSERT INTO users (id, email, display_name, role, password_hash, active, \
                 created_at, updated_at) VALUES (1, 'a@b.test', 'A', 'admin', 'x', 1, \
                 '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            ),
            c,
        );
        for (given, family) in [("Zoë", "Kowalski"), ("Ana", "Kowalski")] {
            let _ = patients::create(c, &patient(given, family), 1);
        }
        let _ = search::matching(c, &PatientSearch::parse("kowa"));
        let _ = search::matching(c, &PatientSearch::parse("kowalski zoe"));
        // Two matches make a broad search when broad starts at one.
        let _ = search::matching_broad_from(c, &PatientSearch::parse("kowa"), 1);
        let _ = search::matching(c, &PatientSearch::parse("1970-01-02 kowalski zoe"));
        let _ = search::matching(c, &PatientSearch::parse(""));
        let page = [1, 2, 3].map(|id| Match {
            id,
            sort_name: format!("kowalski\u{1}{id}"),
        });
        let _ = search::lines_of(c, &page);
    })?;
    let index_reads: Vec<&(String, Vec<String>)> = plans
        .iter()
        .filter(|(sql, _)| sql.contains("MATCH") && !sql.contains("FROM patients"))
        .collect();
    assert_eq!(index_reads.len(), 3, "three searches by words: {plans:#?}");
    for (sql, lines) in index_reads {
        assert_eq!(
            lines,
            &["SCAN patient_search VIRTUAL TABLE INDEX 0:M1"],
            "the full-text index alone finds the matches: {sql}"
        );
    }
    let narrow: Vec<&(String, Vec<String>)> = plans
        .iter()
        .filter(|(sql, _)| sql.contains("json_each"))
        .collect();
    assert_eq!(narrow.len(), 2, "two narrow searches: {plans:#?}");
    for (sql, lines) in narrow {
        assert!(
            lines.iter().any(|line| line
                == "SEARCH patients USING COVERING INDEX patients_sort_name_by_id (id=?)"),
            "each match's sort name is read from the id index: {lines:#?}\n{sql}"
        );
    }
    let broad: Vec<&(String, Vec<String>)> = plans
        .iter()
        .filter(|(sql, _)| sql.contains("MATCH") && sql.contains("FROM patients"))
        .collect();
    assert_eq!(broad.len(), 1, "one broad search: {plans:#?}");
    for (sql, lines) in broad {
        assert!(
            lines
                .iter()
                .any(|line| line == "SCAN patients USING COVERING INDEX patients_listing"),
            "a broad search walks the listing index: {lines:#?}\n{sql}"
        );
        assert!(
            !lines.iter().any(|line| line.contains("TEMP B-TREE")),
            "a broad search reads in list order and sorts nothing: {lines:#?}\n{sql}"
        );
    }
    assert!(plans.len() >= 8, "the reads sent their queries: {plans:#?}");
    for (sql, lines) in &plans {
        if sql.contains("FROM `patients`") {
            assert!(
                lines.iter().all(|line| line.contains("COVERING INDEX")),
                "patients are listed from an index alone: {lines:#?}\n{sql}"
            );
        }
        for line in lines {
            // The whole list and a broad search walk the listing index in order and stop
            // at the count cap.
            let in_order_to_the_cap = line == "SCAN patients USING COVERING INDEX patients_listing"
                && sql.ends_with("LIMIT ?");
            assert!(
                in_order_to_the_cap || !line.starts_with("SCAN patients"),
                "patients are read whole: {line}\n{sql}"
            );
            // Only a narrow search sorts, and then only its matches.
            assert!(
                !line.contains("TEMP B-TREE") || sql.contains("json_each"),
                "a list sorted after reading: {line}\n{sql}"
            );
        }
    }
    Ok(())
}
