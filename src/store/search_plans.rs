//! Patient search, checked against SQLite's own query plans: a name search asks the FTS5
//! index for its matches and reads each match's sort name by primary key, so it never
//! walks the patients table or the listing index; the whole list and the list lines come
//! from the listing index alone, and a date of birth from the date index.

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
        let _ = search::matching(c, &PatientSearch::parse("1970-01-02 kowalski zoe"));
        let _ = search::matching(c, &PatientSearch::parse(""));
        let page = [1, 2, 3].map(|id| Match {
            id,
            sort_name: format!("kowalski\u{1}{id}"),
        });
        let _ = search::lines_of(c, &page);
    })?;
    let by_words: Vec<&(String, Vec<String>)> = plans
        .iter()
        .filter(|(sql, _)| sql.contains("MATCH"))
        .collect();
    assert_eq!(by_words.len(), 2, "two searches by words: {plans:#?}");
    for (sql, lines) in by_words {
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with("SCAN patient_search VIRTUAL TABLE INDEX")),
            "the full-text index finds the matches: {lines:#?}\n{sql}"
        );
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with("SEARCH patients USING INTEGER PRIMARY KEY")),
            "each match's sort name is read by its id: {lines:#?}\n{sql}"
        );
    }
    assert!(plans.len() >= 5, "the reads sent their queries: {plans:#?}");
    for (sql, lines) in &plans {
        if sql.contains("FROM `patients`") {
            assert!(
                lines.iter().all(|line| line.contains("COVERING INDEX")),
                "patients are listed from an index alone: {lines:#?}\n{sql}"
            );
        }
        for line in lines {
            // The whole list walks the listing index in order and stops at the count cap.
            let whole_list_in_order = line == "SCAN patients USING COVERING INDEX patients_listing"
                && sql.ends_with("LIMIT ?");
            assert!(
                whole_list_in_order || !line.starts_with("SCAN patients"),
                "patients are read whole: {line}\n{sql}"
            );
            // Only a search by words sorts, and then only its matches.
            assert!(
                !line.contains("TEMP B-TREE") || sql.contains("MATCH"),
                "a list sorted after reading: {line}\n{sql}"
            );
        }
    }
    Ok(())
}
