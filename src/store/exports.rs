//! The rows the exports read: the CSV files in batches by id, and a patient's whole record
//! for the FHIR bundle. Formatting (CSV cells, FHIR JSON) belongs to the routes.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    assessments, cases, letters, outcome_measurements, pain_scores, patients, programme_versions,
    psfs_activities, users,
};
use crate::error::AppError;
use crate::store::assessments::AssessmentStatus;
use crate::store::cases::CaseStatus;
use crate::store::consent::ConsentLine;
use crate::store::letters::{LetterKind, LetterStatus};
use crate::store::outcomes::{
    self as outcome_queries, CaseOutcome, CasesOf, Measure, Measurement, Source,
};
use crate::store::patients::{self as patient_queries, PatientRow};
use crate::store::programmes::{self as programme_queries, ProgrammeVersion};
use crate::store::visits::VisitRow;

/// One case as the outcomes export writes it.
#[derive(Queryable)]
pub struct OutcomeExportRow {
    pub case_id: i64,
    pub patient_id: i64,
    pub clinic_reference: Option<String>,
    pub title: String,
    pub therapist: String,
    pub status: String,
    pub opened_at: NaiveDateTime,
    pub discharged_at: Option<NaiveDateTime>,
    pub discharge_outcome: Option<String>,
    pub pain_baseline: Option<i32>,
    pub pain_latest: Option<i32>,
    pub pain_trend: String,
    pub red_flags_pending: String,
}

/// Up to `limit` cases with an id above `after`, in id order, each with the number of its
/// assessments (not counting those entered in error) and its PSFS and global rating.
pub fn outcome_batch(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<(OutcomeExportRow, i64, CaseOutcome)>> {
    let rows: Vec<OutcomeExportRow> = cases::table
        .inner_join(patients::table)
        .inner_join(users::table.on(users::id.eq(cases::therapist_id)))
        .filter(cases::id.gt(after))
        .order(cases::id.asc())
        .limit(limit)
        .select((
            cases::id,
            cases::patient_id,
            patients::clinic_reference,
            cases::title,
            users::display_name,
            cases::status,
            cases::created_at,
            cases::discharged_at,
            cases::discharge_outcome,
            cases::pain_baseline,
            cases::pain_latest,
            cases::pain_trend,
            cases::red_flags_pending,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.case_id).collect();
    let counts: HashMap<i64, i64> = assessments::table
        .filter(assessments::case_id.eq_any(&ids))
        .filter(assessments::status.ne(AssessmentStatus::EnteredInError.as_str()))
        .group_by(assessments::case_id)
        .select((assessments::case_id, diesel::dsl::count(assessments::id)))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let outcomes = outcome_queries::case_outcomes(conn, CasesOf::These(&ids))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let assessments = counts.get(&row.case_id).copied().unwrap_or(0);
            let outcome = outcomes.get(&row.case_id).copied().unwrap_or_default();
            (row, assessments, outcome)
        })
        .collect())
}

/// One outcome measurement as the measurements export writes it.
pub struct MeasurementExportRow {
    pub id: i64,
    pub case_id: i64,
    pub patient_id: i64,
    pub measured_at: NaiveDateTime,
    pub measure: Measure,
    /// The PSFS activity's wording, or the movement's key.
    pub item: String,
    pub value: i32,
    pub source: Source,
}

type MeasurementExportTuple = (
    i64,
    i64,
    i64,
    NaiveDateTime,
    Measure,
    Option<String>,
    Option<String>,
    i32,
    Option<i64>,
    Option<i64>,
);

/// Up to `limit` outcome measurements with an id above `after`, in id order; those of an
/// assessment entered in error are left out, as on the case page. Returns the rows and
/// the last id read.
pub fn measurement_batch(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
) -> QueryResult<(Vec<MeasurementExportRow>, Option<i64>)> {
    let rows: Vec<(MeasurementExportTuple, Option<String>)> = outcome_measurements::table
        .inner_join(cases::table)
        .left_join(
            psfs_activities::table.on(psfs_activities::id
                .nullable()
                .eq(outcome_measurements::psfs_activity_id)),
        )
        .left_join(
            assessments::table.on(assessments::id
                .nullable()
                .eq(outcome_measurements::assessment_id)),
        )
        .filter(outcome_measurements::id.gt(after))
        .order(outcome_measurements::id.asc())
        .limit(limit)
        .select((
            (
                outcome_measurements::id,
                outcome_measurements::case_id,
                cases::patient_id,
                outcome_measurements::measured_at,
                outcome_measurements::measure,
                psfs_activities::activity.nullable(),
                outcome_measurements::movement,
                outcome_measurements::value,
                outcome_measurements::assessment_id,
                outcome_measurements::visit_id,
            ),
            assessments::status.nullable(),
        ))
        .load(conn)?;
    let last = rows.last().map(|((id, ..), _)| *id);
    let entered_in_error = AssessmentStatus::EnteredInError.as_str();
    let kept = rows
        .into_iter()
        .filter(|(_, status)| status.as_deref() != Some(entered_in_error))
        .filter_map(
            |(
                (
                    id,
                    case_id,
                    patient_id,
                    measured_at,
                    measure,
                    activity,
                    movement,
                    value,
                    assessment,
                    visit,
                ),
                _,
            )| {
                Some(MeasurementExportRow {
                    id,
                    case_id,
                    patient_id,
                    measured_at,
                    measure,
                    item: activity.or(movement).unwrap_or_default(),
                    value,
                    source: Source::from_ids(assessment, visit)?,
                })
            },
        )
        .collect();
    Ok((kept, last))
}

/// One pain score as the pain export writes it.
#[derive(Queryable)]
pub struct PainExportRow {
    pub id: i64,
    pub case_id: i64,
    pub patient_id: i64,
    pub recorded_at: NaiveDateTime,
    pub context: String,
    pub score: i32,
    pub recorder_role: String,
}

/// Up to `limit` pain scores with an id above `after`, in id order.
pub fn pain_batch(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<PainExportRow>> {
    pain_scores::table
        .inner_join(cases::table)
        .filter(pain_scores::id.gt(after))
        .order(pain_scores::id.asc())
        .limit(limit)
        .select((
            pain_scores::id,
            pain_scores::case_id,
            cases::patient_id,
            pain_scores::recorded_at,
            pain_scores::context,
            pain_scores::score,
            pain_scores::recorder_role,
        ))
        .load(conn)
}

/// A patient's whole record, as the FHIR export shows it.
pub struct PatientRecord {
    pub patient: PatientRow,
    pub cases: Vec<CaseRecord>,
    /// Everyone named by the record (therapists, staff who scored pain, programme authors),
    /// by id.
    pub practitioners: Vec<(i64, String)>,
}

pub struct CaseRecord {
    pub id: i64,
    pub title: String,
    pub status: CaseStatus,
    pub opened_at: NaiveDateTime,
    pub discharged_at: Option<NaiveDateTime>,
    pub therapist_id: i64,
    /// Oldest first.
    pub pain_scores: Vec<PainRecord>,
    /// Every programme version, oldest first.
    pub programmes: Vec<ProgrammeVersion>,
    /// Signed letters, oldest first, with their PDFs as signed.
    pub letters: Vec<SignedLetter>,
    /// Signed visit notes, oldest first.
    pub visits: Vec<VisitRow>,
    /// Every consent decision, newest first.
    pub consents: Vec<ConsentLine>,
    /// Every outcome measurement, oldest first.
    pub measurements: Vec<Measurement>,
}

#[derive(Queryable)]
pub struct SignedLetter {
    pub id: i64,
    pub kind: LetterKind,
    pub signed_at: Option<NaiveDateTime>,
    pub author_id: i64,
    pub pdf: Option<Vec<u8>>,
}

#[derive(Queryable)]
pub struct PainRecord {
    pub id: i64,
    pub recorded_at: NaiveDateTime,
    pub score: i32,
    pub context: String,
    pub recorder_role: String,
    pub recorded_by: i64,
    pub note: String,
}

impl PainRecord {
    pub fn by_patient(&self) -> bool {
        self.recorder_role == "patient"
    }
}

/// Reads everything the FHIR export of one patient holds.
pub fn patient_record(conn: &mut DbConn, patient_id: i64) -> Result<PatientRecord, AppError> {
    let patient = patient_queries::find(conn, patient_id)?;
    let case_rows: Vec<(
        i64,
        String,
        CaseStatus,
        NaiveDateTime,
        Option<NaiveDateTime>,
        i64,
    )> = cases::table
        .filter(cases::patient_id.eq(patient_id))
        .order(cases::id.asc())
        .select((
            cases::id,
            cases::title,
            cases::status,
            cases::created_at,
            cases::discharged_at,
            cases::therapist_id,
        ))
        .load(conn)?;
    let mut practitioners: Vec<i64> = Vec::new();
    let mut case_records = Vec::with_capacity(case_rows.len());
    for (id, title, status, opened_at, discharged_at, therapist_id) in case_rows {
        practitioners.push(therapist_id);
        let pain_scores: Vec<PainRecord> = pain_scores::table
            .filter(pain_scores::case_id.eq(id))
            .order(pain_scores::recorded_at.asc())
            .select((
                pain_scores::id,
                pain_scores::recorded_at,
                pain_scores::score,
                pain_scores::context,
                pain_scores::recorder_role,
                pain_scores::recorded_by,
                pain_scores::note,
            ))
            .load(conn)?;
        practitioners.extend(
            pain_scores
                .iter()
                .filter(|score| !score.by_patient())
                .map(|score| score.recorded_by),
        );
        let numbers: Vec<i32> = programme_versions::table
            .filter(programme_versions::case_id.eq(id))
            .order(programme_versions::version.asc())
            .select(programme_versions::version)
            .load(conn)?;
        let mut programmes = Vec::with_capacity(numbers.len());
        for number in numbers {
            if let Some(version) = programme_queries::version(conn, id, number)? {
                practitioners.push(version.row.author_id);
                programmes.push(version);
            }
        }
        let letters: Vec<SignedLetter> = letters::table
            .filter(letters::case_id.eq(id))
            .filter(letters::status.eq(LetterStatus::Signed.as_str()))
            .order(letters::id.asc())
            .select((
                letters::id,
                letters::kind,
                letters::signed_at,
                letters::author_id,
                letters::pdf,
            ))
            .load(conn)?;
        practitioners.extend(letters.iter().map(|letter| letter.author_id));
        let visits = crate::store::visits::signed_of_case(conn, id)?;
        practitioners.extend(visits.iter().map(|visit| visit.author_id));
        let consents = crate::store::consent::history(conn, id)?;
        let measurements = outcome_queries::of_case(conn, id)?;
        practitioners.extend(measurements.iter().map(|m| m.recorded_by));
        case_records.push(CaseRecord {
            id,
            title,
            status,
            opened_at,
            discharged_at,
            therapist_id,
            pain_scores,
            programmes,
            letters,
            visits,
            consents,
            measurements,
        });
    }
    practitioners.sort_unstable();
    practitioners.dedup();
    let practitioners = users::table
        .filter(users::id.eq_any(&practitioners))
        .order(users::id.asc())
        .select((users::id, users::display_name))
        .load(conn)?;
    Ok(PatientRecord {
        patient,
        cases: case_records,
        practitioners,
    })
}
