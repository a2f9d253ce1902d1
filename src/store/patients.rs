//! Patient storage. Search lives in `store::search`, which these writes keep in step.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{cases, patients, users};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::domain::text;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::search;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = patients)]
pub struct PatientRow {
    pub id: i64,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: Option<String>,
    pub phone: String,
    pub email: String,
    pub clinic_reference: Option<String>,
    pub primary_therapist_id: Option<i64>,
    pub notes: String,
    pub created_by: Option<i64>,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
}

impl PatientRow {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// Validated patient details from the form.
#[derive(Debug, Clone)]
pub struct PatientDetails {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: Option<String>,
    pub phone: String,
    pub email: String,
    pub clinic_reference: Option<String>,
    pub primary_therapist_id: Option<i64>,
    pub notes: String,
}

impl PatientDetails {
    /// What the search index is given for this patient.
    fn search_words(&self) -> String {
        search::words_of(
            &self.given_name,
            &self.family_name,
            self.clinic_reference.as_deref(),
        )
    }

    fn sort_name(&self) -> String {
        text::sort_name(&self.given_name, &self.family_name)
    }
}

pub fn reference_taken(
    conn: &mut DbConn,
    reference: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let mut query = patients::table
        .filter(patients::clinic_reference.eq(reference))
        .select(patients::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(patients::id.ne(id));
    }
    Ok(query.first::<i64>(conn).optional()?.is_some())
}

/// Without an audit event: for the demo's seeding. The app adds patients through
/// `register`, which records its event.
pub(crate) fn create(conn: &mut DbConn, details: &PatientDetails, author: i64) -> QueryResult<i64> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(patients::table)
        .values((
            patients::given_name.eq(&details.given_name),
            patients::family_name.eq(&details.family_name),
            patients::date_of_birth.eq(details.date_of_birth),
            patients::sex.eq(&details.sex),
            patients::phone.eq(&details.phone),
            patients::email.eq(&details.email),
            patients::clinic_reference.eq(&details.clinic_reference),
            patients::primary_therapist_id.eq(details.primary_therapist_id),
            patients::notes.eq(&details.notes),
            patients::created_by.eq(Some(author)),
            patients::created_at.eq(now),
            patients::updated_at.eq(now),
            patients::sort_name.eq(details.sort_name()),
            patients::search_words.eq(details.search_words()),
        ))
        .returning(patients::id)
        .get_result(conn)
}

fn update(conn: &mut DbConn, id: i64, details: &PatientDetails) -> QueryResult<()> {
    diesel::update(patients::table.find(id))
        .set((
            patients::given_name.eq(&details.given_name),
            patients::family_name.eq(&details.family_name),
            patients::date_of_birth.eq(details.date_of_birth),
            patients::sex.eq(&details.sex),
            patients::phone.eq(&details.phone),
            patients::email.eq(&details.email),
            patients::clinic_reference.eq(&details.clinic_reference),
            patients::primary_therapist_id.eq(details.primary_therapist_id),
            patients::notes.eq(&details.notes),
            patients::updated_at.eq(Utc::now().naive_utc()),
            patients::sort_name.eq(details.sort_name()),
            patients::search_words.eq(details.search_words()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<PatientRow> {
    native!(conn, |c| patients::table
        .find(id)
        .select(PatientRow::as_select())
        .first(c))
}

/// Therapists who can be a patient's primary therapist or hold a case.
pub fn therapists(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::role.eq_any(["therapist", "admin"]))
        .filter(users::active.eq(true))
        .order(users::display_name.asc())
        .select((users::id, users::display_name))
        .load(conn)
}

pub fn user_name(conn: &mut DbConn, id: i64) -> QueryResult<String> {
    native!(conn, |c| users::table
        .find(id)
        .select(users::display_name)
        .first(c))
}

/// A patient's cases, newest first, with what the patient page shows of each.
pub struct CaseLine {
    pub id: i64,
    pub title: String,
    pub status: crate::store::status::CaseStatus,
    pub therapist: String,
    pub created_at: NaiveDateTime,
    pub red_flags_pending: String,
}

pub fn cases_of(conn: &mut DbConn, patient_id: i64) -> QueryResult<Vec<CaseLine>> {
    Ok(cases::table
        .inner_join(users::table)
        .filter(cases::patient_id.eq(patient_id))
        .order((cases::created_at.desc(), cases::id.desc()))
        .select((
            cases::id,
            cases::title,
            cases::status,
            users::display_name,
            cases::created_at,
            cases::red_flags_pending,
        ))
        .load::<(
            i64,
            String,
            crate::store::status::CaseStatus,
            String,
            NaiveDateTime,
            String,
        )>(conn)?
        .into_iter()
        .map(
            |(id, title, status, therapist, created_at, red_flags_pending)| CaseLine {
                id,
                title,
                status,
                therapist,
                created_at,
                red_flags_pending,
            },
        )
        .collect())
}

const REFERENCE_TAKEN: &str = "Another patient already has this clinic reference.";

/// Adds a patient, with its audit event. Refused when another patient has the clinic
/// reference.
pub fn register(
    conn: &mut DbConn,
    who: &Actor,
    details: &PatientDetails,
    author: i64,
) -> Result<i64, Refusal> {
    if let Some(reference) = &details.clinic_reference
        && reference_taken(conn, reference, None)?
    {
        return Err(Refusal::rule("clinic_reference", REFERENCE_TAKEN));
    }
    let id = create(conn, details, author)?;
    audit::record(
        conn,
        who,
        Event::new(Action::PatientCreated)
            .entity("patient", id)
            .patient(id),
    )?;
    Ok(id)
}

/// Saves a patient's changed details, with its audit event. Refused when another patient
/// has the clinic reference.
pub fn amend(
    conn: &mut DbConn,
    who: &Actor,
    id: i64,
    details: &PatientDetails,
) -> Result<(), Refusal> {
    if let Some(reference) = &details.clinic_reference
        && reference_taken(conn, reference, Some(id))?
    {
        return Err(Refusal::rule("clinic_reference", REFERENCE_TAKEN));
    }
    update(conn, id, details)?;
    audit::record(
        conn,
        who,
        Event::new(Action::PatientUpdated)
            .entity("patient", id)
            .patient(id),
    )?;
    Ok(())
}
