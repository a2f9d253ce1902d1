//! Patient storage and search.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{cases, patient_search_tokens, patients, users};
use crate::domain::text::fold;

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
    pub created_at: NaiveDateTime,
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

fn tokens(details: &PatientDetails) -> BTreeSet<String> {
    let mut text = format!("{} {}", details.given_name, details.family_name);
    if let Some(reference) = &details.clinic_reference {
        text.push(' ');
        text.push_str(reference);
    }
    fold(&text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn write_tokens(conn: &mut DbConn, patient_id: i64, details: &PatientDetails) -> QueryResult<()> {
    diesel::delete(
        patient_search_tokens::table.filter(patient_search_tokens::patient_id.eq(patient_id)),
    )
    .execute(conn)?;
    // One row at a time: the shared backend has no multi-row insert.
    for token in tokens(details) {
        diesel::insert_into(patient_search_tokens::table)
            .values((
                patient_search_tokens::token.eq(token),
                patient_search_tokens::patient_id.eq(patient_id),
            ))
            .execute(conn)?;
    }
    Ok(())
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

pub fn create(conn: &mut DbConn, details: &PatientDetails, author: i64) -> QueryResult<i64> {
    let now = Utc::now().naive_utc();
    let id = diesel::insert_into(patients::table)
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
        ))
        .returning(patients::id)
        .get_result(conn)?;
    write_tokens(conn, id, details)?;
    Ok(id)
}

pub fn update(conn: &mut DbConn, id: i64, details: &PatientDetails) -> QueryResult<()> {
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
        ))
        .execute(conn)?;
    write_tokens(conn, id, details)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<PatientRow> {
    patients::table
        .find(id)
        .select(PatientRow::as_select())
        .first(conn)
}

/// What a search asks for: words (prefixes of names or reference) and/or a date of birth.
#[derive(Debug, Clone, Default)]
pub struct PatientSearch {
    pub words: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
}

impl PatientSearch {
    pub fn parse(raw: &str) -> Self {
        let mut search = Self::default();
        for part in raw.split_whitespace() {
            match crate::domain::clinical::parse_date(part) {
                Ok(date) => search.date_of_birth = Some(date),
                Err(_) => search.words.extend(
                    fold(part)
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned),
                ),
            }
        }
        search
    }
}

/// One page of matching patients, by family then given name, and the total count.
/// Each word is a prefix range on the token index, so the cost does not grow with the table.
/// A search counts at most this many matches; past it, the list says "more than".
pub const SEARCH_COUNT_CAP: i64 = 1_000;

/// Patients matching every word (as a prefix of a name or reference word) and the date
/// of birth, if given. Boxed so counting and paging share one definition.
///
/// The first word drives: its patients are listed from the token index, and every other
/// word is an `EXISTS` probe per listed patient on the (patient_id, token) index. Put the
/// word with the fewest patients first (`order_words`), so the cost follows the narrowest
/// word, not the widest.
fn matching<'a>(
    search: &'a PatientSearch,
) -> patients::BoxedQuery<'a, <DbConn as diesel::Connection>::Backend> {
    let mut query = patients::table.into_boxed();
    let mut words = search.words.iter();
    if let Some(first) = words.next() {
        query = query.filter(
            patients::id.eq_any(
                patient_search_tokens::table
                    .filter(starts_with(first))
                    .select(patient_search_tokens::patient_id),
            ),
        );
    }
    for word in words {
        query = query.filter(diesel::dsl::exists(
            patient_search_tokens::table
                .filter(patient_search_tokens::patient_id.eq(patients::id))
                .filter(starts_with(word)),
        ));
    }
    if let Some(date) = search.date_of_birth {
        query = query.filter(patients::date_of_birth.eq(date));
    }
    query
}

/// Tokens that start with `word`: a range on the token index, as every token is folded text.
fn starts_with(
    word: &str,
) -> diesel::dsl::And<
    diesel::dsl::GtEq<patient_search_tokens::token, String>,
    diesel::dsl::Lt<patient_search_tokens::token, String>,
> {
    patient_search_tokens::token
        .ge(word.to_owned())
        .and(patient_search_tokens::token.lt(format!("{word}\u{10FFFF}")))
}

/// Puts the word that matches the fewest patients first. Each word's matches are counted
/// up to `SEARCH_COUNT_CAP + 1` only, so ordering costs the same at any clinic size.
pub fn order_words(conn: &mut DbConn, search: &mut PatientSearch) -> QueryResult<()> {
    if search.words.len() < 2 {
        return Ok(());
    }
    let mut sized = Vec::with_capacity(search.words.len());
    for word in search.words.drain(..) {
        let ids: Vec<i64> = patient_search_tokens::table
            .filter(starts_with(&word))
            .select(patient_search_tokens::patient_id)
            .limit(SEARCH_COUNT_CAP + 1)
            .load(conn)?;
        sized.push((ids.len(), word));
    }
    sized.sort_by_key(|(size, _)| *size);
    search.words = sized.into_iter().map(|(_, word)| word).collect();
    Ok(())
}

/// How many patients match, counted up to `SEARCH_COUNT_CAP + 1`: a short word in a
/// large clinic matches thousands, and counting them all would cost every search as much.
pub fn count_matches(conn: &mut DbConn, search: &PatientSearch) -> QueryResult<i64> {
    let ids: Vec<i64> = matching(search)
        .select(patients::id)
        .limit(SEARCH_COUNT_CAP + 1)
        .load(conn)?;
    Ok(i64::try_from(ids.len()).unwrap_or(i64::MAX))
}

/// One page of matching patients, by family name, given name and id.
pub fn search(
    conn: &mut DbConn,
    search: &PatientSearch,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<PatientRow>> {
    matching(search)
        .order((
            patients::family_name.asc(),
            patients::given_name.asc(),
            patients::id.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(PatientRow::as_select())
        .load(conn)
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
    users::table
        .find(id)
        .select(users::display_name)
        .first(conn)
}

/// A patient's cases, newest first, with what the patient page shows of each.
pub struct CaseLine {
    pub id: i64,
    pub title: String,
    pub status: String,
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
        .load::<(i64, String, String, String, NaiveDateTime, String)>(conn)?
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
