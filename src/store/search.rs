//! Patient search, on each engine's own full-text index: FTS5 on SQLite, a GIN index over a
//! 'simple' tsvector on PostgreSQL.
//!
//! Each patient row carries `search_words`: the folded words of their names and clinic
//! reference ("zoe nunez ruiz p 12"), written by `patients::create` and `patients::update`
//! through `words_of`. On SQLite, triggers keep the FTS5 table `patient_search` in step
//! with that column; on PostgreSQL the index is an expression index over it. A search word
//! matches a patient when it begins one of their words, in any order, case and accents
//! folded on both sides by `domain::text::fold`.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::DbConn;
use crate::db::schema::patients;
use crate::domain::text;

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

/// What the engine index is given for a patient: the folded words of their names and
/// clinic reference, one space between each.
pub fn words_of(given: &str, family: &str, reference: Option<&str>) -> String {
    text::folded_words(&format!(
        "{given} {family} {}",
        reference.unwrap_or_default()
    ))
    .join(" ")
}

/// A search counts at most this many matches; past it, the list says "more than" and
/// asks for more of the name, and pages run no further. Counting is the one part of a
/// search whose cost follows the number of matches, so the cap bounds it.
pub const SEARCH_COUNT_CAP: i64 = 250;

/// One match: the patient, and the sort name that places them in the list (and finds
/// their line in the listing index).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName)]
#[diesel(table_name = patients)]
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

/// A search's matches in list order, up to `SEARCH_COUNT_CAP + 1`: a page is a slice of
/// them.
#[derive(Debug, Clone, Default)]
pub struct Matches(Vec<Match>);

impl Matches {
    /// How many patients match (past the cap, any number above it).
    pub fn counted(&self) -> i64 {
        i64::try_from(self.0.len()).unwrap_or(i64::MAX)
    }

    /// Every match counted, in list order.
    pub fn listed(&self) -> &[Match] {
        &self.0
    }

    /// One page of matches, in list order.
    pub fn page(&self, offset: i64, per_page: i64) -> &[Match] {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let end = start
            .saturating_add(usize::try_from(per_page).unwrap_or(0))
            .min(self.0.len());
        &self.0[start..end]
    }
}

/// From this many matches on, a search by words is broad: rather than putting every match
/// in order, it walks the list in order and stops at the count cap. Below it, ordering the
/// matches costs less than the walk to the cap would: the matches of a short family prefix
/// lie together, possibly far down the list.
pub const BROAD_SEARCH: i64 = 4_000;

/// A match's id as the full-text index gives it.
#[derive(QueryableByName)]
struct FoundId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// A match with how many the search found, up to the broad search's threshold.
#[derive(QueryableByName)]
struct CountedMatch {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    sort_name: String,
    #[diesel(sql_type = BigInt)]
    found: i64,
}

/// The patients a search matches, in list order, up to `SEARCH_COUNT_CAP + 1`.
pub fn matching(conn: &mut DbConn, search: &PatientSearch) -> QueryResult<Matches> {
    matching_broad_from(conn, search, BROAD_SEARCH)
}

/// `matching`, with the number of matches from which a search by words is broad given, so
/// a small clinic's tests can read every search both ways.
pub fn matching_broad_from(
    conn: &mut DbConn,
    search: &PatientSearch,
    broad_from: i64,
) -> QueryResult<Matches> {
    if let Some(date) = search.date_of_birth {
        return born_on(conn, date, &search.words).map(Matches);
    }
    if search.words.is_empty() {
        return whole_list(conn).map(Matches);
    }
    with_words(conn, &search.words, broad_from).map(Matches)
}

/// Patients having a word that begins with each of `words`, in list order, up to the count
/// cap. A search never orders more than `broad_from` matches; past that it walks the list,
/// and the more patients match, the sooner the walk reaches the cap.
fn with_words(conn: &mut DbConn, words: &[String], broad_from: i64) -> QueryResult<Vec<Match>> {
    match conn {
        DbConn::Sqlite(c) => {
            // A quoted string with a star: a prefix query, whatever the word holds.
            let query = words
                .iter()
                .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" AND ");
            // The index's matches, read no further than `broad_from`.
            let found: Vec<FoundId> = diesel::sql_query(
                "SELECT rowid AS id FROM patient_search WHERE patient_search MATCH ? LIMIT ?",
            )
            .bind::<Text, _>(&query)
            .bind::<BigInt, _>(broad_from)
            .load(c)?;
            if found.is_empty() {
                return Ok(Vec::new());
            }
            if i64::try_from(found.len()).unwrap_or(i64::MAX) < broad_from {
                // A narrow search: the matches' sort names come from the narrow id index
                // (a few pages, where the table would need a page a patient), and the
                // matches are put in order.
                let ids = found
                    .iter()
                    .map(|f| f.id.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                return diesel::sql_query(
                    "SELECT id, sort_name FROM patients INDEXED BY patients_sort_name_by_id \
                     WHERE id IN (SELECT value FROM json_each(?)) \
                     ORDER BY sort_name, id LIMIT ?",
                )
                .bind::<Text, _>(format!("[{ids}]"))
                .bind::<BigInt, _>(SEARCH_COUNT_CAP + 1)
                .load(c);
            }
            // A broad search walks the listing index in list order, checking each patient
            // against the set of matches, until the cap: at least one patient in
            // `broad_from / clinic size` matches, so the walk is short where matches are many.
            diesel::sql_query(
                "SELECT id, sort_name FROM patients INDEXED BY patients_listing \
                 WHERE id IN (SELECT rowid FROM patient_search WHERE patient_search MATCH ?) \
                 ORDER BY sort_name, id LIMIT ?",
            )
            .bind::<Text, _>(&query)
            .bind::<BigInt, _>(SEARCH_COUNT_CAP + 1)
            .load(c)
        }
        DbConn::Pg(c) => {
            let query = words
                .iter()
                .map(|word| format!("'{}':*", word.replace('\'', "''").replace('\\', "\\\\")))
                .collect::<Vec<_>>()
                .join(" & ");
            // A narrow search: the GIN index's matches, no more than `broad_from`, put in
            // order. Left to itself the planner walks the listing index for a few thousand
            // matches, computing each walked patient's words (0.2 s at 100,000 patients).
            let narrow: Vec<CountedMatch> = diesel::sql_query(
                "WITH found AS MATERIALIZED (SELECT id, sort_name FROM patients \
                     WHERE to_tsvector('simple', search_words) @@ to_tsquery('simple', $1) \
                     LIMIT $2) \
                 SELECT id, sort_name, (SELECT count(*) FROM found) AS found FROM found \
                 ORDER BY sort_name, id LIMIT $3",
            )
            .bind::<Text, _>(&query)
            .bind::<BigInt, _>(broad_from)
            .bind::<BigInt, _>(SEARCH_COUNT_CAP + 1)
            .load(c)?;
            if narrow.first().is_none_or(|m| m.found < broad_from) {
                return Ok(narrow
                    .into_iter()
                    .map(|m| Match {
                        id: m.id,
                        sort_name: m.sort_name,
                    })
                    .collect());
            }
            // A broad search walks the listing index in order to the cap.
            diesel::sql_query(
                "SELECT id, sort_name FROM patients \
                 WHERE to_tsvector('simple', search_words) @@ to_tsquery('simple', $1) \
                 ORDER BY sort_name, id LIMIT $2",
            )
            .bind::<Text, _>(&query)
            .bind::<BigInt, _>(SEARCH_COUNT_CAP + 1)
            .load(c)
        }
    }
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
    Ok(born
        .into_iter()
        .filter(|patient| {
            let theirs = words_of(
                &patient.given_name,
                &patient.family_name,
                patient.clinic_reference.as_deref(),
            );
            words.iter().all(|word| {
                theirs
                    .split(' ')
                    .any(|their_word| their_word.starts_with(word.as_str()))
            })
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

#[cfg(test)]
mod tests {
    use super::{PatientSearch, words_of};

    #[test]
    fn a_patient_is_indexed_by_the_folded_words_of_names_and_reference() {
        assert_eq!(
            words_of("Zoë", "Núñez-Ruiz", Some("P-12")),
            "zoe nunez ruiz p 12"
        );
        assert_eq!(words_of("Ann", "Lee", None), "ann lee");
    }

    #[test]
    fn a_search_is_folded_words_and_a_date_of_birth() {
        let search = PatientSearch::parse("José  1980-03-31 ref-1042 JOSE");
        assert_eq!(search.words, ["jose", "ref", "1042"]);
        assert_eq!(
            search.date_of_birth,
            chrono::NaiveDate::from_ymd_opt(1980, 3, 31)
        );
    }
}
