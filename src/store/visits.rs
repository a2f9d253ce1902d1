//! Visit notes: one per contact on a case, the day-to-day record. A draft until its
//! author signs it; a signed note never changes (the database refuses it) and takes
//! addenda. Signing needs the case's consent to treatment; today's pain becomes a pain
//! score at the visit's time when the note is signed.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::dates::Zone;
use crate::db::schema::{programme_versions, users, visit_addenda, visit_notes};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::domain::outcomes::OutcomeEntry;
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::cases;
use crate::store::consent::{self, NewConsent};
use crate::store::outcomes::{self, Source};
use crate::store::pain::{self, NewPainScore};

crate::store::stored::stored_text! {
    /// Where a visit note stands: a draft its author may change, or signed for good.
    pub enum VisitStatus {
        Draft = "draft",
        Signed = "signed",
    }
}

impl VisitStatus {
    pub fn is_draft(self) -> bool {
        self == Self::Draft
    }

    pub fn is_signed(self) -> bool {
        self == Self::Signed
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Signed => "signed",
        }
    }
}

crate::store::stored::stored_text! {
    /// Whether the patient came.
    pub enum Attendance {
        Attended = "attended",
        DidNotAttend = "did-not-attend",
        CancelledLate = "cancelled-late",
        Cancelled = "cancelled",
    }
}

impl Attendance {
    pub fn label(self) -> &'static str {
        match self {
            Self::Attended => "Attended",
            Self::DidNotAttend => "Did not attend",
            Self::CancelledLate => "Cancelled late",
            Self::Cancelled => "Cancelled",
        }
    }

    /// The patient was seen: the note records what was found and done.
    pub fn took_place(self) -> bool {
        self == Self::Attended
    }

    /// A booked visit the patient missed (no-show or late cancellation): counted as not
    /// attended. A visit cancelled in good time is neither attended nor missed.
    pub fn missed(self) -> bool {
        matches!(self, Self::DidNotAttend | Self::CancelledLate)
    }
}

crate::store::stored::stored_text! {
    /// A kind of treatment given at a visit.
    pub enum TreatmentKind {
        ExerciseTherapy = "exercise-therapy",
        ManualTherapy = "manual-therapy",
        EducationAdvice = "education-advice",
        Taping = "taping",
        Other = "other",
    }
}

impl TreatmentKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::ExerciseTherapy => "Exercise therapy",
            Self::ManualTherapy => "Manual therapy",
            Self::EducationAdvice => "Education and advice",
            Self::Taping => "Taping",
            Self::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = visit_notes)]
pub struct VisitRow {
    pub id: i64,
    pub case_id: i64,
    pub author_id: i64,
    pub status: VisitStatus,
    #[diesel(deserialize_as = Stamp)]
    pub visited_at: NaiveDateTime,
    pub attendance: Attendance,
    pub duration_minutes: Option<i32>,
    pub subjective: String,
    pub pain_today: Option<i32>,
    pub objective: String,
    pub treatments: String,
    pub treatment_note: String,
    pub response: String,
    pub plan: String,
    pub note: String,
    pub programme_version: Option<i32>,
    pub signed_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
    /// The note's outcome measures as JSON (`OutcomeEntry`).
    pub outcomes: String,
}

impl VisitRow {
    pub fn outcomes(&self) -> Result<OutcomeEntry, AppError> {
        serde_json::from_str(&self.outcomes)
            .map_err(|e| AppError::Internal(format!("visit outcomes: {e}")))
    }

    /// The treatments given, in the order of the list; unknown keys are skipped.
    pub fn treatment_kinds(&self) -> Vec<TreatmentKind> {
        parse_treatments(&self.treatments)
    }

    pub fn content(&self) -> Result<VisitContent, AppError> {
        Ok(VisitContent {
            visited_at: self.visited_at,
            attendance: self.attendance,
            duration_minutes: self.duration_minutes,
            subjective: self.subjective.clone(),
            pain_today: self.pain_today,
            objective: self.objective.clone(),
            treatments: self.treatment_kinds(),
            treatment_note: self.treatment_note.clone(),
            response: self.response.clone(),
            plan: self.plan.clone(),
            note: self.note.clone(),
            outcomes: self.outcomes()?,
        })
    }
}

fn parse_treatments(text: &str) -> Vec<TreatmentKind> {
    let given: Vec<&str> = text.split(',').collect();
    TreatmentKind::ALL
        .iter()
        .copied()
        .filter(|kind| given.contains(&kind.as_str()))
        .collect()
}

fn treatments_text(kinds: &[TreatmentKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A visit note's content as its form validated it.
#[derive(Debug, Clone)]
pub struct VisitContent {
    pub visited_at: NaiveDateTime,
    pub attendance: Attendance,
    pub duration_minutes: Option<i32>,
    pub subjective: String,
    pub pain_today: Option<i32>,
    pub objective: String,
    pub treatments: Vec<TreatmentKind>,
    pub treatment_note: String,
    pub response: String,
    pub plan: String,
    /// A note on any visit; the only text of a visit that did not take place.
    pub note: String,
    /// PSFS, movements and global rating of change; for a visit that took place.
    pub outcomes: OutcomeEntry,
}

/// A visit's content as written to its row: one list of columns for a new note, a revised
/// draft and the demo's signed notes.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = visit_notes, treat_none_as_null = true)]
struct ContentColumns<'a> {
    visited_at: NaiveDateTime,
    attendance: &'static str,
    duration_minutes: Option<i32>,
    subjective: &'a str,
    pain_today: Option<i32>,
    objective: &'a str,
    treatments: String,
    treatment_note: &'a str,
    response: &'a str,
    plan: &'a str,
    note: &'a str,
    outcomes: String,
}

impl VisitContent {
    fn columns(&self) -> Result<ContentColumns<'_>, AppError> {
        Ok(ContentColumns {
            visited_at: self.visited_at,
            attendance: self.attendance.as_str(),
            duration_minutes: self.duration_minutes,
            subjective: &self.subjective,
            pain_today: self.pain_today,
            objective: &self.objective,
            treatments: treatments_text(&self.treatments),
            treatment_note: &self.treatment_note,
            response: &self.response,
            plan: &self.plan,
            note: &self.note,
            outcomes: serde_json::to_string(&self.outcomes)
                .map_err(|e| AppError::Internal(format!("visit outcomes: {e}")))?,
        })
    }

    /// Nothing recorded about the visit at all: not signed, to keep empty notes off the record.
    pub fn is_blank(&self) -> bool {
        self.subjective.is_empty()
            && self.objective.is_empty()
            && self.treatments.is_empty()
            && self.treatment_note.is_empty()
            && self.response.is_empty()
            && self.plan.is_empty()
            && self.note.is_empty()
            && self.pain_today.is_none()
            && self.outcomes.is_blank()
            && self.attendance.took_place()
    }
}

/// A visit note's form, validated, and whether its author signs it now.
#[derive(Debug, Clone)]
pub struct WrittenVisit {
    pub content: VisitContent,
    pub sign: bool,
    /// Consent to treatment recorded in the same submit, on a case that had none.
    pub consent: Option<NewConsent>,
    /// The zone the visit's time was typed in: its local day picks the programme version.
    pub zone: Zone,
}

/// A therapist writes a visit note on an open case, as a draft or signed at once, with
/// its audit events.
pub fn write(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    author: i64,
    written: &WrittenVisit,
) -> Result<i64, Refusal> {
    let case = cases::find(conn, case_id)?;
    if !case.is_open() {
        return Err(AppError::NotFound.into());
    }
    let version = version_on_day(conn, case_id, written.content.visited_at, written.zone)?;
    let now = Utc::now().naive_utc();
    let c = &written.content;
    let id = diesel::insert_into(visit_notes::table)
        .values((
            visit_notes::case_id.eq(case_id),
            visit_notes::author_id.eq(author),
            visit_notes::status.eq(VisitStatus::Draft.as_str()),
            c.columns()?,
            visit_notes::programme_version.eq(version),
            visit_notes::created_at.eq(now),
            visit_notes::updated_at.eq(now),
        ))
        .returning(visit_notes::id)
        .get_result(conn)?;
    audit::record(
        conn,
        who,
        Event::new(Action::VisitCreated)
            .entity("visit", id)
            .patient(case.patient_id)
            .detail(c.attendance.as_str()),
    )?;
    consent_for(conn, who, case_id, author, written)?;
    if written.sign {
        sign_with_events(conn, who, id, written.zone)?;
    }
    Ok(id)
}

/// The author saves changes to a draft (and signs it, if asked), with the audit events.
/// Refused as a conflict when it was signed in the meantime.
pub fn revise(
    conn: &mut DbConn,
    who: &Actor,
    id: i64,
    written: &WrittenVisit,
) -> Result<(), Refusal> {
    let current = find(conn, id)?;
    let case = cases::find(conn, current.case_id)?;
    let version = version_on_day(
        conn,
        current.case_id,
        written.content.visited_at,
        written.zone,
    )?;
    let c = &written.content;
    let changed = diesel::update(
        visit_notes::table
            .find(id)
            .filter(visit_notes::status.eq(VisitStatus::Draft.as_str())),
    )
    .set((
        c.columns()?,
        visit_notes::programme_version.eq(version),
        visit_notes::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Err(AppError::Conflict("signed while editing".into()).into());
    }
    audit::record(
        conn,
        who,
        Event::new(Action::VisitUpdated)
            .entity("visit", id)
            .patient(case.patient_id),
    )?;
    consent_for(conn, who, current.case_id, current.author_id, written)?;
    if written.sign {
        sign_with_events(conn, who, id, written.zone)?;
    }
    Ok(())
}

/// Records the consent a form carried, then, when it is to be signed, checks that the
/// case has consent to treatment.
fn consent_for(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    recorder: i64,
    written: &WrittenVisit,
) -> Result<(), Refusal> {
    if let Some(given) = &written.consent {
        consent::record(conn, who, case_id, recorder, given)?;
    }
    if written.sign {
        consent::require_treatment(conn, case_id)?;
    }
    Ok(())
}

/// Signs a draft: from then on it never changes. Today's pain becomes a pain score at the
/// visit's time, recorded as any therapist's score is (its own audit event).
fn sign_with_events(conn: &mut DbConn, who: &Actor, id: i64, zone: Zone) -> Result<(), Refusal> {
    let note = find(conn, id)?;
    if !note.status.is_draft() {
        return Ok(());
    }
    let case = cases::find(conn, note.case_id)?;
    let version = version_on_day(conn, note.case_id, note.visited_at, zone)?;
    let now = Utc::now().naive_utc();
    let changed = diesel::update(
        visit_notes::table
            .find(id)
            .filter(visit_notes::status.eq(VisitStatus::Draft.as_str())),
    )
    .set((
        visit_notes::status.eq(VisitStatus::Signed.as_str()),
        visit_notes::signed_at.eq(now),
        visit_notes::programme_version.eq(version),
        visit_notes::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Ok(());
    }
    outcomes::record_signed(
        conn,
        note.case_id,
        Source::Visit(id),
        note.visited_at,
        note.author_id,
        &note.outcomes()?,
    )?;
    audit::record(
        conn,
        who,
        Event::new(Action::VisitSigned)
            .entity("visit", id)
            .patient(case.patient_id),
    )?;
    if let (Some(score), true) = (note.pain_today, note.attendance.took_place()) {
        let stored = pain::insert_score(
            conn,
            &NewPainScore {
                case_id: note.case_id,
                score,
                context: "now",
                recorded_at: note.visited_at,
                recorded_by: note.author_id,
                recorder_role: "therapist",
                note: "",
                idempotency_key: &format!("visit-{id}"),
            },
        )?;
        if stored {
            audit::record(
                conn,
                who,
                Event::new(Action::PainRecorded)
                    .entity("case", note.case_id)
                    .patient(case.patient_id),
            )?;
        }
    }
    Ok(())
}

/// A therapist adds an addendum to a signed note, with its audit event. Refused for a
/// draft: a draft is edited instead.
pub fn add_addendum(
    conn: &mut DbConn,
    who: &Actor,
    visit_id: i64,
    author: i64,
    body: &str,
) -> Result<i64, Refusal> {
    let note = find(conn, visit_id)?;
    if !note.status.is_signed() {
        return Err(Refusal::rule(
            "body",
            "Addenda are for signed notes; edit the draft instead.",
        ));
    }
    let case = cases::find(conn, note.case_id)?;
    let id = diesel::insert_into(visit_addenda::table)
        .values((
            visit_addenda::visit_id.eq(visit_id),
            visit_addenda::author_id.eq(author),
            visit_addenda::body.eq(body),
            visit_addenda::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(visit_addenda::id)
        .get_result(conn)?;
    audit::record(
        conn,
        who,
        Event::new(Action::VisitAddendumAdded)
            .entity("visit_addendum", id)
            .patient(case.patient_id),
    )?;
    Ok(id)
}

/// Without audit events: for the demo's seeding, a note signed `signed_at`, its outcome
/// measures stored as signing stores them. The app writes through the use-cases above,
/// which record theirs.
pub(crate) fn insert_signed(
    conn: &mut DbConn,
    case_id: i64,
    author: i64,
    content: &VisitContent,
    signed_at: NaiveDateTime,
) -> Result<i64, AppError> {
    let c = content;
    let id = diesel::insert_into(visit_notes::table)
        .values((
            visit_notes::case_id.eq(case_id),
            visit_notes::author_id.eq(author),
            visit_notes::status.eq(VisitStatus::Signed.as_str()),
            c.columns()?,
            visit_notes::signed_at.eq(signed_at),
            visit_notes::created_at.eq(signed_at),
            visit_notes::updated_at.eq(signed_at),
        ))
        .returning(visit_notes::id)
        .get_result(conn)?;
    outcomes::record_signed(
        conn,
        case_id,
        Source::Visit(id),
        c.visited_at,
        author,
        &c.outcomes,
    )?;
    Ok(id)
}

/// The number of the newest programme version saved on the visit's local day, if any.
fn version_on_day(
    conn: &mut DbConn,
    case_id: i64,
    visited_at: NaiveDateTime,
    zone: Zone,
) -> QueryResult<Option<i32>> {
    let day = zone.day_of(visited_at);
    let from = zone.start_of_day(day);
    let to = day
        .succ_opt()
        .map(|next| zone.start_of_day(next))
        .unwrap_or(NaiveDateTime::MAX);
    programme_versions::table
        .filter(programme_versions::case_id.eq(case_id))
        .filter(programme_versions::created_at.ge(from))
        .filter(programme_versions::created_at.lt(to))
        .order(programme_versions::version.desc())
        .select(programme_versions::version)
        .first(conn)
        .optional()
}

/// A case's signed visit notes, oldest first (for the FHIR export).
pub fn signed_of_case(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<VisitRow>> {
    visit_notes::table
        .filter(visit_notes::case_id.eq(case_id))
        .filter(visit_notes::status.eq(VisitStatus::Signed.as_str()))
        .order((visit_notes::visited_at.asc(), visit_notes::id.asc()))
        .select(VisitRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<VisitRow> {
    visit_notes::table
        .find(id)
        .select(VisitRow::as_select())
        .first(conn)
}

pub struct VisitAddendum {
    pub author: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub fn addenda_of(conn: &mut DbConn, visit_id: i64) -> QueryResult<Vec<VisitAddendum>> {
    Ok(visit_addenda::table
        .inner_join(users::table.on(users::id.eq(visit_addenda::author_id)))
        .filter(visit_addenda::visit_id.eq(visit_id))
        .order((visit_addenda::created_at.asc(), visit_addenda::id.asc()))
        .select((
            users::display_name,
            visit_addenda::body,
            visit_addenda::created_at,
        ))
        .load::<(String, String, Stamp)>(conn)?
        .into_iter()
        .map(|(author, body, created_at)| VisitAddendum {
            author,
            body,
            created_at: created_at.0,
        })
        .collect())
}

/// An addendum to one of a case's visit notes, as the case timeline shows it.
pub struct VisitAddendumLine {
    pub visit_id: i64,
    pub at: NaiveDateTime,
    pub author: String,
    pub body: String,
}

/// Every addendum to a case's visit notes, newest first.
pub fn addenda_lines_of(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<VisitAddendumLine>> {
    let rows: Vec<(i64, Stamp, String, String)> = native!(conn, |c| visit_addenda::table
        .inner_join(visit_notes::table)
        .inner_join(users::table.on(users::id.eq(visit_addenda::author_id)))
        .filter(visit_notes::case_id.eq(case_id))
        .order((visit_addenda::created_at.desc(), visit_addenda::id.desc()))
        .select((
            visit_addenda::visit_id,
            visit_addenda::created_at,
            users::display_name,
            visit_addenda::body,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(visit_id, at, author, body)| VisitAddendumLine {
            visit_id,
            at: at.0,
            author,
            body,
        })
        .collect())
}

/// A visit note as the case timeline shows it.
pub struct VisitLine {
    pub id: i64,
    pub at: NaiveDateTime,
    pub attendance: Attendance,
    pub status: VisitStatus,
    pub author: String,
}

/// Every visit note of a case, newest first.
pub fn lines_of(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<VisitLine>> {
    let rows: Vec<(i64, Stamp, Attendance, VisitStatus, String)> =
        native!(conn, |c| visit_notes::table
            .inner_join(users::table.on(users::id.eq(visit_notes::author_id)))
            .filter(visit_notes::case_id.eq(case_id))
            .order((visit_notes::visited_at.desc(), visit_notes::id.desc()))
            .select((
                visit_notes::id,
                visit_notes::visited_at,
                visit_notes::attendance,
                visit_notes::status,
                users::display_name,
            ))
            .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(id, at, attendance, status, author)| VisitLine {
            id,
            at: at.0,
            attendance,
            status,
            author,
        })
        .collect())
}

/// Signed visits attended and missed (did not attend, cancelled late), as counted on a
/// case page and on the progress review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitCounts {
    pub attended: i64,
    pub missed: i64,
}

impl VisitCounts {
    fn add(&mut self, attendance: Attendance) {
        if attendance.took_place() {
            self.attended += 1;
        } else if attendance.missed() {
            self.missed += 1;
        }
    }
}

/// The counts of one case's signed notes (from `lines_of`).
pub fn counts(lines: &[VisitLine]) -> VisitCounts {
    let mut counts = VisitCounts::default();
    for line in lines.iter().filter(|l| l.status.is_signed()) {
        counts.add(line.attendance);
    }
    counts
}

/// Each author's counts of signed notes of visits between `from` and `to`.
pub fn counts_by_author(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<std::collections::BTreeMap<i64, VisitCounts>> {
    let rows: Vec<(i64, Attendance)> = visit_notes::table
        .filter(visit_notes::status.eq(VisitStatus::Signed.as_str()))
        .filter(visit_notes::visited_at.ge(from))
        .filter(visit_notes::visited_at.le(to))
        .select((visit_notes::author_id, visit_notes::attendance))
        .load(conn)?;
    let mut by_author = std::collections::BTreeMap::<i64, VisitCounts>::new();
    for (author, attendance) in rows {
        by_author.entry(author).or_default().add(attendance);
    }
    Ok(by_author)
}
