//! Cases (episodes of care), their red-flag state and the histories their timeline shows.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::dates::{ShownDay, Zone};
use crate::db::schema::{
    addenda, assessments, cases, pain_scores, patients, programme_versions, red_flag_actions,
    stop_reports, users,
};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::domain::clinical::{AssessmentContent, REPORTED_PREFIX, StopSymptom, Urgency};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
pub use crate::store::status::{AssessmentStatus, CaseStatus};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: i64,
    pub patient_id: i64,
    pub title: String,
    pub body_region: String,
    pub onset_date: Option<NaiveDate>,
    pub mechanism: String,
    pub referral_source: String,
    pub goals: String,
    pub therapist_id: i64,
    pub status: CaseStatus,
    pub discharge_outcome: Option<String>,
    pub discharged_at: Option<NaiveDateTime>,
    pub error_reason: Option<String>,
    pub red_flags_pending: String,
    pub created_by: i64,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
    pub pain_baseline: Option<i32>,
    pub pain_latest: Option<i32>,
    pub pain_trend: String,
    pub last_pain_at: Option<NaiveDateTime>,
    pub review_date: Option<NaiveDate>,
}

impl CaseRow {
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// Says why `at` is too early for a pain score or assessment of this case, if it is:
    /// before the patient's birth, before the onset, or (with no onset set) more than a
    /// year before the case was opened. An older record would silently become the case's
    /// baseline and turn its trend around. Days are the local days of `zone`, where the
    /// time was typed.
    pub fn too_early(
        &self,
        at: NaiveDateTime,
        date_of_birth: NaiveDate,
        zone: Zone,
    ) -> Option<String> {
        let day = zone.day_of(at);
        if day < date_of_birth {
            return Some(format!(
                "The date cannot be before the patient's date of birth ({}).",
                date_of_birth.to_day()
            ));
        }
        match self.onset_date {
            Some(onset) if day < onset => Some(format!(
                "The date cannot be before the case's onset date ({}).",
                onset.to_day()
            )),
            Some(_) => None,
            None => {
                let opened = zone.day_of(self.created_at);
                let earliest = opened
                    .checked_sub_days(chrono::Days::new(366))
                    .unwrap_or(NaiveDate::MIN);
                (day < earliest).then(|| {
                    format!(
                        "The date cannot be more than a year before the case was opened \
                         ({}). For an older record, set the case's onset date first.",
                        opened.to_day()
                    )
                })
            }
        }
    }

    pub fn pending_flags(&self) -> Vec<String> {
        self.red_flags_pending
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The stop symptoms the patient reported that still wait for the therapist.
    pub fn reported_stops(&self) -> Vec<&'static StopSymptom> {
        self.red_flags_pending
            .split(',')
            .filter_map(|f| f.strip_prefix(REPORTED_PREFIX))
            .filter_map(crate::domain::clinical::stop_symptom)
            .collect()
    }
}

#[derive(Clone)]
pub struct NewCase {
    pub title: String,
    pub body_region: String,
    pub onset_date: Option<NaiveDate>,
    pub mechanism: String,
    pub referral_source: String,
    pub goals: String,
    pub therapist_id: i64,
}

/// A therapist opens a case for a patient, with its audit event.
pub fn open(
    conn: &mut DbConn,
    who: &Actor,
    patient_id: i64,
    case: &NewCase,
    author: i64,
) -> Result<i64, Refusal> {
    let id = insert(conn, patient_id, case, author)?;
    audit::record(
        conn,
        who,
        Event::new(Action::CaseOpened)
            .entity("case", id)
            .patient(patient_id),
    )?;
    Ok(id)
}

/// Without an audit event: for the demo's seeding. The app writes through the use-cases
/// above, which record theirs.
pub(crate) fn insert(
    conn: &mut DbConn,
    patient_id: i64,
    case: &NewCase,
    author: i64,
) -> QueryResult<i64> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(cases::table)
        .values((
            cases::patient_id.eq(patient_id),
            cases::title.eq(&case.title),
            cases::body_region.eq(&case.body_region),
            cases::onset_date.eq(case.onset_date),
            cases::mechanism.eq(&case.mechanism),
            cases::referral_source.eq(&case.referral_source),
            cases::goals.eq(&case.goals),
            cases::therapist_id.eq(case.therapist_id),
            cases::status.eq(CaseStatus::Open.as_str()),
            cases::red_flags_pending.eq(""),
            cases::created_by.eq(author),
            cases::created_at.eq(now),
            cases::updated_at.eq(now),
        ))
        .returning(cases::id)
        .get_result(conn)
}

/// Moves a case's opening time, for the demo's history: cases opened over past weeks.
pub fn set_opened_at(conn: &mut DbConn, id: i64, opened_at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(cases::table.find(id))
        .set(cases::created_at.eq(opened_at))
        .execute(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<CaseRow> {
    native!(conn, |c| cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(c))
}

/// Closes an open case with its outcome, with its audit event. Refused unless the case is
/// open and has a signed discharge assessment.
pub fn discharge(conn: &mut DbConn, who: &Actor, id: i64, outcome: &str) -> Result<(), Refusal> {
    let case = find(conn, id)?;
    if !case.is_open() {
        return Err(Refusal::rule("outcome", "This case is not open."));
    }
    if !has_signed_discharge_assessment(conn, id)? {
        return Err(Refusal::rule(
            "outcome",
            "Sign a discharge assessment before discharging the case.",
        ));
    }
    set_discharged(conn, id, outcome)?;
    audit::record(
        conn,
        who,
        Event::new(Action::CaseDischarged)
            .entity("case", id)
            .patient(case.patient_id)
            .detail(outcome),
    )?;
    Ok(())
}

/// Without an audit event: for the demo's seeding. The app writes through the use-cases
/// above, which record theirs.
pub(crate) fn set_discharged(conn: &mut DbConn, id: i64, outcome: &str) -> QueryResult<usize> {
    let now = Utc::now().naive_utc();
    diesel::update(
        cases::table
            .find(id)
            .filter(cases::status.eq(CaseStatus::Open.as_str())),
    )
    .set((
        cases::status.eq(CaseStatus::Discharged.as_str()),
        cases::discharge_outcome.eq(outcome),
        cases::discharged_at.eq(now),
        cases::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Marks a case as entered in error (it stays on record, out of every list), with its
/// audit event.
pub fn mark_in_error(conn: &mut DbConn, who: &Actor, id: i64, reason: &str) -> Result<(), Refusal> {
    let case = find(conn, id)?;
    diesel::update(
        cases::table
            .find(id)
            .filter(cases::status.ne(CaseStatus::EnteredInError.as_str())),
    )
    .set((
        cases::status.eq(CaseStatus::EnteredInError.as_str()),
        cases::error_reason.eq(reason),
        cases::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(conn)?;
    audit::record(
        conn,
        who,
        Event::new(Action::CaseEnteredInError)
            .entity("case", id)
            .patient(case.patient_id),
    )?;
    Ok(())
}

pub fn has_signed_discharge_assessment(conn: &mut DbConn, case_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        assessments::table
            .filter(assessments::case_id.eq(case_id))
            .filter(assessments::kind.eq("discharge"))
            .filter(assessments::status.eq(AssessmentStatus::Signed.as_str())),
    ))
    .get_result(conn)
}

/// What a therapist decided about pending red flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedFlagDecision {
    /// Referred on, with how soon the patient is to be seen.
    Referred(Urgency),
    /// Not a concern (the reason says why).
    Cleared,
}

impl RedFlagDecision {
    pub fn action(self) -> &'static str {
        match self {
            Self::Referred(_) => "referred",
            Self::Cleared => "cleared",
        }
    }

    pub fn urgency(self) -> Option<Urgency> {
        match self {
            Self::Referred(urgency) => Some(urgency),
            Self::Cleared => None,
        }
    }
}

/// A therapist records what was done about pending red flags (referred with its urgency,
/// or cleared, and why), with its audit event; the flags it covers stop waiting.
pub fn act_on_red_flags(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    flags: &[String],
    decision: RedFlagDecision,
    reason: &str,
    author: i64,
) -> Result<i64, Refusal> {
    let case = find(conn, case_id)?;
    let id: i64 = diesel::insert_into(red_flag_actions::table)
        .values((
            red_flag_actions::case_id.eq(case_id),
            red_flag_actions::flags.eq(flags.join(",")),
            red_flag_actions::action.eq(decision.action()),
            red_flag_actions::urgency.eq(decision.urgency().map(Urgency::as_str)),
            red_flag_actions::reason.eq(reason),
            red_flag_actions::recorded_by.eq(author),
            red_flag_actions::recorded_at.eq(Utc::now().naive_utc()),
        ))
        .returning(red_flag_actions::id)
        .get_result(conn)?;
    refresh_red_flags(conn, case_id)?;
    let detail = match decision.urgency() {
        Some(urgency) => format!("referred ({}): {}", urgency.as_str(), flags.join(",")),
        None => format!("cleared: {}", flags.join(",")),
    };
    audit::record(
        conn,
        who,
        Event::new(Action::RedFlagsActionRecorded)
            .entity("red_flag_action", id)
            .patient(case.patient_id)
            .detail(detail),
    )?;
    Ok(id)
}

/// A patient answers "yes" to stop symptoms in the portal, with their pain score: the
/// report is kept, each symptom waits on the case as a red flag (so the sheet and the
/// programme are held back), with its audit event.
pub fn report_stop_symptoms(
    conn: &mut DbConn,
    who: &Actor,
    case: &CaseRow,
    pain_score_id: Option<i64>,
    symptoms: &[&'static StopSymptom],
    reported_by: i64,
) -> Result<i64, Refusal> {
    let keys: Vec<&str> = symptoms.iter().map(|s| s.key).collect();
    if keys.is_empty() {
        return Err(AppError::Internal("a stop report names no symptom".into()).into());
    }
    let id: i64 = diesel::insert_into(stop_reports::table)
        .values((
            stop_reports::case_id.eq(case.id),
            stop_reports::pain_score_id.eq(pain_score_id),
            stop_reports::symptoms.eq(keys.join(",")),
            stop_reports::reported_by.eq(reported_by),
            stop_reports::reported_at.eq(Utc::now().naive_utc()),
        ))
        .returning(stop_reports::id)
        .get_result(conn)?;
    refresh_red_flags(conn, case.id)?;
    audit::record(
        conn,
        who,
        Event::new(Action::PortalStopReported)
            .entity("case", case.id)
            .patient(case.patient_id)
            .detail(keys.join(",")),
    )?;
    Ok(id)
}

/// Re-computes which red flags of a case still wait for action: a flag answered "yes"
/// in an assessment, or a stop symptom a patient reported, is pending until an action
/// covering it is recorded after that answer.
pub fn refresh_red_flags(conn: &mut DbConn, case_id: i64) -> Result<Vec<String>, AppError> {
    let answers: Vec<(String, NaiveDateTime)> = assessments::table
        .filter(assessments::case_id.eq(case_id))
        .filter(assessments::status.ne(AssessmentStatus::EnteredInError.as_str()))
        .select((assessments::content, assessments::updated_at))
        .load(conn)?;
    let reports: Vec<(String, NaiveDateTime)> = stop_reports::table
        .filter(stop_reports::case_id.eq(case_id))
        .select((stop_reports::symptoms, stop_reports::reported_at))
        .load(conn)?;
    let actions: Vec<(String, NaiveDateTime)> = red_flag_actions::table
        .filter(red_flag_actions::case_id.eq(case_id))
        .select((red_flag_actions::flags, red_flag_actions::recorded_at))
        .load(conn)?;
    let mut raised: Vec<(String, NaiveDateTime)> = Vec::new();
    for (content, answered_at) in answers {
        let content: AssessmentContent = serde_json::from_str(&content)
            .map_err(|e| AppError::Internal(format!("assessment content: {e}")))?;
        for flag in content.flags_answered_yes() {
            raised.push((flag, answered_at));
        }
    }
    for (symptoms, reported_at) in reports {
        for key in symptoms.split(',').filter(|k| !k.is_empty()) {
            raised.push((format!("{REPORTED_PREFIX}{key}"), reported_at));
        }
    }
    let mut pending = BTreeSet::new();
    for (flag, raised_at) in raised {
        let handled = actions
            .iter()
            .any(|(flags, at)| *at >= raised_at && flags.split(',').any(|f| f == flag));
        if !handled {
            pending.insert(flag);
        }
    }
    let pending: Vec<String> = pending.into_iter().collect();
    diesel::update(cases::table.find(case_id))
        .set(cases::red_flags_pending.eq(pending.join(",")))
        .execute(conn)?;
    Ok(pending)
}

pub struct AssessmentLine {
    pub id: i64,
    pub kind: String,
    pub status: AssessmentStatus,
    pub author: String,
    pub assessed_at: NaiveDateTime,
    pub signed_at: Option<NaiveDateTime>,
}

pub fn assessments_of(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<AssessmentLine>> {
    let rows: Vec<(i64, String, AssessmentStatus, String, Stamp, Option<Stamp>)> =
        native!(conn, |c| assessments::table
            .inner_join(users::table.on(users::id.eq(assessments::author_id)))
            .filter(assessments::case_id.eq(case_id))
            .order((assessments::assessed_at.desc(), assessments::id.desc()))
            .select((
                assessments::id,
                assessments::kind,
                assessments::status,
                users::display_name,
                assessments::assessed_at,
                assessments::signed_at,
            ))
            .load(c))?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, status, author, assessed_at, signed_at)| AssessmentLine {
                id,
                kind,
                status,
                author,
                assessed_at: assessed_at.0,
                signed_at: signed_at.map(NaiveDateTime::from),
            },
        )
        .collect())
}

/// A pain score as the case page shows it: on the chart and in the timeline.
pub struct ScoreLine {
    pub at: NaiveDateTime,
    pub context: String,
    pub score: i32,
    pub recorder: String,
    pub note: String,
}

/// Every pain score of a case, oldest first, read once for both the chart and the timeline.
pub fn score_lines(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<ScoreLine>> {
    let rows: Vec<(Stamp, String, i32, String, String)> = native!(conn, |c| pain_scores::table
        .inner_join(users::table.on(users::id.eq(pain_scores::recorded_by)))
        .filter(pain_scores::case_id.eq(case_id))
        .order((pain_scores::recorded_at.asc(), pain_scores::id.asc()))
        .select((
            pain_scores::recorded_at,
            pain_scores::context,
            pain_scores::score,
            users::display_name,
            pain_scores::note,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(at, context, score, recorder, note)| ScoreLine {
            at: at.0,
            context,
            score,
            recorder,
            note,
        })
        .collect())
}

/// An addendum to one of the case's assessments.
pub struct AddendumLine {
    pub assessment_id: i64,
    pub at: NaiveDateTime,
    pub author: String,
    pub body: String,
}

/// A red-flag decision: referred to a doctor, or cleared.
pub struct RedFlagActionLine {
    pub at: NaiveDateTime,
    pub action: String,
    /// The flags, comma-separated keys.
    pub flags: String,
    pub reason: String,
    pub recorder: String,
    pub urgency: Option<Urgency>,
}

/// Stop symptoms a patient reported in the portal.
pub struct StopReportLine {
    pub at: NaiveDateTime,
    /// The symptoms, comma-separated keys of `STOP_SYMPTOMS`.
    pub symptoms: String,
    pub reporter: String,
}

/// A saved version of the case's programme.
pub struct ProgrammeVersionLine {
    pub version: i32,
    pub at: NaiveDateTime,
    pub author: String,
}

/// The case's histories the timeline shows besides its assessments and pain scores, each
/// newest first.
pub struct TimelineSources {
    pub addenda: Vec<AddendumLine>,
    pub red_flag_actions: Vec<RedFlagActionLine>,
    pub stop_reports: Vec<StopReportLine>,
    pub programme_versions: Vec<ProgrammeVersionLine>,
}

pub fn timeline_sources(conn: &mut DbConn, case_id: i64) -> QueryResult<TimelineSources> {
    let notes: Vec<(i64, Stamp, String, String)> = native!(conn, |c| addenda::table
        .inner_join(assessments::table)
        .inner_join(users::table.on(users::id.eq(addenda::author_id)))
        .filter(assessments::case_id.eq(case_id))
        .order((addenda::created_at.desc(), addenda::id.desc()))
        .select((
            addenda::assessment_id,
            addenda::created_at,
            users::display_name,
            addenda::body,
        ))
        .load(c))?;
    let actions: Vec<(Stamp, String, String, String, String, Option<String>)> =
        native!(conn, |c| red_flag_actions::table
            .inner_join(users::table.on(users::id.eq(red_flag_actions::recorded_by)))
            .filter(red_flag_actions::case_id.eq(case_id))
            .order((
                red_flag_actions::recorded_at.desc(),
                red_flag_actions::id.desc(),
            ))
            .select((
                red_flag_actions::recorded_at,
                red_flag_actions::action,
                red_flag_actions::flags,
                red_flag_actions::reason,
                users::display_name,
                red_flag_actions::urgency,
            ))
            .load(c))?;
    let reports: Vec<(Stamp, String, String)> = native!(conn, |c| stop_reports::table
        .inner_join(users::table.on(users::id.eq(stop_reports::reported_by)))
        .filter(stop_reports::case_id.eq(case_id))
        .order((stop_reports::reported_at.desc(), stop_reports::id.desc()))
        .select((
            stop_reports::reported_at,
            stop_reports::symptoms,
            users::display_name,
        ))
        .load(c))?;
    let versions: Vec<(i32, Stamp, String)> = native!(conn, |c| programme_versions::table
        .inner_join(users::table.on(users::id.eq(programme_versions::author_id)))
        .filter(programme_versions::case_id.eq(case_id))
        .order(programme_versions::version.desc())
        .select((
            programme_versions::version,
            programme_versions::created_at,
            users::display_name,
        ))
        .load(c))?;
    Ok(TimelineSources {
        addenda: notes
            .into_iter()
            .map(|(assessment_id, at, author, body)| AddendumLine {
                assessment_id,
                at: at.0,
                author,
                body,
            })
            .collect(),
        red_flag_actions: actions
            .into_iter()
            .map(
                |(at, action, flags, reason, recorder, urgency)| RedFlagActionLine {
                    at: at.0,
                    action,
                    flags,
                    reason,
                    recorder,
                    urgency: urgency.as_deref().and_then(Urgency::parse),
                },
            )
            .collect(),
        stop_reports: reports
            .into_iter()
            .map(|(at, symptoms, reporter)| StopReportLine {
                at: at.0,
                symptoms,
                reporter,
            })
            .collect(),
        programme_versions: versions
            .into_iter()
            .map(|(version, at, author)| ProgrammeVersionLine {
                version,
                at: at.0,
                author,
            })
            .collect(),
    })
}

pub fn context_label(context: &str) -> &'static str {
    match context {
        "now" => "now",
        "rest" => "at rest",
        "activity" => "on activity",
        "worst-24h" => "worst in 24 h",
        "best" => "best",
        _ => "other",
    }
}

/// A case with its patient, loaded together for every case page.
pub fn find_with_patient(
    conn: &mut DbConn,
    case_id: i64,
) -> QueryResult<(CaseRow, crate::store::patients::PatientRow)> {
    use crate::store::patients::PatientRow;
    native!(conn, |c| cases::table
        .inner_join(patients::table)
        .filter(cases::id.eq(case_id))
        .select((CaseRow::as_select(), PatientRow::as_select()))
        .first(c))
}

/// A case with its patient and the name of its therapist: the head of the case page.
pub fn find_with_patient_and_therapist(
    conn: &mut DbConn,
    case_id: i64,
) -> QueryResult<(CaseRow, crate::store::patients::PatientRow, String)> {
    use crate::store::patients::PatientRow;
    native!(conn, |c| cases::table
        .inner_join(patients::table)
        .inner_join(users::table.on(users::id.eq(cases::therapist_id)))
        .filter(cases::id.eq(case_id))
        .select((
            CaseRow::as_select(),
            PatientRow::as_select(),
            users::display_name,
        ))
        .first(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(onset: Option<&str>, opened: &str) -> CaseRow {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        let opened = day(opened)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default();
        CaseRow {
            id: 1,
            patient_id: 1,
            title: "Neck pain".into(),
            body_region: "cervical".into(),
            onset_date: onset.and_then(day),
            mechanism: String::new(),
            referral_source: String::new(),
            goals: String::new(),
            therapist_id: 1,
            status: CaseStatus::Open,
            discharge_outcome: None,
            discharged_at: None,
            error_reason: None,
            red_flags_pending: String::new(),
            created_by: 1,
            created_at: opened,
            updated_at: opened,
            pain_baseline: None,
            pain_latest: None,
            pain_trend: String::new(),
            last_pain_at: None,
            review_date: None,
        }
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap_or_default()
    }

    #[test]
    fn records_may_not_predate_birth_onset_or_a_year_before_opening() {
        let utc = Zone::parse("UTC").unwrap_or_else(|| panic!("UTC is a zone"));
        let born = NaiveDate::from_ymd_opt(1980, 3, 31).unwrap_or_default();
        let without_onset = case(None, "2026-12-01");
        assert_eq!(
            without_onset.too_early(at("2026-11-01 10:00"), born, utc),
            None
        );
        assert_eq!(
            without_onset.too_early(at("2025-12-01 00:00"), born, utc),
            None
        );
        let old = without_onset.too_early(at("2025-11-29 10:00"), born, utc);
        assert!(old.is_some_and(|m| m.contains("more than a year before the case was opened")));
        let before_birth = without_onset.too_early(at("1900-01-01 10:00"), born, utc);
        assert!(before_birth.is_some_and(|m| m.contains("date of birth (31 Mar 1980)")));

        let with_onset = case(Some("2020-05-01"), "2026-12-01");
        assert_eq!(
            with_onset.too_early(at("2021-01-01 10:00"), born, utc),
            None
        );
        assert_eq!(
            with_onset.too_early(at("2020-05-01 00:00"), born, utc),
            None
        );
        let before_onset = with_onset.too_early(at("2020-04-30 23:59"), born, utc);
        assert!(before_onset.is_some_and(|m| m.contains("onset date (1 May 2020)")));
    }

    #[test]
    fn the_onset_day_is_the_local_day_the_time_was_typed_in() {
        let sydney = Zone::parse("Australia/Sydney").unwrap_or_else(|| panic!("a zone"));
        let utc = Zone::parse("UTC").unwrap_or_else(|| panic!("UTC is a zone"));
        let born = NaiveDate::from_ymd_opt(1980, 3, 31).unwrap_or_default();
        let with_onset = case(Some("2026-05-01"), "2026-12-01");
        // 14:30 UTC on 30 April is 00:30 on 1 May in Sydney: the onset day itself.
        let typed = at("2026-04-30 14:30");
        assert_eq!(with_onset.too_early(typed, born, sydney), None);
        assert!(with_onset.too_early(typed, born, utc).is_some());
    }
}
