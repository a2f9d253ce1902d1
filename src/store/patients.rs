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
    #[diesel(embed)]
    pub contact: ContactDetails,
}

crate::store::stored::stored_text! {
    /// How the patient wants the clinic to reach them.
    pub enum ContactBy {
        NoPreference = "no-preference",
        Phone = "phone",
        TextMessage = "text-message",
        Email = "email",
        Post = "post",
    }
}

impl ContactBy {
    pub fn label(self) -> &'static str {
        match self {
            Self::NoPreference => "No preference",
            Self::Phone => "Phone call",
            Self::TextMessage => "Text message",
            Self::Email => "Email",
            Self::Post => "Letter by post",
        }
    }
}

/// Address, GP, emergency contact, language and contact preference: all optional, empty
/// when not known. Letters to the GP read them.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = patients)]
pub struct ContactDetails {
    pub address: String,
    pub preferred_language: String,
    pub contact_by: ContactBy,
    pub gp_name: String,
    pub gp_practice: String,
    pub gp_address: String,
    pub gp_phone: String,
    pub gp_email: String,
    pub emergency_name: String,
    pub emergency_relationship: String,
    pub emergency_phone: String,
}

impl Default for ContactDetails {
    fn default() -> Self {
        Self {
            address: String::new(),
            preferred_language: String::new(),
            contact_by: ContactBy::NoPreference,
            gp_name: String::new(),
            gp_practice: String::new(),
            gp_address: String::new(),
            gp_phone: String::new(),
            gp_email: String::new(),
            emergency_name: String::new(),
            emergency_relationship: String::new(),
            emergency_phone: String::new(),
        }
    }
}

impl ContactDetails {
    fn columns(&self) -> ContactColumns<'_> {
        ContactColumns {
            address: &self.address,
            preferred_language: &self.preferred_language,
            contact_by: self.contact_by.as_str(),
            gp_name: &self.gp_name,
            gp_practice: &self.gp_practice,
            gp_address: &self.gp_address,
            gp_phone: &self.gp_phone,
            gp_email: &self.gp_email,
            emergency_name: &self.emergency_name,
            emergency_relationship: &self.emergency_relationship,
            emergency_phone: &self.emergency_phone,
        }
    }
}

/// The same details as written: one list of columns for adding and for amending.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = patients)]
struct ContactColumns<'a> {
    address: &'a str,
    preferred_language: &'a str,
    contact_by: &'static str,
    gp_name: &'a str,
    gp_practice: &'a str,
    gp_address: &'a str,
    gp_phone: &'a str,
    gp_email: &'a str,
    emergency_name: &'a str,
    emergency_relationship: &'a str,
    emergency_phone: &'a str,
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
    pub contact: ContactDetails,
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
            details.contact.columns(),
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
            details.contact.columns(),
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

/// An existing patient with the same folded name and date of birth as one being added.
pub struct SamePerson {
    pub id: i64,
    pub name: String,
    pub clinic_reference: Option<String>,
}

/// What became of a new patient's details.
pub enum Registration {
    Added(i64),
    /// Nothing was added: records with the same name and date of birth exist, and the
    /// user has not yet said this is someone else. Duplicate records split a history.
    HeldBack(Vec<SamePerson>),
}

fn same_person(conn: &mut DbConn, details: &PatientDetails) -> QueryResult<Vec<SamePerson>> {
    Ok(patients::table
        .filter(patients::sort_name.eq(details.sort_name()))
        .filter(patients::date_of_birth.eq(details.date_of_birth))
        .order(patients::id.asc())
        .select((
            patients::id,
            patients::given_name,
            patients::family_name,
            patients::clinic_reference,
        ))
        .limit(10)
        .load::<(i64, String, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, given, family, clinic_reference)| SamePerson {
            id,
            name: format!("{given} {family}"),
            clinic_reference,
        })
        .collect())
}

/// Adds a patient, with its audit event. Refused when another patient has the clinic
/// reference; held back (with an audit event for each record shown) when patients with
/// the same name and date of birth exist, unless `confirmed_different`.
pub fn register(
    conn: &mut DbConn,
    who: &Actor,
    details: &PatientDetails,
    author: i64,
    confirmed_different: bool,
) -> Result<Registration, Refusal> {
    if let Some(reference) = &details.clinic_reference
        && reference_taken(conn, reference, None)?
    {
        return Err(Refusal::rule("clinic_reference", REFERENCE_TAKEN));
    }
    let same = same_person(conn, details)?;
    if !same.is_empty() && !confirmed_different {
        for existing in &same {
            audit::record(
                conn,
                who,
                Event::new(Action::PatientDuplicateHeld)
                    .entity("patient", existing.id)
                    .patient(existing.id),
            )?;
        }
        return Ok(Registration::HeldBack(same));
    }
    let id = create(conn, details, author)?;
    let mut event = Event::new(Action::PatientCreated)
        .entity("patient", id)
        .patient(id);
    if !same.is_empty() {
        let ids: Vec<String> = same.iter().map(|p| p.id.to_string()).collect();
        event = event.detail(format!(
            "confirmed a different person from patient {}",
            ids.join(", ")
        ));
    }
    audit::record(conn, who, event)?;
    Ok(Registration::Added(id))
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
