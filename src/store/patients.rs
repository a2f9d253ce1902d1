//! Patient storage and search.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{
    cases, patient_search_pairs, patient_search_prefix_counts, patient_search_prefixes, patients,
    users,
};
use crate::db::stamp::Stamp;
use crate::db::{DbBackend, DbConn, native};
use crate::domain::text;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};

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
    fn search_rows(&self) -> SearchRows {
        SearchRows::of(
            &self.given_name,
            &self.family_name,
            self.clinic_reference.as_deref(),
        )
    }
}

/// What a patient's search rows hold: one row per prefix and one per (whole word,
/// prefix of another word), each with the sort name and all of the patient's words.
struct SearchRows {
    sort_name: String,
    words: String,
    prefixes: BTreeSet<String>,
    pairs: BTreeSet<(String, String)>,
}

impl SearchRows {
    fn of(given: &str, family: &str, reference: Option<&str>) -> Self {
        Self {
            sort_name: text::sort_name(given, family),
            words: text::search_words(given, family, reference),
            prefixes: text::search_prefixes(given, family, reference),
            pairs: text::search_pairs(given, family, reference),
        }
    }

    /// The whole words this patient has pair rows for.
    fn pair_words(&self) -> BTreeSet<String> {
        self.pairs.iter().map(|(word, _)| word.clone()).collect()
    }
}

/// Replaces a patient's search rows after their names or reference changed, and moves
/// the prefix counts by what changed.
fn write_search_rows(conn: &mut DbConn, patient_id: i64, rows: SearchRows) -> QueryResult<()> {
    let old: BTreeSet<String> = patient_search_prefixes::table
        .filter(patient_search_prefixes::patient_id.eq(patient_id))
        .select(patient_search_prefixes::prefix)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let old_pair_words: BTreeSet<String> = patient_search_pairs::table
        .filter(patient_search_pairs::patient_id.eq(patient_id))
        .select(patient_search_pairs::word)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let pair_words = rows.pair_words();
    let dropped_words: Vec<&String> = old_pair_words.difference(&pair_words).collect();
    let added_words: Vec<&String> = pair_words.difference(&old_pair_words).collect();
    diesel::delete(
        patient_search_pairs::table.filter(patient_search_pairs::patient_id.eq(patient_id)),
    )
    .execute(conn)?;
    for (word, prefix) in &rows.pairs {
        diesel::insert_into(patient_search_pairs::table)
            .values((
                patient_search_pairs::word.eq(word),
                patient_search_pairs::prefix.eq(prefix),
                patient_search_pairs::sort_name.eq(&rows.sort_name),
                patient_search_pairs::patient_id.eq(patient_id),
                patient_search_pairs::words.eq(&rows.words),
            ))
            .execute(conn)?;
    }
    // Before the prefix counts move: a count row may go with its last patient.
    diesel::update(
        patient_search_prefix_counts::table
            .filter(patient_search_prefix_counts::prefix.eq_any(&dropped_words)),
    )
    .set(
        patient_search_prefix_counts::pair_patients
            .eq(patient_search_prefix_counts::pair_patients - 1),
    )
    .execute(conn)?;
    diesel::delete(
        patient_search_prefixes::table.filter(patient_search_prefixes::patient_id.eq(patient_id)),
    )
    .execute(conn)?;
    // One row at a time: the shared backend has no multi-row insert.
    for prefix in &rows.prefixes {
        diesel::insert_into(patient_search_prefixes::table)
            .values((
                patient_search_prefixes::prefix.eq(prefix),
                patient_search_prefixes::sort_name.eq(&rows.sort_name),
                patient_search_prefixes::patient_id.eq(patient_id),
                patient_search_prefixes::words.eq(&rows.words),
            ))
            .execute(conn)?;
    }
    let gone: Vec<&String> = old.difference(&rows.prefixes).collect();
    // A prefix no patient has any more loses its row (counts stay above zero).
    diesel::delete(
        patient_search_prefix_counts::table
            .filter(patient_search_prefix_counts::prefix.eq_any(&gone))
            .filter(patient_search_prefix_counts::patients.le(1)),
    )
    .execute(conn)?;
    diesel::update(
        patient_search_prefix_counts::table
            .filter(patient_search_prefix_counts::prefix.eq_any(&gone)),
    )
    .set(patient_search_prefix_counts::patients.eq(patient_search_prefix_counts::patients - 1))
    .execute(conn)?;
    for prefix in rows.prefixes.difference(&old) {
        native!(conn, |c| diesel::insert_into(
            patient_search_prefix_counts::table
        )
        .values((
            patient_search_prefix_counts::prefix.eq(prefix),
            patient_search_prefix_counts::patients.eq(1_i64),
        ))
        .on_conflict(patient_search_prefix_counts::prefix)
        .do_update()
        .set(patient_search_prefix_counts::patients.eq(patient_search_prefix_counts::patients + 1))
        .execute(c))?;
    }
    // Every whole word is also a prefix of itself, so its count row is there by now.
    diesel::update(
        patient_search_prefix_counts::table
            .filter(patient_search_prefix_counts::prefix.eq_any(&added_words)),
    )
    .set(
        patient_search_prefix_counts::pair_patients
            .eq(patient_search_prefix_counts::pair_patients + 1),
    )
    .execute(conn)?;
    Ok(())
}

/// Writes the search rows of patients stored before search had them (their sort name is
/// still empty), a batch at a time, then counts every prefix again from the rows (a
/// patient without rows may still have been counted); returns how many were filled.
pub fn fill_missing_search_rows(conn: &mut DbConn) -> QueryResult<usize> {
    let filled = write_missing_search_rows(conn)?;
    if filled > 0 {
        diesel::delete(patient_search_prefix_counts::table).execute(conn)?;
        diesel::sql_query(
            "INSERT INTO patient_search_prefix_counts (prefix, patients) \
             SELECT prefix, count(*) FROM patient_search_prefixes GROUP BY prefix",
        )
        .execute(conn)?;
        diesel::sql_query(
            "UPDATE patient_search_prefix_counts SET pair_patients = \
             (SELECT count(DISTINCT patient_id) FROM patient_search_pairs \
              WHERE word = patient_search_prefix_counts.prefix)",
        )
        .execute(conn)?;
    }
    Ok(filled)
}

fn write_missing_search_rows(conn: &mut DbConn) -> QueryResult<usize> {
    let mut filled = 0;
    loop {
        let batch: Vec<(i64, String, String, Option<String>)> = patients::table
            .filter(patients::sort_name.eq(""))
            .order(patients::id.asc())
            .select((
                patients::id,
                patients::given_name,
                patients::family_name,
                patients::clinic_reference,
            ))
            .limit(500)
            .load(conn)?;
        if batch.is_empty() {
            return Ok(filled);
        }
        for (id, given, family, reference) in &batch {
            let rows = SearchRows::of(given, family, reference.as_deref());
            diesel::update(patients::table.find(*id))
                .set(patients::sort_name.eq(&rows.sort_name))
                .execute(conn)?;
            write_search_rows(conn, *id, rows)?;
        }
        filled += batch.len();
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
    let rows = details.search_rows();
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
            patients::sort_name.eq(&rows.sort_name),
        ))
        .returning(patients::id)
        .get_result(conn)?;
    write_search_rows(conn, id, rows)?;
    Ok(id)
}

fn update(conn: &mut DbConn, id: i64, details: &PatientDetails) -> QueryResult<()> {
    let rows = details.search_rows();
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
            patients::sort_name.eq(&rows.sort_name),
        ))
        .execute(conn)?;
    write_search_rows(conn, id, rows)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<PatientRow> {
    native!(conn, |c| patients::table
        .find(id)
        .select(PatientRow::as_select())
        .first(c))
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
                Err(_) => {
                    for word in text::folded_words(part) {
                        let word = text::search_word(&word);
                        // A word given twice asks nothing more of a patient.
                        if !search.words.contains(&word) {
                            search.words.push(word);
                        }
                    }
                }
            }
        }
        search
    }
}

/// A search counts at most this many matches; past it, the list says "more than" and
/// asks for more of the name, and pages run no further. Counting is the one part of a
/// search whose cost follows the number of matches, so the cap bounds it.
pub const SEARCH_COUNT_CAP: i64 = 250;

/// Prefix rows of the patients matching every word, read from the first word's rows.
///
/// Those rows are keyed (prefix, sort name, patient), so they come out in list order and
/// the scan stops after `SEARCH_COUNT_CAP + 1` matches, however many patients match.
/// Every other word is checked on the same row, against the patient's words it carries,
/// so the scan reads one index range and looks nothing else up; `matching` drives it by the
/// word with the fewest patients so that range is the shortest.
fn word_rows<'a>(
    first: &'a str,
    others: &'a [String],
) -> patient_search_prefixes::BoxedQuery<'a, DbBackend> {
    let mut query = patient_search_prefixes::table
        .filter(patient_search_prefixes::prefix.eq(first))
        .into_boxed();
    for word in others {
        query = query.filter(patient_search_prefixes::words.like(format!("% {word}%")));
    }
    query
}

/// Patients born on `date` matching every word, in list order. A date of birth narrows a
/// clinic to a handful of patients: they are read in list order from the date index,
/// which carries their names and reference, and the words are checked on those, with no
/// lookup per patient.
fn born_on(conn: &mut DbConn, date: NaiveDate, words: &[String]) -> QueryResult<Vec<Match>> {
    let born: Vec<ListedPatient> = patients::table
        .filter(patients::date_of_birth.eq(date))
        .order((patients::sort_name.asc(), patients::id.asc()))
        .select(ListedPatient::as_select())
        .load(conn)?;
    let cap = usize::try_from(SEARCH_COUNT_CAP + 1).unwrap_or(usize::MAX);
    // Each word must begin one of theirs, as `word_rows` checks it: " word" in their words.
    let starts: Vec<String> = words.iter().map(|word| format!(" {word}")).collect();
    Ok(born
        .into_iter()
        .filter(|patient| {
            // The words their search rows carry.
            let theirs = text::search_words(
                &patient.given_name,
                &patient.family_name,
                patient.clinic_reference.as_deref(),
            );
            starts.iter().all(|start| theirs.contains(start.as_str()))
        })
        .take(cap)
        .map(|patient| Match {
            id: patient.id,
            sort_name: patient.sort_name,
        })
        .collect())
}

/// The whole list (an empty search), from the listing index in list order.
fn whole_list(conn: &mut DbConn) -> QueryResult<Vec<Match>> {
    patients::table
        .order((patients::sort_name.asc(), patients::id.asc()))
        .select((patients::id, patients::sort_name))
        .limit(SEARCH_COUNT_CAP + 1)
        .load(conn)
}

/// One match: the patient, and the sort name that places them in the list (and finds
/// their line in the listing index).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Match {
    pub id: i64,
    pub sort_name: String,
}

/// One line of the patient list. Each of its columns is in the listing index (and in the
/// date index), so lines are read from an index alone.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = patients)]
pub struct ListedPatient {
    pub id: i64,
    pub sort_name: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub clinic_reference: Option<String>,
}

/// How a search's matches are known before a page of them is read.
pub enum Matches {
    /// Every match in list order, up to `SEARCH_COUNT_CAP + 1`: a page is a slice of them.
    Listed(Vec<Match>),
    /// A one-word search: its prefix count says how many match, and a page is read from
    /// the word's rows, which come in list order.
    Counted { word: String, patients: i64 },
}

impl Matches {
    /// How many patients match (past the cap, any number above it).
    pub fn counted(&self) -> i64 {
        match self {
            Self::Listed(matches) => i64::try_from(matches.len()).unwrap_or(i64::MAX),
            Self::Counted { patients, .. } => *patients,
        }
    }
}

/// What the prefix counts say of one search word.
#[derive(Debug, Clone, Copy, Default)]
struct WordCount {
    /// Patients with a word beginning with it.
    patients: i64,
    /// Patients with pair rows for it as a whole word.
    pair_patients: i64,
}

impl WordCount {
    /// Every patient with a word beginning with it has it as a whole name word, so its
    /// pair rows hold every patient a two-word search with it can match.
    fn whole_for_all(self) -> bool {
        self.patients > 0 && self.pair_patients == self.patients
    }
}

/// The prefix counts of each word, in the order given (zero for a word no patient has).
fn word_counts(conn: &mut DbConn, words: &[String]) -> QueryResult<Vec<WordCount>> {
    let found: Vec<(String, i64, i64)> = patient_search_prefix_counts::table
        .filter(patient_search_prefix_counts::prefix.eq_any(words))
        .select((
            patient_search_prefix_counts::prefix,
            patient_search_prefix_counts::patients,
            patient_search_prefix_counts::pair_patients,
        ))
        .load(conn)?;
    Ok(words
        .iter()
        .map(|word| {
            found.iter().find(|(prefix, _, _)| prefix == word).map_or(
                WordCount::default(),
                |&(_, patients, pair_patients)| WordCount {
                    patients,
                    pair_patients,
                },
            )
        })
        .collect())
}

/// The two words whose pair rows a search can be read from, if any: `whole` must be a
/// whole name word of every patient it begins a word of, and neither word may begin the
/// other (then both could match one word of a patient, which pair rows never join).
/// Of several such pairs, the one with the fewest rows expected: patients with the
/// whole word times patients with the other's prefix (over the clinic's size, the same
/// for every pair), so "o briton elif" (O'Briton) reads the Britons called Elif, not all
/// of the O'Britons.
fn pair_to_read(words: &[String], counts: &[WordCount]) -> Option<(usize, usize)> {
    let mut best: Option<((usize, usize), i128)> = None;
    for (whole, whole_count) in counts.iter().enumerate() {
        if !whole_count.whole_for_all() {
            continue;
        }
        for (other, other_count) in counts.iter().enumerate() {
            if other == whole
                || words[whole].starts_with(words[other].as_str())
                || words[other].starts_with(words[whole].as_str())
            {
                continue;
            }
            let expected = i128::from(whole_count.pair_patients) * i128::from(other_count.patients);
            if best.is_none_or(|(_, fewest)| expected < fewest) {
                best = Some(((whole, other), expected));
            }
        }
    }
    best.map(|(pair, _)| pair)
}

/// Pair rows of the patients having `whole` as a whole word and another word beginning
/// with `prefix`, in list order; every further word is checked on the same row, against
/// the patient's words it carries (as in `word_rows`).
fn pair_rows<'a>(
    whole: &'a str,
    prefix: &'a str,
    others: &'a [String],
) -> patient_search_pairs::BoxedQuery<'a, DbBackend> {
    let mut query = patient_search_pairs::table
        .filter(patient_search_pairs::word.eq(whole))
        .filter(patient_search_pairs::prefix.eq(prefix))
        .into_boxed();
    for word in others {
        query = query.filter(patient_search_pairs::words.like(format!("% {word}%")));
    }
    query
}

/// The patients a search matches. Words are looked up in the prefix counts first: a word
/// no patient has ends the search, and one word is counted without reading its rows.
/// Several words are read from the pair rows of two of them where the counts show those
/// rows are complete (`pair_to_read`), so the rows read are the matches themselves;
/// otherwise from the rows of the word with the fewest patients, the others checked on
/// those rows. The cost follows the matches or the narrowest word, not the clinic's size.
pub fn matching(conn: &mut DbConn, search: &PatientSearch) -> QueryResult<Matches> {
    if let Some(date) = search.date_of_birth {
        return born_on(conn, date, &search.words).map(Matches::Listed);
    }
    let Some((first, others)) = search.words.split_first() else {
        return whole_list(conn).map(Matches::Listed);
    };
    let counts = word_counts(conn, &search.words)?;
    let Some((narrowest, patients)) = counts
        .iter()
        .map(|count| count.patients)
        .enumerate()
        .min_by_key(|(_, patients)| *patients)
    else {
        return Ok(Matches::Listed(Vec::new()));
    };
    if patients == 0 {
        return Ok(Matches::Listed(Vec::new()));
    }
    if others.is_empty() {
        return Ok(Matches::Counted {
            word: first.clone(),
            patients,
        });
    }
    if let Some((whole, prefix)) = pair_to_read(&search.words, &counts) {
        let others: Vec<String> = search
            .words
            .iter()
            .enumerate()
            .filter(|(at, _)| *at != whole && *at != prefix)
            .map(|(_, word)| word.clone())
            .collect();
        return pair_rows(&search.words[whole], &search.words[prefix], &others)
            .order((
                patient_search_pairs::sort_name.asc(),
                patient_search_pairs::patient_id.asc(),
            ))
            .select((
                patient_search_pairs::patient_id,
                patient_search_pairs::sort_name,
            ))
            .limit(SEARCH_COUNT_CAP + 1)
            .load(conn)
            .map(Matches::Listed);
    }
    let mut words = search.words.clone();
    let driver = words.remove(narrowest);
    word_rows(&driver, &words)
        .order((
            patient_search_prefixes::sort_name.asc(),
            patient_search_prefixes::patient_id.asc(),
        ))
        .select((
            patient_search_prefixes::patient_id,
            patient_search_prefixes::sort_name,
        ))
        .limit(SEARCH_COUNT_CAP + 1)
        .load(conn)
        .map(Matches::Listed)
}

/// One page of matches, in list order.
pub fn page_of(
    conn: &mut DbConn,
    matches: &Matches,
    offset: i64,
    per_page: i64,
) -> QueryResult<Vec<Match>> {
    match matches {
        Matches::Listed(matches) => Ok(matches
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(per_page).unwrap_or(0))
            .cloned()
            .collect()),
        Matches::Counted { word, .. } => word_rows(word, &[])
            .order((
                patient_search_prefixes::sort_name.asc(),
                patient_search_prefixes::patient_id.asc(),
            ))
            .select((
                patient_search_prefixes::patient_id,
                patient_search_prefixes::sort_name,
            ))
            .offset(offset)
            .limit(per_page)
            .load(conn),
    }
}

/// The list lines of a page of matches, in list order. They are read from the listing
/// index by sort name: a page of one family's patients sits together there, while their
/// table rows lie on as many pages as there are patients. Patients who share a sort name
/// with one on the page come along, and are left out.
pub fn lines_of(conn: &mut DbConn, page: &[Match]) -> QueryResult<Vec<ListedPatient>> {
    let names: BTreeSet<&str> = page.iter().map(|m| m.sort_name.as_str()).collect();
    let mut lines: Vec<ListedPatient> = patients::table
        .filter(patients::sort_name.eq_any(names))
        .order((patients::sort_name.asc(), patients::id.asc()))
        .select(ListedPatient::as_select())
        .load(conn)?;
    lines.retain(|line| page.iter().any(|m| m.id == line.id));
    Ok(lines)
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
