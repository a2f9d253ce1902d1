//! The therapist's dashboard: their open cases and the ones that need attention.

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{cases, patients};
use crate::db::{DbBackend, DbConn};
use crate::store::status::CaseStatus;

pub struct DashboardCase {
    pub id: i64,
    pub title: String,
    pub patient: String,
    pub pain_latest: Option<i32>,
    pub pain_baseline: Option<i32>,
    pub trend: String,
    pub last_pain_at: Option<NaiveDateTime>,
    pub review_date: Option<NaiveDate>,
    pub red_flags: bool,
}

type Row = (
    i64,
    String,
    String,
    String,
    Option<i32>,
    Option<i32>,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDate>,
    String,
);

fn to_case(row: Row) -> DashboardCase {
    let (
        id,
        title,
        given,
        family,
        pain_latest,
        pain_baseline,
        trend,
        last_pain_at,
        review_date,
        flags,
    ) = row;
    DashboardCase {
        id,
        title,
        patient: format!("{given} {family}"),
        pain_latest,
        pain_baseline,
        trend,
        last_pain_at,
        review_date,
        red_flags: !flags.is_empty(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    All,
    ReviewDue,
    Worsening,
    RedFlags,
    NoRecentPain,
}

impl Attention {
    /// The key of each list the home page offers (`/?list=review-due`).
    pub const LISTS: [(&'static str, Attention); 4] = [
        ("red-flags", Attention::RedFlags),
        ("worsening", Attention::Worsening),
        ("review-due", Attention::ReviewDue),
        ("no-recent-pain", Attention::NoRecentPain),
    ];

    /// The list named by `key`, or every open case for an unknown or empty key.
    pub fn from_key(key: &str) -> (Attention, &'static str) {
        Self::LISTS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or((Attention::All, ""), |(k, a)| (*a, *k))
    }
}

/// Open cases of a therapist (of the whole clinic when `therapist` is None) needing the
/// given attention. Every column it filters on is in the `cases_dashboard` indexes, so
/// counting reads the index alone.
/// `today` is the clinic's day: a review is due once its day has passed there.
fn needing(
    therapist: Option<i64>,
    attention: Attention,
    today: NaiveDate,
) -> cases::BoxedQuery<'static, DbBackend> {
    let cutoff = Utc::now().naive_utc() - Duration::days(14);
    let mut query = cases::table
        .filter(cases::status.eq(CaseStatus::Open.as_str()))
        .into_boxed();
    if let Some(id) = therapist {
        query = query.filter(cases::therapist_id.eq(id));
    }
    match attention {
        Attention::All => query,
        Attention::ReviewDue => query.filter(cases::review_date.lt(today)),
        Attention::Worsening => query.filter(cases::pain_trend.eq("worsening")),
        Attention::RedFlags => query.filter(cases::red_flags_pending.ne("")),
        Attention::NoRecentPain => query.filter(
            cases::last_pain_at.lt(cutoff).or(cases::last_pain_at
                .is_null()
                .and(cases::created_at.lt(cutoff))),
        ),
    }
}

/// How many open cases need the given attention.
pub fn count_open(
    conn: &mut DbConn,
    therapist: Option<i64>,
    attention: Attention,
    today: NaiveDate,
) -> QueryResult<i64> {
    needing(therapist, attention, today)
        .count()
        .get_result(conn)
}

/// One page of the open cases needing the given attention: newest first, but reviews
/// most overdue first.
pub fn open_cases(
    conn: &mut DbConn,
    therapist: Option<i64>,
    attention: Attention,
    today: NaiveDate,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<DashboardCase>> {
    // The page's ids come from the index in order; only their rows and patients are read.
    let in_order =
        match attention {
            Attention::ReviewDue => needing(therapist, attention, today)
                .order((cases::review_date.asc(), cases::id.asc())),
            _ => needing(therapist, attention, today)
                .order((cases::created_at.desc(), cases::id.desc())),
        };
    let ids: Vec<i64> = in_order
        .offset(offset)
        .limit(limit)
        .select(cases::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = cases::table
        .inner_join(patients::table)
        .filter(cases::id.eq_any(&ids))
        .select((
            cases::id,
            cases::title,
            patients::given_name,
            patients::family_name,
            cases::pain_latest,
            cases::pain_baseline,
            cases::pain_trend,
            cases::last_pain_at,
            cases::review_date,
            cases::red_flags_pending,
        ))
        .load::<Row>(conn)?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.0));
    Ok(rows.into_iter().map(to_case).collect())
}

/// Open cases (of a therapist, or the whole clinic) whose patient reported a stop symptom
/// in the portal that no one has acted on yet, the latest report first: they head the home
/// page. Few at any time, so all are read.
pub fn stop_reported(conn: &mut DbConn, therapist: Option<i64>) -> QueryResult<Vec<DashboardCase>> {
    use crate::db::schema::stop_reports;
    let pattern = format!("%{}%", crate::domain::clinical::REPORTED_PREFIX);
    let mut query = cases::table
        .inner_join(patients::table)
        .filter(cases::status.eq(CaseStatus::Open.as_str()))
        .filter(cases::red_flags_pending.like(pattern))
        .into_boxed();
    if let Some(id) = therapist {
        query = query.filter(cases::therapist_id.eq(id));
    }
    let latest = stop_reports::table
        .filter(stop_reports::case_id.eq(cases::id))
        .select(diesel::dsl::max(stop_reports::reported_at))
        .single_value();
    let rows = query
        .order((latest.desc(), cases::id.desc()))
        .select((
            cases::id,
            cases::title,
            patients::given_name,
            patients::family_name,
            cases::pain_latest,
            cases::pain_baseline,
            cases::pain_trend,
            cases::last_pain_at,
            cases::review_date,
            cases::red_flags_pending,
        ))
        .load::<Row>(conn)?;
    Ok(rows.into_iter().map(to_case).collect())
}
