//! Pain scores, the per-case pain summary, and adherence ticks.

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::dates::Zone;
use crate::db::schema::{adherence_ticks, cases, pain_scores, programme_versions};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::domain::adherence::{self, InForce};
use crate::domain::clinical::StopSymptom;
use crate::domain::pain::{PainContext, PainSummary};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event, Outcome};
use crate::store::cases::CaseRow;

/// A score as its form validated it.
#[derive(Debug, Clone)]
pub struct ScoreEntry {
    pub score: i32,
    pub context: PainContext,
    pub recorded_at: NaiveDateTime,
    /// The zone `recorded_at` was typed in: its local day is the one checked against the
    /// patient's birth and the case's onset.
    pub typed_in: Zone,
    pub note: String,
    /// The form's one-use key: a double click or a retried request stores one score.
    pub key: String,
}

/// Whether a score was stored, or its key had been used already (stored once before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Stored,
    AlreadyStored,
}

/// A therapist records a score on a case, with its audit event. Refused when its time is
/// before the patient's birth or the case's start (see `CaseRow::too_early`).
pub fn record_for_case(
    conn: &mut DbConn,
    who: &Actor,
    therapist_id: i64,
    case_id: i64,
    entry: &ScoreEntry,
) -> Result<Recorded, Refusal> {
    let (case, patient) = crate::store::cases::find_with_patient(conn, case_id)?;
    if case.status.is_entered_in_error() {
        return Err(AppError::NotFound.into());
    }
    let recorder = Recorder {
        user_id: therapist_id,
        role: "therapist",
        action: Action::PainRecorded,
    };
    record(conn, who, &case, patient.date_of_birth, recorder, entry)
}

/// A patient logs a score in the portal on their open case, with its audit event. A "yes"
/// to any stop symptom is stored with it in the same transaction (see
/// `cases::report_stop_symptoms`); a retried request stores neither twice.
pub fn record_from_portal(
    conn: &mut DbConn,
    who: &Actor,
    patient_user_id: i64,
    patient_id: i64,
    entry: &ScoreEntry,
    stop: &[&'static StopSymptom],
) -> Result<Recorded, Refusal> {
    let case = crate::store::portal::portal_case(conn, patient_id)?.ok_or(AppError::NotFound)?;
    let born = crate::store::patients::find(conn, patient_id)?.date_of_birth;
    let recorder = Recorder {
        user_id: patient_user_id,
        role: "patient",
        action: Action::PortalPainLogged,
    };
    let recorded = record(conn, who, &case, born, recorder, entry)?;
    if recorded == Recorded::Stored && !stop.is_empty() {
        let score_id: Option<i64> = pain_scores::table
            .filter(pain_scores::idempotency_key.eq(&entry.key))
            .select(pain_scores::id)
            .first(conn)
            .optional()?;
        crate::store::cases::report_stop_symptoms(
            conn,
            who,
            &case,
            score_id,
            stop,
            patient_user_id,
        )?;
    }
    Ok(recorded)
}

/// A patient's "yes" to stop symptoms when the score they typed with it cannot be stored:
/// the report must not wait on a valid score. With its audit event.
pub fn stop_report_from_portal(
    conn: &mut DbConn,
    who: &Actor,
    patient_user_id: i64,
    patient_id: i64,
    stop: &[&'static StopSymptom],
) -> Result<i64, Refusal> {
    let case = crate::store::portal::portal_case(conn, patient_id)?.ok_or(AppError::NotFound)?;
    crate::store::cases::report_stop_symptoms(conn, who, &case, None, stop, patient_user_id)
}

struct Recorder {
    user_id: i64,
    role: &'static str,
    action: Action,
}

fn record(
    conn: &mut DbConn,
    who: &Actor,
    case: &CaseRow,
    born: NaiveDate,
    recorder: Recorder,
    entry: &ScoreEntry,
) -> Result<Recorded, Refusal> {
    if let Some(problem) = case.too_early(entry.recorded_at, born, entry.typed_in) {
        return Err(Refusal::rule("recorded_at", problem));
    }
    let inserted = insert_score(
        conn,
        &NewPainScore {
            case_id: case.id,
            score: entry.score,
            context: entry.context.as_str(),
            recorded_at: entry.recorded_at,
            recorded_by: recorder.user_id,
            recorder_role: recorder.role,
            note: &entry.note,
            idempotency_key: &entry.key,
        },
    )?;
    if !inserted {
        return Ok(Recorded::AlreadyStored);
    }
    audit::record(
        conn,
        who,
        Event::new(recorder.action)
            .entity("case", case.id)
            .patient(case.patient_id),
    )?;
    Ok(Recorded::Stored)
}

pub struct NewPainScore<'a> {
    pub case_id: i64,
    pub score: i32,
    pub context: &'a str,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: i64,
    pub recorder_role: &'a str,
    pub note: &'a str,
    pub idempotency_key: &'a str,
}

/// Stores a score once per idempotency key. Returns false when that key was already used
/// (a double click, a refresh or a retried request): nothing is stored twice.
pub fn insert_score(conn: &mut DbConn, new: &NewPainScore<'_>) -> Result<bool, AppError> {
    let seen: Option<i64> = native!(conn, |c| pain_scores::table
        .filter(pain_scores::idempotency_key.eq(new.idempotency_key))
        .select(pain_scores::id)
        .first(c)
        .optional())?;
    if seen.is_some() {
        return Ok(false);
    }
    native!(conn, |c| diesel::insert_into(pain_scores::table)
        .values((
            pain_scores::case_id.eq(new.case_id),
            pain_scores::score.eq(new.score),
            pain_scores::context.eq(new.context),
            pain_scores::recorded_at.eq(new.recorded_at),
            pain_scores::recorded_by.eq(new.recorded_by),
            pain_scores::recorder_role.eq(new.recorder_role),
            pain_scores::note.eq(new.note),
            pain_scores::idempotency_key.eq(Some(new.idempotency_key)),
            pain_scores::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(c))?;
    refresh_summary(conn, new.case_id)?;
    Ok(true)
}

/// Whether an idempotency key has been used (for answering a retried request).
pub fn key_used(conn: &mut DbConn, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        pain_scores::table.filter(pain_scores::idempotency_key.eq(key)),
    ))
    .get_result(conn)
}

/// Re-computes the case's baseline, latest and trend. The baseline is the case's first
/// score; the latest is the newest score in the same context, so like is compared with like.
pub fn refresh_summary(conn: &mut DbConn, case_id: i64) -> QueryResult<()> {
    let first: Option<(NaiveDateTime, String, i32)> = native!(conn, |c| pain_scores::table
        .filter(pain_scores::case_id.eq(case_id))
        .order((pain_scores::recorded_at.asc(), pain_scores::id.asc()))
        .select((
            pain_scores::recorded_at,
            pain_scores::context,
            pain_scores::score,
        ))
        .first(c)
        .optional())?;
    let last_any: Option<NaiveDateTime> = native!(conn, |c| pain_scores::table
        .filter(pain_scores::case_id.eq(case_id))
        .select(diesel::dsl::max(pain_scores::recorded_at))
        .first(c))?;
    let (baseline, latest, trend) = match first {
        None => (None, None, "not-enough"),
        Some((first_at, context, baseline)) => {
            let (latest_at, latest): (NaiveDateTime, i32) = native!(conn, |c| pain_scores::table
                .filter(pain_scores::case_id.eq(case_id))
                .filter(pain_scores::context.eq(&context))
                .order((pain_scores::recorded_at.desc(), pain_scores::id.desc()))
                .select((pain_scores::recorded_at, pain_scores::score))
                .first(c))?;
            // Only whether there are two scores in this context matters, not how many.
            let two: Vec<i64> = native!(conn, |c| pain_scores::table
                .filter(pain_scores::case_id.eq(case_id))
                .filter(pain_scores::context.eq(&context))
                .select(pain_scores::id)
                .limit(2)
                .load(c))?;
            let series: Vec<(NaiveDateTime, u8)> = if two.len() >= 2 {
                vec![(first_at, to_u8(baseline)), (latest_at, to_u8(latest))]
            } else {
                vec![(first_at, to_u8(baseline))]
            };
            let summary = PainSummary::from_scores(&series);
            (Some(baseline), Some(latest), summary.trend.as_str())
        }
    };
    native!(conn, |c| diesel::update(cases::table.find(case_id))
        .set((
            cases::pain_baseline.eq(baseline),
            cases::pain_latest.eq(latest),
            cases::pain_trend.eq(trend),
            cases::last_pain_at.eq(last_any),
        ))
        .execute(c))?;
    Ok(())
}

fn to_u8(score: i32) -> u8 {
    u8::try_from(score.clamp(0, 10)).unwrap_or(0)
}

/// Every score of a case in time order: (when, context, score). Bounded by the case's
/// own history; a case gathers at most a few scores a day.
pub fn case_scores(
    conn: &mut DbConn,
    case_id: i64,
) -> QueryResult<Vec<(NaiveDateTime, String, i32)>> {
    let rows: Vec<(Stamp, String, i32)> = native!(conn, |c| pain_scores::table
        .filter(pain_scores::case_id.eq(case_id))
        .order((pain_scores::recorded_at.asc(), pain_scores::id.asc()))
        .select((
            pain_scores::recorded_at,
            pain_scores::context,
            pain_scores::score,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(Stamp(at), context, score)| (at, context, score))
        .collect())
}

/// When each programme version was saved, to mark on the chart.
pub fn version_marks(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<(NaiveDateTime, i32)>> {
    let rows: Vec<(Stamp, i32)> = native!(conn, |c| programme_versions::table
        .filter(programme_versions::case_id.eq(case_id))
        .order(programme_versions::version.asc())
        .select((programme_versions::created_at, programme_versions::version))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(Stamp(at), version)| (at, version))
        .collect())
}

// ---- adherence

/// Whether a patient's "done" was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Ticked,
    /// The exercise is not in their current programme: refused, and the refusal audited.
    NotInProgramme,
    /// The patient reported a stop symptom and the programme is on hold until a therapist
    /// acts: refused, and the refusal audited.
    OnHold,
}

/// A patient marks an exercise of their current programme done on `day`, with its audit
/// event (a second tick the same day changes nothing). An exercise outside the programme
/// is refused, and the refusal is on record.
pub fn mark_done(
    conn: &mut DbConn,
    who: &Actor,
    patient_id: i64,
    patient_user_id: i64,
    exercise_id: i64,
    day: NaiveDate,
) -> Result<Done, AppError> {
    let case = crate::store::portal::portal_case(conn, patient_id)?.ok_or(AppError::NotFound)?;
    let in_programme = crate::store::programmes::current_exercise_ids(conn, case.id)?
        .is_some_and(|(_, ids)| ids.contains(&exercise_id));
    let event = |action| {
        Event::new(action)
            .entity("exercise", exercise_id)
            .patient(patient_id)
    };
    if !in_programme {
        audit::record(
            conn,
            who,
            event(Action::PortalDoneRefused).outcome(Outcome::Denied),
        )?;
        return Ok(Done::NotInProgramme);
    }
    if !case.reported_stops().is_empty() {
        audit::record(
            conn,
            who,
            event(Action::PortalDoneRefused)
                .outcome(Outcome::Denied)
                .detail("programme on hold after a stop symptom"),
        )?;
        return Ok(Done::OnHold);
    }
    if tick(conn, case.id, exercise_id, day, patient_user_id)? {
        audit::record(conn, who, event(Action::PortalDoneTicked))?;
    }
    Ok(Done::Ticked)
}

/// A patient takes back the tick of an exercise on `day` (a tap by mistake), with its
/// audit event.
pub fn unmark_done(
    conn: &mut DbConn,
    who: &Actor,
    patient_id: i64,
    exercise_id: i64,
    day: NaiveDate,
) -> Result<(), AppError> {
    let case = crate::store::portal::portal_case(conn, patient_id)?.ok_or(AppError::NotFound)?;
    if untick(conn, case.id, exercise_id, day)? {
        audit::record(
            conn,
            who,
            Event::new(Action::PortalDoneUndone)
                .entity("exercise", exercise_id)
                .patient(patient_id),
        )?;
    }
    Ok(())
}

/// Ticks "done today" for one exercise; a second tick the same day changes nothing.
pub fn tick(
    conn: &mut DbConn,
    case_id: i64,
    exercise_id: i64,
    day: NaiveDate,
    by: i64,
) -> QueryResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        adherence_ticks::table
            .filter(adherence_ticks::case_id.eq(case_id))
            .filter(adherence_ticks::exercise_id.eq(exercise_id))
            .filter(adherence_ticks::day.eq(day)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(adherence_ticks::table)
        .values((
            adherence_ticks::case_id.eq(case_id),
            adherence_ticks::exercise_id.eq(exercise_id),
            adherence_ticks::day.eq(day),
            adherence_ticks::recorded_by.eq(by),
            adherence_ticks::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Takes back the tick of an exercise on a day (a tap by mistake); says whether there was one.
pub fn untick(
    conn: &mut DbConn,
    case_id: i64,
    exercise_id: i64,
    day: NaiveDate,
) -> QueryResult<bool> {
    let removed = diesel::delete(
        adherence_ticks::table
            .filter(adherence_ticks::case_id.eq(case_id))
            .filter(adherence_ticks::exercise_id.eq(exercise_id))
            .filter(adherence_ticks::day.eq(day)),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// Exercise ids ticked on a day.
pub fn ticked_on(conn: &mut DbConn, case_id: i64, day: NaiveDate) -> QueryResult<Vec<i64>> {
    adherence_ticks::table
        .filter(adherence_ticks::case_id.eq(case_id))
        .filter(adherence_ticks::day.eq(day))
        .select(adherence_ticks::exercise_id)
        .load(conn)
}

pub struct AdherenceDay {
    pub day: NaiveDate,
    /// Exercises of the version in force that day ticked, and how many it has.
    pub ticked: usize,
    pub total: usize,
}

pub struct Adherence {
    /// Share (0–100) of the exercise days prescribed (each exercise's days a week) that
    /// were done, over the last 14 and 28 days; see `domain::adherence`.
    pub last_14: Option<u32>,
    pub last_28: Option<u32>,
    /// Since the programme started, at most 28 days, newest first.
    pub days: Vec<AdherenceDay>,
}

/// Adherence to a case's programme, from its versions (oldest first) and its ticks.
pub fn adherence(
    conn: &mut DbConn,
    case_id: i64,
    schedule: &[InForce],
    today: NaiveDate,
) -> QueryResult<Adherence> {
    let Some(start) = schedule.first().map(|v| v.from) else {
        return Ok(Adherence {
            last_14: None,
            last_28: None,
            days: Vec::new(),
        });
    };
    let window_start = today - Duration::days(27);
    let from = window_start.max(start);
    let ticks: Vec<(NaiveDate, i64)> = native!(conn, |c| adherence_ticks::table
        .filter(adherence_ticks::case_id.eq(case_id))
        .filter(adherence_ticks::day.ge(from))
        .filter(adherence_ticks::day.le(today))
        .select((adherence_ticks::day, adherence_ticks::exercise_id))
        .load(c))?;
    let ticks: Vec<(i64, NaiveDate)> = ticks.into_iter().map(|(d, e)| (e, d)).collect();
    let mut days = Vec::new();
    let mut day = today;
    while day >= from {
        let items = adherence::in_force(schedule, day).map_or(&[][..], |v| &v.items[..]);
        let ticked = items
            .iter()
            .filter(|item| ticks.contains(&(item.exercise_id, day)))
            .count();
        days.push(AdherenceDay {
            day,
            ticked,
            total: items.len(),
        });
        day -= Duration::days(1);
    }
    let share = |first: NaiveDate| adherence::tally(schedule, &ticks, first, today).percent();
    Ok(Adherence {
        last_14: share(today - Duration::days(13)),
        last_28: share(window_start),
        days,
    })
}
