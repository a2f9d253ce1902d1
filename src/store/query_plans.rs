//! The case page's reads, checked against SQLite's own query plans: no table is scanned,
//! and a case's whole history (pain scores, four weeks of ticks) is read from index pages
//! alone, however its rows lie between other patients' rows in the table.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use diesel::RunQueryDsl;
use diesel::connection::{Connection, InstrumentationEvent};

use crate::db::test_files::{remove_database, temp_database};
use crate::db::{DatabaseUrl, DbConn};
use crate::error::AppError;

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// Runs `reads` on a freshly migrated database and returns the SQL of every query they
/// sent, with the lines of its query plan.
pub(crate) fn plans_of(
    reads: impl FnOnce(&mut DbConn),
) -> Result<Vec<(String, Vec<String>)>, AppError> {
    let path = temp_database("plans");
    let pool = crate::db::connect_and_migrate(&DatabaseUrl::Sqlite(path.clone()), 1)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut conn = pool.get()?;
    let sent: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = sent.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let shown = query.to_string();
            let sql = shown.split(" -- binds:").next().unwrap_or_default();
            if let Ok(mut log) = log.lock() {
                log.push(sql.to_owned());
            }
        }
    });
    reads(&mut conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let statements = sent
        .lock()
        .map_err(|_| AppError::Internal("query log poisoned".into()))?
        .clone();
    let mut plans = Vec::new();
    for sql in statements.into_iter().filter(|s| s.starts_with("SELECT")) {
        // Unbound parameters plan as NULL; the plan does not depend on them (ENABLE_QPSG).
        let lines: Vec<PlanLine> =
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(&mut *conn)?;
        plans.push((sql, lines.into_iter().map(|l| l.detail).collect()));
    }
    drop(conn);
    drop(pool);
    remove_database(&path);
    Ok(plans)
}

#[test]
fn the_case_page_scans_no_table_and_reads_histories_from_indexes() -> Result<(), AppError> {
    let case_id = 1;
    let plans = plans_of(|c| {
        // On an empty database each read finds nothing; only the SQL it sends matters.
        let _ = super::cases::find(c, case_id);
        let _ = super::cases::find_with_patient(c, case_id);
        let _ = super::cases::find_with_patient_and_therapist(c, case_id);
        let _ = crate::store::patients::find(c, case_id);
        let _ = crate::store::patients::user_name(c, case_id);
        let _ = super::cases::assessments_of(c, case_id);
        let _ = super::cases::score_lines(c, case_id);
        let _ = super::cases::timeline_sources(c, case_id);
        let _ = crate::store::consent::history(c, case_id);
        let _ = crate::store::visits::lines_of(c, case_id);
        let _ = crate::store::visits::addenda_lines_of(c, case_id);
        let _ = crate::store::programmes::current(c, case_id);
        let _ = crate::store::programmes::current_exercise_ids(c, case_id);
        let _ = crate::store::pain::version_marks(c, case_id);
        let _ = crate::store::pain::case_scores(c, case_id);
        let _ = crate::store::outcomes::of_case(c, case_id);
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let _ = crate::store::programmes::item_rows(c, case_id);
        let schedule = [crate::domain::adherence::InForce {
            from: today,
            items: Vec::new(),
        }];
        let _ = crate::store::pain::adherence(c, case_id, &schedule, today);
    })?;
    let sql_reading = |table: &str| {
        plans
            .iter()
            .filter(|(sql, _)| sql.contains(&format!("`{table}`.`")))
            .count()
    };
    assert!(
        plans.len() >= 10,
        "the reads sent their queries: {plans:#?}"
    );
    assert!(
        sql_reading("pain_scores") >= 2
            && sql_reading("adherence_ticks") == 1
            && sql_reading("outcome_measurements") == 1,
        "{plans:#?}"
    );
    for (sql, lines) in &plans {
        for line in lines {
            assert!(
                !line.starts_with("SCAN "),
                "a table or index is read whole: {line}\n{sql}"
            );
            if line.contains(" pain_scores ") {
                assert!(
                    line.contains("USING COVERING INDEX pain_scores_case_history"),
                    "pain scores read from the table: {line}\n{sql}"
                );
            }
            if line.contains(" adherence_ticks ") {
                assert!(
                    line.contains("USING COVERING INDEX adherence_ticks_case_day"),
                    "ticks read from the table: {line}\n{sql}"
                );
            }
            assert!(
                !(sql.contains("`pain_scores`.`") && line.contains("TEMP B-TREE")),
                "pain scores sorted after reading: {line}\n{sql}"
            );
        }
    }
    Ok(())
}
