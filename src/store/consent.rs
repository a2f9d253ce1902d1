//! Consent on a case: to assessment and treatment, to the patient portal, and to sharing
//! with the GP. Kept as events that are never changed or removed (the database refuses
//! it); the latest event of a kind is where that consent stands. Nothing on a case is
//! signed while it has no current consent to treatment.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{consent_events, users};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::{cases, portal};

crate::store::stored::stored_text! {
    /// What a consent is to.
    pub enum ConsentKind {
        Treatment = "treatment",
        Portal = "portal",
        GpSharing = "gp-sharing",
    }
}

impl ConsentKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Treatment => "Assessment and treatment",
            Self::Portal => "The patient portal",
            Self::GpSharing => "Sharing with the GP",
        }
    }
}

crate::store::stored::stored_text! {
    /// Whether the event gives consent or withdraws it.
    pub enum ConsentDecision {
        Given = "given",
        Withdrawn = "withdrawn",
    }
}

impl ConsentDecision {
    pub fn label(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Withdrawn => "withdrawn",
        }
    }
}

crate::store::stored::stored_text! {
    /// How it was given or withdrawn.
    pub enum ConsentMethod {
        Verbal = "verbal",
        Written = "written",
    }
}

impl ConsentMethod {
    pub fn label(self) -> &'static str {
        match self {
            Self::Verbal => "verbal",
            Self::Written => "written",
        }
    }
}

crate::store::stored::stored_text! {
    /// Who gave or withdrew it: the patient, or someone on their behalf (named, with
    /// their relationship to the patient).
    pub enum GivenBy {
        Patient = "patient",
        Representative = "representative",
    }
}

/// One consent decision as a form validated it.
#[derive(Debug, Clone)]
pub struct NewConsent {
    pub kind: ConsentKind,
    pub decision: ConsentDecision,
    pub method: ConsentMethod,
    pub given_by: GivenBy,
    /// Who acted for the patient, and how they are related; empty when it was the patient.
    pub representative_name: String,
    pub representative_relationship: String,
    pub occurred_at: NaiveDateTime,
}

/// One recorded consent event, with the name of the staff member who recorded it.
#[derive(Debug, Clone)]
pub struct ConsentLine {
    pub id: i64,
    pub kind: ConsentKind,
    pub decision: ConsentDecision,
    pub method: ConsentMethod,
    pub given_by: GivenBy,
    pub representative_name: String,
    pub representative_relationship: String,
    pub occurred_at: NaiveDateTime,
    pub recorder: String,
    pub recorded_at: NaiveDateTime,
}

impl ConsentLine {
    /// "verbal, by the patient" or "written, by Ann Smith (daughter)".
    pub fn how(&self) -> String {
        match self.given_by {
            GivenBy::Patient => format!("{}, by the patient", self.method.label()),
            GivenBy::Representative if self.representative_relationship.is_empty() => {
                format!("{}, by {}", self.method.label(), self.representative_name)
            }
            GivenBy::Representative => format!(
                "{}, by {} ({})",
                self.method.label(),
                self.representative_name,
                self.representative_relationship
            ),
        }
    }

    pub fn is_given(&self) -> bool {
        self.decision == ConsentDecision::Given
    }
}

/// Why a record on a case without consent to treatment is not signed.
pub const NO_TREATMENT_CONSENT: &str = "This case has no consent to assessment and treatment recorded, so nothing on it can be signed. Record the consent here to sign in the same step, or save a draft.";
pub const TREATMENT_CONSENT_WITHDRAWN: &str = "Consent to assessment and treatment has been withdrawn on this case, so nothing on it can be signed until it is given again. Record the consent here to sign in the same step, or save a draft.";

/// A member of staff records consent given or withdrawn on a case, with its audit event.
pub fn record(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    recorded_by: i64,
    new: &NewConsent,
) -> Result<i64, Refusal> {
    let case = cases::find(conn, case_id)?;
    if case.status.is_entered_in_error() {
        return Err(AppError::NotFound.into());
    }
    let id = insert(conn, case_id, recorded_by, new, Utc::now().naive_utc())?;
    audit::record(
        conn,
        who,
        Event::new(Action::ConsentRecorded)
            .entity("consent", id)
            .patient(case.patient_id)
            .detail(format!("{} {}", new.kind.as_str(), new.decision.as_str())),
    )?;
    // Consent to the portal withdrawn: the patient's portal account is shut out at once
    // (signed out, links ended), in the same transaction, with its own audit event.
    if new.kind == ConsentKind::Portal
        && new.decision == ConsentDecision::Withdrawn
        && portal::has_access(conn, case.patient_id)?
    {
        portal::revoke_access(conn, who, case.patient_id)?;
    }
    Ok(id)
}

/// Without an audit event: for the demo's seeding. The app records through `record`.
pub(crate) fn insert(
    conn: &mut DbConn,
    case_id: i64,
    recorded_by: i64,
    new: &NewConsent,
    recorded_at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(consent_events::table)
        .values((
            consent_events::case_id.eq(case_id),
            consent_events::kind.eq(new.kind.as_str()),
            consent_events::decision.eq(new.decision.as_str()),
            consent_events::method.eq(new.method.as_str()),
            consent_events::given_by.eq(new.given_by.as_str()),
            consent_events::representative_name.eq(&new.representative_name),
            consent_events::representative_relationship.eq(&new.representative_relationship),
            consent_events::occurred_at.eq(new.occurred_at),
            consent_events::recorded_by.eq(recorded_by),
            consent_events::recorded_at.eq(recorded_at),
        ))
        .returning(consent_events::id)
        .get_result(conn)
}

type LineRow = (
    i64,
    ConsentKind,
    ConsentDecision,
    ConsentMethod,
    GivenBy,
    String,
    String,
    Stamp,
    String,
    Stamp,
);

/// Every consent event of a case, newest first (by when it happened, then as recorded).
pub fn history(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<ConsentLine>> {
    let rows: Vec<LineRow> = native!(conn, |c| consent_events::table
        .inner_join(users::table.on(users::id.eq(consent_events::recorded_by)))
        .filter(consent_events::case_id.eq(case_id))
        .order((
            consent_events::occurred_at.desc(),
            consent_events::id.desc(),
        ))
        .select((
            consent_events::id,
            consent_events::kind,
            consent_events::decision,
            consent_events::method,
            consent_events::given_by,
            consent_events::representative_name,
            consent_events::representative_relationship,
            consent_events::occurred_at,
            users::display_name,
            consent_events::recorded_at,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                kind,
                decision,
                method,
                given_by,
                representative_name,
                representative_relationship,
                occurred_at,
                recorder,
                recorded_at,
            )| ConsentLine {
                id,
                kind,
                decision,
                method,
                given_by,
                representative_name,
                representative_relationship,
                occurred_at: occurred_at.0,
                recorder,
                recorded_at: recorded_at.0,
            },
        )
        .collect())
}

/// Where each kind of consent stands: its latest event, if any (from `history`, newest first).
pub fn standing(history: &[ConsentLine]) -> Vec<(ConsentKind, Option<ConsentLine>)> {
    ConsentKind::ALL
        .iter()
        .map(|kind| (*kind, history.iter().find(|l| l.kind == *kind).cloned()))
        .collect()
}

/// The latest treatment-consent decision of a case, if any was recorded.
fn latest_treatment(conn: &mut DbConn, case_id: i64) -> QueryResult<Option<ConsentDecision>> {
    consent_events::table
        .filter(consent_events::case_id.eq(case_id))
        .filter(consent_events::kind.eq(ConsentKind::Treatment.as_str()))
        .order((
            consent_events::occurred_at.desc(),
            consent_events::id.desc(),
        ))
        .select(consent_events::decision)
        .first(conn)
        .optional()
}

/// Whether the case has consent to treatment now.
pub fn has_treatment_consent(conn: &mut DbConn, case_id: i64) -> QueryResult<bool> {
    Ok(latest_treatment(conn, case_id)? == Some(ConsentDecision::Given))
}

/// Why nothing on the case can be signed now, or `None` when its treatment consent stands.
pub fn treatment_consent_missing(
    conn: &mut DbConn,
    case_id: i64,
) -> QueryResult<Option<&'static str>> {
    Ok(match latest_treatment(conn, case_id)? {
        Some(ConsentDecision::Given) => None,
        Some(ConsentDecision::Withdrawn) => Some(TREATMENT_CONSENT_WITHDRAWN),
        None => Some(NO_TREATMENT_CONSENT),
    })
}

/// Refuses a signature on a case without current consent to treatment; the message
/// belongs beside the consent fields of the signing form.
pub fn require_treatment(conn: &mut DbConn, case_id: i64) -> Result<(), Refusal> {
    match treatment_consent_missing(conn, case_id)? {
        None => Ok(()),
        Some(why) => Err(Refusal::rule("consent_method", why)),
    }
}

/// Records consent given with a signature (when the form carried it), then checks that
/// the case may be signed. One transaction: both happen or neither.
pub fn before_signing(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    recorded_by: i64,
    consent: Option<&NewConsent>,
) -> Result<(), Refusal> {
    if let Some(consent) = consent {
        record(conn, who, case_id, recorded_by, consent)?;
    }
    require_treatment(conn, case_id)
}
