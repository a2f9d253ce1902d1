//! Letters made from the record: a referral to the GP after a red flag, and a discharge
//! summary. A draft is composed from what the record says; its author may edit the
//! free-text paragraphs and then signs it. Signing stores the PDF as printed: a signed
//! letter never changes (the database refuses it) and every reprint is those bytes.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dates::{ShownDay, Zone};
use crate::db::schema::{assessments, cases, letters, red_flag_actions, users};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::domain::clinical::{
    AssessmentContent, DISCHARGE_OUTCOMES, Urgency, label_of, red_flag_label,
};
use crate::domain::outcomes::{PsfsChange, global_change_label};
use crate::domain::pain::{PainSummary, Trend};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::status::CaseStatus;
use crate::store::{outcomes, patients, programmes};

crate::store::stored::stored_text! {
    /// What a letter is for.
    pub enum LetterKind {
        GpReferral = "gp-referral",
        DischargeSummary = "discharge-summary",
    }
}

impl LetterKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::GpReferral => "Referral to the GP",
            Self::DischargeSummary => "Discharge summary",
        }
    }

    /// The button that starts one.
    pub fn action_label(self) -> &'static str {
        match self {
            Self::GpReferral => "Write a referral letter to the GP",
            Self::DischargeSummary => "Write a discharge summary",
        }
    }
}

crate::store::stored::stored_text! {
    /// A draft may be edited by its author; a signed letter never changes.
    pub enum LetterStatus {
        Draft = "draft",
        Signed = "signed",
    }
}

/// What the patient was told, as a referral's draft first says it.
fn advice_given(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Emergency => {
            "I have advised the patient to go to the emergency department now and have not \
             started treatment."
        }
        Urgency::Urgent => {
            "I have advised the patient to contact the practice to be seen today, and \
             not to start the exercises until they have been seen."
        }
        Urgency::Soon => {
            "I have advised the patient to book an appointment with you within the next week, \
             and to seek help sooner if their symptoms get worse."
        }
        Urgency::Routine => {
            "I have advised the patient to book a routine appointment with you, and to seek \
             help sooner if their symptoms change."
        }
    }
}

/// One paragraph of a letter. Paragraphs taken from the record as facts are fixed;
/// the others start from the record and the author may rewrite them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paragraph {
    pub heading: String,
    pub text: String,
    pub editable: bool,
}

/// A letter as stored, without its PDF.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = letters)]
pub struct LetterRow {
    pub id: i64,
    pub case_id: i64,
    pub kind: LetterKind,
    pub status: LetterStatus,
    pub urgency: Option<String>,
    pub recipient: String,
    pub body: String,
    pub author_id: i64,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
    pub signed_at: Option<NaiveDateTime>,
}

impl LetterRow {
    pub fn paragraphs(&self) -> Result<Vec<Paragraph>, AppError> {
        serde_json::from_str(&self.body)
            .map_err(|e| AppError::Internal(format!("letter {} body: {e}", self.id)))
    }

    pub fn urgency(&self) -> Option<Urgency> {
        self.urgency.as_deref().and_then(Urgency::parse)
    }

    pub fn is_signed(&self) -> bool {
        self.status == LetterStatus::Signed
    }
}

/// Who signs: the name, profession and registration number printed under the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Signatory {
    pub name: String,
    pub profession: String,
    pub registration_number: String,
}

pub fn signatory(conn: &mut DbConn, user_id: i64) -> QueryResult<Signatory> {
    let (name, profession, registration_number) = users::table
        .find(user_id)
        .select((
            users::display_name,
            users::profession,
            users::registration_number,
        ))
        .first::<(String, String, String)>(conn)?;
    Ok(Signatory {
        name,
        profession,
        registration_number,
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<LetterRow> {
    native!(conn, |c| letters::table
        .find(id)
        .select(LetterRow::as_select())
        .first(c))
}

/// A letter as the case page lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = letters)]
pub struct LetterLine {
    pub id: i64,
    pub kind: LetterKind,
    pub status: LetterStatus,
    pub urgency: Option<String>,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    pub signed_at: Option<NaiveDateTime>,
}

impl LetterLine {
    pub fn is_signed(&self) -> bool {
        self.status == LetterStatus::Signed
    }

    pub fn urgency_label(&self) -> &'static str {
        self.urgency
            .as_deref()
            .and_then(Urgency::parse)
            .map_or("", Urgency::label)
    }
}

/// A case's letters for its page, newest first.
pub fn lines_of_case(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<LetterLine>> {
    native!(conn, |c| letters::table
        .filter(letters::case_id.eq(case_id))
        .order(letters::id.desc())
        .select(LetterLine::as_select())
        .load(c))
}

/// Which letters the record allows now: a referral once a red flag was acted on as
/// "referred", a discharge summary once the case is discharged.
pub fn offered(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<LetterKind>> {
    let case = crate::store::cases::find(conn, case_id)?;
    let mut kinds = Vec::new();
    if latest_referral(conn, case_id)?.is_some() {
        kinds.push(LetterKind::GpReferral);
    }
    if case.status == CaseStatus::Discharged {
        kinds.push(LetterKind::DischargeSummary);
    }
    Ok(kinds)
}

/// The case's latest "referred" action: its red flags, when, and the urgency recorded.
pub struct Referral {
    pub flags: Vec<String>,
    pub at: NaiveDateTime,
    pub urgency: Option<Urgency>,
}

pub fn latest_referral(conn: &mut DbConn, case_id: i64) -> QueryResult<Option<Referral>> {
    let row: Option<(String, Stamp, Option<String>)> = native!(conn, |c| red_flag_actions::table
        .filter(red_flag_actions::case_id.eq(case_id))
        .filter(red_flag_actions::action.eq("referred"))
        .order(red_flag_actions::id.desc())
        .select((
            red_flag_actions::flags,
            red_flag_actions::recorded_at,
            red_flag_actions::urgency,
        ))
        .first(c)
        .optional())?;
    Ok(row.map(|(flags, Stamp(at), urgency)| Referral {
        flags: flags
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        at,
        urgency: urgency.as_deref().and_then(Urgency::parse),
    }))
}

/// The case's signed assessments in the order they were made: (kind, when, content).
fn signed_assessments(
    conn: &mut DbConn,
    case_id: i64,
) -> Result<Vec<(String, NaiveDateTime, AssessmentContent)>, AppError> {
    let rows: Vec<(String, Stamp, String)> = native!(conn, |c| assessments::table
        .filter(assessments::case_id.eq(case_id))
        .filter(assessments::status.eq("signed"))
        .order((assessments::assessed_at.asc(), assessments::id.asc()))
        .select((
            assessments::kind,
            assessments::assessed_at,
            assessments::content,
        ))
        .load(c))?;
    rows.into_iter()
        .map(|(kind, Stamp(at), content)| {
            let content: AssessmentContent = serde_json::from_str(&content)
                .map_err(|e| AppError::Internal(format!("assessment content: {e}")))?;
            Ok((kind, at, content))
        })
        .collect()
}

fn reviewed(times: usize) -> String {
    match times {
        0 => "not reviewed in between".to_owned(),
        1 => "reviewed once".to_owned(),
        n => format!("reviewed {n} times"),
    }
}

fn pain_u8(score: i32) -> u8 {
    u8::try_from(score.clamp(0, 10)).unwrap_or(0)
}

fn fixed(heading: &str, text: String) -> Paragraph {
    Paragraph {
        heading: heading.to_owned(),
        text,
        editable: false,
    }
}

fn editable(heading: &str, text: String) -> Paragraph {
    Paragraph {
        heading: heading.to_owned(),
        text,
        editable: true,
    }
}

const NO_GP: &str = "A letter needs the patient's GP and the practice's address: add them to \
                     the patient's details first.";

/// The recipient's address block from the patient's details; refused when there is none.
fn recipient(contact: &patients::ContactDetails) -> Result<String, Refusal> {
    if (contact.gp_name.trim().is_empty() && contact.gp_practice.trim().is_empty())
        || contact.gp_address.trim().is_empty()
    {
        return Err(Refusal::rule("kind", NO_GP));
    }
    Ok([
        contact.gp_name.trim(),
        contact.gp_practice.trim(),
        contact.gp_address.trim(),
    ]
    .into_iter()
    .filter(|line| !line.is_empty())
    .collect::<Vec<_>>()
    .join("\n"))
}

/// Composes a letter's paragraphs from the record, in the clinic's zone.
fn compose(
    conn: &mut DbConn,
    case_id: i64,
    kind: LetterKind,
    urgency: Option<Urgency>,
    zone: Zone,
) -> Result<Vec<Paragraph>, Refusal> {
    let case = crate::store::cases::find(conn, case_id)?;
    let assessed = signed_assessments(conn, case_id)?;
    let day = |at: NaiveDateTime| zone.day_of(at).to_day().to_string();
    let latest = assessed.last();
    match kind {
        LetterKind::GpReferral => {
            let Some(urgency) = urgency else {
                return Err(Refusal::rule(
                    "urgency",
                    "Choose how urgent the referral is.",
                ));
            };
            let Some(Referral {
                flags,
                at: acted_at,
                ..
            }) = latest_referral(conn, case_id)?
            else {
                return Err(Refusal::rule(
                    "kind",
                    "A referral letter follows a red flag recorded as referred; this case has none.",
                ));
            };
            let answers: Vec<&str> = flags.iter().map(|f| red_flag_label(f)).collect();
            let mut findings = Vec::new();
            if let Some((_, at, content)) = latest {
                findings.push(format!("Seen on {}.", day(*at)));
                if !content.presenting_complaint.trim().is_empty() {
                    findings.push(content.presenting_complaint.trim().to_owned());
                }
                if !content.neuro_screen.trim().is_empty() {
                    findings.push(format!(
                        "Neurological screen: {}",
                        content.neuro_screen.trim()
                    ));
                }
                if !content.impression.trim().is_empty() {
                    findings.push(format!("Impression: {}", content.impression.trim()));
                }
            }
            Ok(vec![
                fixed("Urgency", urgency.label().to_owned()),
                fixed(
                    "Why I am referring",
                    format!(
                        "Signs of a possibly serious condition, recorded on {}: {}.",
                        day(acted_at),
                        answers.join("; "),
                    ),
                ),
                editable("Relevant findings", findings.join("\n")),
                editable(
                    "What the patient was told",
                    advice_given(urgency).to_owned(),
                ),
                editable(
                    "Request",
                    "I would be grateful if you would assess the patient. I will not continue \
                     physiotherapy until I hear that it is safe to do so."
                        .to_owned(),
                ),
            ])
        }
        LetterKind::DischargeSummary => {
            if case.status != CaseStatus::Discharged {
                return Err(Refusal::rule(
                    "kind",
                    "A discharge summary is written once the case is discharged.",
                ));
            }
            let first = assessed.first();
            let discharge = assessed
                .iter()
                .rev()
                .find(|(kind, _, _)| kind == "discharge");
            let reviews = assessed
                .iter()
                .filter(|(kind, _, _)| kind == "review")
                .count();
            let mut reason = case.title.clone();
            if let Some((_, _, content)) = first
                && !content.presenting_complaint.trim().is_empty()
            {
                reason = format!("{reason}. {}", content.presenting_complaint.trim());
            }
            let visits =
                crate::store::visits::counts(&crate::store::visits::lines_of(conn, case_id)?);
            let seen = match (visits.attended, visits.missed) {
                (0, 0) => String::new(),
                (attended, missed) => format!(
                    " Visits attended: {attended}; not attended (did not attend or cancelled \
                     late): {missed}."
                ),
            };
            let attendance = match (first, discharge) {
                (Some((_, from, _)), Some((_, to, _))) => format!(
                    "Assessed on {}, {}, discharged on {}.",
                    day(*from),
                    reviewed(reviews),
                    day(*to)
                ),
                _ => format!("{}.", reviewed(reviews)),
            } + &seen;
            // The case keeps its first score and the newest one in the same context (like
            // with like); the change and its label come from those two.
            let pain_text = match (case.pain_baseline, case.pain_latest) {
                (Some(from), Some(to))
                    if Trend::from_key(&case.pain_trend) != Trend::NotEnoughData =>
                {
                    let (from, to) = (pain_u8(from), pain_u8(to));
                    let summary = PainSummary::from_scores(&[
                        (case.created_at, from),
                        (
                            case.updated_at.max(case.created_at) + chrono::Duration::seconds(1),
                            to,
                        ),
                    ]);
                    format!(
                        "Pain (0–10) from {from} at the start to {to} at discharge: {}, {}.",
                        summary.change_text(),
                        summary.label()
                    )
                }
                _ => "Too few pain scores to compare.".to_owned(),
            };
            // PSFS means of every signed assessment and visit note, and the last rating.
            let measured = outcomes::of_case(conn, case_id)?;
            let psfs = outcomes::psfs_means(&measured);
            let mut function = match (psfs.first(), psfs.last()) {
                (Some((from_at, from)), Some((to_at, to))) if psfs.len() >= 2 => format!(
                    "Patient-Specific Functional Scale (mean, 0–10) from {from:.1} on {} to \
                     {to:.1} on {}: {}.",
                    day(*from_at),
                    day(*to_at),
                    PsfsChange::of_mean(*from, *to).label()
                ),
                _ => "Function was measured fewer than twice.".to_owned(),
            };
            if let Some(rating) = measured
                .iter()
                .rev()
                .find(|m| m.measure == outcomes::Measure::GlobalChange)
            {
                function.push_str(&format!(
                    " The patient's global rating of change on {}: {:+} ({}).",
                    day(rating.measured_at),
                    rating.value,
                    global_change_label(rating.value)
                ));
            }
            let programme = match programmes::current(conn, case_id)? {
                Some(version) => version
                    .items
                    .iter()
                    .map(|item| format!("{}: {}", item.exercise_name, item.dosage.plain_words()))
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => "No home programme was issued.".to_owned(),
            };
            let outcome = case
                .discharge_outcome
                .as_deref()
                .map(|key| label_of(DISCHARGE_OUTCOMES, key))
                .unwrap_or("Discharged");
            let advice = discharge
                .map(|(_, _, content)| content.plan.trim().to_owned())
                .unwrap_or_default();
            Ok(vec![
                fixed("Reason for referral", reason),
                editable(
                    "Impression",
                    discharge
                        .or(latest)
                        .map(|(_, _, content)| content.impression.trim().to_owned())
                        .unwrap_or_default(),
                ),
                fixed("Attendance", attendance),
                fixed("Pain", pain_text),
                fixed("Function", function),
                fixed("Home programme at discharge", programme),
                editable(
                    "Outcome and advice",
                    if advice.is_empty() {
                        format!("{outcome}.")
                    } else {
                        format!("{outcome}. {advice}")
                    },
                ),
            ])
        }
    }
}

fn to_json(paragraphs: &[Paragraph]) -> Result<String, AppError> {
    serde_json::to_string(paragraphs).map_err(|e| AppError::Internal(format!("letter: {e}")))
}

/// Makes a draft letter from the record, with its audit event. Refused when the record
/// does not allow the letter yet or the patient has no GP to address it to.
pub fn draft(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    kind: LetterKind,
    urgency: Option<Urgency>,
    author: i64,
    zone: Zone,
) -> Result<i64, Refusal> {
    let case = crate::store::cases::find(conn, case_id)?;
    let patient = patients::find(conn, case.patient_id)?;
    let recipient = recipient(&patient.contact)?;
    let paragraphs = compose(conn, case_id, kind, urgency, zone)?;
    let now = Utc::now().naive_utc();
    let id: i64 = diesel::insert_into(letters::table)
        .values((
            letters::case_id.eq(case_id),
            letters::kind.eq(kind.as_str()),
            letters::status.eq(LetterStatus::Draft.as_str()),
            letters::urgency.eq(urgency.map(Urgency::as_str)),
            letters::recipient.eq(&recipient),
            letters::body.eq(to_json(&paragraphs)?),
            letters::author_id.eq(author),
            letters::created_at.eq(now),
            letters::updated_at.eq(now),
        ))
        .returning(letters::id)
        .get_result(conn)?;
    audit::record(
        conn,
        who,
        Event::new(Action::LetterDrafted)
            .entity("letter", id)
            .patient(case.patient_id)
            .detail(kind.as_str()),
    )?;
    Ok(id)
}

/// A draft that its author may still change; refused otherwise.
fn author_draft(conn: &mut DbConn, id: i64, author: i64) -> Result<LetterRow, Refusal> {
    let letter = find(conn, id)?;
    if letter.is_signed() {
        return Err(Refusal::rule(
            "letter",
            "This letter is signed and cannot change.",
        ));
    }
    if letter.author_id != author {
        return Err(Refusal::rule(
            "letter",
            "Only the therapist who drafted this letter may change or sign it.",
        ));
    }
    Ok(letter)
}

/// Saves the author's wording of the editable paragraphs (in order), with its audit event.
pub fn revise(
    conn: &mut DbConn,
    who: &Actor,
    id: i64,
    author: i64,
    texts: &[String],
) -> Result<(), Refusal> {
    let letter = author_draft(conn, id, author)?;
    let mut paragraphs = letter.paragraphs()?;
    let mut texts = texts.iter();
    for paragraph in paragraphs.iter_mut().filter(|p| p.editable) {
        paragraph.text = texts.next().cloned().unwrap_or_default();
    }
    diesel::update(letters::table.find(id))
        .set((
            letters::body.eq(to_json(&paragraphs)?),
            letters::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    let patient_id = crate::store::cases::find(conn, letter.case_id)?.patient_id;
    audit::record(
        conn,
        who,
        Event::new(Action::LetterUpdated)
            .entity("letter", id)
            .patient(patient_id),
    )?;
    Ok(())
}

const NO_SIGNATURE: &str = "A signed letter prints your profession and registration number: \
                            add them under Signature (at the top of the page) first.";

/// The author's letter and signature block, ready to be printed for signing; refused when
/// it may not be signed by them or their signature block is incomplete.
pub fn for_signing(
    conn: &mut DbConn,
    id: i64,
    author: i64,
) -> Result<(LetterRow, Signatory), Refusal> {
    let letter = author_draft(conn, id, author)?;
    let signatory = signatory(conn, author)?;
    if signatory.profession.trim().is_empty() || signatory.registration_number.trim().is_empty() {
        return Err(Refusal::rule("letter", NO_SIGNATURE));
    }
    Ok((letter, signatory))
}

/// Signs a draft and keeps `pdf` (the letter as printed for `read`, the draft as it was
/// read) as the letter for good, with its audit event. Refused when the draft changed
/// since it was read.
pub fn sign(
    conn: &mut DbConn,
    who: &Actor,
    read: &LetterRow,
    author: i64,
    signed_at: NaiveDateTime,
    pdf: &[u8],
) -> Result<(), Refusal> {
    let letter = author_draft(conn, read.id, author)?;
    if letter.updated_at != read.updated_at || letter.body != read.body {
        return Err(Refusal::rule(
            "letter",
            "The letter changed while you were signing it: read it again, then sign.",
        ));
    }
    diesel::update(letters::table.find(read.id))
        .set((
            letters::status.eq(LetterStatus::Signed.as_str()),
            letters::signed_at.eq(Some(signed_at)),
            letters::updated_at.eq(signed_at),
            letters::pdf.eq(Some(pdf)),
        ))
        .execute(conn)?;
    let patient_id = crate::store::cases::find(conn, letter.case_id)?.patient_id;
    audit::record(
        conn,
        who,
        Event::new(Action::LetterSigned)
            .entity("letter", read.id)
            .patient(patient_id)
            .detail(letter.kind.as_str()),
    )?;
    Ok(())
}

/// A signed letter's PDF as it was signed; `None` for a draft.
pub fn signed_pdf(conn: &mut DbConn, id: i64) -> QueryResult<Option<Vec<u8>>> {
    letters::table
        .find(id)
        .select(letters::pdf)
        .first::<Option<Vec<u8>>>(conn)
}

/// The case a letter belongs to and its patient, for guards and audit events.
pub fn owner(conn: &mut DbConn, id: i64) -> QueryResult<(i64, i64)> {
    letters::table
        .inner_join(cases::table)
        .filter(letters::id.eq(id))
        .select((cases::id, cases::patient_id))
        .first(conn)
}
