//! Outcome measures of a case: its PSFS activities and every measurement (a PSFS score, a
//! movement, a global rating of change) of its signed assessments and visit notes.
//!
//! A draft keeps its measures in its own content; signing writes them here, through
//! `record_signed`, in the signing transaction. Like the signed record they come from,
//! measurements never change (the database refuses it); activities are added and retired,
//! never renamed.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{assessments, cases, outcome_measurements, psfs_activities};
use crate::db::stamp::Stamp;
use crate::domain::outcomes::{
    self as rules, CODE_GLOBAL_CHANGE, CODE_PSFS_ACTIVITY, OutcomeEntry, PsfsChange,
};
use crate::store::status::AssessmentStatus;

crate::store::stored::stored_text! {
    /// What a measurement measures.
    pub enum Measure {
        Psfs = "psfs",
        Movement = "movement",
        GlobalChange = "global-change",
    }
}

impl Measure {
    /// The measurement's code in the clinic's outcomes code system
    /// (`domain::outcomes::CODE_SYSTEM_PATH`): a movement is coded by its key.
    pub fn code(self, movement: Option<&str>) -> &str {
        match self {
            Self::Psfs => CODE_PSFS_ACTIVITY,
            Self::GlobalChange => CODE_GLOBAL_CHANGE,
            Self::Movement => movement.unwrap_or_default(),
        }
    }

    /// The UCUM unit of the value: a score has none but its annotation.
    pub fn ucum(self, movement: Option<&str>) -> &'static str {
        match self {
            Self::Psfs | Self::GlobalChange => "{score}",
            Self::Movement => movement
                .and_then(rules::movement)
                .map_or("", |m| m.unit.ucum()),
        }
    }
}

/// The signed record a measurement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Assessment(i64),
    Visit(i64),
}

impl Source {
    pub fn from_ids(assessment: Option<i64>, visit: Option<i64>) -> Option<Self> {
        match (assessment, visit) {
            (Some(id), _) => Some(Self::Assessment(id)),
            (None, Some(id)) => Some(Self::Visit(id)),
            (None, None) => None,
        }
    }

    /// What kind of record, as the exports name it.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Assessment(_) => "assessment",
            Self::Visit(_) => "visit",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Self::Assessment(id) | Self::Visit(id) => id,
        }
    }
}

/// One PSFS activity of a case.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = psfs_activities)]
pub struct PsfsActivity {
    pub id: i64,
    pub activity: String,
    #[diesel(deserialize_as = Stamp)]
    pub added_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

impl PsfsActivity {
    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }
}

/// One measurement, with its activity's wording for a PSFS score.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub id: i64,
    pub recorded_by: i64,
    pub measured_at: NaiveDateTime,
    pub measure: Measure,
    pub psfs_activity_id: Option<i64>,
    /// The PSFS activity's wording, or the movement's key.
    pub item: Option<String>,
    /// A PSFS activity since retired from the case's list.
    pub retired: bool,
    pub value: i32,
    pub source: Source,
}

/// The case's PSFS activities, oldest first (retired ones too).
pub fn activities(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<PsfsActivity>> {
    psfs_activities::table
        .filter(psfs_activities::case_id.eq(case_id))
        .order(psfs_activities::id.asc())
        .select(PsfsActivity::as_select())
        .load(conn)
}

type MeasurementTuple = (
    i64,
    i64,
    Stamp,
    Measure,
    Option<i64>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    i32,
    Option<i64>,
    Option<i64>,
);

/// Over measurements left-joined to their assessment: those of an assessment since marked
/// entered in error are left out wherever measurements are shown or counted.
#[diesel::dsl::auto_type]
fn not_entered_in_error() -> _ {
    let in_error: &'static str = AssessmentStatus::EnteredInError.as_str();
    assessments::status
        .nullable()
        .is_null()
        .or(assessments::status.nullable().ne(in_error))
}

/// Every measurement of the case, oldest first, in one read: those of an assessment later
/// marked entered in error are left out.
pub fn of_case(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<Measurement>> {
    let rows: Vec<MeasurementTuple> = crate::db::native!(conn, |c| outcome_measurements::table
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
        .filter(outcome_measurements::case_id.eq(case_id))
        .filter(not_entered_in_error())
        .order((
            outcome_measurements::measured_at.asc(),
            outcome_measurements::id.asc(),
        ))
        .select((
            outcome_measurements::id,
            outcome_measurements::recorded_by,
            outcome_measurements::measured_at,
            outcome_measurements::measure,
            outcome_measurements::psfs_activity_id,
            psfs_activities::activity.nullable(),
            psfs_activities::retired_at.nullable(),
            outcome_measurements::movement,
            outcome_measurements::value,
            outcome_measurements::assessment_id,
            outcome_measurements::visit_id,
        ))
        .load(c))?;
    Ok(rows.into_iter().filter_map(measurement).collect())
}

fn measurement(
    (
        id,
        recorded_by,
        at,
        measure,
        activity_id,
        activity,
        retired_at,
        movement,
        value,
        assessment,
        visit,
    ): MeasurementTuple,
) -> Option<Measurement> {
    let source = Source::from_ids(assessment, visit)?;
    Some(Measurement {
        id,
        recorded_by,
        measured_at: at.0,
        measure,
        psfs_activity_id: activity_id,
        item: activity.or(movement),
        retired: retired_at.is_some(),
        value,
        source,
    })
}

/// What the review and the outcomes export say of a case's outcome measures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CaseOutcome {
    /// The PSFS mean of the first record that scored any activity, and of the latest.
    pub psfs_first: Option<f64>,
    pub psfs_latest: Option<f64>,
    /// The PSFS mean's change from the first record to the latest (two records or more).
    pub psfs: Option<PsfsChange>,
    /// The patient's latest global rating of change.
    pub latest_global_change: Option<i32>,
}

/// Which cases' outcomes to read.
pub enum CasesOf<'a> {
    /// Discharged between the two instants (inclusive).
    DischargedBetween(NaiveDateTime, NaiveDateTime),
    These(&'a [i64]),
}

/// A case's id, then a measurement's measure, value and signed record.
type OutcomeRow = (i64, Measure, i32, Option<i64>, Option<i64>);

/// The PSFS change and latest global rating of every case chosen, in one read. Cases
/// with no PSFS score and no rating are left out.
pub fn case_outcomes(
    conn: &mut DbConn,
    chosen: CasesOf<'_>,
) -> QueryResult<BTreeMap<i64, CaseOutcome>> {
    let mut query = outcome_measurements::table
        .inner_join(cases::table)
        .left_join(
            assessments::table.on(assessments::id
                .nullable()
                .eq(outcome_measurements::assessment_id)),
        )
        .filter(
            outcome_measurements::measure
                .eq_any([Measure::Psfs.as_str(), Measure::GlobalChange.as_str()]),
        )
        .filter(not_entered_in_error())
        .into_boxed();
    query = match chosen {
        CasesOf::DischargedBetween(from, to) => query
            .filter(cases::discharged_at.ge(from))
            .filter(cases::discharged_at.le(to)),
        CasesOf::These(ids) => query.filter(cases::id.eq_any(ids.to_vec())),
    };
    let rows: Vec<OutcomeRow> = query
        .order((
            outcome_measurements::case_id.asc(),
            outcome_measurements::measured_at.asc(),
            outcome_measurements::id.asc(),
        ))
        .select((
            outcome_measurements::case_id,
            outcome_measurements::measure,
            outcome_measurements::value,
            outcome_measurements::assessment_id,
            outcome_measurements::visit_id,
        ))
        .load(conn)?;
    let mut scores: BTreeMap<i64, Vec<(Source, i32)>> = BTreeMap::new();
    let mut ratings: BTreeMap<i64, i32> = BTreeMap::new();
    for (case_id, measure, value, assessment, visit) in rows {
        match (measure, Source::from_ids(assessment, visit)) {
            (Measure::Psfs, Some(source)) => {
                scores.entry(case_id).or_default().push((source, value));
            }
            // Oldest first: the last one read is the latest.
            (Measure::GlobalChange, _) => {
                ratings.insert(case_id, value);
            }
            _ => {}
        }
    }
    let mut outcomes: BTreeMap<i64, CaseOutcome> = BTreeMap::new();
    for (case_id, of_case) in scores {
        let means: Vec<f64> = rules::record_means(of_case)
            .into_iter()
            .map(|(_, mean)| mean)
            .collect();
        let outcome = outcomes.entry(case_id).or_default();
        outcome.psfs_first = means.first().copied();
        outcome.psfs_latest = means.last().copied();
        outcome.psfs = PsfsChange::over_records(&means);
    }
    for (case_id, rating) in ratings {
        outcomes.entry(case_id).or_default().latest_global_change = Some(rating);
    }
    Ok(outcomes)
}

/// Writes a signed record's measures as the case's measurements: new PSFS activities are
/// added (an active one of the same wording is reused), retired ones retired, and every
/// score, movement and rating stored at the record's time. Called in the signing
/// transaction, once: a record is signed once.
pub fn record_signed(
    conn: &mut DbConn,
    case_id: i64,
    source: Source,
    measured_at: NaiveDateTime,
    author: i64,
    entry: &OutcomeEntry,
) -> QueryResult<()> {
    let now = Utc::now().naive_utc();
    let (assessment_id, visit_id) = match source {
        Source::Assessment(id) => (Some(id), None),
        Source::Visit(id) => (None, Some(id)),
    };
    let existing = activities(conn, case_id)?;
    let insert = |conn: &mut DbConn,
                  measure: Measure,
                  activity: Option<i64>,
                  movement: Option<&str>,
                  value: i32|
     -> QueryResult<()> {
        diesel::insert_into(outcome_measurements::table)
            .values((
                outcome_measurements::case_id.eq(case_id),
                outcome_measurements::measured_at.eq(measured_at),
                outcome_measurements::measure.eq(measure.as_str()),
                outcome_measurements::psfs_activity_id.eq(activity),
                outcome_measurements::movement.eq(movement),
                outcome_measurements::value.eq(value),
                outcome_measurements::assessment_id.eq(assessment_id),
                outcome_measurements::visit_id.eq(visit_id),
                outcome_measurements::recorded_by.eq(author),
                outcome_measurements::recorded_at.eq(now),
            ))
            .execute(conn)
            .map(|_| ())
    };
    for item in &entry.psfs {
        let carried = item
            .activity_id
            .filter(|id| existing.iter().any(|a| a.id == *id));
        let same_wording = || {
            existing
                .iter()
                .find(|a| !a.is_retired() && a.activity == item.activity)
                .map(|a| a.id)
        };
        let activity_id = match carried.or_else(same_wording) {
            Some(id) => id,
            None => diesel::insert_into(psfs_activities::table)
                .values((
                    psfs_activities::case_id.eq(case_id),
                    psfs_activities::activity.eq(&item.activity),
                    psfs_activities::added_at.eq(measured_at),
                    psfs_activities::added_by.eq(author),
                ))
                .returning(psfs_activities::id)
                .get_result(conn)?,
        };
        insert(conn, Measure::Psfs, Some(activity_id), None, item.score)?;
    }
    if !entry.psfs_retired.is_empty() {
        diesel::update(
            psfs_activities::table
                .filter(psfs_activities::case_id.eq(case_id))
                .filter(psfs_activities::id.eq_any(&entry.psfs_retired))
                .filter(psfs_activities::retired_at.is_null()),
        )
        .set((
            psfs_activities::retired_at.eq(measured_at),
            psfs_activities::retired_by.eq(author),
        ))
        .execute(conn)?;
    }
    for movement in &entry.movements {
        insert(
            conn,
            Measure::Movement,
            None,
            Some(&movement.movement),
            movement.value,
        )?;
    }
    if let Some(rating) = entry.global_change {
        insert(conn, Measure::GlobalChange, None, None, rating)?;
    }
    Ok(())
}

/// The PSFS mean of each record that scored any activity, in time order.
pub fn psfs_means(measurements: &[Measurement]) -> Vec<(NaiveDateTime, f64)> {
    let scores = measurements
        .iter()
        .filter(|m| m.measure == Measure::Psfs)
        .map(|m| ((m.source, m.measured_at), m.value));
    rules::record_means(scores)
        .into_iter()
        .map(|((_, at), mean)| (at, mean))
        .collect()
}
