//! Patient search, checked against SQLite's own query plans: every word is an index
//! probe, matches come from an index in list order, and list lines from an index alone:
//! no table scanned, nothing sorted, no patient row read.

use super::patients::{self as queries, Matches, PatientSearch};
use crate::error::AppError;
use crate::store::query_plans::plans_of;

fn patient(given: &str, family: &str) -> queries::PatientDetails {
    queries::PatientDetails {
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
fn patient_search_probes_indexes_and_never_sorts() -> Result<(), AppError> {
    let plans = plans_of(|c| {
        // On an empty database a search finds nothing and stops at the counts, so each
        // read is sent on its own, as a search with matches would send it.
        let one_word = Matches::Counted {
            word: "kowa".into(),
            patients: 30,
        };
        // Two patients, so that a two-word search reads its pair rows.
        let _ = diesel::RunQueryDsl::execute(
            diesel::sql_query(
                "INSERT INTO users (id, email, display_name, role, password_hash, active, \
                 created_at, updated_at) VALUES (1, 'a@b.test', 'A', 'admin', 'x', 1, \
                 '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            ),
            c,
        );
        for (given, family) in [("Zoë", "Kowalski"), ("Ana", "Kowalski")] {
            let _ = queries::create(c, &patient(given, family), 1);
        }
        let _ = queries::matching(c, &PatientSearch::parse("kowalski zoe"));
        let _ = queries::matching(c, &PatientSearch::parse("kowalski zoe a"));
        let _ = queries::matching(c, &PatientSearch::parse("kowal zoe"));
        let _ = queries::matching(c, &PatientSearch::parse("1970-01-02 kowalski zoe"));
        let _ = queries::page_of(c, &one_word, 25, 25);
        let _ = queries::matching(c, &PatientSearch::parse("1970-01-02 kowalski"));
        let _ = queries::matching(c, &PatientSearch::parse(""));
        let page = [1, 2, 3].map(|id| queries::Match {
            id,
            sort_name: format!("kowalski\u{1}{id}"),
        });
        let _ = queries::lines_of(c, &page);
    })?;
    assert!(plans.len() >= 4, "the reads sent their queries: {plans:#?}");
    assert!(
        plans
            .iter()
            .any(|(sql, _)| sql.contains("FROM `patient_search_pairs`")),
        "two whole words are read from their pair rows: {plans:#?}"
    );
    assert!(
        plans
            .iter()
            .any(|(sql, _)| sql.contains("`patient_search_prefix_counts`")),
        "the words are looked up in the counts: {plans:#?}"
    );
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
                whole_list_in_order || !line.starts_with("SCAN "),
                "a table or index is read whole: {line}\n{sql}"
            );
            // A probe for a further word reads one patient's rows, never a prefix's.
            assert!(
                !line.contains("EXISTS") || line.contains("patient_search_prefixes_patient"),
                "a word is probed by its prefix rows: {line}\n{sql}"
            );
            assert!(
                !line.contains("TEMP B-TREE"),
                "matches sorted after reading: {line}\n{sql}"
            );
        }
    }
    Ok(())
}
