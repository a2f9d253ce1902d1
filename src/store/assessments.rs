//! Assessments: drafts, signing, addenda, and the pain scores they record.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{addenda, assessments, pain_scores, users};
use crate::domain::clinical::{AssessmentContent, AssessmentKind};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::cases;
use crate::store::consent::{self, NewConsent};
use crate::store::outcomes::{self, Source};
pub use crate::store::status::AssessmentStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assessments)]
pub struct AssessmentRow {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub status: AssessmentStatus,
    pub author_id: i64,
    pub assessed_at: NaiveDateTime,
    pub content: String,
    pub signed_at: Option<NaiveDateTime>,
    pub error_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AssessmentRow {
    pub fn content(&self) -> Result<AssessmentContent, AppError> {
        serde_json::from_str(&self.content)
            .map_err(|e| AppError::Internal(format!("assessment content: {e}")))
    }

    pub fn is_draft(&self) -> bool {
        self.status.is_draft()
    }

    pub fn kind(&self) -> AssessmentKind {
        AssessmentKind::parse(&self.kind).unwrap_or(AssessmentKind::Review)
    }
}

fn to_json(content: &AssessmentContent) -> Result<String, AppError> {
    serde_json::to_string(content)
        .map_err(|e| AppError::Internal(format!("assessment content: {e}")))
}

/// An assessment's form, validated: when it was made, what it found, and whether its
/// author signs it now.
#[derive(Clone)]
pub struct Written {
    pub assessed_at: NaiveDateTime,
    pub content: AssessmentContent,
    pub sign: bool,
    /// Consent to treatment recorded in the same submit, on a case that had none.
    pub consent: Option<NewConsent>,
}

/// Records the consent a form carried, then, when it is to be signed, checks that the
/// case has consent to treatment: in the one transaction, so neither happens alone.
fn consent_for(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    recorder: i64,
    written: &Written,
) -> Result<(), Refusal> {
    if let Some(given) = &written.consent {
        consent::record(conn, who, case_id, recorder, given)?;
    }
    if written.sign {
        consent::require_treatment(conn, case_id)?;
    }
    Ok(())
}

/// A therapist writes a new assessment on a case, as a draft or signed at once, with its
/// audit events; the case's pending red flags follow its answers. Signing is refused
/// while the case has no consent to treatment.
pub fn write(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    kind: AssessmentKind,
    author: i64,
    written: &Written,
) -> Result<i64, Refusal> {
    let case = cases::find(conn, case_id)?;
    if written.sign {
        screen_complete(kind, &written.content)?;
    }
    let id = insert(
        conn,
        case_id,
        kind,
        author,
        written.assessed_at,
        &written.content,
    )?;
    audit::record(
        conn,
        who,
        Event::new(Action::AssessmentCreated)
            .entity("assessment", id)
            .patient(case.patient_id)
            .detail(kind.as_str()),
    )?;
    consent_for(conn, who, case_id, author, written)?;
    if written.sign {
        sign_with_event(conn, who, id, case.patient_id)?;
    }
    cases::refresh_red_flags(conn, case_id)?;
    Ok(id)
}

/// The author saves changes to a draft (and signs it, if asked), with the audit events.
/// Refused as a conflict when it was signed in the meantime.
pub fn revise(conn: &mut DbConn, who: &Actor, id: i64, written: &Written) -> Result<(), Refusal> {
    let current = find(conn, id)?;
    let case = cases::find(conn, current.case_id)?;
    if written.sign {
        screen_complete(current.kind(), &written.content)?;
    }
    if !update_draft(conn, &current, written.assessed_at, &written.content)? {
        return Err(AppError::Conflict("signed while editing".into()).into());
    }
    audit::record(
        conn,
        who,
        Event::new(Action::AssessmentUpdated)
            .entity("assessment", id)
            .patient(case.patient_id),
    )?;
    consent_for(conn, who, current.case_id, current.author_id, written)?;
    if written.sign {
        sign_with_event(conn, who, id, case.patient_id)?;
    }
    cases::refresh_red_flags(conn, current.case_id)?;
    Ok(())
}

/// The author signs a draft, with its audit event; from then on it never changes.
/// Signing a signed assessment again changes nothing. Refused while the case has no
/// consent to treatment.
pub fn sign(conn: &mut DbConn, who: &Actor, id: i64) -> Result<(), Refusal> {
    let current = find(conn, id)?;
    let case = cases::find(conn, current.case_id)?;
    if current.is_draft() {
        consent::require_treatment(conn, current.case_id)?;
    }
    screen_complete(current.kind(), &current.content()?)?;
    sign_with_event(conn, who, id, case.patient_id)?;
    Ok(())
}

/// An initial assessment is signed only with every red-flag question answered: a
/// question left "not asked" is refused, naming it.
pub fn screen_complete(kind: AssessmentKind, content: &AssessmentContent) -> Result<(), Refusal> {
    if kind != AssessmentKind::Initial {
        return Ok(());
    }
    let unanswered = content.unanswered_screen();
    if unanswered.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = unanswered.iter().map(|(_, label)| *label).collect();
    Err(Refusal::rule(
        "red_flags",
        format!(
            "Answer every red-flag question yes or no before signing an initial assessment. Not asked: {}.",
            names.join("; ")
        ),
    ))
}

fn sign_with_event(
    conn: &mut DbConn,
    who: &Actor,
    id: i64,
    patient_id: i64,
) -> Result<(), AppError> {
    if mark_signed(conn, id)? {
        audit::record(
            conn,
            who,
            Event::new(Action::AssessmentSigned)
                .entity("assessment", id)
                .patient(patient_id),
        )?;
    }
    Ok(())
}

/// A therapist adds an addendum to a signed assessment, with its audit event. Refused
/// for a draft: a draft is edited instead.
pub fn add_addendum(
    conn: &mut DbConn,
    who: &Actor,
    assessment_id: i64,
    author: i64,
    body: &str,
) -> Result<i64, Refusal> {
    let assessment = find(conn, assessment_id)?;
    if !assessment.status.is_signed() {
        return Err(Refusal::rule(
            "body",
            "Addenda are for signed assessments; edit the draft instead.",
        ));
    }
    let case = cases::find(conn, assessment.case_id)?;
    let id = insert_addendum(conn, assessment_id, author, body)?;
    audit::record(
        conn,
        who,
        Event::new(Action::AssessmentAddendumAdded)
            .entity("addendum", id)
            .patient(case.patient_id),
    )?;
    Ok(id)
}

/// Without an audit event: for the demo's seeding. The app writes through the use-cases
/// above, which record theirs.
pub(crate) fn insert(
    conn: &mut DbConn,
    case_id: i64,
    kind: AssessmentKind,
    author: i64,
    assessed_at: NaiveDateTime,
    content: &AssessmentContent,
) -> Result<i64, AppError> {
    let now = Utc::now().naive_utc();
    let id = diesel::insert_into(assessments::table)
        .values((
            assessments::case_id.eq(case_id),
            assessments::kind.eq(kind.as_str()),
            assessments::status.eq(AssessmentStatus::Draft.as_str()),
            assessments::author_id.eq(author),
            assessments::assessed_at.eq(assessed_at),
            assessments::content.eq(to_json(content)?),
            assessments::created_at.eq(now),
            assessments::updated_at.eq(now),
        ))
        .returning(assessments::id)
        .get_result(conn)?;
    replace_pain_scores(conn, id, case_id, author, assessed_at, content)?;
    Ok(id)
}

/// For a new initial assessment, when the case's existing one was made: a case has one.
pub fn initial_in_the_way(
    conn: &mut DbConn,
    case_id: i64,
    kind: AssessmentKind,
) -> QueryResult<Option<NaiveDateTime>> {
    match kind {
        AssessmentKind::Initial => initial_assessed_at(conn, case_id),
        _ => Ok(None),
    }
}

/// When the case's initial assessment (draft or signed, not entered in error) was made,
/// if it has one: an episode of care has one initial assessment, then reviews.
pub fn initial_assessed_at(conn: &mut DbConn, case_id: i64) -> QueryResult<Option<NaiveDateTime>> {
    assessments::table
        .filter(assessments::case_id.eq(case_id))
        .filter(assessments::kind.eq(AssessmentKind::Initial.as_str()))
        .filter(assessments::status.ne(AssessmentStatus::EnteredInError.as_str()))
        .order(assessments::assessed_at.asc())
        .select(assessments::assessed_at)
        .first(conn)
        .optional()
}

/// Updates a draft. Returns false (and changes nothing) if it is no longer a draft.
fn update_draft(
    conn: &mut DbConn,
    row: &AssessmentRow,
    assessed_at: NaiveDateTime,
    content: &AssessmentContent,
) -> Result<bool, AppError> {
    let changed = diesel::update(
        assessments::table
            .find(row.id)
            .filter(assessments::status.eq(AssessmentStatus::Draft.as_str())),
    )
    .set((
        assessments::assessed_at.eq(assessed_at),
        assessments::content.eq(to_json(content)?),
        assessments::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(conn)?;
    if changed == 1 {
        replace_pain_scores(
            conn,
            row.id,
            row.case_id,
            row.author_id,
            assessed_at,
            content,
        )?;
    }
    Ok(changed == 1)
}

/// The pain now / best / worst of an assessment are also pain scores on the case.
fn replace_pain_scores(
    conn: &mut DbConn,
    assessment_id: i64,
    case_id: i64,
    author: i64,
    assessed_at: NaiveDateTime,
    content: &AssessmentContent,
) -> QueryResult<()> {
    diesel::delete(pain_scores::table.filter(pain_scores::assessment_id.eq(assessment_id)))
        .execute(conn)?;
    let now = Utc::now().naive_utc();
    for (value, context) in [
        (content.pain_now, "now"),
        (content.pain_best, "best"),
        (content.pain_worst, "worst-24h"),
    ] {
        if let Some(score) = value {
            diesel::insert_into(pain_scores::table)
                .values((
                    pain_scores::case_id.eq(case_id),
                    pain_scores::score.eq(score),
                    pain_scores::context.eq(context),
                    pain_scores::recorded_at.eq(assessed_at),
                    pain_scores::recorded_by.eq(author),
                    pain_scores::recorder_role.eq("therapist"),
                    pain_scores::assessment_id.eq(Some(assessment_id)),
                    pain_scores::note.eq(""),
                    pain_scores::created_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    crate::store::pain::refresh_summary(conn, case_id)
}

/// Without an audit event: for the demo's seeding. The app writes through the use-cases
/// above, which record theirs.
pub(crate) fn mark_signed(conn: &mut DbConn, id: i64) -> Result<bool, AppError> {
    mark_signed_at(conn, id, Utc::now().naive_utc())
}

/// Signs a draft as at `now` (the demo signs its records a little after each visit); its
/// outcome measures become the case's measurements in the same transaction.
pub(crate) fn mark_signed_at(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let changed = diesel::update(
        assessments::table
            .find(id)
            .filter(assessments::status.eq(AssessmentStatus::Draft.as_str())),
    )
    .set((
        assessments::status.eq(AssessmentStatus::Signed.as_str()),
        assessments::signed_at.eq(now),
        assessments::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 1 {
        let signed = find(conn, id)?;
        outcomes::record_signed(
            conn,
            signed.case_id,
            Source::Assessment(id),
            signed.assessed_at,
            signed.author_id,
            &signed.content()?.outcomes,
        )?;
    }
    Ok(changed == 1)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<AssessmentRow> {
    assessments::table
        .find(id)
        .select(AssessmentRow::as_select())
        .first(conn)
}

fn insert_addendum(
    conn: &mut DbConn,
    assessment_id: i64,
    author: i64,
    body: &str,
) -> QueryResult<i64> {
    diesel::insert_into(addenda::table)
        .values((
            addenda::assessment_id.eq(assessment_id),
            addenda::author_id.eq(author),
            addenda::body.eq(body),
            addenda::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(addenda::id)
        .get_result(conn)
}

pub struct Addendum {
    pub author: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub fn addenda_of(conn: &mut DbConn, assessment_id: i64) -> QueryResult<Vec<Addendum>> {
    Ok(addenda::table
        .inner_join(users::table.on(users::id.eq(addenda::author_id)))
        .filter(addenda::assessment_id.eq(assessment_id))
        .order((addenda::created_at.asc(), addenda::id.asc()))
        .select((users::display_name, addenda::body, addenda::created_at))
        .load::<(String, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(author, body, created_at)| Addendum {
            author,
            body,
            created_at,
        })
        .collect())
}
